"""``predict``, ``labels`` and ``info``: one model (or taxonomy) answers on the terminal."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import click

from classifier.cli import console
from classifier.cli.options import NumberRange, model_dir_option, model_option
from classifier.jsontext import dumps
from classifier.persistence import load_model, read_manifest
from classifier.taxonomy import load_taxonomy

if TYPE_CHECKING:
    from classifier.headlines import ItemError

__all__ = ["info", "labels", "predict"]

# Stdin lines predicted together: one vectorised call per batch, results still printed line by line.
_BATCH = 1000


@click.command()
@click.argument("headline", required=False)
@click.option("--teaser", default="", help="Teaser or first sentence of the story.")
@model_option
@click.option("--top-k", type=click.IntRange(min=1), help="List at most K topics.")
@click.option(
    "--threshold", type=NumberRange(0, 1), help="Score a listed topic needs (default: the model's)."
)
@click.option("--abstain-below", type=NumberRange(0, 1), help="Override the model's abstain threshold.")
@click.option("--explain", is_flag=True, help="Show the words that pushed each topic up.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (always, when reading stdin).")
def predict(
    headline: str | None,
    teaser: str,
    model_dir: Path,
    allow_version_mismatch: bool,
    top_k: int | None,
    threshold: float | None,
    abstain_below: float | None,
    explain: bool,
    as_json: bool,
) -> None:
    """Predict the topics of HEADLINE, or of each JSON line on stdin.

    Stdin lines look like {"headline": "...", "teaser": "..."}; each gives one
    JSON result line, in order. A bad line gives {"error": ...} in its place and
    the command exits with status 1 at the end.
    """
    with console.user_errors():
        model, manifest = load_model(model_dir, allow_version_mismatch=allow_version_mismatch)
    options = {"top_k": top_k, "threshold": threshold, "abstain_threshold": abstain_below, "explain": explain}
    if headline is not None and headline != "-":
        if not headline.strip():
            raise click.BadParameter("the headline is empty", param_hint="HEADLINE")
        prediction = model.predict([headline], [teaser], **options)[0]
        if as_json:
            click.echo(dumps({"model": manifest.model_id, **prediction.to_dict()}))
        else:
            console.stdout.print(console.prediction_text(headline, prediction))
        return
    if sys.stdin.isatty():
        raise click.UsageError("give a HEADLINE, or pipe JSON lines into stdin")
    failures = 0
    for batch in _batched(_stdin_items(sys.stdin), _BATCH):
        good = [item for item in batch if not isinstance(item, str)]
        headlines, teasers = [headline for headline, _ in good], [teaser for _, teaser in good]
        predictions = iter(model.predict(headlines, teasers, **options) if good else [])
        for item in batch:
            if isinstance(item, str):
                failures += 1
                click.echo(dumps({"error": item}))
            else:
                click.echo(dumps(next(predictions).to_dict()))
    if failures:
        raise click.ClickException(f"{failures} input line(s) were invalid")


def _stdin_items(lines: Iterable[str]) -> Iterator[tuple[str, str] | str]:
    """(headline, teaser) for each non-blank line, or the message saying why the line is not one."""
    # Imported here: building the headline's JSON Schema pattern takes milliseconds every command would pay.
    from classifier.headlines import ItemError, headline_item

    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as error:
            yield f"line {number}: invalid JSON: {error.msg}"
            continue
        if not isinstance(data, dict):
            yield f'line {number}: expected an object like {{"headline": ...}}'
            continue
        try:
            yield headline_item(data)
        except ItemError as error:
            yield f"line {number}: {_problem(error)}"


def _problem(error: ItemError) -> str:
    from classifier.headlines import NOT_UNICODE

    if error.problem == NOT_UNICODE:
        return f"'{error.field}' {NOT_UNICODE}"
    if error.field == "headline":
        return "'headline' must be a non-empty string"
    return "'teaser' must be a string"


def _batched(items: Iterable, size: int) -> Iterator[list]:
    batch = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


@click.command()
@click.option("--taxonomy", default="default", show_default=True, help="'default' or a taxonomy JSON file.")
@click.option("--json", "as_json", is_flag=True)
def labels(taxonomy: str, as_json: bool) -> None:
    """List the topics of a taxonomy with descriptions and IPTC codes."""
    with console.user_errors():
        loaded = load_taxonomy(taxonomy)
    if as_json:
        click.echo(loaded.model_dump_json(indent=2))
        return
    for topic in loaded.topics:
        console.stdout.print(f"{topic.label:<14} {topic.iptc or '-':<16} {topic.description}")


@click.command()
@model_dir_option
# info reads the manifest only, never the pickled model, so no scikit-learn version stops it: the flag
# has nothing to allow. It stays accepted, out of the help, for the scripts that pass it.
@click.option("--allow-version-mismatch", is_flag=True, hidden=True, expose_value=False)
def info(model_dir: Path) -> None:
    """Show a model's manifest: id, labels, sources, validation metrics."""
    with console.user_errors():
        manifest = read_manifest(model_dir)
    click.echo(manifest.model_dump_json(indent=2))

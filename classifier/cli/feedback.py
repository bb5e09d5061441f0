"""``headline-tagger feedback``: the newsroom's corrections, imported, exported and summed up."""

from __future__ import annotations

import csv
import io
import itertools
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import click

from classifier.atomic import output_errors, replace_atomically
from classifier.cli import console
from classifier.cli.options import feedback_db_option, model_option
from classifier.feedback.store import Correction, CorrectionStore, open_store
from classifier.jsontext import dumps
from classifier.persistence import load_model

__all__ = ["feedback"]

_PAGE = 1_000
_CSV_COLUMNS = (
    "id",
    "headline",
    "teaser",
    "labels",
    "kind",
    "model",
    "predicted",
    "item_id",
    "sender",
    "source",
    "created",
    "superseded_by",
)


@click.group()
def feedback() -> None:
    """The newsroom's corrections of the model's topics: import, export, stats."""


@feedback.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@model_option
@feedback_db_option
def import_corrections(file: Path, model_dir: Path, allow_version_mismatch: bool, feedback_db: str) -> None:
    """Add the corrections of FILE: JSON lines of {"headline", "teaser", "labels": [...], "id"}.

    Labels are checked against the model's; each correction records the
    model's prediction of its headline, so that `feedback stats` can tell how
    often the model was right. Bad lines are reported with their line number
    and reason, and the good ones are stored; the command fails when no line is good.
    """
    from classifier.feedback.imports import corrections_from_file  # pydantic, for the headline rules

    with console.user_errors():
        model, manifest = load_model(model_dir, allow_version_mismatch=allow_version_mismatch)
        corrections, bad = corrections_from_file(str(file), model, manifest.model_id)
        for row in bad:
            click.echo(f"bad row: {row}", err=True)  # one line each, never wrapped: grep-able
        if not corrections:
            raise click.ClickException(f"{file}: no correction to import ({len(bad):,} bad rows)")
        with open_store(feedback_db) as store:
            ids = store.add(corrections)
    console.stdout.print(
        f"imported {len(ids):,} corrections into {store.name} (ids {ids[0]}-{ids[-1]});"
        f" {len(bad):,} bad rows",
        markup=False,
    )


@feedback.command("export")
@click.option(
    "--format", "output_format", type=click.Choice(["jsonl", "csv"]), default="jsonl", show_default=True
)
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write to this file (atomically) instead of stdout.",
)
@feedback_db_option
def export_corrections(output_format: str, output: Path | None, feedback_db: str) -> None:
    """Write every stored correction, superseded ones too (see superseded_by), oldest first."""
    with console.user_errors(), open_store(feedback_db) as store:
        lines = _csv_lines(store) if output_format == "csv" else _jsonl_lines(store)
        if output is None:
            sys.stdout.writelines(lines)
            return

        def write(temporary: Path) -> None:  # a page at a time, never the whole store in memory
            with open(temporary, "w", encoding="utf-8", newline="") as handle:
                handle.writelines(lines)
                handle.flush()
                os.fsync(handle.fileno())

        with output_errors(output):
            replace_atomically(output, write)


@feedback.command("stats")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@feedback_db_option
def stats(as_json: bool, feedback_db: str) -> None:
    """Count the current corrections per label, kind and model, with each model's agreement with them.

    A model's agreement is the share of the corrections of its predictions
    that accepted the prediction as it was: a live estimate of its accuracy on
    the newsroom's own headlines.
    """
    with console.user_errors(), open_store(feedback_db) as store:
        summary = store.stats()
        name = store.name
    if as_json:
        click.echo(dumps(summary))
        return
    console.stdout.print(f"{summary['corrections']:,} current corrections in {name}", markup=False)
    kinds = ", ".join(f"{kind} {count:,}" for kind, count in summary["kinds"].items())
    console.stdout.print(f"kinds: {kinds}", markup=False)
    labels = "  ".join(f"{label} {count:,}" for label, count in summary["labels"].items())
    console.stdout.print(f"labels: {labels or '-'}", markup=False)
    for model, counts in summary["models"].items():
        console.stdout.print(
            f"model {model}: {counts['corrections']:,} corrections, agreement {counts['agreement']:.3f}",
            markup=False,
        )


def _all(store: CorrectionStore) -> Iterator[Correction]:
    after = 0
    while page := store.page(after=after, limit=_PAGE):
        yield from page
        after = page[-1].id


def _jsonl_lines(store: CorrectionStore) -> Iterator[str]:
    for correction in _all(store):
        yield dumps(correction.to_dict()) + "\n"


def _csv_lines(store: CorrectionStore) -> Iterator[str]:
    line = io.StringIO()
    writer = csv.writer(line, lineterminator="\n")
    for row in itertools.chain([_CSV_COLUMNS], map(_csv_row, _all(store))):
        writer.writerow(row)
        yield line.getvalue()
        line.seek(0)
        line.truncate()


def _csv_row(correction: Correction) -> list:
    row = correction.to_dict()
    row["labels"] = "|".join(correction.labels)
    row["predicted"] = "" if correction.predicted is None else "|".join(correction.predicted)
    return ["" if row[column] is None else row[column] for column in _CSV_COLUMNS]

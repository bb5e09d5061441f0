"""The ``headline-tagger`` command: parse options, call the core, print the result.

Each command turns the core's errors (:class:`~classifier.errors.HeadlineTaggerError`,
and ``ValueError`` for bad parameters) into a one-line message and a non-zero
exit, never a traceback.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from classifier import console
from classifier.errors import HeadlineTaggerError
from classifier.features import FeatureSettings
from classifier.persistence import load_model, read_manifest
from classifier.presets import PRESETS
from classifier.readers import ReadOptions
from classifier.taxonomy import load_taxonomy
from classifier.training import TrainingSettings
from classifier.workflows import DataRequest, evaluate_model, train_model

__all__ = ["main"]

ENV = "HEADLINE_TAGGER_"
DEFAULT_MODELS_DIR = "models"
# Option defaults come from the core's settings, so the CLI and the library agree.
_TRAINING = TrainingSettings()
_FEATURES = _TRAINING.features


@contextmanager
def _user_errors() -> Iterator[None]:
    """Report the core's errors as a clean message and exit code 1."""
    try:
        yield
    except (HeadlineTaggerError, ValueError) as error:
        raise click.ClickException(str(error)) from None


def _pair_text(pair: tuple[int, int] | None) -> str:
    return "none" if pair is None else f"{pair[0]},{pair[1]}"


def _int_pair(text: str | None) -> tuple[int, int] | None:
    if text is None or text.lower() == "none":
        return None
    try:
        low, high = (int(part) for part in text.split(","))
    except ValueError:
        raise click.BadParameter(f"{text!r} is not two whole numbers like 1,2") from None
    if not 1 <= low <= high:
        raise click.BadParameter(f"{text!r}: need 1 <= MIN <= MAX")
    return low, high


def data_options(command: Callable) -> Callable:
    """The options every command that reads labelled data shares (train, evaluate)."""
    options = [
        click.argument("data", nargs=-1, type=str),
        click.option(
            "--preset",
            type=click.Choice(sorted(PRESETS)),
            help="Read plain PATH arguments with this dataset preset.",
        ),
        click.option(
            "--format",
            "data_format",
            type=click.Choice(["jsonl", "csv", "tsv", "parquet", "folder"]),
            help="Generic format of plain PATHs (default: from the file name).",
        ),
        click.option("--headline-field", default="headline", show_default=True),
        click.option(
            "--teaser-field",
            default="teaser",
            show_default=True,
            help="Field of the teaser; a missing field means no teaser.",
        ),
        click.option("--label-field", default="label", show_default=True),
        click.option("--label-delimiter", help="Split the label field on this string (multi-label)."),
        click.option("--id-field", help="Field that identifies a row."),
        click.option(
            "--no-header",
            is_flag=True,
            help="CSV/TSV without a header row: name fields by position, 1, 2, 3…",
        ),
        click.option(
            "--split",
            type=click.Choice(["train", "test"]),
            help="Reuters-21578 ModApte split to read (default: every document).",
        ),
        click.option(
            "--body",
            type=click.Choice(["first-sentence", "full"]),
            default="first-sentence",
            show_default=True,
            help="Reuters-21578: teaser is the body's first sentence or all of it.",
        ),
        click.option(
            "--taxonomy",
            help="Map every source onto this taxonomy ('default' or a JSON file); "
            "preset sources use the label map shipped for their preset.",
        ),
        click.option("--label-map", help="Label map (shipped name or JSON file) applied to every source."),
        click.option(
            "--max-bad-rows",
            default="1%",
            show_default=True,
            help="Rejected rows tolerated before the command fails: a count or a percentage.",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _data_request(kwargs: dict, *, starter: bool = False) -> DataRequest:
    options = ReadOptions(
        format=kwargs.pop("data_format"),
        headline_field=kwargs.pop("headline_field"),
        teaser_field=kwargs.pop("teaser_field"),
        label_field=kwargs.pop("label_field"),
        label_delimiter=kwargs.pop("label_delimiter"),
        id_field=kwargs.pop("id_field"),
        header=not kwargs.pop("no_header"),
    )
    data = tuple(kwargs.pop("data"))
    if not data and not starter:
        raise click.UsageError("name at least one DATA file or folder (PATH or PRESET:PATH)")
    return DataRequest(
        arguments=data,
        preset=kwargs.pop("preset"),
        options=options,
        taxonomy=kwargs.pop("taxonomy"),
        label_map=kwargs.pop("label_map"),
        split=kwargs.pop("split"),
        body=kwargs.pop("body"),
        max_bad_rows=kwargs.pop("max_bad_rows"),
        starter=starter,
    )


def model_option(command: Callable) -> Callable:
    """``--model DIR``, defaulting to ``$HEADLINE_TAGGER_MODEL`` or ``models/current``."""
    return click.option(
        "--model",
        "model_dir",
        envvar=f"{ENV}MODEL",
        type=click.Path(path_type=Path),
        default=Path(DEFAULT_MODELS_DIR) / "current",
        show_default=True,
        help=f"Model directory (env {ENV}MODEL).",
    )(
        click.option(
            "--allow-version-mismatch",
            is_flag=True,
            help="Load a model made with another scikit-learn minor version.",
        )(command)
    )


def _print_read_report(report) -> None:
    if report.bad:
        console.stderr.print(f"[yellow]warning:[/] {report.summary()}")
    for reason, count in report.skipped.most_common():
        console.stderr.print(f"skipped {count:,} rows: {reason}")


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="headline-tagger")
def main() -> None:
    """Tag news headlines (and their teasers) with topics such as politics, finance and climate."""


@main.command()
@data_options
@click.option("--starter", is_flag=True, help="Also train on the bundled starter corpus (default taxonomy).")
@click.option("--multilabel", is_flag=True, help="One yes/no model per topic; a headline can get several.")
@click.option("--out", type=click.Path(path_type=Path), help="Model directory to write (must not exist).")
@click.option(
    "--models-dir",
    envvar=f"{ENV}MODELS_DIR",
    type=click.Path(path_type=Path),
    default=Path(DEFAULT_MODELS_DIR),
    show_default=True,
    help=f"Where new models and the 'current' link live (env {ENV}MODELS_DIR).",
)
@click.option("--no-promote", is_flag=True, help="Do not point models/current at the new model.")
@click.option("--if-missing", is_flag=True, help="Do nothing when models/current already exists.")
@click.option(
    "--validation-fraction",
    type=click.FloatRange(0, 0.9),
    default=_TRAINING.validation_fraction,
    show_default=True,
)
@click.option("--seed", type=int, default=_TRAINING.seed, show_default=True)
@click.option(
    "--c",
    "c_value",
    type=click.FloatRange(min=0, min_open=True),
    default=_TRAINING.C,
    show_default=True,
    help="Inverse regularisation strength of the logistic regression.",
)
@click.option("--class-weight", type=click.Choice(["none", "balanced"]), default="none", show_default=True)
@click.option(
    "--word-ngrams",
    default=_pair_text(_FEATURES.word_ngrams),
    show_default=True,
    help="Word n-gram range MIN,MAX.",
)
@click.option(
    "--char-ngrams",
    default=_pair_text(_FEATURES.char_ngrams),
    show_default=True,
    help="Character n-gram range MIN,MAX (slower, sometimes more accurate), or none.",
)
@click.option(
    "--headline-weight",
    type=click.FloatRange(min=0),
    default=_FEATURES.headline_weight,
    show_default=True,
    help="Weight of the extra headline-only features.",
)
@click.option(
    "--min-df",
    type=click.IntRange(min=1),
    default=_FEATURES.min_df,
    show_default=True,
    help="Ignore n-grams seen in fewer rows.",
)
@click.option(
    "--label-threshold",
    type=click.FloatRange(0, 1),
    default=_TRAINING.label_threshold,
    show_default=True,
    help="Single-label models: score a second topic needs to be listed.",
)
@click.option(
    "--abstain-below",
    type=click.FloatRange(0, 1),
    default=_TRAINING.abstain_threshold,
    show_default=True,
    help="Answer 'abstained' when the top score is under this.",
)
def train(**kwargs) -> None:
    """Train a model on labelled DATA and save it under models/.

    DATA is PATH (read with --preset or the generic field options) or
    PRESET:PATH, e.g. huffpost:news.jsonl.gz agnews:test.csv bbc:bbc/ nyt:nyt/.
    Several can be combined; --taxonomy default maps each through its preset's
    shipped label map.
    """
    models_dir = kwargs["models_dir"]
    if kwargs["if_missing"] and (models_dir / "current").exists():
        console.stderr.print(f"{models_dir / 'current'} exists; not training (--if-missing)")
        return
    features = FeatureSettings(
        word_ngrams=_int_pair(kwargs["word_ngrams"]),
        char_ngrams=_int_pair(kwargs["char_ngrams"]),
        headline_weight=kwargs["headline_weight"],
        min_df=kwargs["min_df"],
    )
    settings = TrainingSettings(
        features=features,
        C=kwargs["c_value"],
        multilabel=kwargs["multilabel"],
        class_weight=None if kwargs["class_weight"] == "none" else kwargs["class_weight"],
        validation_fraction=kwargs["validation_fraction"],
        seed=kwargs["seed"],
        label_threshold=kwargs["label_threshold"],
        abstain_threshold=kwargs["abstain_below"],
    )
    request = _data_request(dict(kwargs), starter=kwargs["starter"])
    _train_and_report(
        request, settings, models_dir, out_dir=kwargs["out"], promote_to_current=not kwargs["no_promote"]
    )


def _train_and_report(
    request: DataRequest,
    settings: TrainingSettings,
    models_dir: Path,
    *,
    out_dir: Path | None = None,
    promote_to_current: bool = True,
) -> None:
    """Run the training job with progress on stderr, then print its validation table."""
    with _user_errors(), console.row_counter("Reading training data") as count:
        outcome = train_model(
            request,
            settings,
            models_dir=models_dir,
            out_dir=out_dir,
            promote_to_current=promote_to_current,
            on_row=count,
            step=console.step,
        )
    _print_read_report(outcome.report)
    result = outcome.result
    for note in result.notes:
        console.stderr.print(f"[yellow]note:[/] {note}")
    if result.validation is not None:
        console.stdout.print(
            console.metrics_table(result.validation, f"Validation ({result.validation_rows:,} held-out rows)")
        )
        for line in console.summary_lines(result.validation):
            console.stdout.print(line)
    console.stdout.print(
        f"model {outcome.manifest.model_id}: {len(result.model.labels)} labels, "
        f"{result.train_rows:,} training rows, {result.seconds:.1f} s"
    )
    console.stdout.print(
        f"saved to {outcome.model_dir}" + (f" (now {outcome.promoted_to})" if outcome.promoted_to else "")
    )


@main.command()
@data_options
@model_option
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object with every metric.")
def evaluate(model_dir: Path, allow_version_mismatch: bool, as_json: bool, **kwargs) -> None:
    """Score a model on labelled DATA (same DATA forms as train)."""
    request = _data_request(kwargs)
    with _user_errors(), console.row_counter("Reading evaluation data", quiet=as_json) as count:
        report, read_report, manifest = evaluate_model(
            model_dir, request, allow_version_mismatch=allow_version_mismatch, on_row=count
        )
    _print_read_report(read_report)
    if as_json:
        click.echo(json.dumps({"model": manifest.model_id, **report.to_dict()}))
        return
    console.stdout.print(console.metrics_table(report, f"Model {manifest.model_id} on {report.n:,} rows"))
    for line in console.summary_lines(report):
        console.stdout.print(line)


def _stdin_items() -> Iterator[tuple[int, dict | str]]:
    """(line number, item) for each non-blank stdin line; item is an error message when bad."""
    for number, line in enumerate(sys.stdin, start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as error:
            yield number, f"line {number}: invalid JSON: {error.msg}"
            continue
        if not isinstance(item, dict):
            yield number, f'line {number}: expected an object like {{"headline": ...}}'
        elif not isinstance(item.get("headline"), str) or not item["headline"].strip():
            yield number, f"line {number}: 'headline' must be a non-empty string"
        elif not isinstance(item.get("teaser", ""), str):
            yield number, f"line {number}: 'teaser' must be a string"
        else:
            yield number, item


def _batched(items: Iterator, size: int) -> Iterator[list]:
    batch = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


@main.command()
@click.argument("headline", required=False)
@click.option("--teaser", default="", help="Teaser or first sentence of the story.")
@model_option
@click.option("--top-k", type=click.IntRange(min=1), help="List at most K topics.")
@click.option(
    "--threshold", type=click.FloatRange(0, 1), help="Score a listed topic needs (default: the model's)."
)
@click.option("--abstain-below", type=click.FloatRange(0, 1), help="Override the model's abstain threshold.")
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
    with _user_errors():
        model, manifest = load_model(model_dir, allow_version_mismatch=allow_version_mismatch)
    options = {"top_k": top_k, "threshold": threshold, "abstain_threshold": abstain_below, "explain": explain}
    if headline is not None and headline != "-":
        if not headline.strip():
            raise click.BadParameter("the headline is empty", param_hint="HEADLINE")
        prediction = model.predict([headline], [teaser], **options)[0]
        if as_json:
            click.echo(json.dumps({"model": manifest.model_id, **prediction.to_dict()}))
        else:
            console.stdout.print(console.prediction_text(headline, prediction))
        return
    if sys.stdin.isatty():
        raise click.UsageError("give a HEADLINE, or pipe JSON lines into stdin")
    failures = 0
    for batch in _batched(_stdin_items(), 1000):
        good = [item for _, item in batch if isinstance(item, dict)]
        predictions = iter(
            model.predict([i["headline"] for i in good], [i.get("teaser", "") for i in good], **options)
            if good
            else []
        )
        for _, item in batch:
            if isinstance(item, str):
                failures += 1
                click.echo(json.dumps({"error": item}))
            else:
                click.echo(json.dumps(next(predictions).to_dict()))
    if failures:
        raise click.ClickException(f"{failures} input line(s) were invalid")


@main.command()
@click.option("--taxonomy", default="default", show_default=True, help="'default' or a taxonomy JSON file.")
@click.option("--json", "as_json", is_flag=True)
def labels(taxonomy: str, as_json: bool) -> None:
    """List the topics of a taxonomy with descriptions and IPTC codes."""
    with _user_errors():
        loaded = load_taxonomy(taxonomy)
    if as_json:
        click.echo(loaded.model_dump_json(indent=2))
        return
    for topic in loaded.topics:
        console.stdout.print(f"{topic.label:<14} {topic.iptc or '-':<16} {topic.description}")


@main.command()
@model_option
def info(model_dir: Path, allow_version_mismatch: bool) -> None:
    """Show a model's manifest: id, labels, sources, validation metrics."""
    with _user_errors():
        manifest = read_manifest(model_dir)
    click.echo(manifest.model_dump_json(indent=2))


_DEMO_HEADLINES = [
    ("Parliament passes budget after all-night session", "The coalition survived a confidence vote."),
    ("Record heat scorches southern Europe as wildfires spread", "Temperatures topped 46C in Sicily."),
    ("Central bank holds rates as inflation cools", "Markets had priced in a pause."),
    ("Striker's late goal sends club into cup final", ""),
]


@main.command()
@click.option(
    "--models-dir",
    envvar=f"{ENV}MODELS_DIR",
    type=click.Path(path_type=Path),
    default=Path(DEFAULT_MODELS_DIR),
    show_default=True,
)
def start(models_dir: Path) -> None:
    """Train the starter model if models/current is missing, then show it at work."""
    current = models_dir / "current"
    if not current.exists():
        _train_and_report(DataRequest(starter=True, taxonomy="default"), TrainingSettings(), models_dir)
    with _user_errors():
        model, manifest = load_model(current)
    headlines = [headline for headline, _ in _DEMO_HEADLINES]
    teasers = [teaser for _, teaser in _DEMO_HEADLINES]
    console.stdout.print(f"model {manifest.model_id} ({current}):")
    for headline, prediction in zip(headlines, model.predict(headlines, teasers, top_k=3), strict=True):
        console.stdout.print(console.prediction_text(headline, prediction))

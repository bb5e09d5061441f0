"""The ``headline-tagger`` command: parse options, call the core, print the result.

Each command turns the core's errors (:class:`~classifier.errors.HeadlineTaggerError`,
and ``ValueError`` for bad parameters) into a one-line message and a non-zero
exit, never a traceback.

Importing this module must stay quick, because every command pays for it:
scikit-learn (about a second) loads only when this process trains, evaluates
or predicts, never for ``tag`` with worker processes, which load the model
themselves. So the modules that import it (training, evaluation, the
workflows) are imported inside the commands that use them, and ``train``,
whose option defaults come from the training settings, makes its options on
first use.
"""

from __future__ import annotations

import dataclasses
import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from classifier.cli import console
from classifier.errors import HeadlineTaggerError
from classifier.inputs.presets import PRESETS
from classifier.inputs.records import ReadOptions
from classifier.persistence import load_model, read_manifest
from classifier.tagging.job import ENGINES, TagJob, tag_archive
from classifier.tagging.outputs import OUTPUT_FORMATS
from classifier.taxonomy import load_taxonomy

if TYPE_CHECKING:
    from classifier.training import TrainingSettings
    from classifier.workflows import DataRequest

__all__ = ["main"]

ENV = "HEADLINE_TAGGER_"
DEFAULT_MODELS_DIR = "models"


@contextmanager
def _user_errors() -> Iterator[None]:
    """Report the core's errors as a clean message and exit code 1."""
    try:
        yield
    except (HeadlineTaggerError, ValueError) as error:
        raise click.ClickException(str(error)) from None


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


def _reader_option_list(*, labelled: bool) -> list[Callable]:
    """The options that say how to read data, in help order; the label ones only when ``labelled``."""
    label_fields = [
        click.option("--label-field", default="label", show_default=True),
        click.option("--label-delimiter", help="Split the label field on this string (multi-label)."),
    ]
    label_mapping = [
        click.option(
            "--taxonomy",
            help="Map every source onto this taxonomy ('default' or a JSON file); "
            "preset sources use the label map shipped for their preset.",
        ),
        click.option("--label-map", help="Label map (shipped name or JSON file) applied to every source."),
    ]
    return [
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
        *(label_fields if labelled else []),
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
        *(label_mapping if labelled else []),
        click.option(
            "--max-bad-rows",
            default="1%",
            show_default=True,
            help="Rejected rows tolerated before the command fails: a count or a percentage.",
        ),
    ]


def _applied(options: list[Callable], command: Callable) -> Callable:
    for option in reversed(options):
        command = option(command)
    return command


def _data_option_list() -> list[Callable]:
    return [click.argument("data", nargs=-1, type=str), *_reader_option_list(labelled=True)]


def data_options(command: Callable) -> Callable:
    """The options every command that reads labelled data shares (train, evaluate)."""
    return _applied(_data_option_list(), command)


def reader_options(command: Callable) -> Callable:
    """The options of data_options that also fit unlabelled data (tag): no label fields or maps."""
    return _applied(_reader_option_list(labelled=False), command)


def _read_options(kwargs: dict, *, labelled: bool) -> ReadOptions:
    """The ReadOptions of the reader options in ``kwargs`` (which are popped)."""
    return ReadOptions(
        format=kwargs.pop("data_format"),
        headline_field=kwargs.pop("headline_field"),
        teaser_field=kwargs.pop("teaser_field"),
        label_field=kwargs.pop("label_field") if labelled else None,
        label_delimiter=kwargs.pop("label_delimiter") if labelled else None,
        id_field=kwargs.pop("id_field"),
        header=not kwargs.pop("no_header"),
    )


def _data_request(kwargs: dict, *, starter: bool = False) -> DataRequest:
    from classifier.workflows import DataRequest

    options = _read_options(kwargs, labelled=True)
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


class _OptionsOnFirstUse(click.Command):
    """A command whose parameters are made the first time click asks for them.

    ``make_params`` returns the parameters' decorators, in help order. Click
    needs them to parse the command's arguments or show its help, but not to
    list it in the group's help: a command whose option defaults take a slow
    import costs the other commands nothing.
    """

    def __init__(self, *args: Any, make_params: Callable[[], list[Callable]], **kwargs: Any) -> None:
        self._make_params: Callable[[], list[Callable]] | None = make_params
        super().__init__(*args, **kwargs)

    @property
    def params(self) -> list[click.Parameter]:
        if self._make_params is not None:
            decorators = self._make_params()  # should this fail, the next use tries again
            self._make_params = None
            for decorator in decorators:  # each appends its parameter to the command's params
                decorator(self)
        return self._params

    @params.setter
    def params(self, params: list[click.Parameter]) -> None:
        self._params = params


def _train_options() -> list[Callable]:
    """The parameters of ``train``, in help order.

    Their defaults come from the core's settings, so the CLI and the library
    agree; those modules import scikit-learn, so ``train`` makes them on first
    use (:class:`_OptionsOnFirstUse`).
    """
    from classifier.model.features import PROFILES
    from classifier.training import TrainingSettings

    training = TrainingSettings()
    features = training.features
    return [
        *_data_option_list(),
        click.option(
            "--starter", is_flag=True, help="Also train on the bundled starter corpus (default taxonomy)."
        ),
        click.option(
            "--multilabel", is_flag=True, help="One yes/no model per topic; a headline can get several."
        ),
        click.option(
            "--out", type=click.Path(path_type=Path), help="Model directory to write (must not exist)."
        ),
        click.option(
            "--models-dir",
            envvar=f"{ENV}MODELS_DIR",
            type=click.Path(path_type=Path),
            default=Path(DEFAULT_MODELS_DIR),
            show_default=True,
            help=f"Where new models and the 'current' link live (env {ENV}MODELS_DIR).",
        ),
        click.option("--no-promote", is_flag=True, help="Do not point models/current at the new model."),
        click.option("--if-missing", is_flag=True, help="Do nothing when models/current already exists."),
        click.option(
            "--validation-fraction",
            type=click.FloatRange(0, 0.9),
            default=training.validation_fraction,
            show_default=True,
        ),
        click.option("--seed", type=int, default=training.seed, show_default=True),
        click.option(
            "--c",
            "c_value",
            type=click.FloatRange(min=0, min_open=True),
            default=training.C,
            show_default=True,
            help="Inverse regularisation strength of the linear SVM.",
        ),
        click.option(
            "--class-weight",
            type=click.Choice(["none", "balanced"]),
            default=training.class_weight or "none",
            show_default=True,
            help="'balanced' weighs each topic by its inverse frequency, which lifts rare topics.",
        ),
        click.option(
            "--naive-bayes",
            type=click.Choice(["auto", "on", "off"]),
            default="auto",
            show_default=True,
            help="Single-label models: scale features by naive-Bayes log-count ratios (NB-SVM). 'auto' fits "
            "both and keeps NB-SVM only if cross-validation prefers it, which doubles training time; "
            "'off' saves that on large archives.",
        ),
        click.option(
            "--profile",
            type=click.Choice(list(PROFILES)),
            default=features.profile,
            show_default=True,
            help="Feature set: 'fast' (word n-grams, the default) or 'accurate' (adds character n-grams: "
            "about a point more accurate, about ten times slower). The options below override it.",
        ),
        click.option(
            "--word-ngrams", help="Word n-gram range MIN,MAX (at most 3 words).  [default: from --profile]"
        ),
        click.option(
            "--char-ngrams",
            help="Character n-gram range MIN,MAX, or none.  [default: from --profile]",
        ),
        click.option(
            "--headline-weight",
            type=click.FloatRange(min=0),
            help="Weight of the extra headline-only features.  [default: from --profile]",
        ),
        click.option(
            "--min-df",
            type=click.IntRange(min=1),
            help="Ignore n-grams seen in fewer rows.  [default: from --profile]",
        ),
        click.option(
            "--label-threshold",
            type=click.FloatRange(0, 1),
            default=training.label_threshold,
            show_default=True,
            help="Single-label models: score a second topic needs to be listed.",
        ),
        click.option(
            "--abstain-below",
            type=click.FloatRange(0, 1),
            default=training.abstain_threshold,
            show_default=True,
            help="Answer 'abstained' when the top score is under this.",
        ),
    ]


@main.command(cls=_OptionsOnFirstUse, make_params=_train_options)
def train(**kwargs) -> None:
    """Train a model on labelled DATA and save it under models/.

    DATA is PATH (read with --preset or the generic field options) or
    PRESET:PATH, e.g. huffpost:news.jsonl.gz agnews:test.csv bbc:bbc/ nyt:nyt/.
    Several can be combined; --taxonomy default maps each through its preset's
    shipped label map.
    """
    from classifier.model.features import PROFILES
    from classifier.training import TrainingSettings

    models_dir = kwargs["models_dir"]
    if kwargs["if_missing"] and (models_dir / "current").exists():
        console.stderr.print(f"{models_dir / 'current'} exists; not training (--if-missing)")
        return
    given = {
        name: _int_pair(kwargs[name]) if name.endswith("_ngrams") else kwargs[name]
        for name in ("word_ngrams", "char_ngrams", "headline_weight", "min_df")
        if kwargs[name] is not None
    }
    features = dataclasses.replace(PROFILES[kwargs["profile"]], **given)
    settings = TrainingSettings(
        features=features,
        C=kwargs["c_value"],
        multilabel=kwargs["multilabel"],
        class_weight=None if kwargs["class_weight"] == "none" else kwargs["class_weight"],
        validation_fraction=kwargs["validation_fraction"],
        seed=kwargs["seed"],
        label_threshold=kwargs["label_threshold"],
        abstain_threshold=kwargs["abstain_below"],
        naive_bayes={"auto": None, "on": True, "off": False}[kwargs["naive_bayes"]],
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
    from classifier.workflows import train_model

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
    from classifier.workflows import evaluate_model

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
@click.argument("inputs", nargs=-1, required=True, metavar="INPUT...")
@click.option(
    "--output",
    "-o",
    required=True,
    type=click.Path(path_type=Path),
    help="File to write (.jsonl, .csv; .gz or .zst compress it) or a folder of Parquet parts.",
)
@model_option
@reader_options
@click.option(
    "--output-format",
    type=click.Choice(OUTPUT_FORMATS),
    help="Output format (default: from the --output name; a name without suffix is Parquet).",
)
@click.option("--slim", is_flag=True, help="Write each record's id and headline, not all its fields.")
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=os.cpu_count() or 1,
    show_default="all cores",
    help="Processes tagging in parallel (1: in this process). Dask without --scheduler: cluster workers.",
)
@click.option(
    "--chunk-size",
    type=click.IntRange(min=1),
    default=10_000,
    show_default=True,
    help="Records per chunk: the unit of parallel work, output parts and commits.",
)
@click.option("--resume", is_flag=True, help="Continue an interrupted run from its last commit.")
@click.option("--overwrite", is_flag=True, help="Replace an existing output or interrupted run.")
@click.option("--engine", type=click.Choice(ENGINES), default="local", show_default=True)
@click.option(
    "--scheduler",
    metavar="ADDRESS",
    help="Dask scheduler, e.g. tcp://10.0.0.5:8786 (default: start a local cluster for the run).",
)
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
def tag(
    inputs: tuple[str, ...], output: Path, model_dir: Path, allow_version_mismatch: bool, **kwargs
) -> None:
    """Tag every record of archive INPUTs and write them to OUT.

    INPUTs are files, folders or globs, in any format the readers support,
    maybe as PRESET:PATH. Each output row keeps the record's fields and adds label, score, labels and
    abstained. Rows come out in input order; rejected rows go to
    OUT.rejects.jsonl. Work is committed chunk by chunk: after an interruption,
    --resume finishes the same output an uninterrupted run would have written.
    """
    if kwargs["resume"] and kwargs["overwrite"]:
        raise click.UsageError("--resume and --overwrite exclude each other")
    if kwargs["scheduler"] and kwargs["engine"] != "dask":
        raise click.UsageError("--scheduler needs --engine dask")
    job = TagJob(
        inputs=inputs,
        output=output,
        model_dir=model_dir,
        preset=kwargs.pop("preset"),
        options=_read_options(kwargs, labelled=False),
        split=kwargs.pop("split"),
        body=kwargs.pop("body"),
        output_format=kwargs.pop("output_format"),
        slim=kwargs.pop("slim"),
        workers=kwargs.pop("workers"),
        chunk_size=kwargs.pop("chunk_size"),
        resume=kwargs.pop("resume"),
        overwrite=kwargs.pop("overwrite"),
        max_bad_rows=kwargs.pop("max_bad_rows"),
        engine=kwargs.pop("engine"),
        scheduler=kwargs.pop("scheduler"),
        allow_version_mismatch=allow_version_mismatch,
    )
    try:
        with _user_errors(), console.tag_progress(quiet=kwargs.pop("quiet")) as progress:
            summary = tag_archive(job, progress)
    except KeyboardInterrupt:
        raise click.ClickException(
            "interrupted; the work committed so far is kept: add --resume to the same command to go on"
        ) from None
    for line in console.tag_summary_lines(summary):
        console.stdout.print(line)


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


def server_options(command: Callable) -> Callable:
    """``--host``, ``--port`` and ``--workers`` of the HTTP service (serve, start)."""
    options = [
        click.option(
            "--host",
            envvar=f"{ENV}HOST",
            default="127.0.0.1",
            show_default=True,
            help=f"Address to listen on; 0.0.0.0 exposes the service to the network (env {ENV}HOST).",
        ),
        click.option(
            "--port",
            envvar=f"{ENV}PORT",
            type=click.IntRange(1, 65535),
            default=8000,
            show_default=True,
            help=f"Port to listen on (env {ENV}PORT).",
        ),
        click.option(
            "--workers",
            envvar=f"{ENV}WORKERS",
            type=click.IntRange(min=1),
            default=2,
            show_default=True,
            help=f"gunicorn worker processes; one per core suits a CPU-bound model (env {ENV}WORKERS).",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _models_dir_option(command: Callable) -> Callable:
    return click.option(
        "--models-dir",
        envvar=f"{ENV}MODELS_DIR",
        type=click.Path(path_type=Path),
        default=Path(DEFAULT_MODELS_DIR),
        show_default=True,
        help=f"Models are only loaded from inside this folder (env {ENV}MODELS_DIR).",
    )(command)


def _serve(model_dir: Path | None, models_dir: Path, host: str, port: int, workers: int) -> None:
    from service.server import serve  # Flask and gunicorn only load for the commands that serve

    with _user_errors():
        serve({"MODEL": model_dir, "MODELS_DIR": models_dir}, host=host, port=port, workers=workers)


@main.command()
@click.option(
    "--model",
    "model_dir",
    envvar=f"{ENV}MODEL",
    type=click.Path(path_type=Path),
    help=f"Model directory, inside --models-dir (default: MODELS_DIR/current; env {ENV}MODEL).",
)
@_models_dir_option
@server_options
def serve(model_dir: Path | None, models_dir: Path, host: str, port: int, workers: int) -> None:
    """Serve the model over HTTP (JSON API, web page, metrics) with gunicorn.

    SIGTERM stops gracefully; SIGHUP loads models/current again and keeps the
    old model when the new one fails to load. Settings: the flags, or
    HEADLINE_TAGGER_* variables (README, "HTTP service").
    """
    _serve(model_dir, models_dir, host, port, workers)


@main.command()
@_models_dir_option
@server_options
@click.option(
    "--no-serve", is_flag=True, help="Print the model's topics for a few sample headlines, then exit."
)
def start(models_dir: Path, host: str, port: int, workers: int, no_serve: bool) -> None:
    """Train the starter model if models/current is missing, then serve it (like serve)."""
    from classifier.training import TrainingSettings
    from classifier.workflows import DataRequest

    current = models_dir / "current"
    if not current.exists():
        _train_and_report(DataRequest(starter=True, taxonomy="default"), TrainingSettings(), models_dir)
    if not no_serve:
        _serve(None, models_dir, host, port, workers)
        return
    with _user_errors():
        model, manifest = load_model(current)
    headlines = [headline for headline, _ in _DEMO_HEADLINES]
    teasers = [teaser for _, teaser in _DEMO_HEADLINES]
    console.stdout.print(f"model {manifest.model_id} ({current}):")
    for headline, prediction in zip(headlines, model.predict(headlines, teasers, top_k=3), strict=True):
        console.stdout.print(console.prediction_text(headline, prediction))

"""The options several commands share, each defined once, and the core values they turn into.

Defaults come from :mod:`classifier.settings`, which imports nothing heavy, so
every command's options exist as soon as its module is imported.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import click

from classifier import settings
from classifier.inputs.presets import PRESETS
from classifier.inputs.records import ReadOptions

if TYPE_CHECKING:
    from classifier.workflows import DataRequest

__all__ = [
    "NumberRange",
    "allow_version_mismatch_option",
    "data_options",
    "data_request",
    "feedback_db_option",
    "int_pair",
    "model_dir_option",
    "model_option",
    "models_dir_option",
    "read_options",
    "reader_options",
    "server_options",
]

_READ_DEFAULTS = ReadOptions()


def int_pair(text: str | None) -> tuple[int, int] | None:
    """``"1,2"`` as ``(1, 2)``; ``None`` or ``"none"`` as None."""
    if text is None or text.lower() == "none":
        return None
    try:
        low, high = (int(part) for part in text.split(","))
    except ValueError:
        raise click.BadParameter(f"{text!r} is not two whole numbers like 1,2") from None
    if not 1 <= low <= high:
        raise click.BadParameter(f"{text!r}: need 1 <= MIN <= MAX")
    return low, high


def _applied(options: list[Callable], command: Callable) -> Callable:
    """``command`` with ``options`` applied so that they show in the order listed."""
    for option in reversed(options):
        command = option(command)
    return command


def _reader_options(*, labelled: bool) -> list[Callable]:
    """The options that say how to read data, in help order; the label ones only when ``labelled``."""
    label_fields = [
        click.option("--label-field", default=_READ_DEFAULTS.label_field, show_default=True),
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
        click.option("--headline-field", default=_READ_DEFAULTS.headline_field, show_default=True),
        click.option(
            "--teaser-field",
            default=_READ_DEFAULTS.teaser_field,
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
            default=settings.REUTERS_BODY,
            show_default=True,
            help="Reuters-21578: teaser is the body's first sentence or all of it.",
        ),
        *(label_mapping if labelled else []),
        click.option(
            "--max-bad-rows",
            default=settings.MAX_BAD_ROWS,
            show_default=True,
            help="Rejected rows tolerated before the command fails: a count or a percentage.",
        ),
    ]


def data_options(command: Callable) -> Callable:
    """The DATA arguments and the options to read labelled data (train, evaluate)."""
    return _applied([click.argument("data", nargs=-1, type=str), *_reader_options(labelled=True)], command)


def reader_options(command: Callable) -> Callable:
    """The options of :func:`data_options` that also fit unlabelled data (tag): no label fields or maps."""
    return _applied(_reader_options(labelled=False), command)


def read_options(kwargs: dict, *, labelled: bool) -> ReadOptions:
    """The :class:`ReadOptions` of the reader options in ``kwargs`` (which are popped)."""
    return ReadOptions(
        format=kwargs.pop("data_format"),
        headline_field=kwargs.pop("headline_field"),
        teaser_field=kwargs.pop("teaser_field"),
        label_field=kwargs.pop("label_field") if labelled else None,
        label_delimiter=kwargs.pop("label_delimiter") if labelled else None,
        id_field=kwargs.pop("id_field"),
        header=not kwargs.pop("no_header"),
    )


class NumberRange(click.FloatRange):
    """``click.FloatRange`` of finite numbers only: NaN compares false with both bounds and so passes
    them, and no option of these commands means anything at infinity."""

    def convert(self, value, param, ctx):
        number = super().convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number.", param, ctx)
        return number


def data_request(kwargs: dict, *, starter: bool = False) -> DataRequest:
    """The :class:`~classifier.workflows.DataRequest` of :func:`data_options` in ``kwargs`` (popped)."""
    from classifier.workflows import DataRequest  # imports scikit-learn: only for the commands that train

    options = read_options(kwargs, labelled=True)
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


feedback_db_option = click.option(
    "--feedback-db",
    metavar="FILE|URL",
    envvar=settings.env_var("FEEDBACK_DB"),
    default=str(settings.FEEDBACK_DB),
    show_default=True,
    help="The corrections store: an SQLite file, or a postgresql:// URL for a store several hosts share"
    f" (env {settings.env_var('FEEDBACK_DB')}).",
)


def model_dir_option(command: Callable) -> Callable:
    """``--model DIR``: ``$HEADLINE_TAGGER_MODEL``, then ``models/current``, unless given."""
    return click.option(
        "--model",
        "model_dir",
        envvar=settings.env_var("MODEL"),
        type=click.Path(path_type=Path),
        default=settings.MODEL,
        show_default=True,
        help=f"Model directory (env {settings.env_var('MODEL')}).",
    )(command)


allow_version_mismatch_option = click.option(
    "--allow-version-mismatch",
    is_flag=True,
    help="Load a model made with another scikit-learn minor version.",
)


def model_option(command: Callable) -> Callable:
    """:func:`model_dir_option` and ``--allow-version-mismatch``, for the commands that load the model."""
    return _applied([model_dir_option, allow_version_mismatch_option], command)


def models_dir_option(purpose: str) -> Callable[[Callable], Callable]:
    """``--models-dir DIR``: ``$HEADLINE_TAGGER_MODELS_DIR``, then ``models``; ``purpose`` is its help."""
    return click.option(
        "--models-dir",
        envvar=settings.env_var("MODELS_DIR"),
        type=click.Path(path_type=Path),
        default=settings.MODELS_DIR,
        show_default=True,
        help=f"{purpose} (env {settings.env_var('MODELS_DIR')}).",
    )


def server_options(command: Callable) -> Callable:
    """``--host``, ``--port`` and ``--workers`` of the HTTP service (serve, start)."""
    host, port, workers = (settings.env_var(name) for name in ("HOST", "PORT", "WORKERS"))
    return _applied(
        [
            click.option(
                "--host",
                envvar=host,
                default=settings.HOST,
                show_default=True,
                help=f"Address to listen on; 0.0.0.0 exposes the service to the network (env {host}).",
            ),
            click.option(
                "--port",
                envvar=port,
                type=click.IntRange(1, 65535),
                default=settings.PORT,
                show_default=True,
                help=f"Port to listen on (env {port}).",
            ),
            click.option(
                "--workers",
                envvar=workers,
                type=click.IntRange(min=1),
                default=settings.SERVE_WORKERS,
                show_default=True,
                help=f"gunicorn worker processes; one per core suits a CPU-bound model (env {workers}).",
            ),
        ],
        command,
    )

"""``tag``: batch-tag whole archives (:func:`classifier.tagging.job.tag_archive`).

The model is loaded by the worker processes, never here, so that starting a
run (or resuming one) costs no scikit-learn import in this process.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import click

from classifier import settings
from classifier.cli import console
from classifier.cli.options import model_option, read_options, reader_options
from classifier.tagging.job import ENGINES, TagJob, tag_archive
from classifier.tagging.outputs import OUTPUT_FORMATS

__all__ = ["tag"]


@click.command()
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
    default=settings.TAG_CHUNK_SIZE,
    show_default=True,
    help="Records per chunk: the unit of parallel work, output parts and commits.",
)
@click.option("--resume", is_flag=True, help="Continue an interrupted run from its last commit.")
@click.option("--overwrite", is_flag=True, help="Replace an existing output or interrupted run.")
@click.option("--engine", type=click.Choice(ENGINES), default=settings.TAG_ENGINE, show_default=True)
@click.option(
    "--scheduler",
    metavar="ADDRESS",
    help="Dask scheduler, e.g. tcp://10.0.0.5:8786 (default: start a local cluster for the run).",
)
@click.option(
    "--report",
    "report_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Also write a self-contained HTML report of the whole output: topic shares (adjusted for the "
    "model's errors), top scores, drift, topics by month (needs the 'report' extra).",
)
@click.option(
    "--date-field",
    help="Field of each record's date (ISO 8601), for the report's topics by month; presets with a "
    "date field (huffpost, nyt) use theirs. With --slim, rows keep it as 'date' (only when given).",
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
    quiet, report_path = kwargs.pop("quiet"), kwargs.pop("report_path")
    options = replace(read_options(kwargs, labelled=False), date_field=kwargs.pop("date_field"))
    job = TagJob(
        inputs=inputs,
        output=output,
        model_dir=model_dir,
        options=options,
        allow_version_mismatch=allow_version_mismatch,
        **kwargs,
    )
    if report_path is not None:
        from classifier.report import check_report_path

        with console.user_errors():
            check_report_path(report_path)
    try:
        with console.user_errors(), console.tag_progress(quiet=quiet) as progress:
            summary = tag_archive(job, progress)
    except KeyboardInterrupt:
        raise click.ClickException(
            "interrupted; the work committed so far is kept: add --resume to the same command to go on"
        ) from None
    for line in console.tag_summary_lines(summary):
        console.stdout.print(line)
    if report_path is not None:
        _report(job, report_path)


def _report(job: TagJob, path: Path) -> None:
    """Write the archive report; say on stderr where, and what the reader should know."""
    from classifier.report.archive import report_archive

    with console.user_errors(), console.stderr.status("Writing the report"):
        made = report_archive(job, path)
    console.stderr.print(f"wrote {path} ({made.rows:,} rows)", markup=False, soft_wrap=True)
    if made.raw_only is not None:
        console.stderr.print(made.raw_only, markup=False, soft_wrap=True)
    if made.drift_warning is not None:
        console.stderr.print(f"warning: {made.drift_warning}", markup=False, soft_wrap=True)

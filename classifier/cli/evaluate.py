"""``evaluate``: labelled data and a saved model in, its scores (and an HTML report) out."""

from __future__ import annotations

import json
from pathlib import Path

import click

from classifier.cli import console
from classifier.cli.options import data_options, data_request, model_option

__all__ = ["evaluate"]


@click.command()
@data_options
@model_option
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object with every metric.")
@click.option(
    "--report",
    "report_path",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE.html",
    help="Also write a self-contained HTML report with plots and the worst confusions (needs the "
    "'report' extra).",
)
def evaluate(
    model_dir: Path, allow_version_mismatch: bool, as_json: bool, report_path: Path | None, **kwargs
) -> None:
    """Score a model on labelled DATA (same DATA forms as train)."""
    from classifier.scoring_jobs import evaluate_model

    request = data_request(kwargs)
    reading = console.reading_progress("Reading evaluation data", request, quiet=as_json)
    with console.user_errors(), reading as count:
        report, read_report, manifest = evaluate_model(
            model_dir,
            request,
            allow_version_mismatch=allow_version_mismatch,
            on_row=count,
            report_path=report_path,
        )
    console.print_read_report(read_report)
    if report_path is not None:
        console.stderr.print(f"wrote {report_path}", markup=False)
    if as_json:
        click.echo(json.dumps({"model": manifest.model_id, **report.to_dict()}))
        return
    console.stdout.print(console.metrics_table(report, f"Model {manifest.model_id} on {report.n:,} rows"))
    for line in console.summary_lines(report):
        console.stdout.print(line)

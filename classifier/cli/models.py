"""``headline-tagger models``: the models of a folder, which one is current, and how it got there."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.table import Table

from classifier import settings
from classifier.atomic import write_json_lines
from classifier.cli import console
from classifier.cli.options import (
    allow_version_mismatch_option,
    data_options,
    data_request,
    models_dir_option,
)
from classifier.registry import (
    Change,
    current_model,
    list_models,
    model_directory,
    promote_model,
    read_history,
    rollback,
)

if TYPE_CHECKING:
    from classifier.comparison import Comparison

__all__ = ["models"]

_models_dir = models_dir_option("The models folder: its model folders, the 'current' link and history.jsonl")


@click.group()
def models() -> None:
    """List, compare, promote and roll back the models of a models folder."""


@models.command("list")
@_models_dir
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array, one object per model.")
def list_command(models_dir: Path, as_json: bool) -> None:
    """List the models, oldest first: id, created, training rows, corrections, validation scores, current."""
    with console.user_errors():
        entries, problems = list_models(models_dir)
    for problem in problems:
        click.echo(f"warning: skipped {problem}", err=True)
    if as_json:
        click.echo(json.dumps([entry.to_dict() for entry in entries], indent=2))
        return
    # Plain columns, not a rich table: ids and times stay whole and grep-able at any terminal width.
    width = max([len(entry.id) for entry in entries] + [2])
    lines = [f"  {'id':<{width}}  {'created':<25}  {'rows':>9}  corrections  accuracy  macro-F1"]
    for entry in entries:
        mark, scores = "*" if entry.current else " ", entry.validation
        lines.append(
            f"{mark} {entry.id:<{width}}  {entry.created:<25}  {_number(entry.rows):>9}  "
            f"{_number(entry.corrections):>11}  {_score(scores.get('accuracy')):>8}  "
            f"{_score(scores.get('macro_f1')):>8}"
        )
    for line in lines:
        console.stdout.print(line, markup=False)
    if not any(entry.current for entry in entries):
        console.stdout.print(f"no current model in {models_dir}", markup=False)


def _number(value: int | None) -> str:
    return "-" if value is None else f"{value:,}"


def _score(value: float | None) -> str:
    return "-" if value is None else f"{value:.4f}"


@models.command()
@click.argument("model_id", metavar="ID")
@_models_dir
def promote(model_id: str, models_dir: Path) -> None:
    """Make model ID (a folder of the models folder) current, and record it in the history."""
    with console.user_errors():
        change = promote_model(models_dir, model_id)
    if change is None:
        console.stdout.print(f"{model_id} is already current; nothing changed", markup=False)
    else:
        console.stdout.print(_change_line(change, settings.current_link(models_dir)), markup=False)


@models.command("rollback")
@_models_dir
def rollback_command(models_dir: Path) -> None:
    """Make current again what was current before the last change; repeat to walk further back."""
    with console.user_errors():
        for problem in read_history(models_dir).problems:
            click.echo(f"warning: {problem}", err=True)
        change = rollback(models_dir)
    console.stdout.print(_change_line(change, settings.current_link(models_dir)), markup=False)


def _change_line(change: Change, link: Path) -> str:
    return f"{link} -> {change.to} (was {change.previous or 'none'}); recorded as {change.action}"


@models.command()
@_models_dir
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array, one object per change.")
def history(models_dir: Path, as_json: bool) -> None:
    """Show every promotion and rollback, oldest first: when, who, what, from and to, and why."""
    with console.user_errors():
        recorded = read_history(models_dir)
    for problem in recorded.problems:
        click.echo(f"warning: {problem}", err=True)
    if as_json:
        click.echo(json.dumps([change.to_dict() for change in recorded.changes], indent=2))
        return
    if not recorded.changes:
        console.stdout.print(f"no change of current recorded in {models_dir}", markup=False)
    for change in recorded.changes:
        line = f"{change.time}  {change.user}  {change.action:<8}  {change.previous or 'none'} -> {change.to}"
        console.stdout.print(line + _comparison_text(change.comparison), markup=False)


def _comparison_text(comparison: dict | None) -> str:
    """The numbers a promotion was decided on, in brief; nothing when there are none (or unreadable ones)."""
    try:
        numbers = comparison["macro_f1"]
        return (
            f"  (macro-F1 {numbers['a']:.4f} -> {numbers['b']:.4f} on "
            f"{comparison['rows']:,} rows, margin {comparison['margin']:g})"
        )
    except (TypeError, KeyError, ValueError):  # no comparison, or a line edited by hand: --json shows it
        return ""


@models.command()
@click.argument("model_a", metavar="A")
@click.argument("model_b", metavar="B")
@data_options
@_models_dir
@allow_version_mismatch_option
@click.option(
    "--resamples",
    type=click.IntRange(min=1),
    default=settings.RESAMPLES,
    show_default=True,
    help="Paired bootstrap resamples for the confidence intervals.",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the bootstrap resamples.")
@click.option(
    "--disagreements",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write every row the models tag differently to this file, as JSON lines (atomically).",
)
@click.option(
    "--report",
    "report_path",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE.html",
    help="Also write a self-contained HTML report: both models side by side, per-label F1 differences "
    "and the first rows they disagree on (needs the 'report' extra).",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def compare(model_a: str, model_b: str, **kwargs) -> None:
    """Compare models A and B on the same labelled DATA (read as evaluate reads it).

    A and B are model ids (folders of the models folder, or 'current') or paths
    to model folders. Prints both models' accuracy and macro-F1, the difference
    B - A with a 95% paired bootstrap interval, the F1 of each label, and the
    rows where the two models disagree.
    """
    from classifier.scoring_jobs import compare_saved_models  # scikit-learn: loaded only to compare

    models_dir, as_json, output = kwargs.pop("models_dir"), kwargs.pop("as_json"), kwargs.pop("disagreements")
    options = {
        name: kwargs.pop(name) for name in ("resamples", "seed", "allow_version_mismatch", "report_path")
    }
    request = data_request(kwargs)
    with console.user_errors(), console.reading_progress("Reading the data", request, quiet=as_json) as count:
        dirs = (model_directory(models_dir, model_a), model_directory(models_dir, model_b))
        # "current" is named by the model it points at, which is what a later `models promote` takes.
        names = tuple(current_model(models_dir) if name == "current" else name for name in (model_a, model_b))
        comparison, report = compare_saved_models(dirs, request, names=names, on_row=count, **options)
    console.print_read_report(report)
    if output is not None:
        with console.user_errors():
            write_json_lines(output, (row.to_dict() for row in comparison.disagreements))
    if options["report_path"] is not None:
        console.stderr.print(f"wrote {options['report_path']}", markup=False)
    if as_json:
        click.echo(json.dumps(comparison.to_dict()))
        return
    _print_comparison(comparison)
    if output is not None:
        console.stdout.print(f"wrote {len(comparison.disagreements):,} rows to {output}", markup=False)


def _print_comparison(comparison: Comparison) -> None:
    a, b = comparison.a, comparison.b
    console.stdout.print(
        f"A = {a}, B = {b}: {comparison.rows:,} rows, 95% intervals from "
        f"{comparison.resamples:,} paired bootstrap resamples (seed {comparison.seed})",
        markup=False,
    )
    scores = Table(box=None)
    for column in ("", "A", "B", "B - A", "95% interval"):
        scores.add_column(column, justify="left" if not column else "right")
    for name, interval, of_a, of_b in (
        ("accuracy", comparison.accuracy, comparison.report_a.accuracy, comparison.report_b.accuracy),
        ("macro-F1", comparison.macro_f1, comparison.report_a.macro_f1, comparison.report_b.macro_f1),
    ):
        scores.add_row(
            name,
            f"{of_a:.4f}",
            f"{of_b:.4f}",
            f"{interval.difference:+.4f}",
            f"[{interval.low:+.4f}, {interval.high:+.4f}]",
        )
    console.stdout.print(scores)
    labels = Table(title="F1 per label", title_justify="left")
    for column in ("label", "support", "F1 A", "F1 B", "B - A"):
        labels.add_column(column, justify="left" if column == "label" else "right")
    for label, row in comparison.per_label.items():
        a, b = row["a"]["f1"], row["b"]["f1"]
        labels.add_row(label, f"{row['support']:,}", f"{a:.3f}", f"{b:.3f}", f"{row['f1_difference']:+.3f}")
    console.stdout.print(labels)
    console.stdout.print(
        f"{len(comparison.disagreements):,} rows disagree: A right {comparison.right_only('a'):,}, "
        f"B right {comparison.right_only('b'):,}, neither {comparison.right_only('neither'):,}",
        markup=False,
    )
    for row in comparison.disagreements[: settings.COMPARE_EXAMPLES]:
        console.stdout.print(
            f"  row {row.row}: {row.headline!r}: truth {_labels(row.labels)}, "
            f"A {_labels(row.a)}, B {_labels(row.b)}",
            markup=False,
        )


def _labels(labels: tuple[str, ...]) -> str:
    return "+".join(labels) or "(none)"

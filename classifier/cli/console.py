"""Terminal output for the command line: progress on stderr, tables on stdout, errors as one line.

Kept apart from the commands so that they read as "parse, call the core,
print", and so the core never prints anything itself.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import click
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from classifier.errors import HeadlineTaggerError
from classifier.inputs.estimate import estimated_rows

if TYPE_CHECKING:  # for the type hints only: evaluation and the model import scikit-learn
    from classifier.evaluation import EvaluationReport
    from classifier.inputs.records import ReadReport
    from classifier.model.topic_model import Prediction
    from classifier.tagging.job import TagProgress, TagSummary
    from classifier.workflows import DataRequest

__all__ = [
    "metrics_table",
    "prediction_text",
    "print_read_report",
    "reading_progress",
    "stderr",
    "stdout",
    "step",
    "summary_lines",
    "tag_progress",
    "tag_summary_lines",
    "user_errors",
]

stdout = Console(highlight=False, soft_wrap=True)
stderr = Console(stderr=True, highlight=False)


@contextmanager
def user_errors() -> Iterator[None]:
    """Report the core's errors (and ``ValueError`` for bad parameters) as one line and exit status 1."""
    try:
        yield
    except (HeadlineTaggerError, ValueError) as error:
        raise click.ClickException(str(error)) from None


def print_read_report(report: ReadReport, name: str | None = None) -> None:
    """Warn on stderr about the rows that reading data rejected or skipped; ``name`` says which data,
    when a command reads more than one kind."""
    of = f"{name}: " if name else ""
    if report.bad:
        stderr.print(f"[yellow]warning:[/] {of}{report.summary()}")
    for reason, count in report.skipped.most_common():
        stderr.print(f"{of}skipped {count:,} rows: {reason}")


@contextmanager
def reading_progress(description: str, request: DataRequest, *, quiet: bool = False) -> Iterator[callable]:
    """A live "N rows read" counter on stderr while ``request``'s data is read; yields the function
    that counts one row.

    When the rows can be estimated cheaply (:func:`~classifier.inputs.estimate.estimated_rows`,
    only looked at when the counter shows), a bar with the time left, which stays full if the
    estimate falls short.
    """
    shown = not quiet and stderr.is_terminal
    total = estimated_rows(request.sources(), request.options) if shown else None
    columns = [SpinnerColumn(), TextColumn("{task.description}")]
    if total is None:
        columns += [MofNCompleteColumn(), TextColumn("rows"), TimeElapsedColumn()]
    else:
        columns += [
            BarColumn(),
            TextColumn("{task.completed:,.0f} of about {task.total:,.0f} rows  ETA"),
            TimeRemainingColumn(),
        ]
    progress = Progress(*columns, console=stderr, transient=True, disable=not shown)
    with progress:
        task = progress.add_task(description, total=total)
        counted = 0

        def count() -> None:
            nonlocal counted
            counted += 1
            if counted % 2000 == 0:
                progress.update(task, completed=counted, total=total and max(total, counted))

        yield count


@contextmanager
def step(description: str, total: int | None = None, *, quiet: bool = False) -> Iterator[callable]:
    """Progress on stderr while a slow step runs, then a done line (both off with ``quiet``).

    With a ``total``, a bar of its parts with the time left; without, a spinner with the time
    spent. Yields the function to call as each part ends (the core's ``step`` reporters).
    """
    columns = [SpinnerColumn(), TextColumn("{task.description}")]
    if total is not None:
        columns += [BarColumn(), MofNCompleteColumn(), TextColumn("ETA"), TimeRemainingColumn()]
    else:
        columns += [BarColumn(bar_width=None), TimeElapsedColumn()]
    progress = Progress(*columns, console=stderr, transient=True, disable=quiet or not stderr.is_terminal)
    with progress:
        task = progress.add_task(description, total=total)
        yield lambda: progress.advance(task)
    if not quiet:
        stderr.print(f"[green]✓[/] {description}")


def metrics_table(report: EvaluationReport, title: str) -> Table:
    """Per-label precision/recall/F1/support, best-supported first, with the averages."""
    table = Table(title=title, title_justify="left")
    for column in ("label", "precision", "recall", "f1", "support"):
        table.add_column(column, justify="left" if column == "label" else "right")
    ranked = sorted(report.per_label.items(), key=lambda item: -item[1]["support"])
    for label, values in ranked:
        table.add_row(
            label,
            f"{values['precision']:.3f}",
            f"{values['recall']:.3f}",
            f"{values['f1']:.3f}",
            f"{values['support']:,}",
        )
    table.add_section()
    table.add_row("macro avg", "", "", f"{report.macro_f1:.3f}", f"{report.n:,}")
    table.add_row("weighted avg", "", "", f"{report.weighted_f1:.3f}", f"{report.n:,}")
    return table


def summary_lines(report: EvaluationReport) -> list[str]:
    """The headline numbers of an evaluation, one per line."""
    lines = [
        f"rows {report.n:,}  accuracy {report.accuracy:.4f}  macro-F1 {report.macro_f1:.4f}  "
        f"micro-F1 {report.micro_f1:.4f}  weighted-F1 {report.weighted_f1:.4f}"
    ]
    if report.multilabel:
        lines.append(f"hamming loss {report.hamming_loss:.4f}  subset accuracy {report.subset_accuracy:.4f}")
    if report.abstained:
        lines.append(f"abstained on {report.abstained:,} rows (counted as errors)")
    if report.unknown_label_rows:
        shown = ", ".join(f"{label} ({count})" for label, count in list(report.unknown_labels.items())[:8])
        lines.append(
            f"{report.unknown_label_rows:,} rows have labels the model does not know "
            f"(counted as errors): {shown}"
        )
    return lines


def prediction_text(headline: str, prediction: Prediction) -> str:
    """One human-readable block for ``predict`` without ``--json``."""
    if prediction.abstained:
        return f"{headline}\n  (abstained: top score {prediction.score:.3f} is under the abstain threshold)"
    lines = [headline, "  " + "  ".join(f"{s.label} {s.score:.3f}" for s in prediction.labels)]
    for label, contributions in (prediction.explanations or {}).items():
        words = ", ".join(f"{c.ngram!r} {c.weight:+.2f}" for c in contributions)
        lines.append(f"  why {label}: {words or '(no known words: the label prior decided)'}")
    return "\n".join(lines)


@contextmanager
def tag_progress(*, quiet: bool = False) -> Iterator[callable]:
    """A progress bar on stderr for ``tag``: rows done, rows/s, and the ETA when the size is known.

    Yields the callback to pass to :func:`classifier.tagging.job.tag_archive`. It is
    off when stderr is not a terminal or ``quiet``.
    """
    progress = Progress(
        SpinnerColumn(),
        TextColumn("Tagging"),
        BarColumn(bar_width=None),
        MofNCompleteColumn(),
        TextColumn("rows  {task.fields[rate]} rows/s"),
        TimeRemainingColumn(),
        console=stderr,
        transient=True,
        disable=quiet or not stderr.is_terminal,
    )
    with progress:
        task = progress.add_task("tag", total=None, rate="…")
        resumed_rows: int | None = None

        def update(state: TagProgress) -> None:
            nonlocal resumed_rows
            if resumed_rows is None:  # the first call: rows an interrupted run committed
                resumed_rows = state.rows
            elapsed = progress.tasks[task].elapsed or 0.0
            rate = f"{(state.rows - resumed_rows) / elapsed:,.0f}" if elapsed > 0 else "…"
            total = max(state.total, state.rows) if state.total is not None else None
            progress.update(task, completed=state.rows, total=total, rate=rate)

        yield update


def tag_summary_lines(summary: TagSummary) -> list[str]:
    """What ``tag`` prints at the end: rows, time, speed, rejects and the count of each label."""
    lines = [
        f"read {summary.rows_read:,} rows: {summary.rows_tagged:,} tagged, "
        f"{summary.rows_rejected:,} rejected",
        f"{summary.seconds:.1f} s, {summary.rows_per_second:,.0f} rows/s; model {summary.model_id}",
    ]
    if summary.resumed_rows:
        lines.append(f"resumed: {summary.resumed_rows:,} rows were committed by the interrupted run")
    for reason, count in summary.skipped.items():
        lines.append(f"skipped {count:,} rows: {reason}")
    labels = "  ".join(f"{label} {count:,}" for label, count in summary.labels.items())
    abstained = f"  abstained {summary.abstained:,}" if summary.abstained else ""
    lines.append(f"labels: {labels or '(none)'}{abstained}")
    lines.append(f"wrote {summary.output}" + (f" and {summary.rejects}" if summary.rows_rejected else ""))
    return lines

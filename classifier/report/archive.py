"""The archive report of ``tag --report``: what a tagged archive is about, and how far to trust it.

:func:`archive_report` counts the finished output (:mod:`classifier.report.tally`), corrects
the topic shares for the model's known errors and tests for drift (:mod:`classifier.shares`,
with the validation counts the model directory keeps), draws the figures
(:mod:`classifier.report.archive_figures`) and renders ``templates/archive.html.j2``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from classifier import settings
from classifier.errors import ModelError
from classifier.persistence import VALIDATION_FILE, Manifest, read_manifest, read_validation_counts
from classifier.report import archive_figures, figures
from classifier.report.builder import write_report
from classifier.report.page import render_page
from classifier.report.tally import ArchiveTally, tally_output
from classifier.shares import adjusted_point, adjusted_shares, drift_distance, raw_shares
from classifier.tagging.inputs import date_field, expand_inputs
from classifier.tagging.job import TagJob, job_output_spec
from classifier.tagging.outputs import PREDICTION_KEYS, OutputSpec
from classifier.validation_counts import ValidationCounts

__all__ = [
    "SHARE_LABELS",
    "ArchiveReport",
    "archive_report",
    "report_archive",
]

# Topics drawn in the shares figure (all are in its table) and lines in the by-month figure.
SHARE_LABELS = 20
MONTH_LABELS = 8


@dataclass(frozen=True)
class ArchiveReport:
    """The page, the drift distance (None without validation counts), the drift warning (None when
    the archive's scores are like the validation split's) and, when the shares could not be
    adjusted, why."""

    html: str
    rows: int
    drift: float | None
    drift_warning: str | None
    raw_only: str | None


def _drift_warning(distance: float | None) -> str | None:
    """The one line that says an archive's scores are unlike the validation split's, when they are."""
    if distance is None or distance <= settings.DRIFT_DISTANCE:
        return None
    return (
        f"this archive looks unlike the training data: Jensen-Shannon distance {distance:.3f} between "
        f"its top scores and the validation split's (warning above {settings.DRIFT_DISTANCE:g})"
    )


def _validation_counts(model_dir: Path, manifest: Manifest) -> tuple[ValidationCounts | None, str | None]:
    data = read_validation_counts(model_dir, manifest)
    if data is None:
        reason = (
            "it was trained without a validation split"
            if manifest.training.get("validation_rows") == 0
            else "it was made before models kept their validation counts"
        )
        return None, (
            "topic shares are raw counts of predicted labels, not adjusted: "
            f"model {manifest.model_id} has no {VALIDATION_FILE} ({reason}; "
            "retrain it to get adjusted shares and the drift test)"
        )
    try:
        counts = ValidationCounts.from_dict(data)
    except (ValueError, KeyError, TypeError) as error:
        raise ModelError(f"{Path(model_dir) / VALIDATION_FILE}: invalid validation counts: {error}") from None
    if list(counts.labels) != manifest.labels:
        raise ModelError(f"{Path(model_dir) / VALIDATION_FILE}: its labels are not the model's")
    return counts, None


def _by_month(tally: ArchiveTally, counts: ValidationCounts | None) -> tuple[list[str], np.ndarray]:
    """The months in order and each label's share in each (labels by months), adjusted when possible."""
    months = sorted(tally.months)
    columns = [
        raw_shares(tally.months[month], tally.month_rows[month], tally.multilabel)
        if counts is None
        else adjusted_point(counts, tally.months[month], tally.month_rows[month])
        for month in months
    ]
    return months, np.array(columns).T.reshape(len(tally.labels), len(months))


def archive_report(
    output: Path,
    spec: OutputSpec,
    model_dir: Path,
    *,
    date_column: str | None,
    subtitle: str,
) -> ArchiveReport:
    """The report of the tagged output at ``output``, written as ``spec`` says, by the model in
    ``model_dir``; ``date_column`` is the output's column of dates (None: no by-month section).

    Raises
    ------
    ReportUnavailable
        matplotlib is not installed.
    ModelError
        The model's validation counts are there but changed, unreadable or not the model's.
    DataError
        The output cannot be read back.
    """
    figures.require_matplotlib()
    model_dir = Path(model_dir)
    manifest = read_manifest(model_dir)
    counts, raw_only = _validation_counts(model_dir, manifest)
    tally = tally_output(output, spec, manifest.labels, manifest.multilabel, date_column)
    raw = raw_shares(tally.answers, tally.rows, tally.multilabel)
    shares = adjusted_shares(counts, tally.answers, tally.rows) if counts is not None else None
    main = shares.adjusted if shares is not None else raw
    order = np.argsort(-main, kind="stable")
    drawn = order[:SHARE_LABELS]
    names = [manifest.labels[i] for i in drawn]
    adjusted = (shares.adjusted[drawn], shares.low[drawn], shares.high[drawn]) if shares else (None,) * 3
    figure_set = {
        "shares": archive_figures.share_figure(names, raw[drawn], *adjusted) if tally.rows else "",
        "scores": archive_figures.score_figure(tally.scores, counts.scores if counts else None),
    }
    drift = drift_distance(tally.scores, counts.scores) if counts is not None else None
    warning = _drift_warning(drift)
    months, by_month = _by_month(tally, counts) if date_column else ([], np.zeros((0, 0)))
    shown_months = [i for i in order[:MONTH_LABELS] if main[i] > 0]
    if months:
        figure_set["months"] = archive_figures.month_figure(
            months,
            [manifest.labels[i] for i in shown_months],
            by_month[shown_months],
            [tally.month_rows[month] for month in months],
        )
    table = [
        {
            "label": manifest.labels[i],
            "raw": raw[i],
            **(
                {"adjusted": shares.adjusted[i], "low": shares.low[i], "high": shares.high[i]}
                if shares
                else {}
            ),
        }
        for i in order
    ]
    html = render_page(
        template="archive.html.j2",
        title=f"Archive tagged by model {manifest.model_id}",
        subtitle=subtitle,
        metrics=_metrics(tally, drift, len(months)),
        warnings=list(filter(None, [warning])),
        raw_only=raw_only,
        multilabel=tally.multilabel,
        figures=figure_set,
        shares=table,
        adjusted=shares is not None,
        hidden_labels=max(0, len(manifest.labels) - SHARE_LABELS),
        date_column=date_column,
        undated=tally.undated,
        months=[
            {"month": month, "rows": tally.month_rows[month], "shares": by_month[shown_months, number]}
            for number, month in enumerate(months)
        ],
        month_labels=[manifest.labels[i] for i in shown_months],
        drift=drift,
        drift_limit=settings.DRIFT_DISTANCE,
        bins=settings.SCORE_BINS,
    )
    return ArchiveReport(html, tally.rows, drift, warning, raw_only)


def report_archive(job: TagJob, path: Path) -> ArchiveReport:
    """Write the report of ``job``'s finished output to ``path`` (atomically) and return it.

    The by-month section uses the job's date field: full rows keep it under its own name (the
    ``--date-field``, else the preset's); slim rows carry it as ``date`` when ``--date-field`` was given.

    Raises
    ------
    ReportUnavailable, ModelError, DataError
        As :func:`archive_report`.
    OutputError
        ``path`` cannot be written.
    """
    sources = expand_inputs(job.inputs, job.preset)
    spec = job_output_spec(job)
    if spec.slim:
        column = "date" if spec.date else None
    else:
        column = date_field(sources, job.options)
        column = f"input_{column}" if column in PREDICTION_KEYS else column
    names = ", ".join(str(source) for source in sources[:3]) + (" and more" if len(sources) > 3 else "")
    made = archive_report(
        Path(job.output),
        spec,
        job.model_dir,
        date_column=column,
        subtitle=f"{names}, tagged into {job.output}",
    )
    write_report(path, made.html)
    return made


def _metrics(tally: ArchiveTally, drift: float | None, months: int) -> list[tuple[str, str]]:
    metrics = [
        ("rows", f"{tally.rows:,}"),
        ("abstained", f"{tally.abstained / max(tally.rows, 1):.1%}"),
        ("topics found", f"{int((tally.answers[: len(tally.labels)] > 0).sum())} of {len(tally.labels)}"),
    ]
    if drift is not None:
        metrics.append(("score drift (JS distance)", f"{drift:.3f}"))
    if months:
        metrics.append(("months", f"{months:,}"))
    return metrics

"""An evaluation report from a model, its labelled rows, their scores and the model's answers.

:func:`evaluation_report` gathers the numbers (:mod:`classifier.report.numbers`), draws the
figures (:mod:`classifier.report.figures`) and renders the page (:mod:`classifier.report.page`);
:func:`write_report` writes it atomically, and :func:`check_report_path` refuses beforehand a
report that could not be written. ``evaluate --report`` and ``train`` (for its validation split)
both come here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from classifier.atomic import output_errors, write_atomically
from classifier.errors import OutputError
from classifier.report import figures
from classifier.report.numbers import (
    confusion,
    coverage_curve,
    reliability,
    threshold_curves,
    top_correct,
    truth_matrix,
)
from classifier.report.page import render_page

if TYPE_CHECKING:
    from classifier.evaluation import EvaluationReport
    from classifier.inputs.datasets import LabeledData
    from classifier.model.topic_model import Prediction, TopicModel

__all__ = [
    "HEATMAP_LABELS",
    "THRESHOLD_LABELS",
    "ReportRows",
    "check_report_path",
    "evaluation_report",
    "write_report",
]

# More true labels than this and the heatmap shows the ones with the most mistakes: 20 rows of
# cells still read at laptop width, 90 do not.
HEATMAP_LABELS = 20
# Threshold curves are drawn for this many labels, those with the most rows: three rows of four.
THRESHOLD_LABELS = 12
_EXPLAIN_TOP = 6


@dataclass(frozen=True)
class ReportRows:
    """What a report is made from: the labelled rows, the model's probabilities for them
    (rows by ``model.labels``) and its decisions."""

    data: LabeledData
    scores: np.ndarray
    predictions: Sequence[Prediction]


def _ngrams(model: TopicModel, headline: str, teaser: str, label: str) -> list[dict]:
    if label not in model.labels:
        return []
    found = model.contributions(headline, teaser, label)
    return [{"ngram": c.ngram, "weight": c.weight} for c in found if c.weight > 0][:_EXPLAIN_TOP]


def _mistakes(model: TopicModel, rows: ReportRows, matrix) -> list[dict]:
    column = {label: number for number, label in enumerate(model.labels)}
    mistakes = []
    for pair in matrix.worst:
        examples = []
        for row in pair.examples:
            headline, teaser = rows.data.headlines[row], rows.data.teasers[row]
            examples.append(
                {
                    "headline": headline,
                    "teaser": teaser,
                    "predicted_score": float(rows.scores[row, column[pair.predicted]]),
                    "predicted_ngrams": _ngrams(model, headline, teaser, pair.predicted),
                    "true_score": float(rows.scores[row, column[pair.truth]]),
                    "true_ngrams": _ngrams(model, headline, teaser, pair.truth),
                }
            )
        mistakes.append({**vars(pair), "examples": examples})
    return mistakes


def _metrics(evaluation: EvaluationReport, ece: float) -> list[tuple[str, str]]:
    metrics = [("rows", f"{evaluation.n:,}")]
    if evaluation.multilabel:
        metrics.append(("subset accuracy", f"{evaluation.subset_accuracy:.3f}"))
        metrics.append(("Hamming loss", f"{evaluation.hamming_loss:.4f}"))
    else:
        metrics.append(("accuracy", f"{evaluation.accuracy:.3f}"))
    metrics += [
        ("macro-F1", f"{evaluation.macro_f1:.3f}"),
        ("micro-F1", f"{evaluation.micro_f1:.3f}"),
        ("weighted-F1", f"{evaluation.weighted_f1:.3f}"),
        ("ECE", f"{ece:.3f}"),
        ("abstained", f"{evaluation.abstained:,}"),
    ]
    return metrics


def evaluation_report(
    model: TopicModel,
    rows: ReportRows,
    evaluation: EvaluationReport,
    *,
    title: str,
    subtitle: str,
) -> str:
    """The HTML of one evaluation report.

    Raises
    ------
    ReportUnavailable
        matplotlib is not installed.
    """
    figures.require_matplotlib()
    multilabel = model.multilabel
    truth = truth_matrix([labels if multilabel else labels[:1] for labels in rows.data.labels], model.labels)
    correct_top = top_correct(rows.scores, truth)
    if multilabel:
        bins = reliability(rows.scores.ravel(), truth.ravel())
        what = "every label's score of every row"
    else:
        bins = reliability(rows.scores.max(axis=1), correct_top)
        what = "the top score of each row"
    curve = coverage_curve(rows.scores.max(axis=1), correct_top)
    matrix = confusion(
        rows.data.labels,
        [p.answered(multilabel) for p in rows.predictions],
        rows.scores,
        model.labels,
        multilabel=multilabel,
    )
    shown = matrix.focus(HEATMAP_LABELS)
    drawn = {
        # No row with a label the model knows: nothing to draw, and the page says so.
        "confusion": figures.confusion_figure(shown) if shown.rows else "",
        "per_label": figures.per_label_figure(evaluation.per_label),
        "reliability": figures.reliability_figure(bins, what),
        "coverage": figures.coverage_figure(curve, model.abstain_threshold),
    }
    thresholds_note = ""
    if multilabel:
        curves = threshold_curves(rows.scores, truth, model.labels, model.thresholds, THRESHOLD_LABELS)
        if curves:
            drawn["thresholds"] = figures.threshold_figure(curves)
            hidden = int((truth.sum(axis=0) > 0).sum()) - len(curves)
            if hidden > 0:
                thresholds_note = f"The {len(curves)} labels with the most rows; {hidden} more are not drawn."
    threshold_of = dict(zip(model.labels, model.thresholds.tolist(), strict=True))
    per_label = [
        {
            "label": label,
            **values,
            "threshold": f"{threshold_of[label]:.2f}" if label in threshold_of else "-",
        }
        for label, values in sorted(evaluation.per_label.items(), key=lambda item: -item[1]["support"])
    ]
    warnings = []
    if evaluation.unknown_label_rows:
        warnings.append(
            f"{evaluation.unknown_label_rows:,} rows have a true label the model does not know "
            f"({', '.join(evaluation.unknown_labels)}); they count as mistakes and are not in the heatmap."
        )
    return render_page(
        title=title,
        subtitle=subtitle,
        multilabel=multilabel,
        metrics=_metrics(evaluation, bins.ece),
        warnings=warnings,
        figures=drawn,
        per_label=per_label,
        confusion_note=_confusion_note(matrix, shown, multilabel),
        reliability_note=(
            "For each label of each row: its score against whether the row has that label."
            if multilabel
            else "For each row: the top score against whether the top topic is the true one."
        ),
        coverage_note=(
            f"This model abstains below {model.abstain_threshold:g}; "
            f"answering every row, its top topic is right for {curve.accuracy[0]:.1%} of them."
        ),
        thresholds_note=thresholds_note,
        mistakes=_mistakes(model, rows, matrix),
    )


def _confusion_note(matrix, shown, multilabel: bool) -> str:
    note = ""
    if multilabel:
        note = (
            "A true label that was not listed counts once for each wrong label the row got instead, "
            "or under (none)."
        )
    if len(shown.rows) < len(matrix.rows):
        note += (
            f" Only the {len(shown.rows)} of {len(matrix.rows)} true labels with the most mistakes are "
            "drawn; every label is in the per-label table below."
        )
    return note.strip()


def check_report_path(path: Path) -> None:
    """Refuse a report that could not be written, before the slow part (reading, scoring or tagging
    the data) rather than after it.

    Raises
    ------
    ReportUnavailable
        matplotlib is not installed.
    OutputError
        The report's folder does not exist.
    """
    figures.require_matplotlib()
    if not Path(path).parent.is_dir():
        raise OutputError(f"{path}: cannot write the report: its folder does not exist")


def write_report(path: Path, html: str) -> None:
    """Write ``html`` to ``path`` atomically (a crash leaves the old file or the new one).

    Raises
    ------
    OutputError
        The file cannot be written.
    """
    path = Path(path)
    with output_errors(path):
        write_atomically(path, html.encode("utf-8"))

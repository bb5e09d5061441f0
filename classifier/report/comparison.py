"""A comparison report: two models on the same labelled rows, side by side, in one HTML page.

``models compare --report`` comes here with the :class:`~classifier.comparison.Comparison` it
printed and both models' scores of the rows. The page has the evaluation report's look
(:mod:`classifier.report.page`) and its heatmaps (:mod:`classifier.report.figures`), plus the
diverging chart of per-label F1 differences (:mod:`classifier.report.differences`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from classifier.report import figures
from classifier.report.builder import HEATMAP_LABELS
from classifier.report.differences import chosen_labels, f1_difference_figure
from classifier.report.numbers import confusion
from classifier.report.page import render_page

if TYPE_CHECKING:
    from classifier.comparison import Comparison, Interval
    from classifier.inputs.datasets import LabeledData
    from classifier.model.topic_model import Prediction, TopicModel

__all__ = ["REPORT_DISAGREEMENTS", "ScoredRows", "comparison_report"]

# Disagreements the page lists; --disagreements FILE writes every one.
REPORT_DISAGREEMENTS = 100


@dataclass(frozen=True)
class ScoredRows:
    """One model's probabilities of the compared rows (rows by ``model.labels``) and its decisions."""

    model: TopicModel
    scores: np.ndarray
    predictions: Sequence[Prediction]


def comparison_report(
    comparison: Comparison,
    data: LabeledData,
    scored: tuple[ScoredRows, ScoredRows],
    *,
    title: str,
    subtitle: str,
) -> str:
    """The HTML of the comparison of model A (``scored[0]``) and model B on ``data``.

    Raises
    ------
    ReportUnavailable
        matplotlib is not installed.
    """
    figures.require_matplotlib()
    sides, drawn = [], {}
    evaluations = (comparison.report_a, comparison.report_b)
    for key, name, rows, evaluation in zip(
        ("a", "b"), (comparison.a, comparison.b), scored, evaluations, strict=True
    ):
        model = rows.model
        matrix = confusion(
            data.labels,
            [p.answered(model.multilabel) for p in rows.predictions],
            rows.scores,
            model.labels,
            multilabel=model.multilabel,
        )
        shown = matrix.focus(HEATMAP_LABELS)
        note = ""
        if len(shown.rows) < len(matrix.rows):
            note = f"The {len(shown.rows)} of {len(matrix.rows)} true labels with the most mistakes."
        if shown.rows:
            drawn[f"confusion_{key}"] = figures.confusion_figure(shown, f"confusion-{key}")
        unknown = ""
        if evaluation.unknown_label_rows:
            unknown = (
                f"{evaluation.unknown_label_rows:,} rows have a true label this model does not know "
                f"({', '.join(evaluation.unknown_labels)}): they count as mistakes and are in no confusion."
            )
        sides.append(
            {
                "key": key,
                "name": name,
                "labels": len(model.labels),
                "heatmap_note": note,
                "unknown": unknown,
                "worst": matrix.worst,
            }
        )
    names = chosen_labels(comparison.per_label)
    hidden = len(comparison.per_label) - len(names)
    return render_page(
        title=title,
        subtitle=subtitle,
        a=comparison.a,
        b=comparison.b,
        metrics=_metrics(comparison),
        scores=_scores(comparison),
        resamples=comparison.resamples,
        seed=comparison.seed,
        sides=sides,
        figures={
            **drawn,
            "differences": f1_difference_figure(comparison.per_label, names, comparison.a, comparison.b)
            if names
            else "",
        },
        differences_note=(
            f"The {len(names)} labels whose F1 moved most; {hidden} more are in the table." if hidden else ""
        ),
        per_label=comparison.per_label,
        disagreements=comparison.disagreements[:REPORT_DISAGREEMENTS],
        total_disagreements=len(comparison.disagreements),
        template="comparison.html.j2",
    )


def _metrics(comparison: Comparison) -> list[tuple[str, str]]:
    return [
        ("rows", f"{comparison.rows:,}"),
        ("rows that disagree", f"{len(comparison.disagreements):,}"),
        ("only A right", f"{comparison.right_only('a'):,}"),
        ("only B right", f"{comparison.right_only('b'):,}"),
        ("neither right", f"{comparison.right_only('neither'):,}"),
    ]


def _scores(comparison: Comparison) -> list[dict[str, str]]:
    accuracy = "subset accuracy" if comparison.report_a.multilabel else "accuracy"
    rows = (
        (accuracy, comparison.report_a.accuracy, comparison.report_b.accuracy, comparison.accuracy),
        ("macro-F1", comparison.report_a.macro_f1, comparison.report_b.macro_f1, comparison.macro_f1),
    )
    return [_score_row(*row) for row in rows]


def _score_row(name: str, a: float, b: float, interval: Interval) -> dict[str, str]:
    return {
        "name": name,
        "a": f"{a:.4f}",
        "b": f"{b:.4f}",
        "difference": f"{interval.difference:+.4f}",
        "interval": f"[{interval.low:+.4f}, {interval.high:+.4f}]",
        # An interval that holds 0 does not tell the models apart.
        "verdict": "B better"
        if interval.low > 0
        else "A better"
        if interval.high < 0
        else "no clear difference",
    }

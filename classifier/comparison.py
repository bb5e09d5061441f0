"""Two models on the same labelled rows: a paired comparison, and the rule that decides a promotion.

Both models predict every row; each is scored exactly as ``evaluate`` scores
it (:func:`classifier.evaluation.evaluate_predictions`). The difference of
their accuracy and macro-F1 (B minus A) gets a paired bootstrap confidence
interval: the same resampled rows score both models, so the interval reflects
how much the two differ, not how hard the rows are. The intervals are the
2.5th and 97.5th percentiles of :data:`classifier.settings.RESAMPLES` resamples, seeded, so a
comparison is repeatable.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

from classifier.evaluation import EvaluationReport, evaluate_predictions, predict_rows
from classifier.inputs.datasets import LabeledData
from classifier.model.topic_model import Prediction, TopicModel
from classifier.settings import COMPARE_EXAMPLES, MAX_RECALL_DROP, PROMOTE_MARGIN, RESAMPLES

__all__ = [
    "Comparison",
    "Decision",
    "Disagreement",
    "Interval",
    "check_comparable",
    "compare_models",
    "compare_predictions",
    "decide_promotion",
]

# Rates are compared with this slack, so that 0.90 - 0.88 is not "more than 0.02" by a rounding error.
_SLACK = 1e-9
# Resamples drawn at once make a resamples x rows matrix of counts: at most this many cells (16 MB).
_CELLS = 2_000_000


@dataclass(frozen=True)
class Interval:
    """A difference B - A and its 95% paired bootstrap confidence interval."""

    difference: float
    low: float
    high: float

    def to_dict(self) -> dict[str, float]:
        return {name: round(value, 6) for name, value in self.__dict__.items()}


@dataclass(frozen=True)
class Disagreement:
    """A row (numbered from 1 in read order) that the two models tag differently."""

    row: int
    headline: str
    teaser: str
    labels: tuple[str, ...]
    a: tuple[str, ...]
    b: tuple[str, ...]

    @property
    def right(self) -> str:
        """Which model got the row right: ``a``, ``b`` or ``neither``."""
        truth = set(self.labels)
        return "a" if set(self.a) == truth else "b" if set(self.b) == truth else "neither"

    def to_dict(self) -> dict[str, Any]:
        """One line of ``--disagreements FILE``."""
        return {
            "row": self.row,
            "headline": self.headline,
            "teaser": self.teaser,
            "labels": list(self.labels),
            "a": list(self.a),
            "b": list(self.b),
            "right": self.right,
        }


@dataclass
class Comparison:
    """Model A and model B scored on the same rows, with the paired differences."""

    a: str
    b: str
    report_a: EvaluationReport
    report_b: EvaluationReport
    accuracy: Interval
    macro_f1: Interval
    per_label: dict[str, dict[str, Any]]
    disagreements: list[Disagreement]
    resamples: int
    seed: int

    @property
    def rows(self) -> int:
        return self.report_a.n

    def right_only(self, model: str) -> int:
        """Rows that ``model`` (``a`` or ``b``) gets right and the other gets wrong."""
        return sum(1 for row in self.disagreements if row.right == model)

    def to_dict(self, examples: int = COMPARE_EXAMPLES) -> dict[str, Any]:
        """The ``models compare --json`` shape: the first ``examples`` disagreements only."""
        return {
            "a": self.a,
            "b": self.b,
            "rows": self.rows,
            "resamples": self.resamples,
            "seed": self.seed,
            "accuracy": {"a": round(self.report_a.accuracy, 6), "b": round(self.report_b.accuracy, 6)}
            | self.accuracy.to_dict(),
            "macro_f1": {"a": round(self.report_a.macro_f1, 6), "b": round(self.report_b.macro_f1, 6)}
            | self.macro_f1.to_dict(),
            "per_label": self.per_label,
            "disagreements": {
                "rows": len(self.disagreements),
                "a_right": self.right_only("a"),
                "b_right": self.right_only("b"),
                "neither_right": self.right_only("neither"),
                "examples": [row.to_dict() for row in self.disagreements[:examples]],
            },
        }


def compare_models(
    model_a: TopicModel,
    model_b: TopicModel,
    data: LabeledData,
    *,
    names: tuple[str, str] = ("a", "b"),
    resamples: int = RESAMPLES,
    seed: int = 0,
    predictions: tuple[Sequence[Prediction], Sequence[Prediction]] | None = None,
) -> Comparison:
    """Compare both models on ``data`` (see :func:`compare_predictions`): on ``predictions``, their
    decisions for ``data`` when the caller made them already (a report draws from the same scores),
    else on predictions made here."""
    check_comparable(model_a, model_b)
    if predictions is None:
        predictions = tuple(predict_rows(model, data.headlines, data.teasers) for model in (model_a, model_b))
    return compare_predictions(
        data,
        predictions,
        (list(model_a.labels), list(model_b.labels)),
        multilabel=model_a.multilabel,
        names=names,
        resamples=resamples,
        seed=seed,
    )


def check_comparable(model_a: TopicModel, model_b: TopicModel) -> None:
    """Raise ValueError unless both models are multi-label or both single-label."""
    if model_a.multilabel != model_b.multilabel:
        raise ValueError("cannot compare a multi-label model with a single-label one (accuracies differ)")


def compare_predictions(
    data: LabeledData,
    predictions: tuple[Sequence[Prediction], Sequence[Prediction]],
    labels: tuple[Sequence[str], Sequence[str]],
    *,
    multilabel: bool,
    names: tuple[str, str] = ("a", "b"),
    resamples: int = RESAMPLES,
    seed: int = 0,
) -> Comparison:
    """Score two models' ``predictions`` of ``data`` and compare them, row by row.

    For single-label models a row's first true label is the one that counts,
    as in ``evaluate``.

    Raises
    ------
    ValueError
        No rows, a count of predictions other than the rows', or fewer than one resample.
    """
    if resamples < 1:
        raise ValueError("the bootstrap needs at least one resample")
    reports = tuple(
        evaluate_predictions(data.labels, found, known, multilabel=multilabel)
        for found, known in zip(predictions, labels, strict=True)
    )
    truth = [tuple(row) if multilabel else tuple(row[:1]) for row in data.labels]
    sets = [[p.answered(multilabel) for p in found] for found in predictions]
    columns = sorted({label for row in truth for label in row} | set(labels[0]) | set(labels[1]))
    accuracy, macro_f1 = _bootstrap(truth, sets, columns, resamples, seed)
    disagreements = [
        Disagreement(row + 1, data.headlines[row], data.teasers[row], truth[row], a, b)
        for row, (a, b) in enumerate(zip(*sets, strict=True))
        if set(a) != set(b)
    ]
    return Comparison(
        a=names[0],
        b=names[1],
        report_a=reports[0],
        report_b=reports[1],
        accuracy=Interval(reports[1].accuracy - reports[0].accuracy, *accuracy),
        macro_f1=Interval(reports[1].macro_f1 - reports[0].macro_f1, *macro_f1),
        per_label=_per_label(*reports),
        disagreements=disagreements,
        resamples=resamples,
        seed=seed,
    )


def _indicator(rows: Sequence[tuple[str, ...]], columns: list[str]) -> np.ndarray:
    index = {label: i for i, label in enumerate(columns)}
    matrix = np.zeros((len(rows), len(columns)), dtype=np.float64)
    for number, row in enumerate(rows):
        matrix[number, [index[label] for label in row]] = 1.0
    return matrix


def _bootstrap(truth, sets, columns, resamples: int, seed: int) -> tuple[tuple[float, float], ...]:
    """95% percentile intervals of B - A for accuracy and macro-F1 over ``resamples`` paired resamples."""
    rows = len(truth)
    true = _indicator(truth, columns)
    # float32 holds every count exactly (below 2**24 rows) and halves the memory the products read.
    stacked = np.hstack([true, *(_model_columns(truth, found, true, columns) for found in sets)])
    stacked = stacked.astype(np.float32)
    generator = np.random.default_rng(seed)
    chunk = max(1, _CELLS // rows)
    differences = []
    # One BLAS thread: the products are long and thin (rows deep, a few dozen columns wide), and
    # threads splitting them cost more than they save (0.3 s against 0.02 s for a chunk of 100,000
    # rows on 2 busy cores).
    with threadpool_limits(limits=1, user_api="blas"):
        for start in range(0, resamples, chunk):
            size = min(chunk, resamples - start)
            # Draw rows with replacement, then count each row's draws: np.bincount is far faster
            # than Generator.multinomial over thousands of categories, for the same distribution.
            draws = generator.integers(0, rows, size=(size, rows)) + rows * np.arange(size)[:, None]
            weights = np.bincount(draws.ravel(), minlength=size * rows).reshape(size, rows)
            (accuracy_a, macro_a), (accuracy_b, macro_b) = _resample_scores(weights, stacked, len(columns))
            differences.append(np.stack([accuracy_b - accuracy_a, macro_b - macro_a], axis=1))
    spread = np.percentile(np.concatenate(differences), [2.5, 97.5], axis=0)
    return (float(spread[0, 0]), float(spread[1, 0])), (float(spread[0, 1]), float(spread[1, 1]))


def _model_columns(truth, found, true: np.ndarray, columns: list[str]) -> np.ndarray:
    """Per row, a model's hits and predictions of each label, and whether it got the row right."""
    predicted = _indicator(found, columns)
    correct = np.array([set(t) == set(p) for t, p in zip(truth, found, strict=True)], dtype=np.float64)
    return np.hstack([true * predicted, predicted, correct[:, None]])


def _resample_scores(weights: np.ndarray, stacked: np.ndarray, labels: int) -> list[tuple]:
    """Accuracy and macro-F1 of each model for each row of ``weights`` (resamples x rows counts).

    ``stacked`` holds the true labels (``labels`` columns), then each model's
    :func:`_model_columns`. Every statistic is a weighted sum over the rows, so
    one matrix product gives all of them: the true count, true positives and
    predicted count of each label, and the rows right. Macro-F1 averages over
    the labels present in the resample's truth or in that model's predictions,
    as ``evaluate`` does.
    """
    sums = (weights.astype(stacked.dtype) @ stacked).astype(np.float64)
    true_counts, drawn = sums[:, :labels], weights.sum(axis=1)
    scores = []
    for start in range(labels, sums.shape[1], 2 * labels + 1):
        hits, predicted = sums[:, start : start + labels], sums[:, start + labels : start + 2 * labels]
        total = true_counts + predicted
        present = total > 0
        f1 = np.divide(2 * hits, total, out=np.zeros_like(hits), where=present)
        scores.append(
            (sums[:, start + 2 * labels] / drawn, f1.sum(axis=1) / np.maximum(present.sum(axis=1), 1))
        )
    return scores


def _per_label(report_a: EvaluationReport, report_b: EvaluationReport) -> dict[str, dict[str, Any]]:
    """F1 and recall of each label under both models, most supported first, with the F1 difference."""
    empty = {"f1": 0.0, "recall": 0.0, "support": 0}
    table = {}
    for label in set(report_a.per_label) | set(report_b.per_label):
        a, b = report_a.per_label.get(label, empty), report_b.per_label.get(label, empty)
        table[label] = {
            "support": max(a["support"], b["support"]),
            "a": {"f1": round(a["f1"], 6), "recall": round(a["recall"], 6)},
            "b": {"f1": round(b["f1"], 6), "recall": round(b["recall"], 6)},
            "f1_difference": round(b["f1"] - a["f1"], 6),
        }
    return dict(sorted(table.items(), key=lambda item: (-item[1]["support"], item[0])))


@dataclass
class Decision:
    """Whether a new model (B) replaces the current one (A), and each failed rule when it does not."""

    promote: bool
    failures: list[str] = field(default_factory=list)
    margin: float = PROMOTE_MARGIN
    max_recall_drop: float = MAX_RECALL_DROP

    def record(self, comparison: Comparison) -> dict[str, Any]:
        """The numbers behind the decision, as the history keeps them."""
        numbers = comparison.to_dict(examples=0)
        return {
            "rows": comparison.rows,
            "accuracy": numbers["accuracy"],
            "macro_f1": numbers["macro_f1"],
            "margin": self.margin,
            "max_recall_drop": self.max_recall_drop,
            "promoted": self.promote,
            "failures": self.failures,
        }


def decide_promotion(
    comparison: Comparison, *, margin: float = PROMOTE_MARGIN, max_recall_drop: float = MAX_RECALL_DROP
) -> Decision:
    """Promote B over the current model A when both rules hold; otherwise say which failed, one line each.

    1. B's macro-F1 is at least A's plus ``margin``.
    2. No label that occurs in the data loses more than ``max_recall_drop`` of recall.
    """
    failures = []
    current, new = comparison.report_a.macro_f1, comparison.report_b.macro_f1
    if new < current + margin - _SLACK:
        failures.append(
            f"macro-F1 {new:.4f} is below the current model's {current:.4f} plus the margin {margin:g}"
        )
    for label, row in comparison.per_label.items():
        drop = row["a"]["recall"] - row["b"]["recall"]
        if row["support"] and drop > max_recall_drop + _SLACK:
            failures.append(
                f"recall of {label} drops {drop * 100:.1f} points ({row['a']['recall']:.3f} -> "
                f"{row['b']['recall']:.3f} on {row['support']:,} rows), more than {max_recall_drop * 100:g}"
            )
    return Decision(not failures, failures, margin, max_recall_drop)

"""The numbers behind an evaluation report: reliability bins and ECE, the coverage curve, the
confusion matrix, the worst confusions and, for multi-label models, F1 over thresholds.

Everything here is plain numpy on a score matrix (rows by the model's labels), the true label
sets and the model's decisions, so it is tested without plotting and costs a fraction of a second
for 100,000 rows.

What "confidence" and "correct" mean differs with the kind of model, and the report says so:

* single-label: one pair per row, the top score and whether the top label is the true one (the
  reliability diagram of Guo et al., 2017);
* multi-label: one pair per row and label, the label's score and whether the row has that label,
  since each label is its own yes/no decision. The coverage curve uses the top label of each row
  (is it one of the row's labels?).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from classifier.validation_counts import score_bins

__all__ = [
    "ABSTAINED",
    "NO_LABEL",
    "Confusion",
    "ConfusionPair",
    "CoverageCurve",
    "Reliability",
    "ThresholdCurve",
    "confusion",
    "coverage_curve",
    "reliability",
    "threshold_curves",
    "top_correct",
    "truth_matrix",
]

ABSTAINED = "(abstained)"  # the column of a single-label model's abstentions
NO_LABEL = "(none)"  # the column of a multi-label row's missed label when nothing wrong was listed


@dataclass(frozen=True)
class Reliability:
    """Equal-width confidence bins: per bin the mean confidence, the share correct and the count."""

    edges: np.ndarray
    confidence: np.ndarray
    accuracy: np.ndarray
    counts: np.ndarray
    ece: float


def reliability(confidence: np.ndarray, correct: np.ndarray, bins: int = 10) -> Reliability:
    """Bin ``confidence`` into ``bins`` equal-width bins over [0, 1] and compute the expected
    calibration error: the mean over bins of ``|accuracy - confidence|``, weighted by the bin's
    share of the pairs. Empty bins have NaN confidence and accuracy and weigh nothing."""
    confidence = np.asarray(confidence, dtype=float).ravel()
    correct = np.asarray(correct, dtype=float).ravel()
    if confidence.shape != correct.shape:
        raise ValueError("confidence and correct must have the same length")
    if not len(confidence):
        raise ValueError("no scores to bin")
    edges = np.linspace(0.0, 1.0, bins + 1)
    index = score_bins(confidence, bins)
    counts = np.bincount(index, minlength=bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_confidence = np.bincount(index, weights=confidence, minlength=bins) / counts
        accuracy = np.bincount(index, weights=correct, minlength=bins) / counts
    gaps = np.abs(np.nan_to_num(accuracy) - np.nan_to_num(mean_confidence))
    ece = float(np.sum(gaps * counts) / counts.sum())
    return Reliability(edges, mean_confidence, accuracy, counts, ece)


@dataclass(frozen=True)
class CoverageCurve:
    """For each threshold, the share of rows answered (top score at least the threshold) and the
    accuracy on them (NaN where none is answered); ``trade_coverage`` and ``trade_accuracy`` are
    the same trade-off at evenly spaced coverages, which a threshold grid leaves sparse where many
    rows share nearly the same top score."""

    thresholds: np.ndarray
    coverage: np.ndarray
    accuracy: np.ndarray
    trade_coverage: np.ndarray
    trade_accuracy: np.ndarray


def coverage_curve(top_scores: np.ndarray, correct: np.ndarray, points: int = 101) -> CoverageCurve:
    """Coverage and accuracy when the model abstains below each of ``points`` thresholds over [0, 1].

    At threshold 0 every row is answered, so coverage is 1 and accuracy is the accuracy of the
    top label over all rows; coverage never grows with the threshold.
    """
    top_scores = np.asarray(top_scores, dtype=float)
    correct = np.asarray(correct, dtype=float)
    thresholds = np.linspace(0.0, 1.0, points)
    order = np.argsort(-top_scores, kind="stable")
    cumulative = np.concatenate([[0.0], np.cumsum(correct[order])])
    descending = top_scores[order]
    # Rows answered at threshold t: those with a top score >= t, a prefix of the descending order.
    answered = len(top_scores) - np.searchsorted(descending[::-1], thresholds, side="left")
    with np.errstate(invalid="ignore", divide="ignore"):
        accuracy = np.where(answered > 0, cumulative[answered] / np.maximum(answered, 1), np.nan)
    # From 1% of the rows on: the accuracy of the first few dozen rows of 100,000 is noise (and
    # their order among equal scores arbitrary), which drew a spike at the left end.
    first = max(1, len(top_scores) // 100)
    kept = np.unique(np.linspace(first, len(top_scores), min(len(top_scores), 400)).round().astype(int))
    return CoverageCurve(
        thresholds, answered / len(top_scores), accuracy, kept / len(top_scores), cumulative[kept] / kept
    )


def truth_matrix(true_labels: Sequence[tuple[str, ...]], labels: Sequence[str]) -> np.ndarray:
    """Indicator matrix (rows by ``labels``) of each row's true labels; unknown labels are left out."""
    column = {label: number for number, label in enumerate(labels)}
    truth = np.zeros((len(true_labels), len(labels)), dtype=bool)
    for row, names in enumerate(true_labels):
        for name in names:
            if name in column:
                truth[row, column[name]] = True
    return truth


def top_correct(scores: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """Whether each row's top-scoring label is one of its true labels."""
    return truth[np.arange(len(scores)), scores.argmax(axis=1)]


@dataclass(frozen=True)
class ConfusionPair:
    """One kind of mistake: rows of ``truth`` answered ``predicted``, with example rows, most
    confident first."""

    truth: str
    predicted: str
    count: int
    share: float  # of the rows of ``truth``
    examples: tuple[int, ...]


@dataclass(frozen=True)
class Confusion:
    """Counts of (true label, answer), the rows normalised by each true label's row count."""

    rows: tuple[str, ...]
    columns: tuple[str, ...]
    counts: np.ndarray
    normalised: np.ndarray
    worst: tuple[ConfusionPair, ...]

    def focus(self, limit: int) -> Confusion:
        """The same matrix cut to the ``limit`` true labels with the most mistakes, as rows and as
        columns (plus the abstained or none column), so a model with many labels still gets a
        readable heatmap; the worst confusions are kept whole."""
        if len(self.rows) <= limit:
            return self
        mistakes = self.counts.sum(axis=1) - self._diagonal()
        keep = sorted(np.argsort(-mistakes, kind="stable")[:limit].tolist())
        names = [self.rows[i] for i in keep]
        columns = [c for c in self.columns if c in names or c in (ABSTAINED, NO_LABEL)]
        index = [self.columns.index(c) for c in columns]
        return Confusion(
            tuple(names),
            tuple(columns),
            self.counts[np.ix_(keep, index)],
            self.normalised[np.ix_(keep, index)],
            self.worst,
        )

    def _diagonal(self) -> np.ndarray:
        where = {name: number for number, name in enumerate(self.columns)}
        return np.array(
            [self.counts[row, where[name]] if name in where else 0 for row, name in enumerate(self.rows)]
        )


def confusion(
    true_labels: Sequence[tuple[str, ...]],
    answers: Sequence[tuple[str, ...]],
    scores: np.ndarray,
    labels: Sequence[str],
    *,
    multilabel: bool,
    worst: int = 8,
    examples: int = 3,
) -> Confusion:
    """The confusion matrix of the rows whose true labels the model knows.

    Single-label: one count per row, (first true label, answer), the answer being the listed top
    label or :data:`ABSTAINED`. Multi-label: for each true label of a row, (label, label) when it
    was listed, else (label, each listed label the row does not have), else (label, :data:`NO_LABEL`).
    Each row of the matrix is divided by the number of rows with that true label, so the diagonal
    is the label's recall. ``worst`` mistakes are kept with up to ``examples`` rows each, the ones
    where the wrong answer scored highest.
    """
    known = set(labels)
    pairs: Counter[tuple[str, str]] = Counter()
    rows_of: Counter[str] = Counter()
    found: dict[tuple[str, str], list[int]] = {}
    for number, (truth, answer) in enumerate(zip(true_labels, answers, strict=True)):
        truths = [t for t in (truth if multilabel else truth[:1]) if t in known]
        listed = set(answer)
        wrong = [a for a in answer if a not in truth] if multilabel else []
        for t in truths:
            rows_of[t] += 1
            if multilabel:
                given = [t] if t in listed else (wrong or [NO_LABEL])
            else:
                given = [answer[0] if answer else ABSTAINED]
            for g in given:
                pairs[t, g] += 1
                if g != t and g not in (ABSTAINED, NO_LABEL):
                    found.setdefault((t, g), []).append(number)
    rows = tuple(label for label in labels if rows_of[label])
    extra = (ABSTAINED,) if not multilabel else (NO_LABEL,)
    used_extra = tuple(e for e in extra if any(g == e for _, g in pairs))
    columns = tuple(label for label in labels if rows_of[label] or any(g == label for _, g in pairs))
    columns += used_extra
    counts = np.array([[pairs[r, c] for c in columns] for r in rows], dtype=int).reshape(
        len(rows), len(columns)
    )
    totals = np.array([rows_of[r] for r in rows], dtype=float).reshape(-1, 1)
    normalised = counts / np.maximum(totals, 1)
    column = {label: number for number, label in enumerate(labels)}
    mistakes = sorted(found.items(), key=lambda item: (-len(item[1]), item[0]))[:worst]
    pairs_out = []
    for (t, g), numbers in mistakes:
        chosen = sorted(numbers, key=lambda n: -scores[n, column[g]])[:examples]
        pairs_out.append(ConfusionPair(t, g, pairs[t, g], pairs[t, g] / rows_of[t], tuple(chosen)))
    return Confusion(rows, columns, counts, normalised, tuple(pairs_out))


@dataclass(frozen=True)
class ThresholdCurve:
    """A label's F1 at each threshold of ``grid``, with the threshold the model applies."""

    label: str
    positives: int
    grid: np.ndarray
    f1: np.ndarray
    chosen: float


THRESHOLD_GRID = np.round(np.arange(0.05, 0.96, 0.05), 2)


def threshold_curves(
    scores: np.ndarray, truth: np.ndarray, labels: Sequence[str], thresholds: np.ndarray, limit: int = 24
) -> list[ThresholdCurve]:
    """F1 of each label over :data:`THRESHOLD_GRID`, deciding as a multi-label model does (a label is
    listed when its score reaches the threshold, and each row keeps its top label), for the
    ``limit`` labels with the most true rows (labels with none are left out)."""
    positives = truth.sum(axis=0)
    chosen_labels = [c for c in np.argsort(-positives, kind="stable")[:limit] if positives[c] > 0]
    if not chosen_labels:
        return []
    top = scores == scores.max(axis=1, keepdims=True)
    f1 = np.zeros((len(THRESHOLD_GRID), len(chosen_labels)))
    part_scores, part_truth, part_top = (
        scores[:, chosen_labels],
        truth[:, chosen_labels],
        top[:, chosen_labels],
    )
    for step, threshold in enumerate(THRESHOLD_GRID):
        decided = (part_scores >= threshold) | part_top
        hits = (decided & part_truth).sum(axis=0)
        listed = decided.sum(axis=0)
        f1[step] = 2 * hits / np.maximum(listed + positives[chosen_labels], 1)
    return [
        ThresholdCurve(labels[c], int(positives[c]), THRESHOLD_GRID, f1[:, i], float(thresholds[c]))
        for i, c in enumerate(chosen_labels)
    ]

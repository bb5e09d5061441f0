"""What a model got right and wrong on its validation split, kept with the model for archive reports.

An archive report corrects the shares of predicted topics for the model's known errors
(:mod:`classifier.shares`) and compares the archive's scores with the validation split's
(drift): both need the validation rows' counts, not the rows. Training counts them
(:func:`count_validation`) and saves them as ``validation.json`` in the model directory
(:mod:`classifier.persistence`, checksummed in the manifest).

Single-label models keep the confusion counts of (true label, answer), the answer being the
listed top label or :data:`ABSTAINED`, which is what a tagged archive shows of each row.
Multi-label models keep, per label, how many rows with the label listed it and how many rows
without it listed it anyway. Both keep the histogram of the rows' top scores.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from classifier import settings

if TYPE_CHECKING:
    from classifier.model.topic_model import Prediction

__all__ = [
    "ABSTAINED",
    "COUNTS_VERSION",
    "ValidationCounts",
    "count_validation",
    "score_bins",
    "score_histogram",
]

ABSTAINED = "(abstained)"  # the answer of a single-label row whose top score is under the abstain threshold
COUNTS_VERSION = 1


def score_bins(scores: np.ndarray, bins: int) -> np.ndarray:
    """The bin of each score in ``bins`` equal-width bins over [0, 1]; a score of 1 is in the last.

    Multiplying, not searching the edges: linspace's 0.3 is 0.30000000000000004, which would put a
    score of 0.3 in the bin below.
    """
    return np.clip(np.floor(np.asarray(scores, dtype=float) * bins).astype(int), 0, bins - 1)


def score_histogram(top_scores: np.ndarray, bins: int = settings.SCORE_BINS) -> np.ndarray:
    """Counts of ``top_scores`` in :func:`score_bins`."""
    return np.bincount(score_bins(top_scores, bins), minlength=bins)


@dataclass(frozen=True)
class ValidationCounts:
    """The validation split's counts.

    ``confusion`` (single-label) has a row per label of ``labels`` (its true rows) and a column
    per label plus a last one for :data:`ABSTAINED`. ``listed`` (multi-label) has a row per label:
    rows with the label that listed it, rows with the label, rows without it that listed it, rows
    without it. ``scores`` is the histogram of top scores (:func:`score_histogram`).
    """

    labels: tuple[str, ...]
    multilabel: bool
    rows: int
    scores: np.ndarray
    confusion: np.ndarray | None = None
    listed: np.ndarray | None = None

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of ``validation.json`` (docs/model-files.md)."""
        counts = {"confusion": self.confusion} if not self.multilabel else {"listed": self.listed}
        return {
            "version": COUNTS_VERSION,
            "labels": list(self.labels),
            "multilabel": self.multilabel,
            "rows": self.rows,
            "score_histogram": self.scores.tolist(),
            **{name: value.tolist() for name, value in counts.items()},
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ValidationCounts:
        """Read :meth:`to_dict`'s shape back.

        Raises
        ------
        ValueError
            Another version, or counts whose shape does not fit the labels.
        """
        if data.get("version") != COUNTS_VERSION:
            raise ValueError(f"version {data.get('version')!r} is not {COUNTS_VERSION}")
        labels, multilabel = tuple(data["labels"]), bool(data["multilabel"])
        shape = (len(labels), 4) if multilabel else (len(labels), len(labels) + 1)
        counts = np.array(data["listed" if multilabel else "confusion"], dtype=np.int64)
        scores = np.array(data["score_histogram"], dtype=np.int64)
        if counts.shape != shape or scores.ndim != 1 or (counts < 0).any() or (scores < 0).any():
            raise ValueError(f"counts of shape {counts.shape} do not fit {len(labels)} labels")
        key = "listed" if multilabel else "confusion"
        return cls(labels, multilabel, int(data["rows"]), scores, **{key: counts})


def count_validation(
    labels: Sequence[str],
    multilabel: bool,
    true_labels: Sequence[tuple[str, ...]],
    predictions: Sequence[Prediction],
) -> ValidationCounts:
    """Count the model's answers on the validation rows.

    Single-label rows whose (first) true label the model does not know are left out: the
    correction estimates shares of the model's labels only.
    """
    column = {label: number for number, label in enumerate(labels)}
    tops = []
    if multilabel:
        listed = np.zeros((len(labels), 4), dtype=np.int64)
        for truth, prediction in zip(true_labels, predictions, strict=True):
            has = np.zeros(len(labels), dtype=bool)
            has[[column[t] for t in truth if t in column]] = True
            said = np.zeros(len(labels), dtype=bool)
            said[[column[s.label] for s in prediction.labels]] = True
            listed[:, 0] += has & said
            listed[:, 1] += has
            listed[:, 2] += ~has & said
            listed[:, 3] += ~has
            tops.append(prediction.score)
        return ValidationCounts(
            tuple(labels), True, len(tops), score_histogram(np.array(tops)), listed=listed
        )
    confusion = np.zeros((len(labels), len(labels) + 1), dtype=np.int64)
    for truth, prediction in zip(true_labels, predictions, strict=True):
        if not truth or truth[0] not in column:
            continue
        answer = len(labels) if prediction.label is None else column[prediction.label]
        confusion[column[truth[0]], answer] += 1
        tops.append(prediction.score)
    return ValidationCounts(
        tuple(labels), False, len(tops), score_histogram(np.array(tops)), confusion=confusion
    )

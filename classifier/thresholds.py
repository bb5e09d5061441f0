"""Per-label thresholds of a multi-label model, tuned for F1 on its validation rows."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import f1_score
from sklearn.preprocessing import MultiLabelBinarizer

from classifier.inputs.datasets import LabeledData
from classifier.model.topic_model import TopicModel

__all__ = ["MIN_POSITIVES_TO_TUNE", "tune_thresholds"]

_THRESHOLD_GRID = np.round(np.arange(0.05, 0.96, 0.05), 2)
# A label needs this many validation rows before it gets a threshold of its own:
# with fewer, the F1-best threshold is mostly noise.
MIN_POSITIVES_TO_TUNE = 5


def tune_thresholds(model: TopicModel, validation: LabeledData, scores: np.ndarray) -> np.ndarray:
    """Per-label thresholds tuned for F1 on the validation rows, whose probabilities are ``scores``.

    First one threshold for all labels, the one with the best micro-F1; then,
    for each label with at least :data:`MIN_POSITIVES_TO_TUNE` validation rows,
    the threshold with the best F1 of that label (of equally good ones, the one
    closest to the shared threshold). Each row keeps its top label, as in
    :meth:`TopicModel.predict`.
    """
    truth = MultiLabelBinarizer(classes=list(model.labels)).fit_transform(
        [[label for label in row if label in model.labels] for row in validation.labels]
    )
    top = scores == scores.max(axis=1, keepdims=True)
    decided = [(scores >= threshold) | top for threshold in _THRESHOLD_GRID]  # once per threshold
    shared = _best(_THRESHOLD_GRID, [f1_score(truth, d, average="micro") for d in decided], 0.5)
    thresholds = np.full(len(model.labels), shared)
    for column in np.flatnonzero(truth.sum(axis=0) >= MIN_POSITIVES_TO_TUNE):
        f1s = [f1_score(truth[:, column], d[:, column], zero_division=0) for d in decided]
        thresholds[column] = _best(_THRESHOLD_GRID, f1s, shared)
    return thresholds


def _best(grid: np.ndarray, scores: list[float], anchor: float) -> float:
    """The grid value with the highest score; of ties, the one closest to ``anchor``."""
    scores = np.asarray(scores)
    ties = grid[scores >= scores.max() - 1e-12]
    return float(ties[np.argmin(np.abs(ties - anchor))])

"""Row weights for training: how much each source, and each correction, counts.

An archive of 200,000 rows and one of 2,000 would otherwise teach the topics in
the ratio 100 to 1, and the big one's house style (its sections, its wording)
would become what a topic looks like. With ``source_weighting="equal"`` every
source weighs the same in total, each of its rows ``1 / its rows``, scaled so
that the mean row weighs 1: on leave one outlet out that is +0.7 points of
macro-F1 on an unseen outlet (bench/README.md, "Levers, each measured").
Corrections weigh ``correction_weight`` each on top, whatever their source.
"""

from __future__ import annotations

import numpy as np

from classifier.inputs.datasets import UNKNOWN_SOURCE, LabeledData
from classifier.settings import SOURCE_WEIGHTINGS

__all__ = ["training_rows"]


def _source_weights(data: LabeledData, scheme: str) -> np.ndarray | None:
    """Each row's weight under ``scheme``, or None when every row weighs 1 (one source, or ``rows``)."""
    if scheme not in SOURCE_WEIGHTINGS:
        raise ValueError(f"unknown source weighting {scheme!r}: choose from {', '.join(SOURCE_WEIGHTINGS)}")
    if scheme == "rows" or not data.row_sources:
        return None
    sources = np.asarray(data.row_sources)
    sources = np.where(sources == UNKNOWN_SOURCE, len(data.sources), sources)  # one more source
    rows = np.bincount(sources)
    if np.count_nonzero(rows) < 2:
        return None
    weights = 1.0 / rows[sources]
    return weights * len(weights) / weights.sum()


def training_rows(
    data: LabeledData, scheme: str, corrections: LabeledData | None = None, correction_weight: float = 1.0
) -> tuple[LabeledData, np.ndarray | None, str | None]:
    """``data`` followed by ``corrections``, each row's weight (None: every row weighs 1), and a line
    saying how much a row of each source weighed (None when sources were not weighed).

    Raises
    ------
    ValueError
        ``correction_weight`` is not above 0, or ``scheme`` is not one of :data:`SOURCE_WEIGHTINGS`.
    """
    weights = _source_weights(data, scheme)
    note = None if weights is None else _note(data, weights)
    if corrections is None or not len(corrections):
        return data, weights, note
    if correction_weight <= 0:
        raise ValueError("the weight of corrections must be above 0")
    joined = LabeledData.joined([data, corrections])
    if weights is None and correction_weight == 1.0:  # weight 1 is the unweighted fit, exactly
        return joined, None, note
    data_weights = np.ones(len(data)) if weights is None else weights
    return joined, np.concatenate([data_weights, np.full(len(corrections), correction_weight)]), note


def _note(data: LabeledData, weights: np.ndarray) -> str:
    each: dict[int, float] = {}
    for source, weight in zip(data.row_sources, weights.tolist(), strict=True):
        each.setdefault(source, weight)
    parts = [
        f"{'rows of no known source' if source == UNKNOWN_SOURCE else data.sources[source].name} {weight:.3g}"
        for source, weight in each.items()
    ]
    return "sources weighed equally; one row of each counts: " + ", ".join(parts)

"""Exact duplicate rows as weights: one row per distinct (headline, teaser, labels), weighing as many.

Archives repeat themselves (wire copies, re-publications, the same row in two
exports). A linear model's loss over ``k`` copies of a row is the loss of one
row weighing ``k``, so the classifier's fit on the collapsed rows is the same
for less work. The TF-IDF statistics are not the same: document frequencies and
``min_df`` count a distinct row once. Rows with the same text and different
labels are different rows here: each label keeps its evidence.
"""

from __future__ import annotations

import numpy as np

from classifier.inputs.datasets import LabeledData

__all__ = ["collapse_duplicates"]


def collapse_duplicates(
    data: LabeledData, weights: np.ndarray | None = None
) -> tuple[LabeledData, np.ndarray | None]:
    """``data`` with each exact duplicate row folded into the first one, whose weight is their sum.

    ``weights`` are the rows' weights (``None``: 1 each). Rows keep the order of their first
    occurrence; ``locations`` are those of the first occurrence. Without duplicates, ``data``
    and ``weights`` come back as they are, so an unweighted fit stays exactly unweighted.
    """
    first: dict[tuple, int] = {}
    kept: list[int] = []
    slot_of = np.empty(len(data), dtype=np.intp)
    for row, key in enumerate(zip(data.headlines, data.teasers, data.labels, strict=True)):
        slot = first.setdefault(key, len(kept))
        if slot == len(kept):
            kept.append(row)
        slot_of[row] = slot
    if len(kept) == len(data):
        return data, weights
    row_weights = np.ones(len(data)) if weights is None else np.asarray(weights, dtype=np.float64)
    return data.subset(kept), np.bincount(slot_of, weights=row_weights, minlength=len(kept))

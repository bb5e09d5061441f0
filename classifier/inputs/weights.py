"""Row weights for training: how much each source, and each correction, counts.

An archive of 200,000 rows and one of 2,000 would otherwise teach the topics in
the ratio 100 to 1, and the big one's house style (its sections, its wording)
would become what a topic looks like. With ``source_weighting="equal"`` every
source weighs the same in total, each of its rows ``1 / its rows``, scaled so
that the mean row weighs 1: on leave one outlet out that is +0.7 points of
macro-F1 on an unseen outlet (bench/README.md, "Levers, each measured").
Corrections weigh ``correction_weight`` each on top, whatever their source; rows adopted from an
archive without labels weigh as one more source.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from classifier.inputs.datasets import UNKNOWN_SOURCE, LabeledData, SourceSummary
from classifier.settings import SOURCE_WEIGHTINGS

__all__ = ["source_weights", "training_rows"]


def source_weights(
    row_sources: Sequence[int] | np.ndarray, sources: Sequence[SourceSummary], scheme: str
) -> tuple[np.ndarray | None, str | None]:
    """Each row's weight under ``scheme`` (None when every row weighs 1: one source, or ``rows``), from
    each row's index in ``sources``, and a line saying how much a row of each source weighs."""
    if scheme not in SOURCE_WEIGHTINGS:
        raise ValueError(f"unknown source weighting {scheme!r}: choose from {', '.join(SOURCE_WEIGHTINGS)}")
    if scheme == "rows" or not len(row_sources):
        return None, None
    row_sources = np.asarray(row_sources)
    indices = np.where(row_sources == UNKNOWN_SOURCE, len(sources), row_sources)  # one more source
    rows = np.bincount(indices)
    if np.count_nonzero(rows) < 2:
        return None, None
    present = rows > 0  # a source may have no training rows: all held out, or all dropped by its map
    each = np.zeros(len(rows))
    each[present] = 1.0 / rows[present]
    each *= len(indices) / (rows @ each)  # the mean row weighs 1
    parts = [
        f"{'rows of no known source' if index == len(sources) else sources[index].name} {each[index]:.3g}"
        for index in np.flatnonzero(rows)
    ]
    return each[indices], "sources weighed equally; one row of each counts: " + ", ".join(parts)


def training_rows(
    data: LabeledData,
    scheme: str,
    corrections: LabeledData | None = None,
    correction_weight: float = 1.0,
    adopted: LabeledData | None = None,
) -> tuple[LabeledData, np.ndarray | None, str | None]:
    """``data``, then ``adopted`` (rows weighed as one more source of ``data``: an archive's rows
    labelled by a model, :mod:`classifier.adaptation`), then ``corrections`` (each as much as
    ``correction_weight`` rows of ``data`` on average); each row's weight (None: every row weighs 1),
    and a line saying how much a row of each source weighed (None when sources were not weighed).

    Raises
    ------
    ValueError
        ``correction_weight`` is not above 0, or ``scheme`` is not one of :data:`SOURCE_WEIGHTINGS`.
    """
    rows_of_data = len(data)
    if adopted is not None and len(adopted):
        data = LabeledData.joined([data, adopted])
    weights, note = source_weights(data.row_sources, data.sources, scheme)
    if corrections is None or not len(corrections):
        return data, weights, note
    if correction_weight <= 0:
        raise ValueError("the weight of corrections must be above 0")
    joined = LabeledData.joined([data, corrections])
    if weights is None and correction_weight == 1.0:  # weight 1 is the unweighted fit, exactly
        return joined, None, note
    data_weights = np.ones(len(data)) if weights is None else weights
    # A correction counts correction_weight rows of DATA: adopted rows pull the mean row weight,
    # which is 1, away from DATA's own.
    correction_weight *= data_weights[:rows_of_data].mean()
    return joined, np.concatenate([data_weights, np.full(len(corrections), correction_weight)]), note

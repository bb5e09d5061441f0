"""Topic shares of an archive corrected for the model's known errors, and a test of drift.

Counting predicted labels gives biased shares wherever a topic is often confused with another:
adjusted classify-and-count (Forman, "Quantifying counts and costs via classification", 2008)
undoes the confusion the validation split measured.

* Single-label: the shares of answers observed in the archive, ``q`` (each label and
  abstained), are ``M^T p`` where ``p`` are the true shares and ``M[i, j]`` is
  P(answer j | true label i) on the validation split. ``p`` is the least-squares solution with
  ``p >= 0`` and ``sum(p) = 1`` (non-negative least squares with the sum as one more, heavily
  weighted, equation). Each row of ``M`` counts :data:`~classifier.settings.SHARE_PRIOR_ROWS`
  more rows answered right than the validation split had (:func:`answer_rates`).
* Multi-label: each label on its own, ``p = (q - fpr) / (tpr - fpr)`` clipped to [0, 1], with
  ``q`` the share of rows listing the label and the rates measured on the validation split.

The 95% intervals come from a bootstrap that resamples both the validation counts (each true
label's row of answers, multinomially) and the archive's counts. The method assumes P(answer |
true label) is the same in the archive as in the validation split: bench/shares.py measures
where that holds and where it does not.

Drift is the Jensen-Shannon distance (base 2: 0 for the same distribution, 1 for disjoint ones)
between the histograms of top scores of the archive and of the validation split.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from classifier import settings
from classifier.validation_counts import ValidationCounts

__all__ = [
    "AdjustedShares",
    "adjusted_point",
    "adjusted_shares",
    "answer_rates",
    "drift_distance",
    "listing_rates",
    "multilabel_shares",
    "raw_shares",
    "single_label_shares",
]

_SUM_WEIGHT = 1e3  # how hard the sum-to-one equation pulls against the others


@dataclass(frozen=True)
class AdjustedShares:
    """Each label's raw share (of predicted answers), adjusted share and its 95% interval."""

    labels: tuple[str, ...]
    raw: np.ndarray
    adjusted: np.ndarray
    low: np.ndarray
    high: np.ndarray


def single_label_shares(rates: np.ndarray, observed: np.ndarray) -> np.ndarray:
    """True shares ``p`` from answer rates ``rates`` (labels by answers, rows summing to 1) and
    the observed shares of answers ``observed``: ``min |rates^T p - observed|``, ``p >= 0``, sum 1."""
    from scipy.optimize import nnls

    system = np.vstack([rates.T, np.full(rates.shape[0], _SUM_WEIGHT)])
    target = np.append(observed, _SUM_WEIGHT)
    shares = nnls(system, target)[0]
    total = shares.sum()
    return shares / total if total > 0 else shares


def multilabel_shares(tpr: np.ndarray, fpr: np.ndarray, observed: np.ndarray) -> np.ndarray:
    """Each label's share ``(observed - fpr) / (tpr - fpr)`` clipped to [0, 1]; a label the model
    does not tell apart (``tpr <= fpr``) keeps its observed share."""
    gap = tpr - fpr
    usable = gap > 0
    shares = np.where(usable, (observed - fpr) / np.where(usable, gap, 1.0), observed)
    return np.clip(shares, 0.0, 1.0)


def answer_rates(confusion: np.ndarray, prior_rows: float = settings.SHARE_PRIOR_ROWS) -> np.ndarray:
    """P(answer | true label) from confusion counts (labels by answers, the last one abstained), each
    label's row with ``prior_rows`` more rows answered right.

    The pseudo-rows keep a label seen on a handful of validation rows from being taken at their word:
    two rows of ENVIRONMENT both answered POLITICS would otherwise let the solution explain every
    POLITICS answer as an ENVIRONMENT row (bench/README.md, topic shares). A label without
    validation rows is taken as always answered right.
    """
    totals = confusion.sum(axis=1, keepdims=True)
    return (confusion + prior_rows * np.eye(*confusion.shape)) / (totals + prior_rows)


def _single(confusion: np.ndarray, answers: np.ndarray) -> np.ndarray:
    return single_label_shares(answer_rates(confusion), answers / max(answers.sum(), 1))


def listing_rates(
    listed: np.ndarray, prior_rows: float = settings.SHARE_PRIOR_ROWS
) -> tuple[np.ndarray, np.ndarray]:
    """Each label's true and false positive rates from :attr:`ValidationCounts.listed`, with
    ``prior_rows`` more rows with the label that listed it and as many without it that did not
    (as :func:`answer_rates` does)."""
    return (listed[:, 0] + prior_rows) / (listed[:, 1] + prior_rows), listed[:, 2] / (
        listed[:, 3] + prior_rows
    )


def _multi(listed: np.ndarray, hits: np.ndarray, rows: int) -> np.ndarray:
    return multilabel_shares(*listing_rates(listed), hits / max(rows, 1))


def raw_shares(answers: np.ndarray, rows: int, multilabel: bool) -> np.ndarray:
    """Each label's share of the predicted answers, unadjusted: multi-label, of the ``rows`` rows
    (``answers`` counts the rows listing each label); single-label, of the rows answered
    (``answers`` counts each label then abstained, which is left out)."""
    if multilabel:
        return answers / max(rows, 1)
    answered = answers[:-1]
    return answered / max(answered.sum(), 1)


def adjusted_point(counts: ValidationCounts, answers: np.ndarray, rows: int) -> np.ndarray:
    """The adjusted shares of :func:`adjusted_shares` without their intervals (no bootstrap)."""
    if counts.multilabel:
        return _multi(counts.listed, answers, rows)
    return _single(counts.confusion, answers)


def adjusted_shares(
    counts: ValidationCounts,
    answers: np.ndarray,
    rows: int,
    *,
    resamples: int = settings.SHARE_RESAMPLES,
    seed: int = settings.SEED,
) -> AdjustedShares:
    """Adjusted shares of ``counts.labels`` in an archive of ``rows`` rows, with 95% intervals.

    ``answers`` counts the archive's answers: single-label, each label then abstained (the
    columns of ``counts.confusion``); multi-label, the rows listing each label.
    """
    answers = np.asarray(answers, dtype=np.int64)
    random = np.random.default_rng(seed)
    draws = []
    raw = raw_shares(answers, rows, counts.multilabel)
    adjusted = adjusted_point(counts, answers, rows)
    if counts.multilabel:
        listed = counts.listed
        for _ in range(resamples):
            sample = listed.copy()
            sample[:, 0] = random.binomial(listed[:, 1], listed[:, 0] / np.maximum(listed[:, 1], 1))
            sample[:, 2] = random.binomial(listed[:, 3], listed[:, 2] / np.maximum(listed[:, 3], 1))
            draws.append(_multi(sample, random.binomial(rows, raw), rows))
    else:
        confusion = counts.confusion
        totals = confusion.sum(axis=1)
        rates = confusion / np.maximum(totals, 1)[:, None]  # resampled as measured, smoothed after
        shares = answers / max(answers.sum(), 1)
        for _ in range(resamples):
            sample = np.array([random.multinomial(n, r) for n, r in zip(totals, rates, strict=True)])
            draws.append(_single(sample, random.multinomial(answers.sum(), shares)))
    low, high = np.percentile(draws, [2.5, 97.5], axis=0) if draws else (adjusted, adjusted)
    return AdjustedShares(counts.labels, raw, adjusted, low, high)


def drift_distance(archive: np.ndarray, validation: np.ndarray) -> float | None:
    """Jensen-Shannon distance (base 2) between two histograms of the same bins; None if one is empty."""
    from scipy.spatial.distance import jensenshannon

    archive, validation = np.asarray(archive, dtype=float), np.asarray(validation, dtype=float)
    if archive.sum() == 0 or validation.sum() == 0:
        return None
    return float(jensenshannon(archive, validation, base=2))

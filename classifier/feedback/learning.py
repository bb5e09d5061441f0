"""Corrections as training rows: read from a store, checked against the training labels, merged into DATA.

Training learns from the *current* corrections (the ones no later correction
of the same text superseded). Each is one training row weighing the chosen
weight (:func:`classifier.training.train`). A correction of a text that DATA
also holds replaces those rows: the newsroom's answer wins, rather than
teaching the model two contradicting labels for one headline. Texts are
compared as the readers clean them (white space collapsed), headline and
teaser together, as the store tells corrections apart.

A correction with a label outside the training labels (the taxonomy's when
there is one, else the labels DATA has) is skipped and reported: a store
outlives taxonomies and label maps, and one stale correction should not stop
a retrain. Only when every correction is skipped does training fail, since
that is a wrong store or a wrong taxonomy, not a stale row.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from classifier.errors import DataError, FeedbackStoreError
from classifier.feedback.store import Correction, is_database_url, open_store
from classifier.inputs.datasets import LabeledData
from classifier.inputs.duplicates import text_key

__all__ = [
    "CorrectionSet",
    "FeedbackSummary",
    "known_labels",
    "merge_corrections",
    "read_corrections",
    "skipped_line",
]


@dataclass(frozen=True)
class CorrectionSet:
    """The current corrections of one store, and how much each weighs in training."""

    store: str
    """The store's display name (never a password)."""
    corrections: tuple[Correction, ...]
    weight: float


@dataclass
class FeedbackSummary:
    """What training took from the corrections; the manifest's ``training.feedback``."""

    store: str
    weight: float
    corrections: int = 0
    first: str | None = None
    last: str | None = None
    overridden_rows: int = 0
    skipped: int = 0
    skipped_labels: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict:
        """The JSON shape recorded in the manifest."""
        return {
            "store": self.store,
            "corrections": self.corrections,
            "weight": self.weight,
            "first": self.first,
            "last": self.last,
            "overridden_rows": self.overridden_rows,
            "skipped": self.skipped,
            "skipped_labels": self.skipped_labels,
        }


def read_corrections(location: str | Path, weight: float) -> CorrectionSet:
    """The current corrections of the store at ``location``, oldest first.

    A path must name an existing store: training never creates an empty one
    where a mistyped name pointed.

    Raises
    ------
    FeedbackStoreError
        No store there, or it cannot be read (locked, corrupt, newer schema).
    """
    if weight <= 0:
        raise ValueError(f"the weight of corrections must be above 0, not {weight}")
    if not is_database_url(location) and not Path(location).is_file():
        raise FeedbackStoreError(
            f"{location}: no corrections store there (`headline-tagger feedback import` creates one)"
        )
    with open_store(location) as store:
        return CorrectionSet(store.name, tuple(store.current()), weight)


def merge_corrections(
    data: LabeledData, feedback: CorrectionSet, known_labels: Collection[str]
) -> tuple[LabeledData, LabeledData, FeedbackSummary]:
    """DATA without the rows that corrections replace, the usable corrections as rows, and a summary.

    Parameters
    ----------
    known_labels
        The training labels; a correction with any other label is skipped.

    Raises
    ------
    DataError
        There were corrections and none of them has only known labels.
    """
    summary = FeedbackSummary(feedback.store, feedback.weight)
    latest: dict[tuple[str, str], Correction] = {}
    skipped: Counter = Counter()
    for correction in feedback.corrections:
        unknown = [label for label in correction.labels if label not in known_labels]
        if unknown:
            skipped.update(unknown)
            summary.skipped += 1
            continue
        # Oldest first: a later correction of the same cleaned text wins, as in the store.
        latest[text_key(correction.headline, correction.teaser)] = correction
    summary.skipped_labels = dict(skipped.most_common())
    if feedback.corrections and not latest:
        raise DataError(
            f"{feedback.store}: none of its {len(feedback.corrections):,} corrections has only training"
            f" labels (unknown: {_labels(skipped)}; training labels: {', '.join(sorted(known_labels))})"
        )
    kept = [
        index
        for index, (headline, teaser) in enumerate(zip(data.headlines, data.teasers, strict=True))
        if text_key(headline, teaser) not in latest
    ]
    summary.overridden_rows = len(data) - len(kept)
    corrections = sorted(latest.values(), key=lambda c: (c.created or "", c.id or 0))
    rows = LabeledData(
        [c.headline for c in corrections], [c.teaser for c in corrections], [c.labels for c in corrections]
    )
    summary.corrections = len(corrections)
    if corrections:
        summary.first, summary.last = corrections[0].created, corrections[-1].created
    return (data if len(kept) == len(data) else data.subset(kept)), rows, summary


def _labels(counts: Counter) -> str:
    return ", ".join(f"{label} ({count:,})" for label, count in counts.most_common())


def skipped_line(summary: FeedbackSummary) -> str | None:
    """One line about the corrections left out, or None when none were."""
    if not summary.skipped:
        return None
    return (
        f"skipped {summary.skipped:,} corrections with labels outside the training labels:"
        f" {_labels(Counter(summary.skipped_labels))}"
    )


def known_labels(data: LabeledData, taxonomy_labels: Sequence[str] | None) -> set[str]:
    """The training labels corrections must use: the taxonomy's, else every label DATA has."""
    if taxonomy_labels is not None:
        return set(taxonomy_labels)
    return {label for row in data.labels for label in row}

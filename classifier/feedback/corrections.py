"""Corrections: what editors said a headline's topics are, and what the model had said.

A correction says which topics a headline (with its teaser) really has, who
said so and when, and what the model predicted at the time. Its ``kind`` is
what the editor did to the model's tags, as newsroom tagging tools record it:
``accepted`` (the prediction kept as it was), ``rejected`` (some predicted
tags removed, none added) or ``added`` (a missing tag added, whatever else
changed); a correction without a prediction counts as ``added``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["KINDS", "SOURCES", "Correction", "ReviewSample", "correction_kind"]

KINDS = ("accepted", "rejected", "added")
SOURCES = ("api", "web", "cli", "import")


def correction_kind(labels: Sequence[str], predicted: Sequence[str] | None) -> str:
    """What the correction did to the model's tags: ``accepted``, ``rejected`` or ``added``."""
    if predicted is None:
        return "added"
    wanted, had = set(labels), set(predicted)
    if wanted == had:
        return "accepted"
    return "rejected" if wanted < had else "added"


@dataclass(slots=True)
class Correction:
    """One correction; ``id``, ``created`` and ``superseded_by`` are the store's to set."""

    headline: str
    teaser: str
    labels: tuple[str, ...]
    sender: str
    source: str
    model_id: str | None = None
    predicted: tuple[str, ...] | None = None
    item_id: str | None = None
    id: int | None = None
    created: str | None = None
    superseded_by: int | None = None

    @property
    def kind(self) -> str:
        """See :func:`correction_kind`."""
        return correction_kind(self.labels, self.predicted)

    def to_dict(self) -> dict:
        """The JSON shape of an exported or listed correction."""
        return {
            "id": self.id,
            "headline": self.headline,
            "teaser": self.teaser,
            "labels": list(self.labels),
            "kind": self.kind,
            "model": self.model_id,
            "predicted": None if self.predicted is None else list(self.predicted),
            "item_id": self.item_id,
            "sender": self.sender,
            "source": self.source,
            "created": self.created,
            "superseded_by": self.superseded_by,
        }


@dataclass(slots=True)
class ReviewSample:
    """A tagged headline the service kept for review (when sampling is on): the model's answer then and
    how uncertain it was (:func:`classifier.review.uncertainty`, margin: higher is less sure).
    ``id`` and ``created`` are the store's to set."""

    headline: str
    teaser: str
    model_id: str
    label: str | None
    score: float
    labels: tuple[tuple[str, float], ...]
    uncertainty: float
    id: int | None = None
    created: str | None = None

    def to_dict(self) -> dict:
        """A row of a review queue, as ``headline-tagger review`` writes them (the id is ``sample-N``)."""
        return {
            "id": f"sample-{self.id}",
            "headline": self.headline,
            "teaser": self.teaser,
            "label": self.label,
            "score": round(self.score, 6),  # as every answer of the API rounds them
            "labels": [{"label": label, "score": round(score, 6)} for label, score in self.labels],
            "model": self.model_id,
            "uncertainty": round(self.uncertainty, 6),
            "created": self.created,
        }

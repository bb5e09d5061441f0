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

__all__ = ["KINDS", "SOURCES", "Correction", "correction_kind"]

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

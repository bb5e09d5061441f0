"""Corrections read from a JSON-lines file, each checked, and stamped with the model's prediction then.

A line is ``{"headline": ..., "teaser": ..., "labels": [...], "id": ...}``:
the headline and teaser by the rules every headline item follows
(:func:`classifier.headlines.headline_item`), ``labels`` a non-empty list of
the model's labels, ``id`` (optional) the newsroom's own id of the item. A
line that is not so is a bad row with its line number and reason, as the
readers report them, and costs only itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from classifier.feedback.corrections import Correction
from classifier.headlines import ItemError, headline_item
from classifier.inputs.formats import jsonl_items
from classifier.inputs.records import BadRow

if TYPE_CHECKING:
    from classifier.model.topic_model import TopicModel

__all__ = ["correction_labels", "corrections_from_file"]


def correction_labels(value: Any, known: Sequence[str]) -> tuple[str, ...]:
    """The labels of a correction: a non-empty list of known labels, each once, in the given order.

    Raises
    ------
    ValueError
        Not a list, an empty one, a label that is not text, or one the model does not know.
    """
    if not isinstance(value, list) or not value:
        raise ValueError("labels: must be a non-empty list of labels")
    for label in value:
        if not isinstance(label, str):
            raise ValueError(f"labels: {label!r} is not text")
        if label not in known:
            raise ValueError(f"labels: unknown label {label!r}; the model's labels are {', '.join(known)}")
    return tuple(dict.fromkeys(value))


def corrections_from_file(
    path: str, model: TopicModel, model_id: str, *, sender: str = "cli"
) -> tuple[list[Correction], list[BadRow]]:
    """The corrections of JSON-lines file ``path`` with ``model``'s prediction of each, and the bad rows."""
    rows, bad = [], []
    for row in jsonl_items(path):
        if isinstance(row, BadRow):
            bad.append(row)
            continue
        try:
            headline, teaser = headline_item(row.fields)
            labels = correction_labels(row.fields.get("labels"), model.labels)
        except (ItemError, ValueError) as error:
            bad.append(BadRow(row.source, row.line, str(error)))
            continue
        item_id = row.fields.get("id")
        rows.append((headline, teaser, labels, None if item_id is None else str(item_id)))
    predictions = model.predict([r[0] for r in rows], [r[1] for r in rows]) if rows else []
    corrections = [
        Correction(
            headline=headline,
            teaser=teaser,
            labels=labels,
            sender=sender,
            source="import",
            model_id=model_id,
            predicted=tuple(item.label for item in prediction.labels),
            item_id=item_id,
        )
        for (headline, teaser, labels, item_id), prediction in zip(rows, predictions, strict=True)
    ]
    return corrections, bad

"""From a row's raw fields to a clean record: text with collapsed white space, labels as a tuple.

:func:`record_from_row` is the converter of the generic readers; presets call
it too, after undoing their dataset's quirks. A row whose fields are parsed
but unusable (no headline, a label of the wrong type) raises
:class:`~classifier.inputs.records.RowRejected` with the reason.
"""

from __future__ import annotations

import json
from typing import Any

from classifier.inputs.records import ReadOptions, Record, Row, RowRejected

__all__ = ["collapse_whitespace", "record_from_row"]


def collapse_whitespace(text: str) -> str:
    """``text`` stripped, with every run of whitespace (newlines too) made one space."""
    # Every white space character but the space is unprintable to Python, so a printable text
    # with no double, leading or trailing space is already so: most headlines and teasers.
    if text.isprintable() and "  " not in text and text[:1] != " " and text[-1:] != " ":
        return text
    return " ".join(text.split())


def record_from_row(row: Row, options: ReadOptions) -> Record:
    """Build a record from the fields of ``row`` named by ``options``.

    Headline and teaser have their whitespace runs collapsed to one space; labels
    are stripped and empty ones dropped. Raises :class:`RowRejected` for a missing,
    empty or non-text headline and for a missing or malformed label.
    """
    fields = row.fields
    return Record(
        headline=_headline(fields, options.headline_field),
        teaser=_teaser(fields, options.teaser_field),
        labels=_labels(fields, options.label_field, options.label_delimiter) if options.label_field else (),
        id=_scalar(fields.get(options.id_field)) if options.id_field else None,
        date=_scalar(fields.get(options.date_field)) if options.date_field else None,
        fields=fields,
        source=row.source,
        line=row.line,
    )


def _headline(fields: dict[str, Any], name: str) -> str:
    """The cleaned headline; rejects the row if it is absent, empty or not text."""
    value = fields.get(name)
    if value is not None and not isinstance(value, str):
        raise RowRejected(f"bad headline: field {name!r} holds {type(value).__name__}, not text")
    headline = collapse_whitespace(value or "")
    if not headline:
        state = "empty" if name in fields else "absent"
        raise RowRejected(f"missing headline: field {name!r} is {state}")
    return headline


def _teaser(fields: dict[str, Any], name: str | None) -> str:
    """The cleaned teaser; empty when there is no teaser field or it is empty."""
    value = fields.get(name) if name else None
    if value is not None and not isinstance(value, str):
        raise RowRejected(f"bad teaser: field {name!r} holds {type(value).__name__}, not text")
    return collapse_whitespace(value or "")


def _labels(fields: dict[str, Any], name: str, delimiter: str | None) -> tuple[str, ...]:
    """The labels of a row: from text (maybe a JSON list or delimited), a number or a list.

    An explicit empty list means "no labels" (a valid negative); an absent or
    empty field rejects the row.
    """
    value = fields.get(name)
    if value is None:
        raise RowRejected(f"missing label: field {name!r} is absent")
    if isinstance(value, str) and _looks_like_json_list(value):
        value = _json_list(value, name)
    if isinstance(value, list | tuple):
        return tuple(label for item in value if (label := _label_text(item, name)))
    labels = _label_text(value, name)
    parts = labels.split(delimiter) if delimiter else [labels]
    labels = tuple(part.strip() for part in parts if part.strip())
    if not labels:
        raise RowRejected(f"missing label: field {name!r} is empty")
    return labels


def _looks_like_json_list(text: str) -> bool:
    """Whether a text label is written as a JSON list, ``["a", "b"]``."""
    text = text.strip()
    return text.startswith("[") and text.endswith("]")


def _json_list(text: str, name: str) -> list[Any]:
    """Parse a label written as a JSON list."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise RowRejected(f"bad label: field {name!r} looks like a JSON list but is not: {exc.msg}") from None


def _label_text(value: Any, name: str) -> str:
    """One label as stripped text; numbers are allowed (class ids), other types are not."""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise RowRejected(f"bad label: field {name!r} holds {type(value).__name__}, not text or a number")


def _scalar(value: Any) -> str | None:
    """An optional id or date as stripped text, None when absent or empty."""
    text = "" if value is None else str(value).strip()
    return text or None

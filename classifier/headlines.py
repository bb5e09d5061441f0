"""What a headline to tag is: one definition for every way one comes in (JSON lines on stdin, HTTP bodies).

A headline is a string with at least one character that is not white space
(as :meth:`str.isspace` counts it); the teaser is an optional string (missing
or ``null``: no teaser). Both must be valid Unicode: JSON escapes can smuggle
in unpaired surrogates, which no answer could be written back with. Types are
strict: ``5`` is not the headline ``"5"``.

:func:`check_headline` and :func:`check_teaser` are the rules;
:func:`headline_item` applies them to one decoded JSON object, and the
annotated types :data:`Headline` and :data:`Teaser` make pydantic models (the
HTTP request models) apply the same functions, with the matching JSON Schema.
Plain functions rather than a pydantic model: ``predict`` checks every stdin
line, and building a model per line would cost about as much as decoding it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated

from pydantic import Field, PlainValidator

__all__ = [
    "NOT_BLANK",
    "NOT_BLANK_PATTERN",
    "NOT_TEXT",
    "NOT_UNICODE",
    "Headline",
    "ItemError",
    "Teaser",
    "check_headline",
    "check_teaser",
    "headline_item",
    "is_unicode",
]

NOT_TEXT = "must be a string"
NOT_UNICODE = "must be valid Unicode text (no unpaired surrogate)"
NOT_BLANK = "must not be empty"


def _not_space_class() -> str:
    """A JSON Schema (ECMA-262) class of every character that :meth:`str.isspace` does not count.

    U+3000 is the last white-space character; runs become ranges, like ``\\u2000-\\u200a``.
    """
    runs: list[list[int]] = []
    for code in (code for code in range(0x3001) if chr(code).isspace()):
        if runs and runs[-1][1] == code - 1:
            runs[-1][1] = code
        else:
            runs.append([code, code])
    spaces = "".join(f"\\u{a:04x}" + (f"-\\u{b:04x}" if b > a else "") for a, b in runs)
    return f"[^{spaces}]"


NOT_BLANK_PATTERN = _not_space_class()
"""The JSON Schema ``pattern`` of a headline: exactly the strings that are not blank."""


def is_unicode(text: str) -> bool:
    """Whether ``text`` can be written back as UTF-8 (it holds no unpaired surrogate)."""
    if text.isascii():  # constant time in CPython, and most headlines are ASCII
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def check_headline(value: object) -> str:
    """``value`` if it is a headline, else ``ValueError`` saying why (:data:`NOT_TEXT`, ...)."""
    if not isinstance(value, str):
        raise ValueError(NOT_TEXT)
    if not is_unicode(value):
        raise ValueError(NOT_UNICODE)
    if not value.strip():
        raise ValueError(NOT_BLANK)
    return value


def check_teaser(value: object) -> str | None:
    """``value`` if it is a teaser (``None`` is no teaser), else ``ValueError`` saying why."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError(NOT_TEXT)
    if not is_unicode(value):
        raise ValueError(NOT_UNICODE)
    return value


class ItemError(ValueError):
    """A decoded JSON object that is not a headline item; ``field`` names the first bad field."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


def headline_item(data: Mapping[str, object]) -> tuple[str, str]:
    """The headline and teaser (``""`` for none) of one decoded JSON object; other fields are ignored.

    Raises
    ------
    ItemError
        The headline is missing or not a headline, or the teaser is not a teaser.
    """
    try:
        headline = check_headline(data.get("headline"))
    except ValueError as error:
        raise ItemError("headline", str(error)) from None
    try:
        teaser = check_teaser(data.get("teaser"))
    except ValueError as error:
        raise ItemError("teaser", str(error)) from None
    return headline, teaser or ""


Headline = Annotated[
    str,
    PlainValidator(check_headline, json_schema_input_type=str),
    Field(json_schema_extra={"minLength": 1, "pattern": NOT_BLANK_PATTERN}),
]
"""A pydantic field that is a headline (:func:`check_headline`)."""

Teaser = Annotated[str | None, PlainValidator(check_teaser, json_schema_input_type=str | None)]
"""A pydantic field that is a teaser (:func:`check_teaser`)."""

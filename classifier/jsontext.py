"""JSON text exactly as ``json.dumps(value, default=str)`` spells it, at msgspec's speed.

`tag` writes each output row, and ``predict --json`` each answer, in the
standard library's spelling: ``", "`` and ``": "`` between items, every
character outside printable ASCII as a ``\\uXXXX`` escape (astral ones as a
surrogate pair), a float as its ``repr``. Encoding a row with :mod:`json`
costs several times what msgspec takes, so :func:`dumps` has msgspec encode,
``msgspec.json.format(..., indent=0)`` put in json's separators, and a codec
error handler write json's escapes for the non-ASCII characters (which can only
stand inside strings). Values msgspec would spell otherwise (floats: ``1e16``
for json's ``1e+16``; ``str`` or ``int`` subclasses; dates, bytes and other
types that json turns into ``str(value)``) go to :mod:`json` itself. A property
test compares the two spellings on arbitrary values.
"""

from __future__ import annotations

import codecs
import json
from typing import Any

import msgspec

__all__ = ["dumps", "escape_non_ascii"]

_ERROR_HANDLER = "headline-tagger-json-escape"
# Values msgspec writes exactly as json does; anything else is written by json.
_PLAIN = frozenset({str, int, bool, type(None)})
_PLAIN_KEYS = frozenset({str, int})  # msgspec writes an int key as json does, "1"
_MAX_NESTING = 32  # deeper values (rare in a news row) go to json, whose own limit then applies
_json_encode = json.JSONEncoder(default=str).encode
_msgspec_encode = msgspec.json.Encoder().encode
_format = msgspec.json.format


def dumps(value: Any) -> str:
    """``json.dumps(value, default=str)``: the same text."""
    if value.__class__ is dict and _PLAIN.issuperset(map(type, value.values())):  # most rows, checked in C
        plain = _PLAIN_KEYS.issuperset(map(type, value))
    else:
        plain = _is_plain(value, 0)
    if not plain:
        return _json_encode(value)
    try:
        data = _format(_msgspec_encode(value), indent=0)
    except UnicodeEncodeError:  # a lone surrogate, which json escapes and UTF-8 cannot hold
        return _json_encode(value)
    return escape_non_ascii(data)


def escape_non_ascii(data: bytes) -> str:
    """UTF-8 JSON ``data`` as ASCII text, with json's escape for each character outside printable ASCII.

    Only the characters that a JSON encoder leaves as they are need it (non-ASCII ones and DEL):
    the control characters are escaped already, and no such character stands outside a string.
    """
    if data.isascii():
        text = data.decode("ascii")
    else:
        text = data.decode("utf-8").encode("ascii", _ERROR_HANDLER).decode("ascii")
    return text.replace("\x7f", "\\u007f") if "\x7f" in text else text


def _is_plain(value: Any, depth: int) -> bool:
    """Whether msgspec spells ``value`` as json does: plain scalars in lists and str-keyed dicts."""
    kind = value.__class__
    if kind in _PLAIN:
        return True
    if depth >= _MAX_NESTING:
        return False
    if kind is list:
        return all(_is_plain(item, depth + 1) for item in value)
    if kind is dict:
        return _PLAIN_KEYS.issuperset(map(type, value)) and all(
            _is_plain(item, depth + 1) for item in value.values()
        )
    return False


def _json_escapes(error: UnicodeEncodeError) -> tuple[str, int]:
    """The codec error handler: json's ``\\uXXXX`` escapes for a run of characters ASCII cannot hold."""
    escaped = []
    for character in error.object[error.start : error.end]:
        code = ord(character)
        if code > 0xFFFF:  # a surrogate pair, as json writes astral characters
            code -= 0x10000
            escaped.append(f"\\u{0xD800 | code >> 10:04x}\\u{0xDC00 | code & 0x3FF:04x}")
        else:
            escaped.append(f"\\u{code:04x}")
    return "".join(escaped), error.end


codecs.register_error(_ERROR_HANDLER, _json_escapes)

"""JSON text exactly as ``json.dumps(value, default=str)`` spells it, at msgspec's speed.

`tag` writes each output row, and ``predict --json`` each answer, in the
standard library's spelling: ``", "`` and ``": "`` between items, every
character outside printable ASCII as a ``\\uXXXX`` escape (astral ones as a
surrogate pair), a float as its ``repr``. Encoding a row with :mod:`json`
costs several times what msgspec takes, so :func:`dumps` has msgspec encode,
``msgspec.json.format(..., indent=0)`` put in json's separators, and a codec
error handler write json's escapes for the non-ASCII characters (which can only
stand inside strings). Values msgspec would spell otherwise
(:func:`msgspec_spells_as_json`: some floats, subclasses, dates, bytes and other
types that json turns into ``str(value)``) go to :mod:`json` itself. The
service's JSON provider uses the same check for its compact answers. A property
test compares the two spellings on arbitrary values.
"""

from __future__ import annotations

import codecs
import functools
import json
import math
from collections.abc import Sequence
from itertools import chain
from operator import itemgetter
from typing import Any

import msgspec

__all__ = ["dumps", "escape_non_ascii", "msgspec_spells_as_json", "text_json"]

_ERROR_HANDLER = "headline-tagger-json-escape"
_SCALARS = frozenset({str, int, bool, type(None)})  # what msgspec writes as json does, at any value
_TEXT = frozenset({str})
_MAX_DEPTH = 64  # deeper values go to json, which then writes or fails as it always did
_json_encode = json.JSONEncoder(default=str).encode
_msgspec_encode = msgspec.json.Encoder().encode
_format = msgspec.json.format


def dumps(value: Any) -> str:
    """``json.dumps(value, default=str)``: the same text."""
    if not msgspec_spells_as_json(value):
        return _json_encode(value)
    try:
        data = _format(_msgspec_encode(value), indent=0)
    except UnicodeEncodeError:  # a lone surrogate, which json escapes and UTF-8 cannot hold
        return _json_encode(value)
    return escape_non_ascii(data)


@functools.lru_cache(maxsize=1024)
def text_json(text: str | None) -> str:
    """:func:`dumps` of a text that comes again and again (labels, paths, model ids), remembered."""
    return dumps(text)


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


def msgspec_spells_as_json(value: Any, depth: int = 0) -> bool:
    """Whether msgspec writes ``value`` as json does.

    So it does for ``str``, ``int``, ``bool``, ``None``, lists, tuples, dicts with text keys, and
    floats that are 0 or of magnitude from 1e-4 up to 1e16: below and above, msgspec writes
    ``0.00001`` and ``1e16`` where json writes ``1e-05`` and ``1e+16``, and it writes NaN and the
    infinities as ``null``. Subclasses, dates, bytes and the rest are json's.
    """
    kind = value.__class__
    if kind in _SCALARS:
        return True
    if kind is float:
        return _fixed_point(value)
    if depth >= _MAX_DEPTH:
        return False
    if kind is dict:
        return _TEXT.issuperset(map(type, value)) and _all_alike(list(value.values()), depth + 1)
    if kind is list or kind is tuple:
        return _all_alike(value, depth + 1)
    return False


def _all_alike(values: Sequence, depth: int) -> bool:
    """:func:`msgspec_spells_as_json` of each of ``values``, a column at a time where they allow it.

    Values of one type are checked together, with the built-in functions doing
    the looping: the items of lists as one sequence, the members of dicts with
    the same keys key by key. A batch of 100 results is then a few passes in C,
    where a walk of one value at a time cost as much as json's encoding. Types
    are compared exactly: a subclass goes to json.
    """
    kinds = set(map(type, values))
    if kinds <= _SCALARS:
        return True
    if len(kinds) == 1 and len(values) > 1 and depth < _MAX_DEPTH:
        (kind,) = kinds
        if kind is float:
            return _floats_alike(values)
        if kind is list or kind is tuple:
            return _all_alike(list(chain.from_iterable(values)), depth + 1)
        if kind is dict and (columns := _columns(values)) is not None:
            return all(_all_alike(column, depth + 1) for column in columns)
    for value in values:
        if value.__class__ not in _SCALARS and not msgspec_spells_as_json(value, depth):
            return False
    return True


def _columns(dicts: Sequence[dict]) -> list[list] | None:
    """The values of ``dicts`` key by key, when every dict has the first one's keys, all text; else None."""
    keys = list(dicts[0])
    if not _TEXT.issuperset(map(type, keys)) or sum(map(len, dicts)) != len(keys) * len(dicts):
        return None
    try:  # each dict has each key and, by the count above, no other
        return [list(map(itemgetter(key), dicts)) for key in keys]
    except KeyError:
        return None


def _floats_alike(floats: Sequence[float]) -> bool:
    """Whether each float is 0 or finite with a magnitude in [1e-4, 1e16), where msgspec writes its repr."""
    if not math.isfinite(sum(floats)):  # a NaN or an infinity, or floats far over 1e16
        return False
    if min(floats) >= 1e-4 and max(floats) < 1e16:  # scores: all positive, checked in C
        return True
    return all(map(_fixed_point, floats))


def _fixed_point(value: float) -> bool:
    """Whether json writes ``value`` without an exponent, as msgspec does: 0, or 1e-4 <= |value| < 1e16.

    False for NaN and the infinities, which msgspec writes as ``null``.
    """
    return value == 0.0 or 1e-4 <= abs(value) < 1e16


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

"""Flask's JSON provider with msgspec doing the encoding: the same bytes as Flask's own, several times sooner.

Flask's :class:`~flask.json.provider.DefaultJSONProvider` answers with
``json.dumps(value, separators=(",", ":"), ensure_ascii=True)`` (and the app
keeps the keys in their order). msgspec writes that compact JSON too, but as
UTF-8, so :func:`classifier.jsontext.escape_non_ascii` writes json's
``\\uXXXX`` escapes afterwards, and msgspec spells some values its own way.
:func:`_msgspec_spells_as_json` lets through only the values it spells as json
does: ``str``, ``int``, ``bool``, ``None``, lists, tuples, dicts with text keys,
and floats that are 0 or of magnitude from 1e-4 up to 1e16 (below and above,
msgspec writes ``0.00001`` and ``1e16`` where json writes ``1e-05`` and
``1e+16``; it writes NaN and infinities as ``null``). Anything else (a tiny
score when a request sets ``threshold`` to 0, a manifest's NaN, a date, a
lone surrogate) goes to :mod:`json` through Flask's provider, so every answer
keeps its bytes. A property test compares the two providers.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from itertools import chain
from operator import itemgetter
from typing import Any

import msgspec
from flask.json.provider import DefaultJSONProvider

from classifier.jsontext import escape_non_ascii

__all__ = ["JSONProvider"]

_COMPACT = {"separators": (",", ":")}  # what DefaultJSONProvider.response asks for out of debug mode
_SCALARS = frozenset({str, int, bool, type(None)})
_TEXT = frozenset({str})
_MAX_DEPTH = 64  # deeper values go to json, which then answers or fails as it always did
_encode = msgspec.json.Encoder().encode


class JSONProvider(DefaultJSONProvider):
    """:class:`DefaultJSONProvider` whose compact ``dumps`` (every answer) is msgspec's, escaped as json's."""

    sort_keys = False  # keep "model" first, as predict --json prints it

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        """``DefaultJSONProvider.dumps``: the same text."""
        if kwargs == _COMPACT and _msgspec_spells_as_json(obj):
            try:
                return escape_non_ascii(_encode(obj))
            except UnicodeEncodeError:  # a lone surrogate, which UTF-8 cannot hold and json escapes
                pass
        return super().dumps(obj, **kwargs)


def _msgspec_spells_as_json(value: Any, depth: int = 0) -> bool:
    """Whether msgspec writes ``value`` as json does (see the module docstring)."""
    kind = value.__class__
    if kind in _SCALARS:
        return True
    if kind is float:
        return value == 0.0 or 1e-4 <= abs(value) < 1e16  # false for NaN and the infinities
    if depth >= _MAX_DEPTH:
        return False
    if kind is dict:
        return _TEXT.issuperset(map(type, value)) and _all_alike(list(value.values()), depth + 1)
    if kind is list or kind is tuple:
        return _all_alike(value, depth + 1)
    return False


def _all_alike(values: Sequence, depth: int) -> bool:
    """:func:`_msgspec_spells_as_json` of each of ``values``, a column at a time where they allow it.

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
        if value.__class__ not in _SCALARS and not _msgspec_spells_as_json(value, depth):
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
    return all(value == 0.0 or 1e-4 <= abs(value) < 1e16 for value in floats)

"""Flask's JSON provider with msgspec doing the encoding: the same bytes as Flask's own, several times sooner.

Flask's :class:`~flask.json.provider.DefaultJSONProvider` answers with
``json.dumps(value, separators=(",", ":"), ensure_ascii=True)`` (and the app
keeps the keys in their order). msgspec writes that compact JSON too, but as
UTF-8, so :func:`classifier.jsontext.escape_non_ascii` writes json's
``\\uXXXX`` escapes afterwards, and msgspec spells some values its own way.
:func:`classifier.jsontext.msgspec_spells_as_json` lets through only the values
it spells as json does. Anything else (a tiny score when a request sets
``threshold`` to 0, a manifest's NaN, a date, a lone surrogate) goes to
:mod:`json` through Flask's provider, so every answer keeps its bytes. A property
test compares the two providers.
"""

from __future__ import annotations

from typing import Any

import msgspec
from flask.json.provider import DefaultJSONProvider

from classifier.jsontext import escape_non_ascii, msgspec_spells_as_json

__all__ = ["JSONProvider"]

_COMPACT = {"separators": (",", ":")}  # what DefaultJSONProvider.response asks for out of debug mode
_encode = msgspec.json.Encoder().encode


class JSONProvider(DefaultJSONProvider):
    """:class:`DefaultJSONProvider` whose compact ``dumps`` (every answer) is msgspec's, escaped as json's."""

    sort_keys = False  # keep "model" first, as predict --json prints it

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        """``DefaultJSONProvider.dumps``: the same text."""
        if kwargs == _COMPACT and msgspec_spells_as_json(obj):
            try:
                return escape_non_ascii(_encode(obj))
            except UnicodeEncodeError:  # a lone surrogate, which UTF-8 cannot hold and json escapes
                pass
        return super().dumps(obj, **kwargs)

"""The tokens of the word features, one definition for fitting, transforming, scoring and explaining.

A token is a run of two or more word characters (``\\w``), in text the
vectorizer has lower-cased: exactly the tokens of scikit-learn's default ``token_pattern``
``r"(?u)\\b\\w\\w+\\b"``, since a greedy run of two or more word characters is
always a bounded one. It has two implementations, which a property test keeps
equal:

* :func:`word_tokens`, a regular expression over one text: what
  :class:`~classifier.model.features.FastWordTfidfVectorizer` fits and
  explains with (its ``build_tokenizer``), and what the compiled scorer reads
  one headline with;
* :meth:`ByteTokenIds.ids`, a whole batch at once as UTF-8 bytes, cut with a
  translation table and ``bytes.split``, which is quicker than the regular
  expression over a batch: what the fast ``transform`` and the compiled
  scorer's batches use. It gives token ids, with a separator's own id between
  documents.
"""

from __future__ import annotations

import functools
import re
import string
from itertools import repeat

import numpy as np

__all__ = ["SEPARATOR", "SEPARATOR_ID", "UNKNOWN_ID", "ByteTokenIds", "word_tokens"]

SEPARATOR = "\x00"  # between the documents of a batch: no word character, and no token
SEPARATOR_ID = -2
UNKNOWN_ID = -1  # a token outside the vocabulary; neither it nor a separator is part of any n-gram
_SHORT_ID = -4  # a single ASCII word character: no token, dropped

_WORDS = re.compile(r"\w\w+")
_ASCII_WORDS = re.compile(r"\w\w+", re.ASCII)  # the same tokens on ASCII text, found quicker
_ASCII_WORD_CHARACTERS = string.ascii_letters + string.digits + "_"  # \w in ASCII
# What the byte split cannot tell apart itself: a non-ASCII character that is no word character,
# or a lone non-ASCII word character (no token, and no unknown one either: n-grams span it).
# Testing for non-ASCII first lets the search skip ASCII text as fast as a plain character class.
_NON_ASCII_NOT_TOKEN = re.compile(r"[^\x00-\x7f](?:(?<=\W)|(?<!\w\w)(?!\w))")


def word_tokens(text: str) -> list[str]:
    """The tokens of ``text``, in order."""
    return (_ASCII_WORDS if text.isascii() else _WORDS).findall(text)


class ByteTokenIds(dict):
    """Token (as UTF-8 bytes) → token id, for :meth:`ids`.

    A token not in the table gets :data:`UNKNOWN_ID`. A single ASCII word character,
    which the byte split keeps but is no token, is marked to be dropped.
    """

    @classmethod
    def of(cls, token_ids: dict[str, int]) -> ByteTokenIds:
        """The table of ``token_ids`` (separators included, with their ids)."""
        table = cls({char.encode(): _SHORT_ID for char in _ASCII_WORD_CHARACTERS})
        table |= {token.encode(): number for token, number in token_ids.items()}
        return table

    def ids(self, text: str, separators: str = SEPARATOR) -> np.ndarray:
        """The id of each token of ``text`` and of each separator in it, in order.

        Between two separators the tokens are :func:`word_tokens` of the text there.
        """
        tokens = _byte_tokens(text, separators)
        ids = np.fromiter(map(self.get, tokens, repeat(UNKNOWN_ID)), dtype=np.int64, count=len(tokens))
        return ids[ids != _SHORT_ID]


def _byte_tokens(text: str, separators: str) -> list[bytes]:
    """The runs of word characters (``\\w+``) of ``text``, and each separator, as UTF-8.

    Non-ASCII characters that are not word characters, and lone non-ASCII word characters,
    become spaces in the text, ASCII ones in its bytes; the separators stand apart, and
    ``bytes.split`` leaves the runs. Any other character, an unpaired surrogate (which UTF-8
    cannot encode) included, separates runs. The regular expression runs only over the pieces
    between the first separators that have a non-ASCII character (``str.isascii`` reads a flag),
    about one archive row in six.
    """
    if not text.isascii():
        pieces = text.split(separators[0])
        text = separators[0].join([p if p.isascii() else _NON_ASCII_NOT_TOKEN.sub(" ", p) for p in pieces])
    data = text.encode("utf-8").translate(_ascii_table(separators))
    for separator in separators.encode():
        data = data.replace(bytes([separator]), b" %c " % separator)
    return data.split()


@functools.cache
def _ascii_table(separators: str) -> bytes:
    """Byte → itself for ASCII word characters, ``separators`` and non-ASCII bytes; → space otherwise."""
    kept = _ASCII_WORD_CHARACTERS + separators
    return bytes(byte if byte > 0x7F or chr(byte) in kept else 0x20 for byte in range(256))

"""The tokens of the word features, one definition for fitting, transforming, scoring and explaining.

A token is a run of two or more word characters (``\\w``), in text the
vectorizer has lower-cased: exactly the tokens of scikit-learn's default ``token_pattern``
``r"(?u)\\b\\w\\w+\\b"``, since a greedy run of two or more word characters is
always a bounded one. It has two implementations, which a property test keeps
equal:

* :func:`word_tokens`, a regular expression over one text: what
  :class:`~classifier.model.word_tfidf.FastWordTfidfVectorizer` fits and
  explains with (its ``build_tokenizer``), and what the compiled scorer reads
  one headline with;
* :meth:`ByteTokenIds.ids`, a whole batch at once as UTF-8 bytes, cleaned with a
  translation table and cut, keyed and looked up with numpy, without a Python
  step per token: what the fast ``transform`` and the compiled scorer's batches
  use. It gives token ids, with a separator's own id between documents.
"""

from __future__ import annotations

import functools
import re
import string

import numpy as np

from classifier.model.ngramindex import NgramIndex

__all__ = ["SEPARATOR", "SEPARATOR_ID", "UNKNOWN_ID", "ByteTokenIds", "ngram_windows", "word_tokens"]

SEPARATOR = "\x00"  # between the documents of a batch: no word character, and no token
SEPARATOR_ID = -2
UNKNOWN_ID = -1  # a token outside the vocabulary; neither it nor a separator is part of any n-gram
_WORD_BYTES, _PACKED_BYTES = 8, 16  # bytes in a 64-bit word, and in a token packed into two
# By a token's length: the bits of its first and of its second word that it fills.
_LOW_MASKS = np.array([(1 << 8 * min(size, 8)) - 1 for size in range(_PACKED_BYTES + 1)], dtype=np.uint64)
_HIGH_MASKS = np.array(
    [(1 << 8 * max(size - 8, 0)) - 1 for size in range(_PACKED_BYTES + 1)], dtype=np.uint64
)
_MIXER = np.uint64(0x9E3779B97F4A7C15)  # odd: a token's second word, multiplied, changes every bit

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


def ngram_windows(tokens: list[str], order: int):
    """Every run of ``order`` consecutive tokens, as a tuple."""
    return zip(*(tokens[start:] for start in range(order)), strict=False)


class ByteTokenIds:
    """Token → token id, for the tokens of whole batches of text at once (:meth:`ids`).

    A token's UTF-8 bytes, up to 16, are read as two 64-bit integers (zero past its end,
    and no token has a zero byte), so numpy cuts, keys and finds a batch's tokens without
    a Python step per token: in a :class:`~classifier.model.ngramindex.NgramIndex` by one
    key mixed from the two, then checked against the first. A token not in the table gets
    :data:`UNKNOWN_ID`. Longer tokens, about one in ten thousand, are looked up in a
    dictionary.
    """

    def __init__(self, token_ids: dict[str, int]) -> None:
        self._separator_ids = np.full(0x20, UNKNOWN_ID, dtype=np.int64)  # separators are control characters
        words = {}
        for token, number in token_ids.items():
            if len(token) == 1 and token < " ":
                self._separator_ids[ord(token)] = number
            else:
                words[token.encode()] = number
        packed = [token for token in words if len(token) <= _PACKED_BYTES]
        lengths = np.array([len(token) for token in packed], dtype=np.intp)
        data = np.frombuffer(b"".join(packed) + bytes(_PACKED_BYTES), dtype=np.uint8)
        low, high = _packed(data, np.cumsum(lengths) - lengths, lengths)
        numbers = np.array([words[token] for token in packed], dtype=np.int64)
        keys = _key(low, high)
        self._packed_bytes = _PACKED_BYTES
        if len(np.unique(keys)) < len(keys):  # two mixed keys collide: pack only what one word holds
            self._packed_bytes, short = _WORD_BYTES, high == 0
            low, numbers, keys = low[short], numbers[short], keys[short]
        self._low, self._numbers = low, numbers
        self._index = NgramIndex(keys, np.arange(len(keys)))
        self._long = {token: number for token, number in words.items() if len(token) > self._packed_bytes}

    def ids(self, text: str, separators: str = SEPARATOR) -> np.ndarray:
        """The id of each token of ``text`` lower-cased, and of each separator in it, in order.

        Between two separators the tokens are :func:`word_tokens` of the lower-cased text there.
        The separators must be control characters, which have no case.
        """
        data = _byte_text(text, separators)
        array = np.frombuffer(data + bytes(_PACKED_BYTES), dtype=np.uint8)
        # The runs of bytes other than spaces: tokens, single word characters and separators.
        edges = np.flatnonzero(np.diff(array[: len(data)] != 0x20, prepend=False, append=False))
        starts, lengths = edges[::2], edges[1::2] - edges[::2]
        first = array[starts]
        separator = first < 0x20
        ids = np.full(len(starts), UNKNOWN_ID, dtype=np.int64)
        ids[separator] = self._separator_ids[first[separator]]
        packed = np.flatnonzero((lengths > 1) & (lengths <= self._packed_bytes))
        low, high = _packed(array, starts[packed], lengths[packed])
        found = self._index.columns_of(_key(low, high))
        hit = np.flatnonzero(found >= 0)
        positions = found[hit]
        # Equal keys and equal first words make equal second words: the mixer is odd, so
        # multiplying by it modulo 2**64 is one-to-one.
        same = self._low[positions] == low[hit]
        ids[packed[hit[same]]] = self._numbers[positions[same]]
        for position in np.flatnonzero(lengths > self._packed_bytes):
            start = starts[position]
            ids[position] = self._long.get(data[start : start + lengths[position]], UNKNOWN_ID)
        return ids[(lengths > 1) | separator]  # a single (ASCII) word character is no token


def _packed(data: np.ndarray, starts: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The first 8 and the next 8 bytes of each token (of 16 bytes or less), zero past its end.

    ``data`` ends with 16 bytes of padding, so that every token's two words are in it.
    """
    words = np.ndarray((len(data) - _WORD_BYTES + 1,), dtype="<u8", buffer=data, strides=(1,))
    low = words.take(starts) & _LOW_MASKS[lengths]
    high = np.zeros(len(starts), dtype=np.uint64)
    longer = np.flatnonzero(lengths > _WORD_BYTES)
    high[longer] = words.take(starts[longer] + _WORD_BYTES) & _HIGH_MASKS[lengths[longer]]
    return low, high


def _key(low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """One 64-bit key of a token's two words: its first word itself for a token of 8 bytes or less."""
    return (low ^ (high * _MIXER)).view(np.int64)


def _byte_text(text: str, separators: str) -> bytes:
    """``text`` lower-cased as UTF-8, its tokens, single word characters and separators between spaces.

    Non-ASCII characters that are not word characters, and lone non-ASCII word characters,
    become spaces in the text, ASCII ones in its bytes; the separators stand apart. Any other
    character, an unpaired surrogate (which UTF-8 cannot encode) included, separates runs.
    ``str.lower`` and the regular expression run only over the pieces between the first
    separators that have a non-ASCII character (``str.isascii`` reads a flag), about one
    archive row in six; the translation table lower-cases the others' bytes. Lower-casing
    the pieces apart is lower-casing the text: a control character has no case and is not
    case-ignorable, so no final sigma looks past it.
    """
    if not text.isascii():
        row = separators[:1] or SEPARATOR  # any character that is no word character would do
        pieces = text.split(row)
        text = row.join([p if p.isascii() else _NON_ASCII_NOT_TOKEN.sub(" ", p.lower()) for p in pieces])
    data = text.encode("utf-8").translate(_ascii_table(separators))
    for separator in separators.encode():
        data = data.replace(bytes([separator]), b" %c " % separator)
    return data


@functools.cache
def _ascii_table(separators: str) -> bytes:
    """Byte → ASCII word characters lower-cased, ``separators`` and non-ASCII bytes kept, others a space."""
    kept = _ASCII_WORD_CHARACTERS + separators
    ascii_bytes = bytes(ord(char.lower()) if char in kept else 0x20 for char in map(chr, range(0x80)))
    return ascii_bytes + bytes(range(0x80, 0x100))

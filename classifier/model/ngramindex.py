"""A hash table from integer n-gram keys to feature columns, looked up a whole array at once.

:class:`~classifier.model.word_tfidf.FastWordTfidfVectorizer` keys every vocabulary
n-gram of two or more words as one integer. Finding a batch's n-grams by a
binary search over the sorted keys costs about twenty dependent memory reads
per n-gram; this table (open addressing with linear probing, at most a third
full) costs two or three, about three times faster on a large vocabulary. Its
slots hold positions in the key and column arrays the vectorizer keeps anyway,
as 32-bit integers, so it adds 12 to 24 bytes per n-gram. Both building and
looking up run in rounds over the keys still looking for their slot, so neither
has a Python step per key. :class:`~classifier.model.tokens.ByteTokenIds` finds
a batch's tokens in one too, keyed by their bytes.
"""

from __future__ import annotations

import numpy as np

__all__ = ["NgramIndex"]

_EMPTY = -1
_SLOTS_PER_KEY = 3
_FIBONACCI = np.uint64(0x9E3779B97F4A7C15)  # 2**64 / golden ratio: multiply, keep the top bits


class NgramIndex:
    """The column of each of ``keys`` (distinct integers): ``columns_of`` finds them for any keys.

    ``keys`` and ``columns`` are kept, not copied.
    """

    def __init__(self, keys: np.ndarray, columns: np.ndarray) -> None:
        self._keys, self._columns = np.asarray(keys, dtype=np.int64), np.asarray(columns)
        bits = max(4, (len(self._keys) * _SLOTS_PER_KEY).bit_length())
        self._shift = np.uint64(64 - bits)
        self._mask = (1 << bits) - 1
        self._positions = np.full(1 << bits, _EMPTY, dtype=np.int32)  # of the key in each slot
        pending, slots = np.arange(len(self._keys), dtype=np.int32), self._home(self._keys)
        while len(pending):
            free = np.flatnonzero(self._positions[slots] == _EMPTY)
            _, first = np.unique(slots[free], return_index=True)  # one key per free slot
            placed = free[first]
            self._positions[slots[placed]] = pending[placed]
            # The others move on: every slot they passed is taken, which is what a lookup relies on.
            moving = np.ones(len(pending), dtype=bool)
            moving[placed] = False
            pending, slots = pending[moving], (slots[moving] + 1) & self._mask

    def columns_of(self, keys: np.ndarray) -> np.ndarray:
        """The column of each key, or -1 for a key that is not in the table."""
        keys = np.asarray(keys, dtype=np.int64)
        if not len(self._keys):
            return np.full(len(keys), _EMPTY, dtype=np.int64)
        # A first round over every key, then rounds over the few still looking (most keys end in
        # their home slot); ``take`` and ``flatnonzero`` rather than masks, which copy more slowly.
        slots = self._home(keys)
        positions = self._positions.take(slots)
        empty = positions == _EMPTY  # an empty slot ends the search: the key is absent
        hit = self._keys.take(positions) == keys
        hit &= ~empty  # the position -1 of an empty slot reads the last key
        found = np.where(hit, self._columns.take(positions), _EMPTY)
        pending = np.flatnonzero(~(hit | empty))
        slots = slots.take(pending)
        while len(pending):
            slots = (slots + 1) & self._mask
            positions = self._positions.take(slots)
            empty = positions == _EMPTY
            hit = ~empty & (self._keys.take(positions) == keys.take(pending))
            found[pending[hit]] = self._columns.take(positions[hit])
            moving = np.flatnonzero(~(hit | empty))
            pending, slots = pending.take(moving), slots.take(moving)
        return found

    def _home(self, keys: np.ndarray) -> np.ndarray:
        """Each key's first slot: the top bits of the key times the Fibonacci constant (mod 2**64)."""
        slots = np.ascontiguousarray(keys, dtype=np.int64).view(np.uint64) * _FIBONACCI
        slots >>= self._shift
        return slots.view(np.int64)

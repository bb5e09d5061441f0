"""The n-gram hash table: every stored key finds its column, every other key finds none."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from classifier.model.ngramindex import NgramIndex

KEYS = st.integers(min_value=-(2**63), max_value=2**63 - 1)


@given(stored=st.sets(KEYS, max_size=300), others=st.lists(KEYS, max_size=300))
@settings(max_examples=200, deadline=None)
def test_lookups_agree_with_a_dictionary(stored, others):
    keys = np.array(sorted(stored), dtype=np.int64)
    columns = np.random.default_rng(len(keys)).permutation(len(keys)).astype(np.int64)
    expected = dict(zip(keys.tolist(), columns.tolist(), strict=True))
    index = NgramIndex(keys, columns)
    queries = np.array(list(stored) + others, dtype=np.int64)
    assert index.columns_of(queries).tolist() == [expected.get(key, -1) for key in queries.tolist()]


def test_keys_that_crowd_one_corner_of_the_table_are_all_found():
    # Consecutive small keys, and multiples of a power of two: the patterns n-gram keys have.
    keys = np.concatenate([np.arange(5000), np.arange(1, 5001) << 20]).astype(np.int64)
    columns = np.arange(len(keys), dtype=np.int64)
    index = NgramIndex(keys, columns)
    assert (index.columns_of(keys) == columns).all()
    assert (index.columns_of(keys + (1 << 50)) == -1).all()


def test_an_empty_table_finds_nothing():
    index = NgramIndex(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64))
    assert index.columns_of(np.array([0, 1, 2**40], dtype=np.int64)).tolist() == [-1, -1, -1]
    assert index.columns_of(np.zeros(0, dtype=np.int64)).tolist() == []

"""classifier.jsontext writes what json.dumps(value, default=str) writes, for any value."""

from __future__ import annotations

import datetime
import decimal
import json

from hypothesis import given, settings
from hypothesis import strategies as st

from classifier.jsontext import dumps

# Every code point, lone surrogates, DEL, controls and astral characters among them.
_TEXT = st.text(st.characters(codec=None, exclude_categories=()), max_size=12) | st.sampled_from(
    [
        "",
        'é \u2019 😀 \x7f \x00 \u2028 \n\t\x1f / \\ "',
        "\ud800",
        "a\udcff",
        "<&>",
        "Ünïcödé ΣΑΣ",
        "नमस्ते 你好",
    ]
)
_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=2**63 - 2, max_value=2**70)
    | st.floats()
    | st.sampled_from([1e16, 1e-5, 1e22, -0.0, 5e-324, 0.1 + 0.2, 123456789.123, 1e300])
    | _TEXT
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_TEXT, inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=1500, deadline=None)
@given(value=_VALUES)
def test_any_json_value_is_spelled_as_json_dumps_spells_it(value):
    assert dumps(value) == json.dumps(value, default=str)


@settings(max_examples=300, deadline=None)
@given(row=st.dictionaries(_TEXT, _TEXT | st.none() | st.integers() | st.booleans(), max_size=8))
def test_a_flat_row_of_text_is_spelled_as_json_dumps_spells_it(row):
    assert dumps(row) == json.dumps(row, default=str)


class _Text(str):
    pass


def test_values_json_turns_into_text_are_spelled_as_json_dumps_spells_them():
    values = [
        {"when": datetime.datetime(2024, 5, 1, 12, 30)},
        {"day": datetime.date(2024, 5, 1), "amount": decimal.Decimal("1.50")},
        {"raw": b"bytes", "text": _Text("sub"), "tuple": (1, "a")},
        {"deep": [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["x"]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]},
        {1: "int key", "x": True, 2**70: None},
        {1.5: "float key"},
        {True: "bool key", None: "null key"},
        {"nested": {1e16: "float key", 2: [1.5]}},
    ]
    for value in values:
        assert dumps(value) == json.dumps(value, default=str)

"""Exact duplicate rows fold into weights; rows that differ in anything stay apart."""

import numpy as np

from classifier.inputs.datasets import LabeledData
from classifier.inputs.duplicates import collapse_duplicates


def test_repeats_fold_into_their_first_row_with_summed_weights():
    data = LabeledData(
        ["Rates rise", "Cup final", "Rates rise", "Rates rise", "Cup final"],
        ["", "", "", "banks", ""],
        [("finance",), ("sport",), ("finance",), ("finance",), ("sport",)],
        locations=[("a", 1), ("a", 2), ("a", 3), ("a", 4), ("a", 5)],
    )
    collapsed, weights = collapse_duplicates(data, np.array([1.0, 2.0, 3.0, 1.0, 1.0]))
    assert collapsed.headlines == ["Rates rise", "Cup final", "Rates rise"]
    assert collapsed.teasers == ["", "", "banks"]  # another teaser is another row
    assert collapsed.locations == [("a", 1), ("a", 2), ("a", 4)]
    assert weights.tolist() == [4.0, 3.0, 1.0]


def test_a_conflicting_duplicate_keeps_both_labels():
    data = LabeledData(["Club shares fall"] * 3, [""] * 3, [("sport",), ("finance",), ("sport",)])
    collapsed, weights = collapse_duplicates(data)
    assert collapsed.labels == [("sport",), ("finance",)]
    assert weights.tolist() == [2.0, 1.0]


def test_without_duplicates_nothing_changes():
    data = LabeledData(["Rates rise", "Cup final"], ["", ""], [("finance",), ("sport",)])
    collapsed, weights = collapse_duplicates(data)
    assert collapsed is data and weights is None

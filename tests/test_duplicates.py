"""Exact duplicate rows fold into weights; rows that differ in anything stay apart."""

import numpy as np

from classifier.inputs.datasets import LabeledData
from classifier.inputs.duplicates import fold_duplicates
from classifier.training import TrainingSettings, train


def test_repeats_fold_into_their_first_row_with_summed_weights():
    data = LabeledData(
        ["Rates rise", "Cup final", "Rates rise", "Rates rise", "Cup final"],
        ["", "", "", "banks", ""],
        [("finance",), ("sport",), ("finance",), ("finance",), ("sport",)],
    )
    kept, weights = fold_duplicates(data, np.array([1.0, 2.0, 3.0, 1.0, 1.0]))
    assert kept == [0, 1, 3]  # another teaser is another row
    assert weights.tolist() == [4.0, 3.0, 1.0]


def test_a_conflicting_duplicate_keeps_both_labels():
    data = LabeledData(["Club shares fall"] * 3, [""] * 3, [("sport",), ("finance",), ("sport",)])
    kept, weights = fold_duplicates(data)
    assert [data.labels[row] for row in kept] == [("sport",), ("finance",)]
    assert weights.tolist() == [2.0, 1.0]


def test_without_duplicates_nothing_changes():
    data = LabeledData(["Rates rise", "Cup final"], ["", ""], [("finance",), ("sport",)])
    assert fold_duplicates(data) == (None, None)


def test_training_counts_every_copy_in_the_features_and_fits_each_text_once(tiny):
    # The n-gram 'zeppelin' is in two copies of one row only: min_df=2 keeps it because both
    # copies count, as they would unfolded; the fit sees the text once, weighing 2.
    repeated = "Zeppelin maker seeks funding"
    tiny.headlines += [repeated] * 2
    tiny.teasers += [""] * 2
    tiny.labels += [("finance",)] * 2
    result = train(tiny, TrainingSettings(validation_fraction=0.0, naive_bayes=False))
    names = result.model.pipeline.named_steps["features"].get_feature_names_out()
    assert any(name.endswith("zeppelin") for name in names), "an n-gram of the copies was dropped"
    assert "1 exact duplicate training rows were fitted as weights" in result.notes

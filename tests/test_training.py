"""Validation split, fitting and threshold tuning."""

from collections import Counter

import numpy as np
import pytest
from conftest import assert_contributions_add_up

from classifier.errors import DataError
from classifier.inputs.datasets import LabeledData
from classifier.model.naive_bayes import NaiveBayesScaledSVC
from classifier.thresholds import MIN_POSITIVES_TO_TUNE
from classifier.training import TrainingSettings, train, validation_split


def test_split_is_stratified_seeded_and_disjoint():
    labels = [("a",)] * 50 + [("b",)] * 30 + [("c",)] * 20
    train_idx, validation_idx = validation_split(labels, 0.2, seed=3)
    assert sorted(train_idx + validation_idx) == list(range(100))
    assert Counter(labels[i][0] for i in validation_idx) == {"a": 10, "b": 6, "c": 4}
    assert validation_split(labels, 0.2, seed=3) == (train_idx, validation_idx)
    assert validation_split(labels, 0.2, seed=4) != (train_idx, validation_idx)


def test_a_label_with_one_row_stays_in_training():
    labels = [("a",)] * 10 + [("rare",)]
    train_idx, _ = validation_split(labels, 0.5, seed=0)
    assert 10 in train_idx


def test_zero_fraction_means_no_validation():
    assert validation_split([("a",), ("b",)], 0.0, seed=0) == ([0, 1], [])


def test_training_reports_validation_metrics_on_held_out_rows(tiny):
    result = train(tiny, TrainingSettings(validation_fraction=0.25))
    assert (result.train_rows, result.validation_rows) == (27, 9)
    assert result.validation.n == 9
    assert set(result.validation.per_label) == {"politics", "finance", "sport"}
    assert result.validation.accuracy >= 0.6
    held_out = result.validation_data
    expected = result.model.scores(held_out.headlines, held_out.teasers)
    np.testing.assert_allclose(result.validation_scores, expected)


def test_one_label_is_not_enough():
    data = LabeledData(["a", "b"], ["", ""], [("x",), ("x",)])
    with pytest.raises(DataError, match="at least two different labels"):
        train(data, TrainingSettings(validation_fraction=0.0))


def test_multilabel_training_tunes_a_threshold_per_label(tiny):
    data = tiny
    data.labels = [labels + (("money",) if labels[0] == "finance" else ()) for labels in data.labels]
    result = train(data, TrainingSettings(multilabel=True, validation_fraction=0.34))
    model = result.model
    assert model.multilabel and "money" in model.labels
    assert len(model.thresholds) == len(model.labels)
    assert not np.all(model.thresholds == 0.5)
    assert result.validation.hamming_loss is not None


@pytest.mark.parametrize(
    ("solver", "parts"),
    [("svm", 2 * (1 + 5)), ("sgd", (1 + 2) * 5)],  # svm: plain and NB-SVM, each on all rows and 5 folds
)
def test_step_reporter_sees_each_slow_step_and_every_part_of_the_fit(tiny, solver, parts):
    seen = []

    class Recorder:
        def __init__(self, description, total=None):
            seen.append([description.split(" ")[0], total, 0])

        def __enter__(self):
            return self.done

        def done(self):
            seen[-1][2] += 1

        def __exit__(self, *exc):
            return False

    result = train(tiny, TrainingSettings(validation_fraction=0.25, solver=solver), step=Recorder)
    # Building: the tiny rows counted in one part, then transformed in one
    assert seen == [["Building", 2, 2], ["Fitting", parts, parts], ["Validating", None, 0]]
    assert result.model.pipeline.named_steps["classifier"].on_fit is None  # no callback in the model


def test_labels_with_few_validation_rows_share_one_threshold(tiny):
    data = tiny
    data.labels = [labels + (("money",) if labels[0] == "finance" else ()) for labels in data.labels]
    data.labels[0] = (*data.labels[0], "rare")
    data.labels[1] = (*data.labels[1], "rare")
    settings = TrainingSettings(multilabel=True, validation_fraction=0.34)
    _, validation_rows = validation_split(data.labels, settings.validation_fraction, settings.seed)
    model = train(data, settings).model
    positives = {label: sum(label in data.labels[i] for i in validation_rows) for label in model.labels}
    few = [model.labels.index(label) for label, count in positives.items() if count < MIN_POSITIVES_TO_TUNE]
    assert few and len({float(model.thresholds[i]) for i in few}) == 1


def test_single_label_models_calibrate_on_five_folds_and_multilabel_ones_on_three(tiny):
    single = train(tiny, TrainingSettings(validation_fraction=0.0)).model
    multi = train(tiny, TrainingSettings(validation_fraction=0.0, multilabel=True)).model
    assert single.pipeline.named_steps["classifier"].cv == 5
    assert multi.pipeline.named_steps["classifier"].cv == 3
    chosen = train(tiny, TrainingSettings(validation_fraction=0.0, calibration_folds=4)).model
    assert chosen.pipeline.named_steps["classifier"].cv == 4


def test_naive_bayes_models_explain_their_scores_exactly(tiny):
    result = train(tiny, TrainingSettings(validation_fraction=0.0, naive_bayes=True))
    model, classifier = result.model, result.model.pipeline.named_steps["classifier"]
    assert isinstance(classifier.estimator, NaiveBayesScaledSVC)
    assert_contributions_add_up(model, "Central bank raises interest rates", "Markets fell")
    assert model.predict(["Central bank raises interest rates"])[0].label == "finance"


def test_the_result_records_what_training_chose(tiny):
    auto = train(tiny, TrainingSettings(validation_fraction=0.0))
    scaled = isinstance(auto.model.pipeline.named_steps["classifier"].estimator, NaiveBayesScaledSVC)
    assert auto.settings.naive_bayes is scaled and auto.settings.calibration_folds == 5
    multi = train(tiny, TrainingSettings(validation_fraction=0.0, multilabel=True))
    assert multi.settings.naive_bayes is False and multi.settings.calibration_folds == 3


def test_corrections_always_train_and_their_weight_widens_their_margin(tiny):
    from classifier.model.features import FeatureSettings, as_input

    corrections = LabeledData(
        ["Goalkeeper saves three penalties as club wins cup", "Coach sacked after defeat in cup final"],
        ["", ""],
        [("finance",), ("finance",)],
    )
    settings = TrainingSettings(features=FeatureSettings(min_df=1), validation_fraction=0.25)
    margins = []
    for weight in (1.0, 4.0):
        result = train(tiny, settings, corrections=corrections, correction_weight=weight)
        assert (result.train_rows, result.validation_rows) == (27 + 2, 9)  # never held out
        scores = result.model.pipeline.decision_function(as_input(corrections.headlines, corrections.teasers))
        finance = result.model.labels.index("finance")
        margins.append(scores[:, finance] - np.delete(scores, finance, axis=1).max(axis=1))
    assert np.all(margins[1] > margins[0] + 0.1)
    with pytest.raises(ValueError, match="above 0"):
        train(tiny, settings, corrections=corrections, correction_weight=0.0)

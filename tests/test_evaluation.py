"""Metrics, including rows whose true label the model does not know."""

import pytest

from classifier.evaluation import evaluate_predictions
from classifier.model.topic_model import LabelScore, Prediction


def _p(*labels):
    if not labels:
        return Prediction(None, 0.1, (), True)
    return Prediction(labels[0], 0.9, tuple(LabelScore(label, 0.9) for label in labels), False)


def test_single_label_metrics_and_confusion():
    truth = [("a",), ("a",), ("b",), ("b",)]
    report = evaluate_predictions(truth, [_p("a"), _p("b"), _p("b"), _p("b")], ["a", "b"], multilabel=False)
    assert report.n == 4
    assert report.accuracy == 0.75
    assert report.per_label["a"] == {
        "precision": 1.0,
        "recall": 0.5,
        "f1": pytest.approx(2 / 3),
        "support": 2,
    }
    assert report.confusion == {"a": {"a": 1, "b": 1}, "b": {"b": 2}}
    assert report.macro_f1 == pytest.approx((2 / 3 + 0.8) / 2)


def test_unknown_true_labels_count_as_errors_and_are_reported():
    truth = [("a",), ("zzz",), ("zzz",)]
    report = evaluate_predictions(truth, [_p("a"), _p("a"), _p("b")], ["a", "b"], multilabel=False)
    assert report.accuracy == pytest.approx(1 / 3)
    assert report.unknown_label_rows == 2
    assert report.unknown_labels == {"zzz": 2}
    assert report.per_label["zzz"]["recall"] == 0.0


def test_averages_leave_out_labels_absent_from_truth_and_predictions():
    report = evaluate_predictions([("a",), ("b",)], [_p("a"), _p("b")], ["a", "b", "never"], multilabel=False)
    assert report.macro_f1 == 1.0
    assert "never" not in report.per_label
    multi = evaluate_predictions(
        [("a",), ("b", "zzz")], [_p("a"), _p("b")], ["a", "b", "never"], multilabel=True
    )
    assert set(multi.per_label) == {"a", "b", "zzz"}
    assert multi.macro_f1 == pytest.approx(2 / 3)
    assert multi.unknown_label_rows == 1


def test_abstentions_are_errors_and_counted():
    report = evaluate_predictions([("a",), ("b",)], [_p("a"), _p()], ["a", "b"], multilabel=False)
    assert report.accuracy == 0.5
    assert report.abstained == 1


def test_multilabel_metrics():
    truth = [("a", "b"), ("b",), ("c",)]
    predictions = [_p("a", "b"), _p("b", "c"), _p("c")]
    report = evaluate_predictions(truth, predictions, ["a", "b", "c"], multilabel=True)
    assert report.subset_accuracy == pytest.approx(2 / 3)
    assert report.hamming_loss == pytest.approx(1 / 9)
    assert report.micro_f1 == pytest.approx(2 * 4 / (2 * 4 + 1))
    assert report.to_dict()["per_label"]["c"]["precision"] == 0.5


def test_to_dict_has_the_documented_keys():
    report = evaluate_predictions([("a",), ("b",)], [_p("a"), _p("b")], ["a", "b"], multilabel=False)
    assert {"n", "accuracy", "macro_f1", "micro_f1", "per_label"} <= set(report.to_dict())


def test_nothing_to_evaluate_is_an_error():
    with pytest.raises(ValueError, match="nothing to evaluate"):
        evaluate_predictions([], [], ["a"], multilabel=False)

"""The paired comparison of two models and the promotion rule, on hand-made predictions."""

import numpy as np
import pytest

from classifier.comparison import (
    _indicator,
    _model_columns,
    _resample_scores,
    compare_predictions,
    decide_promotion,
)
from classifier.evaluation import evaluate_predictions
from classifier.inputs.datasets import LabeledData
from classifier.model.topic_model import LabelScore, Prediction

LABELS = ("finance", "politics", "sport")


def _prediction(*labels: str) -> Prediction:
    scores = tuple(LabelScore(label, 0.9) for label in labels)
    return Prediction(labels[0] if labels else None, 0.9 if labels else 0.1, scores, abstained=not labels)


def _data(truth: list[tuple[str, ...]]) -> LabeledData:
    return LabeledData(
        [f"headline {i}" for i in range(len(truth))], [f"teaser {i}" for i in range(len(truth))], truth
    )


def _compare(truth, a, b, **options):
    predictions = ([_prediction(*row) for row in a], [_prediction(*row) for row in b])
    return compare_predictions(_data(truth), predictions, (LABELS, LABELS), multilabel=False, **options)


TRUTH = [("finance",)] * 4 + [("politics",)] * 4 + [("sport",)] * 4
# A confuses two sport rows with finance; B gets them right but abstains on one politics row.
A = [("finance",)] * 4 + [("politics",)] * 4 + [("finance",)] * 2 + [("sport",)] * 2
B = [("finance",)] * 4 + [("politics",)] * 3 + [()] + [("sport",)] * 4


def test_each_model_is_scored_as_evaluate_scores_it_and_the_disagreements_are_named():
    comparison = _compare(TRUTH, A, B, names=("old", "new"))
    report_a = evaluate_predictions(TRUTH, [_prediction(*row) for row in A], LABELS, multilabel=False)
    assert comparison.report_a.to_dict() == report_a.to_dict()
    assert comparison.accuracy.difference == pytest.approx(11 / 12 - 10 / 12)
    assert [(row.row, row.right) for row in comparison.disagreements] == [(8, "a"), (9, "b"), (10, "b")]
    assert comparison.disagreements[0].to_dict() == {
        "row": 8,
        "headline": "headline 7",
        "teaser": "teaser 7",
        "labels": ["politics"],
        "a": ["politics"],
        "b": [],
        "right": "a",
    }
    summary = comparison.to_dict(examples=1)
    assert (summary["a"], summary["b"], summary["rows"]) == ("old", "new", 12)
    assert summary["disagreements"]["rows"] == 3 and len(summary["disagreements"]["examples"]) == 1
    sport = summary["per_label"]["sport"]
    assert (sport["a"]["recall"], sport["b"]["recall"], sport["support"]) == (0.5, 1.0, 4)


def test_the_bootstrap_interval_is_seeded_and_brackets_the_difference():
    first, again = _compare(TRUTH, A, B, seed=3), _compare(TRUTH, A, B, seed=3)
    other = _compare(TRUTH, A, B, seed=4, resamples=200)
    assert first.macro_f1 == again.macro_f1 and first.accuracy == again.accuracy
    assert other.macro_f1 != first.macro_f1
    for interval in (first.accuracy, first.macro_f1):
        assert interval.low <= interval.difference <= interval.high and interval.low < interval.high
    same = _compare(TRUTH, A, A)
    assert (same.macro_f1.low, same.macro_f1.high, same.disagreements) == (0.0, 0.0, [])


@pytest.mark.parametrize("multilabel", [False, True])
def test_a_resample_of_every_row_once_scores_exactly_what_evaluate_does(multilabel):
    truth = [("finance",), ("politics", "finance"), ("sport",), ("crime",), ("politics",)]
    found = [("finance",), ("politics",), ("finance", "sport"), ("sport",), ()]
    if not multilabel:  # one label per row: the first is the one that counts
        truth, found = [row[:1] for row in truth], [row[:1] for row in found]
    columns = sorted({label for row in truth + found for label in row})
    true = _indicator(truth, columns)
    other = [("sport",)] * len(truth)  # a second model, so that the columns of each are sliced apart
    stacked = np.hstack([true, *(_model_columns(truth, rows, true, columns) for rows in (other, found))])
    [_, (accuracy, macro)] = _resample_scores(np.ones((1, len(truth))), stacked, len(columns))
    report = evaluate_predictions(truth, [_prediction(*row) for row in found], LABELS, multilabel=multilabel)
    assert (accuracy[0], macro[0]) == pytest.approx((report.accuracy, report.macro_f1))


def test_a_better_model_is_promoted():
    decision = decide_promotion(_compare(TRUTH, A, [row for row in TRUTH]))
    assert decision.promote and decision.failures == []


def test_a_model_under_the_margin_is_refused_with_the_reason():
    comparison = _compare(TRUTH, A, A)
    assert decide_promotion(comparison, margin=0.0).promote  # as good as the current one is enough
    decision = decide_promotion(comparison, margin=0.01)
    assert not decision.promote
    [failure] = decision.failures
    assert failure.startswith("macro-F1 0.8222 is below the current model's 0.8222 plus the margin 0.01")


def test_a_recall_drop_of_more_than_two_points_refuses_even_a_better_model():
    comparison = _compare(TRUTH, A, B)
    assert comparison.report_b.macro_f1 > comparison.report_a.macro_f1
    decision = decide_promotion(comparison)
    assert not decision.promote
    assert decision.failures == [
        "recall of politics drops 25.0 points (1.000 -> 0.750 on 4 rows), more than 2"
    ]
    assert decide_promotion(comparison, max_recall_drop=0.25).promote  # exactly the limit is allowed
    assert decision.record(comparison)["failures"] == decision.failures

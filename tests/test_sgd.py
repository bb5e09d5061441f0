"""The sgd solver: chosen by size, recorded, calibrated, explained exactly, for both kinds of model."""

import numpy as np
import pytest
from conftest import assert_contributions_add_up
from scipy import sparse

from classifier import settings as defaults
from classifier.inputs.datasets import LabeledData
from classifier.model.features import FeatureSettings
from classifier.model.sgd import EpochSGDClassifier
from classifier.training import TrainingSettings, train

WORDS = FeatureSettings(min_df=1)


def _two_topic_rows(label_of_rare: str = "rare"):
    """90 rows of topic "common" (word 0) and 10 of the rare topic (word 1), as a sparse matrix."""
    rows = [0] * 90 + [1] * 10
    X = sparse.csr_matrix((np.ones(100), (np.arange(100), rows)), shape=(100, 3))
    return X, np.array(["common"] * 90 + [label_of_rare] * 10)


def test_each_pass_is_reported_and_the_model_separates_the_topics():
    passes = []
    X, y = _two_topic_rows()
    model = EpochSGDClassifier(epochs=4, on_epoch=lambda: passes.append(1)).fit(X, y)
    assert len(passes) == 4
    assert list(model.predict(X)) == list(y)


def test_balanced_class_weight_lifts_the_rare_class():
    # Word 1 is in the 10 rare rows and in 20 of the 100 common ones: a plain fit calls it common;
    # balanced, the rare rows weigh 5 each and the common ones 0.5, and it is the rare topic.
    words = [0] * 80 + [1] * 30
    X = sparse.csr_matrix((np.ones(110), (np.arange(110), words)), shape=(110, 2))
    y = np.array(["common"] * 100 + ["rare"] * 10)
    probe = sparse.csr_matrix([[0, 1.0]])
    assert EpochSGDClassifier(epochs=20).fit(X, y).predict(probe)[0] == "common"
    assert EpochSGDClassifier(epochs=20, class_weight="balanced").fit(X, y).predict(probe)[0] == "rare"


def test_a_row_of_weight_zero_teaches_nothing():
    X, y = _two_topic_rows()
    wrong = np.array(["rare"] * 90 + ["common"] * 10)
    both_X, both_y = sparse.vstack([X, X]).tocsr(), np.concatenate([y, wrong])
    weights = np.concatenate([np.ones(100), np.zeros(100)])
    model = EpochSGDClassifier(epochs=5).fit(both_X, both_y, sample_weight=weights)
    assert list(model.predict(X)) == list(y)


@pytest.mark.parametrize("multilabel", [False, True])
def test_sgd_models_calibrate_record_their_solver_and_explain_exactly(tiny, multilabel):
    settings = TrainingSettings(features=WORDS, validation_fraction=0.25, solver="sgd", multilabel=multilabel)
    result = train(tiny, settings)
    model = result.model
    assert result.settings.solver == "sgd" and result.settings.naive_bayes is False
    assert result.settings.calibration_folds == defaults.SGD_CALIBRATION_FOLDS
    assert result.settings.to_dict()["solver"] == "sgd"
    headline, teaser = "Central bank raises interest rates", "Markets fell"
    assert_contributions_add_up(model, headline, teaser)
    scores = model.scores([headline], [teaser])[0]
    assert model.labels[int(scores.argmax())] == "finance"
    if not multilabel:
        assert scores.sum() == pytest.approx(1.0)
    assert result.validation.accuracy >= 0.75
    abstaining = model.predict([headline], [teaser], abstain_threshold=1.0)[0]
    assert abstaining.abstained and abstaining.label is None


def test_auto_picks_sgd_only_above_the_row_count(tiny, monkeypatch):
    settings = TrainingSettings(features=WORDS, validation_fraction=0.0)
    assert train(tiny, settings).settings.solver == "svm"
    monkeypatch.setattr(defaults, "SGD_ABOVE_ROWS", len(tiny) - 1)
    assert train(tiny, settings).settings.solver == "sgd"


def test_an_unknown_solver_is_refused(tiny):
    with pytest.raises(ValueError, match="unknown solver 'newton'"):
        train(tiny, TrainingSettings(solver="newton"))


def test_exact_duplicates_train_as_one_weighted_row(tiny):
    doubled = LabeledData(tiny.headlines * 2, tiny.teasers * 2, tiny.labels * 2)
    settings = TrainingSettings(features=WORDS, validation_fraction=0.0, naive_bayes=False)
    result = train(doubled, settings)
    assert result.train_rows == 2 * len(tiny)
    assert result.notes == [f"{len(tiny):,} exact duplicate training rows were fitted as weights"]
    single = train(tiny, settings).model.pipeline.named_steps["classifier"]
    twice = result.model.pipeline.named_steps["classifier"]
    # Weight 2 on every row is the loss of C doubled: the same topics, larger margins.
    headline = ["Central bank raises interest rates"]
    assert np.argmax(twice.class_scores(result.model.transform(headline))) == np.argmax(
        single.class_scores(result.model.transform(headline))
    )
    assert np.linalg.norm(twice.coef_) > np.linalg.norm(single.coef_)

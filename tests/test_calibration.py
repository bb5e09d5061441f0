"""Calibrated probabilities from one linear model."""

import pickle
import warnings

import numpy as np
import pytest
from scipy import sparse
from scipy.special import expit, softmax
from sklearn.base import clone
from sklearn.exceptions import DataConversionWarning
from sklearn.multiclass import OneVsRestClassifier
from sklearn.svm import LinearSVC

from classifier.model.calibration import CalibratedLinearClassifier, stratified_folds


def _blobs(seed=0, n=300, classes=3, noise=1.5):
    """Overlapping classes: each has one informative feature among twenty noisy ones."""
    rng = np.random.default_rng(seed)
    y = rng.integers(classes, size=n)
    X = rng.normal(scale=noise, size=(n, 20))
    X[np.arange(n), y] += 2.0
    return sparse.csr_matrix(X), y


def test_probabilities_are_a_softmax_of_the_decision_scores_with_the_same_ranking():
    X, y = _blobs()
    model = CalibratedLinearClassifier(LinearSVC()).fit(X, y)
    probabilities, scores = model.predict_proba(X), model.decision_function(X)
    assert probabilities.shape == (300, 3) and np.allclose(probabilities.sum(axis=1), 1.0)
    assert (probabilities.argmax(axis=1) == scores.argmax(axis=1)).all()
    assert np.allclose(scores, X @ model.coef_.T + model.intercept_, atol=1e-5)


def test_confidence_matches_accuracy_on_new_rows():
    X, y = _blobs(seed=0, n=3000)
    model = CalibratedLinearClassifier(LinearSVC()).fit(X, y)
    X_new, y_new = _blobs(seed=1, n=3000)
    probabilities = model.predict_proba(X_new)
    accuracy = (model.predict(X_new) == y_new).mean()
    assert 0.6 < accuracy < 0.95  # neither trivial nor hopeless, so calibration matters
    assert abs(probabilities.max(axis=1).mean() - accuracy) < 0.03


def test_a_binary_model_scores_both_classes_and_decides_by_the_second():
    X, y = _blobs(classes=2)
    model = CalibratedLinearClassifier(LinearSVC()).fit(X, y)
    scores = model.class_scores(X)
    assert scores.shape == (300, 2) and np.array_equal(scores[:, 0], -scores[:, 1])
    assert np.array_equal(model.decision_function(X), scores[:, 1])  # scikit-learn's binary shape
    assert np.array_equal(model.link(model.decision_function(X)), model.predict_proba(X))
    assert np.allclose(model.predict_proba(X).sum(axis=1), 1.0)
    assert np.array_equal(model.predict(X), np.where(scores[:, 1] > 0, 1, 0))


def test_class_scores_are_the_validated_decision_scores_without_the_checks():
    X, y = _blobs()
    model = CalibratedLinearClassifier(LinearSVC()).fit(X, y)
    features = X.astype(np.float32)
    assert np.array_equal(model.class_scores(features), model.decision_function(features))
    assert np.array_equal(model.link(model.class_scores(features)), model.predict_proba(features))
    assert model.n_features_in_ == 20
    broken = features.copy()
    broken.data[0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        model.predict_proba(broken)
    with pytest.raises(ValueError, match="20 features"):
        model.decision_function(features[:, :19])


def test_a_column_of_labels_is_read_as_labels():
    X, y = _blobs()
    with pytest.warns(DataConversionWarning):
        model = CalibratedLinearClassifier(LinearSVC()).fit(X, y[:, None])
    assert not model.multilabel_ and list(model.classes_) == [0, 1, 2]


def test_a_class_with_one_row_is_learned_without_warnings():
    X, y = _blobs()
    y = np.array([f"topic {value}" for value in y])
    y[0] = "rare"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = CalibratedLinearClassifier(LinearSVC(class_weight="balanced"), cv=5).fit(X, y)
    assert "rare" in model.classes_ and np.isfinite(model.scale_)


def test_multilabel_scores_are_independent_probabilities():
    X, y = _blobs()
    indicator = np.column_stack([y == 0, y == 1, (y == 2) | (np.arange(300) % 7 == 0)]).astype(int)
    indicator[:2, 0] = 1  # a label set no fold could miss
    model = CalibratedLinearClassifier(OneVsRestClassifier(LinearSVC())).fit(X, indicator)
    probabilities = model.predict_proba(X)
    assert probabilities.shape == (300, 3) and ((probabilities > 0) & (probabilities < 1)).all()
    assert not np.allclose(probabilities.sum(axis=1), 1.0)
    assert model.predict(X).shape == (300, 3)


def test_multilabel_targets_need_one_vs_rest():
    X, y = _blobs()
    with pytest.raises(ValueError, match="OneVsRestClassifier"):
        CalibratedLinearClassifier(LinearSVC()).fit(X, np.column_stack([y == 0, y == 1]))


def test_folds_spread_every_stratum_and_accept_tiny_ones():
    strata = np.array([0] * 10 + [1] * 5 + [2])
    folds = stratified_folds(strata, 5, seed=0)
    assert sorted(np.bincount(folds[:10])) == [2] * 5
    assert sorted(folds[10:15]) == [0, 1, 2, 3, 4]
    assert (stratified_folds(strata, 5, seed=0) == folds).all()


def test_link_turns_decision_scores_into_the_same_probabilities_as_predict_proba():
    X, y = _blobs()
    model = CalibratedLinearClassifier(LinearSVC()).fit(X, y)
    scores = model.decision_function(X)
    assert np.allclose(model.link(scores), model.predict_proba(X))
    assert np.allclose(model.link(scores), softmax(model.scale_ * scores, axis=1))


def test_link_of_a_multilabel_model_is_one_sigmoid_per_topic():
    X, y = _blobs()
    indicator = np.column_stack([y == 0, y == 1, y == 2]).astype(int)
    model = CalibratedLinearClassifier(OneVsRestClassifier(LinearSVC())).fit(X, indicator)
    scores = model.decision_function(X)
    assert np.allclose(model.link(scores), expit(model.scale_ * scores + model.offset_))
    assert np.allclose(model.link(scores), model.predict_proba(X))


def test_link_accepts_a_scale_and_an_offset_per_class():
    X, y = _blobs()
    model = CalibratedLinearClassifier(LinearSVC()).fit(X, y)
    scores = model.decision_function(X)
    model.scale_, model.offset_ = np.array([1.0, 2.0, 0.5]), np.array([0.0, -1.0, 1.0])
    expected = softmax(scores * [1.0, 2.0, 0.5] + [0.0, -1.0, 1.0], axis=1)
    assert np.allclose(model.predict_proba(X), expected)


def test_a_model_pickled_with_scalar_link_parameters_predicts_the_same():
    X, y = _blobs()
    model = CalibratedLinearClassifier(LinearSVC()).fit(X, y)
    model.scale_, model.offset_ = 2.5, 0.0
    restored = pickle.loads(pickle.dumps(model))
    scores = X @ model.coef_.T + model.intercept_
    assert np.allclose(restored.predict_proba(X), softmax(2.5 * scores, axis=1), atol=1e-5)


def test_five_folds_by_default():
    assert CalibratedLinearClassifier(LinearSVC()).cv == 5


def test_weights_reach_the_linear_model_and_the_link():
    X, y = _blobs()
    weights = np.where(y == 0, 4.0, 1.0)
    model = CalibratedLinearClassifier(LinearSVC(random_state=0), cv=3).fit(X, y, sample_weight=weights)
    alone = LinearSVC(random_state=0).fit(X, y, sample_weight=weights)
    assert np.allclose(model.coef_, alone.coef_.astype(np.float32))
    plain = CalibratedLinearClassifier(LinearSVC(random_state=0), cv=3).fit(X, y)
    assert not np.allclose(model.coef_, plain.coef_, atol=1e-2)
    # Heavier rows of class 0 make the model call class 0 more often
    assert (model.predict(X) == 0).sum() > (plain.predict(X) == 0).sum()


def test_the_link_is_fitted_with_each_row_counting_its_weight():
    from classifier.model.calibration import _fit_sigmoid, _fit_temperature

    rng = np.random.default_rng(1)
    scores = rng.normal(size=(60, 3))
    truth = np.eye(3, dtype=int)[rng.integers(3, size=60)]
    weights = rng.integers(1, 4, size=60).astype(float)
    rows = np.repeat(np.arange(60), weights.astype(int))
    # Platt's smoothing depends on the row count, so the two differ only by that
    assert _fit_temperature(scores, truth, weights) == pytest.approx(
        _fit_temperature(scores[rows], truth[rows]), rel=0.02
    )
    assert _fit_temperature(scores, truth, weights) != pytest.approx(
        _fit_temperature(scores, truth), rel=0.02
    )
    assert _fit_sigmoid(scores, truth, weights) == pytest.approx(
        _fit_sigmoid(scores[rows], truth[rows]), rel=0.02
    )


def test_multilabel_weights_reach_every_topics_svm():
    X, y = _blobs(classes=3)
    indicator = np.eye(3, dtype=int)[y]
    weights = np.where(y == 2, 5.0, 1.0)
    weighted = CalibratedLinearClassifier(OneVsRestClassifier(LinearSVC(random_state=0)), cv=3)
    weighted.fit(X, indicator, sample_weight=weights)
    plain = CalibratedLinearClassifier(OneVsRestClassifier(LinearSVC(random_state=0)), cv=3).fit(X, indicator)
    topic = LinearSVC(random_state=0).fit(X, indicator[:, 2], sample_weight=weights)
    assert np.allclose(weighted.coef_[2], topic.coef_[0].astype(np.float32))
    assert not np.allclose(weighted.coef_, plain.coef_, atol=1e-2)


def test_a_classifier_saved_without_a_progress_callback_loads_with_none():
    saved = CalibratedLinearClassifier(LinearSVC(), cv=2).__getstate__()
    del saved["on_fit"]  # a model file whose classifier has none
    loaded = CalibratedLinearClassifier.__new__(CalibratedLinearClassifier)
    loaded.__setstate__(saved)
    assert loaded.get_params()["on_fit"] is None and clone(loaded).cv == 2

"""NB-SVM: linear SVMs on naive-Bayes-scaled features, an ordinary linear model of the features."""

import numpy as np
import pytest
from scipy import sparse

from classifier.model.naive_bayes import NaiveBayesScaledSVC


def _counts(seed=0, n=200):
    """Non-negative features; feature j is larger in the rows of class j % 3."""
    rng = np.random.default_rng(seed)
    y = rng.integers(3, size=n)
    X = sparse.csr_matrix(np.abs(rng.normal(size=(n, 12))) + 2.0 * (np.arange(12) % 3 == y[:, None]))
    return X, y


def test_naive_bayes_scaled_svm_is_one_linear_function_of_the_features():
    X, y = _counts()
    model = NaiveBayesScaledSVC(class_weight="balanced", random_state=0).fit(X, y)
    assert model.coef_.shape == (3, 12) and model.n_features_in_ == 12
    assert np.allclose(model.decision_function(X), X @ model.coef_.T + model.intercept_)
    assert (model.predict(X) == y).mean() > 0.9
    binary = NaiveBayesScaledSVC().fit(X, y == 2)
    assert binary.coef_.shape == (1, 12) and binary.decision_function(X).shape == (200,)


def test_negative_features_are_refused_rather_than_scaled_by_nan():
    X, y = _counts()
    with pytest.raises(ValueError, match="Negative values"):
        NaiveBayesScaledSVC().fit(-X, y)


def test_rows_and_labels_must_be_as_many():
    X, y = _counts()
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        NaiveBayesScaledSVC().fit(X, y[:-1])


def test_a_continuous_target_is_no_set_of_classes():
    X, _ = _counts()
    with pytest.raises(ValueError, match="Unknown label type"):
        NaiveBayesScaledSVC().fit(X, np.linspace(0.0, 1.0, 200))


def test_a_row_of_weight_two_counts_as_the_row_twice():
    X, y = _counts(n=120)
    weights = np.where(np.arange(120) % 4 == 0, 2.0, 1.0)
    repeated = np.repeat(np.arange(120), weights.astype(int))
    # Without class weights: 'balanced' counts rows, as LinearSVC does, so copies would shift it.
    options = {"random_state": 0, "max_iter": 20_000}
    weighted = NaiveBayesScaledSVC(**options).fit(X, y, sample_weight=weights)
    copies = NaiveBayesScaledSVC(**options).fit(X[repeated], y[repeated])
    unweighted = NaiveBayesScaledSVC(**options).fit(X, y)
    # liblinear stops at its tolerance: equal to about 1e-4, where ignoring the weights is off by far more
    assert np.allclose(weighted.decision_function(X), copies.decision_function(X), atol=1e-3)
    assert not np.allclose(weighted.decision_function(X), unweighted.decision_function(X), atol=1e-2)

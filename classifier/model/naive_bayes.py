"""Linear SVMs on features scaled by naive Bayes (NB-SVM), one more linear model to calibrate.

Training may fit a single-label model with :class:`NaiveBayesScaledSVC` instead
of a plain ``LinearSVC`` (it keeps the one that cross-validates better). The
result is an ordinary linear model of the features, so
:class:`~classifier.model.calibration.CalibratedLinearClassifier` wraps it like
any other and the fitted topic model holds only its ``coef_`` and ``intercept_``.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.svm import LinearSVC
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, check_non_negative, validate_data

__all__ = ["NaiveBayesScaledSVC"]


class NaiveBayesScaledSVC(ClassifierMixin, BaseEstimator):
    """One-vs-rest linear SVMs on features scaled by each class's naive-Bayes log-count ratio.

    NB-SVM (Wang & Manning, 2012): for class ``c``, feature ``j`` is multiplied
    by ``r[c, j] = log(p[j] / q[j])``, where ``p`` and ``q`` are the smoothed,
    normalised feature sums over the rows of ``c`` and over the other rows, so
    the SVM starts from what naive Bayes knows about each word. Here the ratio
    is square-rooted (sign kept): the full ratio lost 4-6 more points of
    validation accuracy on HuffPost and was no better elsewhere. The SVM of
    class ``c`` learns ``w`` on the scaled features; on the original ones its
    weights are ``r[c] * w``, which is what ``coef_`` holds, so the model is an
    ordinary linear model of the features.

    Features must be non-negative (counts or tf-idf values): the ratio is one
    of feature sums.

    Parameters
    ----------
    C, class_weight, max_iter, random_state
        As for ``LinearSVC``; a class's weight multiplies its rows' losses in
        every class's SVM, as ``LinearSVC`` does for multi-class targets.
    alpha
        Added to every feature sum before the ratio (Laplace smoothing).

    Attributes
    ----------
    classes_, coef_, intercept_
        As for ``LinearSVC``: one row per class, or a single row (for the
        second class) when there are two.
    n_features_in_
        Number of features seen in ``fit``.
    n_iter_
        The most iterations any of the SVMs ran.
    """

    def __init__(self, *, C=1.0, class_weight=None, alpha=1.0, max_iter=1000, random_state=None):
        self.C = C
        self.class_weight = class_weight
        self.alpha = alpha
        self.max_iter = max_iter
        self.random_state = random_state

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.input_tags.positive_only = True
        return tags

    def fit(self, X, y, sample_weight=None):
        """Fit one SVM per class (one in all for two classes) on its scaled features.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Non-negative features.
        y : array-like of shape (n_samples,)
            Class labels.
        sample_weight : array-like of shape (n_samples,), default=None
            How much each row counts: in the feature sums of the naive-Bayes
            ratios and in every SVM's loss (times its class's weight).

        Returns
        -------
        self : NaiveBayesScaledSVC
        """
        X, y = validate_data(self, X, y, accept_sparse="csr", dtype=np.float64)
        check_non_negative(X, "NaiveBayesScaledSVC.fit")
        check_classification_targets(y)
        X = sparse.csr_matrix(X)
        self.classes_ = np.unique(y)
        if len(self.classes_) < 2:  # the words of LinearSVC's message
            raise ValueError("the number of classes has to be greater than one; got 1 class")
        sums, weights = X, None
        if sample_weight is not None:
            weights = _check_sample_weight(sample_weight, X)
            # A row's share of the feature sums is its own weight, not its class's.
            sums = (sparse.diags(weights) @ X).tocsr()
        if self.class_weight is not None:
            per_class = compute_class_weight(self.class_weight, classes=self.classes_, y=y)
            by_class = per_class[np.searchsorted(self.classes_, y)]
            weights = by_class if weights is None else by_class * weights
        positives = self.classes_[1:] if len(self.classes_) == 2 else self.classes_
        coef, intercept, iterations = [], [], []
        for label in positives:
            rows = y == label
            p = self.alpha + np.asarray(sums[rows].sum(axis=0)).ravel()
            q = self.alpha + np.asarray(sums[~rows].sum(axis=0)).ravel()
            ratio = np.log(p / p.sum()) - np.log(q / q.sum())
            ratio = np.sign(ratio) * np.sqrt(np.abs(ratio))
            svm = LinearSVC(C=self.C, max_iter=self.max_iter, random_state=self.random_state)
            svm.fit(X @ sparse.diags(ratio), rows.astype(int), sample_weight=weights)
            coef.append(svm.coef_[0] * ratio)
            intercept.append(svm.intercept_[0])
            iterations.append(svm.n_iter_)
        self.coef_, self.intercept_ = np.array(coef), np.array(intercept)
        self.n_iter_ = max(iterations)
        return self

    def decision_function(self, X) -> np.ndarray:
        """``X @ coef_.T + intercept_`` (one column when there are two classes).

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
        """
        check_is_fitted(self)
        X = validate_data(self, X, accept_sparse="csr", reset=False)
        scores = np.asarray(X @ self.coef_.T) + self.intercept_
        return scores.ravel() if len(self.classes_) == 2 else scores

    def predict(self, X) -> np.ndarray:
        """The class with the highest decision score."""
        scores = self.decision_function(X)
        if len(self.classes_) == 2:
            return self.classes_[(scores > 0).astype(int)]
        return self.classes_[scores.argmax(axis=1)]

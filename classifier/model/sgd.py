"""A linear SVM fitted by stochastic gradient descent: the solver whose cost grows linearly with the rows.

``LinearSVC`` (liblinear's dual coordinate descent) needs more passes over the
data the more rows there are, and many more when rows nearly repeat each other:
HuffPost's 7,938 headlines took 55 passes, the same headlines four times with one
word dropped from each copy 1,617 (bench/README.md, "Training cost").
:class:`EpochSGDClassifier` makes a fixed number of passes (``epochs``), each one
``SGDClassifier.partial_fit`` over the rows in a new seeded order (a seed per pass,
the matrix never copied), so its cost is ``epochs`` times one pass whatever the
data. The loss is the SVM's hinge, so the model is still one linear function
whose weights explain each decision exactly, and it plugs into
:class:`~classifier.model.calibration.CalibratedLinearClassifier` (and, one per
topic, into ``OneVsRestClassifier``) as ``LinearSVC`` does.

``class_weight="balanced"`` is applied as row weights (``partial_fit`` does not
take it): each class counts as much in total, as ``LinearSVC``'s weighting does.
The regularisation follows ``C`` as ``LinearSVC``'s does: ``alpha = 1 / (C * n)``
for ``n`` rows (their weights summed).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import SGDClassifier
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

__all__ = ["EpochSGDClassifier"]


class EpochSGDClassifier(ClassifierMixin, BaseEstimator):
    """Hinge-loss SGD over ``epochs`` shuffled passes, with ``LinearSVC``'s ``C`` and class weighting.

    Parameters
    ----------
    C
        Inverse regularisation strength, as in ``LinearSVC``.
    class_weight
        ``"balanced"`` (each class weighs in inverse proportion to its rows), a dict of class →
        weight, or ``None``.
    epochs
        Passes over the rows.
    random_state
        Seed of the passes' orders and of the solver.
    on_epoch
        Called with no argument after each pass, so that a caller can show progress.

    Attributes
    ----------
    coef_, intercept_, classes_
        As ``SGDClassifier``'s.
    """

    def __init__(
        self,
        C: float = 1.0,
        *,
        class_weight: str | dict | None = None,
        epochs: int = 5,
        random_state: int = 0,
        on_epoch: Callable[[], None] | None = None,
    ):
        self.C = C
        self.class_weight = class_weight
        self.epochs = epochs
        self.random_state = random_state
        self.on_epoch = on_epoch

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags

    def fit(self, X, y, sample_weight=None):
        """Make ``epochs`` passes of hinge-loss SGD over the rows; returns ``self``."""
        X, y = validate_data(self, X, y, accept_sparse="csr", dtype=[np.float64, np.float32])
        weights = _check_sample_weight(sample_weight, X, dtype=np.float64)
        classes, codes = np.unique(y, return_inverse=True)
        totals = np.bincount(codes, weights=weights, minlength=len(classes))
        return self.fit_batches(lambda epoch: [(X, y, weights)], classes, totals)

    def fit_batches(
        self,
        batches: Callable[[int], Iterable[tuple[object, np.ndarray, np.ndarray]]],
        classes: np.ndarray,
        class_totals: np.ndarray,
    ):
        """Fit on rows that come in batches, such as rows read back from disk; returns ``self``.

        ``batches(epoch)`` gives the batches of one pass, each ``(X, y, sample_weight)``, in the
        order that pass should see them; ``classes`` are every class of ``y`` sorted, and
        ``class_totals`` the weight of each class's rows summed over all batches, which the
        class weighting and the regularisation need before the first step.
        """
        if self.epochs < 1:
            raise ValueError("epochs must be at least 1")
        if len(classes) < 2:
            raise ValueError(
                f"needs rows of at least 2 classes, but the data has only one class: {classes[0]}"
            )
        factors = self._class_factors(classes, np.asarray(class_totals, dtype=np.float64))
        solver = SGDClassifier(
            loss="hinge",
            alpha=1.0 / (self.C * float(class_totals @ factors)),
            learning_rate="optimal",
            random_state=self.random_state,
        )
        for epoch in range(self.epochs):
            # partial_fit shuffles the rows it is given by its seed: a new seed, a new order,
            # without copying the matrix.
            solver.set_params(random_state=self.random_state + epoch)
            for X, y, weights in batches(epoch):
                weights = weights * factors[np.searchsorted(classes, y)]
                solver.partial_fit(X, y, classes=classes, sample_weight=weights)
            if self.on_epoch is not None:
                self.on_epoch()
        self.classes_ = solver.classes_
        self.coef_, self.intercept_ = solver.coef_, solver.intercept_
        self.n_features_in_ = self.coef_.shape[1]
        return self

    def _class_factors(self, classes: np.ndarray, totals: np.ndarray) -> np.ndarray:
        """What each class's rows are weighed by: ``class_weight`` applied to classes of these totals."""
        if self.class_weight == "balanced":
            return totals.sum() / (len(classes) * np.maximum(totals, np.finfo(float).tiny))
        if isinstance(self.class_weight, dict):
            return np.array([self.class_weight.get(c, 1.0) for c in classes])
        if self.class_weight is not None:
            raise ValueError(f"class_weight must be 'balanced', a dict or None, not {self.class_weight!r}")
        return np.ones(len(classes))

    def decision_function(self, X) -> np.ndarray:
        """Decision scores: one column per class, or one (of ``classes_[1]``) for two classes."""
        check_is_fitted(self)
        X = validate_data(self, X, accept_sparse="csr", reset=False)
        scores = X @ self.coef_.T + self.intercept_
        return scores.ravel() if scores.shape[1] == 1 else scores

    def predict(self, X) -> np.ndarray:
        """The class with the highest decision score."""
        scores = self.decision_function(X)
        if scores.ndim == 1:
            return self.classes_[(scores > 0).astype(int)]
        return self.classes_[scores.argmax(axis=1)]

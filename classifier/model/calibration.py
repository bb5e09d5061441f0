"""Calibrated probabilities from one linear model, so that scores can be thresholded and explained.

A linear SVM ranks topics well but its decision scores are not probabilities.
:class:`CalibratedLinearClassifier` fits the linear model once on all rows and
learns a monotone link from its decision scores to probabilities on
*out-of-fold* scores (each row scored by a model that did not see it):

* single-label: temperature scaling, ``softmax(scale * scores)``. One
  parameter, and the top topic is the one with the highest decision score;
* multi-label (a ``OneVsRestClassifier``): one Platt sigmoid,
  ``sigmoid(slope * score + offset)``, shared by all topics, so that topics
  with a handful of rows still get a sound link.

Both are :meth:`CalibratedLinearClassifier.link`, ``scale_ * scores + offset_``
followed by a softmax or a sigmoid, which a fast scoring path can apply to
decision scores computed elsewhere.

The fold models see a fraction ``(cv - 1) / cv`` of the rows and have smaller
weights than the full model, so the fitted scale is divided by the ratio of the
weight norms. Five folds (the default) keep that correction small, and on four
of the benchmark's five validation splits they calibrate single-label models
better than three folds.

Per-class offsets (vector scaling) were measured and left out: they fit the
class priors, which undoes the class weighting and cost HuffPost 12-15 points of
validation macro-F1.

Unlike ``CalibratedClassifierCV(ensemble=False)``, which does the same with
per-class sigmoids, this copes with topics too rare to appear in every fold,
and keeps the model a single linear function, so explanations stay exact: the
probability of a topic is a fixed increasing function of its decision score.

The scikit-learn methods (``fit``, ``decision_function``, ``predict_proba``,
``predict``) validate their input. The prediction hot path gets its features
from the fitted pipeline, already valid, and calls :meth:`~CalibratedLinearClassifier.class_scores`
and :meth:`~CalibratedLinearClassifier.link`, which do not: validating a one-row
matrix costs more than scoring it.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import minimize, minimize_scalar
from scipy.special import expit, logsumexp, softmax
from sklearn import config_context
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.multiclass import OneVsRestClassifier
from sklearn.utils.extmath import safe_sparse_dot
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, column_or_1d, validate_data

__all__ = [
    "CalibratedLinearClassifier",
    "fold_scores",
    "linear_terms",
    "stratified_folds",
    "weight_growth",
]


def stratified_folds(strata: np.ndarray, n_folds: int, seed: int) -> np.ndarray:
    """A fold number per row, spreading each stratum's rows evenly over the folds.

    Unlike ``StratifiedKFold`` it accepts strata smaller than ``n_folds``
    (such rows simply miss some folds) without warning.
    """
    rng = np.random.default_rng(seed)
    folds = np.empty(len(strata), dtype=int)
    for stratum in np.unique(strata):
        rows = rng.permutation(np.flatnonzero(strata == stratum))
        folds[rows] = (np.arange(len(rows)) + rng.integers(n_folds)) % n_folds
    return folds


class CalibratedLinearClassifier(ClassifierMixin, BaseEstimator):
    """A linear classifier whose decision scores are mapped to calibrated probabilities.

    Parameters
    ----------
    estimator
        An unfitted linear classifier with ``coef_`` and ``intercept_``
        (``LinearSVC``), or a ``OneVsRestClassifier`` of one for multi-label
        targets (an indicator matrix).
    cv
        Number of folds for the out-of-fold scores the link is fitted on.
        Each fold refits the linear model, so training costs about ``cv`` times
        one fit.
    random_state
        Seed of the fold assignment.
    on_fit
        Called with no argument after each fit of the linear model (on all rows, then on each
        fold's), so that a caller can show progress.

    Attributes
    ----------
    coef_, intercept_
        The linear model fitted on all rows, one row per class (a binary model's
        single row ``w`` is stored as ``-w, w``), in float32: the decision scores
        are ``X @ coef_.T + intercept_``, and they are what explanations add up to.
    classes_
        Class labels (single-label), or column numbers (multi-label).
    n_features_in_
        Number of features seen in ``fit``.
    multilabel_
        Whether the targets were an indicator matrix.
    out_of_fold_correct_
        Single-label only: for each training row, whether its top out-of-fold
        decision score is its own class. Its mean is a cross-validated accuracy
        that comes free with the link; training compares models by it.
    scale_, offset_
        The link (see :meth:`link`): ``softmax(scale_ * scores + offset_)`` for
        single-label models (``offset_`` is 0), ``sigmoid(scale_ * scores + offset_)``
        per topic for multi-label ones. Scalars here; :meth:`link` also accepts
        one value per class. ``scale_`` is the one fitted on the fold models'
        scores, divided by how much larger the full model's weights are than theirs.
    """

    def __init__(self, estimator, *, cv: int = 5, random_state: int = 0, on_fit=None):
        self.estimator = estimator
        self.cv = cv
        self.random_state = random_state
        self.on_fit = on_fit

    def __setstate__(self, state: dict) -> None:
        # A model file whose classifier has no on_fit (the format allows it) gets none: get_params,
        # clone and repr need every parameter.
        super().__setstate__({"on_fit": None, **state})

    def _fitted(self, X, y, sample_weight):
        model = _fitted(self.estimator, X, y, sample_weight)
        if self.on_fit is not None:
            self.on_fit()
        return model

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        if isinstance(self.estimator, OneVsRestClassifier):
            tags.classifier_tags.multi_label = True
            tags.target_tags.multi_output = True
        return tags

    def fit(self, X, y, sample_weight=None):
        """Fit the linear model on all rows, then the link on out-of-fold decision scores.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Converted once to float64 CSR, which every fold model shares.
        y : array-like of shape (n_samples,) or (n_samples, n_labels)
            Class labels, or an indicator matrix of labels (multi-label; the
            estimator must then be a ``OneVsRestClassifier``).
        sample_weight : array-like of shape (n_samples,), default=None
            How much each row counts: in the linear model's loss (and every
            fold model's), and in the log loss the link is fitted on, so that a
            row of weight 2 counts as two copies of it would.

        Returns
        -------
        self : CalibratedLinearClassifier
        """
        X, y = validate_data(self, X, y, accept_sparse="csr", dtype=np.float64, multi_output=True)
        if y.ndim == 2 and y.shape[1] == 1 and not isinstance(self.estimator, OneVsRestClassifier):
            y = column_or_1d(y, warn=True)  # a column of labels, not one label's indicator
        check_classification_targets(y)
        self.multilabel_ = y.ndim == 2
        if self.multilabel_ != isinstance(self.estimator, OneVsRestClassifier):
            raise ValueError("use a OneVsRestClassifier for multi-label targets, and only for them")
        if self.multilabel_ and y.all(axis=0).any():
            raise ValueError("a label that every training row has cannot be learned")
        if sample_weight is not None:
            sample_weight = _check_sample_weight(sample_weight, X)
        linear = self._fitted(X, y, sample_weight)
        self.classes_ = linear.classes_
        self.coef_, self.intercept_ = _float32_terms(linear)
        scores, truth, growth = self._out_of_fold(X, y, sample_weight)
        return self._fit_link(scores, truth, sample_weight, growth)

    def fit_from_scores(self, linear, scores: np.ndarray, truth: np.ndarray, sample_weight=None, growth=1.0):
        """Take a single-label linear model fitted elsewhere, and fit the link on out-of-fold scores
        computed elsewhere: for rows too many to hold at once (:mod:`classifier.model.streamed`).

        ``scores`` and ``truth`` are as :meth:`fit` makes them for some rows (NaN where a fold
        model could not score a class; one-hot truth), with those rows' ``sample_weight``;
        ``growth`` is how much larger ``linear``'s weights are than the fold models'.
        """
        self.multilabel_ = False
        self.classes_ = linear.classes_
        self.coef_, self.intercept_ = _float32_terms(linear)
        self.n_features_in_ = self.coef_.shape[1]
        return self._fit_link(scores, truth, sample_weight, growth)

    def _fit_link(self, scores: np.ndarray, truth: np.ndarray, sample_weight, growth: float):
        if self.multilabel_:
            slope, self.offset_ = _fit_sigmoid(scores, truth, sample_weight)
        else:
            scored = np.where(np.isnan(scores), -np.inf, scores)
            self.out_of_fold_correct_ = truth[np.arange(len(truth)), scored.argmax(axis=1)].astype(bool)
            slope, self.offset_ = _fit_temperature(scores, truth, sample_weight), 0.0
        self.scale_ = slope / growth
        return self

    def class_scores(self, X) -> np.ndarray:
        """Decision scores, one column per class even for two classes, of a valid matrix.

        ``X @ coef_.T + intercept_`` in float64, so that probabilities near 0 and 1
        keep their digits; what :meth:`link` takes. ``X`` is not checked: it must
        be a numeric matrix of ``n_features_in_`` columns, such as the features a
        fitted pipeline makes. Validated input goes through :meth:`decision_function`.
        """
        return np.asarray(safe_sparse_dot(X, self.coef_.T), dtype=np.float64) + self.intercept_

    def decision_function(self, X) -> np.ndarray:
        """Decision scores: one column per class, or per label (multi-label).

        As in scikit-learn, a single-label model of two classes returns one
        column, the score of ``classes_[1]`` (its negation is the other class's).

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
        """
        scores = self.class_scores(self._validated(X))
        return scores[:, 1] if scores.shape[1] == 2 and not self.multilabel_ else scores

    def link(self, scores: np.ndarray) -> np.ndarray:
        """Probabilities from decision scores, as :meth:`class_scores` or :meth:`decision_function` give them.

        ``softmax(scale_ * scores + offset_)`` across the classes of a
        single-label model, ``sigmoid(scale_ * scores + offset_)`` for each topic
        of a multi-label one; ``scale_`` and ``offset_`` are scalars or one value
        per class. The single column of a two-class model is read as the
        columns ``-scores, scores``.
        """
        scores = np.asarray(scores, dtype=np.float64)
        if scores.ndim == 1 and not self.multilabel_:
            scores = np.column_stack([-scores, scores])
        logits = self.scale_ * scores + self.offset_
        if self.multilabel_:
            return expit(logits)
        return softmax(logits, axis=1)

    def predict_proba(self, X) -> np.ndarray:
        """Calibrated probabilities, one column per class: ``link(class_scores(X))``."""
        return self.link(self.class_scores(self._validated(X)))

    def predict(self, X) -> np.ndarray:
        """The top class (single-label), or the indicator matrix of scores over 0.5 (multi-label)."""
        probabilities = self.predict_proba(X)
        if self.multilabel_:
            return (probabilities >= 0.5).astype(int)
        return self.classes_[probabilities.argmax(axis=1)]

    def _validated(self, X):
        """``X`` checked against the fitted model; its dtype is kept, so that float32 features
        are multiplied in float32, as :meth:`class_scores` does with the pipeline's own."""
        check_is_fitted(self)
        return validate_data(self, X, accept_sparse="csr", reset=False)

    def _out_of_fold(self, X, y, sample_weight=None) -> tuple[np.ndarray, np.ndarray, float]:
        """Decision scores of each row by a model fitted without its fold.

        Returns the scores and the truth as matrices (an entry is NaN where the
        fold's model could not score that class, because the class was missing
        from its training rows; single-label truth is one-hot), and how much
        larger the full model's weights are than the fold models' (the mean
        ratio of their norms). A model fitted on all rows is surer of itself
        than one fitted on fewer: with three folds its weights, and so its
        scores, are about 15% larger, and the link is scaled down by as much.
        """
        truth = y if self.multilabel_ else (y[:, None] == self.classes_[None, :]).astype(int)
        strata = np.where(truth.any(axis=1), truth.argmax(axis=1), -1)
        folds = stratified_folds(strata, self.cv, self.random_state)
        scores = np.full(truth.shape, np.nan)
        growth = []
        for fold in range(self.cv):
            held_out, kept = np.flatnonzero(folds == fold), np.flatnonzero(folds != fold)
            # Only classes seen (and, multi-label, not seen everywhere) in the kept rows can be learned.
            learnable = np.flatnonzero(truth[kept].any(axis=0) & ~truth[kept].all(axis=0))
            if len(held_out) == 0 or len(learnable) < (1 if self.multilabel_ else 2):
                continue
            weight = None if sample_weight is None else sample_weight[kept]
            if self.multilabel_:
                model = self._fitted(X[kept], truth[kept][:, learnable], weight)
            else:
                model = self._fitted(X[kept], y[kept], weight)
                learnable = np.searchsorted(self.classes_, model.classes_)
            scores[np.ix_(held_out, learnable)] = fold_scores(model, X[held_out])
            growth.append(weight_growth(self.coef_[learnable], model))
        return scores, truth, float(np.mean(growth)) if growth else 1.0


def fold_scores(model, X) -> np.ndarray:
    """A fold model's decision scores of its held-out rows ``X``, from its float32 terms as stored."""
    coef, intercept = _float32_terms(model)
    return safe_sparse_dot(X, coef.T.astype(np.float64)) + intercept


def weight_growth(full_coef: np.ndarray, model) -> float:
    """How much larger the full model's weights (of the classes ``model`` learned) are than ``model``'s."""
    return float(np.linalg.norm(full_coef) / np.linalg.norm(_float32_terms(model)[0]))


def _fitted(estimator, X, y, sample_weight):
    """A clone of ``estimator`` fitted on ``X``, ``y``, with ``sample_weight`` when given.

    ``OneVsRestClassifier`` passes a weight on to its topics' models only
    through scikit-learn's metadata routing, so the weight is requested and
    routed here, for this one fit, and nowhere else.
    """
    model = clone(estimator)
    if sample_weight is None:
        return model.fit(X, y)
    if isinstance(model, OneVsRestClassifier):
        with config_context(enable_metadata_routing=True):
            model.estimator.set_fit_request(sample_weight=True)
            return model.fit(X, y, sample_weight=sample_weight)
    return model.fit(X, y, sample_weight=sample_weight)


def linear_terms(linear) -> tuple[np.ndarray, np.ndarray]:
    """Coefficients (one row per class) and intercepts of a fitted linear model or one-vs-rest set."""
    if isinstance(linear, OneVsRestClassifier):
        coef = np.vstack([estimator.coef_ for estimator in linear.estimators_])
        intercept = np.concatenate([estimator.intercept_ for estimator in linear.estimators_])
    else:
        coef, intercept = linear.coef_, np.asarray(linear.intercept_)
        if coef.shape[0] == 1:  # binary: one row, for the second class
            coef, intercept = np.vstack([-coef, coef]), np.concatenate([-intercept, intercept])
    return coef, intercept


def _float32_terms(linear) -> tuple[np.ndarray, np.ndarray]:
    """:func:`linear_terms` in float32, as the fitted model stores and scores them."""
    coef, intercept = linear_terms(linear)
    return coef.astype(np.float32), intercept.astype(np.float32)


def _fit_temperature(scores: np.ndarray, truth: np.ndarray, sample_weight=None) -> float:
    """The scale ``s`` minimising the log loss of ``softmax(s * scores)`` against Platt's targets.

    Only rows whose own class was scored count. As in Platt (1999), the targets
    are smoothed (the true class gets ``1 - 1/(n + 2)``) so that out-of-fold
    scores that happen to be all correct do not push the scale to infinity.
    """
    truth = truth.astype(bool)
    usable = ~np.isnan(scores[truth])
    scores, truth = scores[usable], truth[usable]
    weights = None if sample_weight is None else sample_weight[usable]
    if len(scores) == 0:
        return 1.0
    scored = ~np.isnan(scores)
    scores = np.where(scored, scores, -np.inf)
    smoothing = 1.0 / (len(scores) + 2)
    others = np.maximum(scored.sum(axis=1, keepdims=True) - 1, 1)
    targets = np.where(truth, 1.0 - smoothing, np.where(scored, smoothing / others, 0.0))

    def log_loss(log_scale: float) -> float:
        scaled = np.exp(log_scale) * scores
        log_probabilities = np.where(scored, scaled - logsumexp(scaled, axis=1, keepdims=True), 0.0)
        return float(-np.average(np.sum(targets * log_probabilities, axis=1), weights=weights))

    return float(np.exp(minimize_scalar(log_loss, bounds=(-6.0, 6.0), method="bounded").x))


def _fit_sigmoid(scores: np.ndarray, truth: np.ndarray, sample_weight=None) -> tuple[float, float]:
    """Platt's sigmoid, with his smoothed targets, fitted on every scored (row, topic) pair at once.

    Each pair weighs as much as its row (``sample_weight``).
    """
    usable = ~np.isnan(scores)
    pairs, outcomes = scores[usable], truth[usable].astype(bool)
    weights = None if sample_weight is None else np.broadcast_to(sample_weight[:, None], scores.shape)[usable]
    positives = outcomes.sum()
    if positives in (0, len(outcomes)):  # nothing to learn a link from
        return 1.0, 0.0
    targets = np.where(outcomes, (positives + 1) / (positives + 2), 1 / (len(outcomes) - positives + 2))

    def log_loss(parameters: np.ndarray) -> tuple[float, np.ndarray]:
        slope, offset = parameters
        logits = slope * pairs + offset
        # -[t log p + (1-t) log(1-p)] with p = sigmoid(logits), written stably
        loss = np.logaddexp(0.0, logits) - targets * logits
        residual = expit(logits) - targets
        gradient = [np.average(residual * pairs, weights=weights), np.average(residual, weights=weights)]
        return float(np.average(loss, weights=weights)), np.array(gradient)

    result = minimize(log_loss, x0=np.array([1.0, 0.0]), jac=True, method="L-BFGS-B")
    return float(result.x[0]), float(result.x[1])

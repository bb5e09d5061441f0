"""Fitting a topic model: validation split, features, linear classifier, calibration, thresholds.

The classifier is a linear SVM (``LinearSVC``): in the comparisons behind the
accuracy benchmark (README, "Model quality benchmark") it beat logistic
regression on accuracy and macro-F1 and trained 6-100 times faster. Classes are
weighted by inverse frequency
(``class_weight="balanced"``), which lifts rare topics. Its decision scores
become probabilities through :class:`~classifier.model.calibration.CalibratedLinearClassifier`
(temperature scaling fitted on out-of-fold scores), so the model stays one
linear function whose weights explain each decision exactly.

A single-label model may instead be a :class:`~classifier.model.naive_bayes.NaiveBayesScaledSVC`
(NB-SVM): training fits both and keeps the scaled one if its cross-validated accuracy on the
training rows (from the out-of-fold scores the calibration needs anyway) is higher by more than
one standard error, else the plain one. Naive-Bayes scaling helps where topics differ by
vocabulary (AG News, +0.5 to +1.1 points of validation accuracy) and hurts on HuffPost's
overlapping categories (-3 to -4.5), and the out-of-fold accuracy tells the two apart. Either way the model is
one linear function of the same features, so prediction costs the same; training a single-label
model takes about twice as long (cross-corpus: 5 s → 12 s with the fast features, 40 s → 93 s
with the accurate ones).

Multi-label models are one SVM per topic, with one Platt sigmoid for all topics; each topic's
threshold is tuned for F1 on the validation split.

Training rows weigh as :mod:`classifier.inputs.weights` says: with the default
``source_weighting="equal"``, every source as much as any other in total. Corrections from the
newsroom (``train(..., corrections=...)``) are training rows that weigh ``correction_weight``
each: in every SVM's loss, in the naive-Bayes ratios, in the calibration's log loss and in the
NB-SVM choice. They are never held out (a few hundred editors' answers are too precious to spend
on validation, and the validation scores stay comparable with a run without them); nor are rows
``adopted`` from an archive without labels. The TF-IDF vocabulary and idf count each headline
once, whatever its weight: a weight says how much a row's label counts, not that the text was
published several times.

The link is fitted on 5 folds for single-label models and 3 for multi-label ones: one SVM per
topic makes each fold cost as many fits as there are topics (5 folds would take Reuters whole
bodies over the 60 s budget), and their calibration error is already about 0.03. The solver may
take up to 5,000 iterations: a few rare Reuters topics need about 2,400 to converge, and easy
problems stop long before.

Above ``SGD_ABOVE_ROWS`` rows of data (``solver="auto"``) the SVM is fitted by stochastic gradient
descent (:mod:`classifier.model.sgd`), whose cost grows linearly with the rows, without
naive-Bayes scaling, on ``SGD_CALIBRATION_FOLDS`` folds; the job
(:func:`classifier.workflows.train_model`) then trains single-label models with word features from
the data read three times in batches, without holding it (:mod:`classifier.streaming`).
Exact duplicate training rows are fitted as one weighted row
(:func:`~classifier.inputs.duplicates.fold_duplicates`), after the features are built.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import asdict, dataclass, field, replace

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.multiclass import OneVsRestClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import MultiLabelBinarizer
from sklearn.svm import LinearSVC

from classifier import settings as defaults
from classifier.errors import DataError
from classifier.evaluation import EvaluationReport, evaluate_predictions
from classifier.inputs.datasets import LabeledData
from classifier.inputs.duplicates import fold_duplicates
from classifier.inputs.weights import training_rows
from classifier.model.batch_features import feature_parts, fit_transform_in_parts
from classifier.model.calibration import CalibratedLinearClassifier
from classifier.model.features import PROFILES, FeatureSettings, as_input
from classifier.model.naive_bayes import NaiveBayesScaledSVC
from classifier.model.sgd import EpochSGDClassifier
from classifier.model.topic_model import TopicModel
from classifier.penalty import choose_penalty
from classifier.thresholds import tune_thresholds

__all__ = [
    "TrainingResult",
    "TrainingSettings",
    "calibrated_classifier",
    "classifier_fits",
    "convergence_notes",
    "held_out_rows",
    "quiet_step",
    "train",
    "validated_result",
    "validation_split",
]

StepReporter = Callable[..., AbstractContextManager[Callable[[], None]]]
"""``step(description, total=None)``: a context manager around a slow step, yielding the function to
call each time one of its ``total`` parts is done."""


def quiet_step(description: str, total: int | None = None) -> AbstractContextManager:
    """A :data:`StepReporter` that reports nothing."""
    return nullcontext(lambda: None)


@dataclass(frozen=True)
class TrainingSettings:
    """Everything that shapes a model; stored in the manifest as hyper-parameters.

    The defaults (:mod:`classifier.settings`) are the settings that won the accuracy benchmark.
    ``calibration_folds=None`` means 5 for single-label models, 3 for multi-label
    ones (``SGD_CALIBRATION_FOLDS`` with the ``sgd`` solver); ``naive_bayes=None`` means: for
    single-label models, fit with and without naive-Bayes scaling and keep the better by
    cross-validated accuracy. ``solver`` is one of ``SOLVERS``; ``epochs`` are the ``sgd`` solver's.
    ``C=None`` means: chosen by holding out each source in turn (:mod:`classifier.penalty`).
    """

    features: FeatureSettings = field(default_factory=lambda: PROFILES[defaults.PROFILE])
    C: float | None = defaults.C
    class_weight: str | None = defaults.CLASS_WEIGHT
    multilabel: bool = False
    validation_fraction: float = defaults.VALIDATION_FRACTION
    seed: int = defaults.SEED
    label_threshold: float = defaults.LABEL_THRESHOLD
    abstain_threshold: float = defaults.ABSTAIN_THRESHOLD
    calibration_folds: int | None = None
    max_iter: int = 5000
    naive_bayes: bool | None = defaults.NAIVE_BAYES_MODES[defaults.NAIVE_BAYES]
    solver: str = defaults.SOLVER
    epochs: int = defaults.SGD_EPOCHS
    source_weighting: str = defaults.SOURCE_WEIGHTING

    def to_dict(self) -> dict:
        """JSON-ready hyper-parameters, with the name of the feature profile (or ``custom``)."""
        return {"profile": self.features.profile, **asdict(self)}


@dataclass
class TrainingResult:
    """A fitted model and what was learned about it while fitting.

    ``settings`` are the ones asked for with what training decided filled in
    (``naive_bayes``, ``calibration_folds`` and ``C`` are never ``None`` there, ``solver`` never
    ``auto``), so the
    manifest says what the model is, not what was left to choose.
    """

    model: TopicModel
    settings: TrainingSettings
    validation: EvaluationReport | None
    train_rows: int
    validation_rows: int
    seconds: float
    notes: list[str] = field(default_factory=list)
    validation_data: LabeledData | None = None  # the rows held out
    validation_scores: np.ndarray | None = None  # the model's probabilities of those rows


def validation_split(
    labels: list[tuple[str, ...]], fraction: float, seed: int
) -> tuple[list[int], list[int]]:
    """Seeded split stratified on each row's first label: the training rows and the validation rows.

    Every label with at least two rows puts ``round(fraction * count)`` of them
    (at least one, never all) in validation; a label with a single row stays in
    training, so no topic is unknown to the model because of the split.
    """
    _, first = np.unique(np.array([row[0] if row else "" for row in labels], dtype=str), return_inverse=True)
    held_out = held_out_rows(first, fraction, seed)
    return np.flatnonzero(~held_out).tolist(), np.flatnonzero(held_out).tolist()


def held_out_rows(first_labels: np.ndarray, fraction: float, seed: int) -> np.ndarray:
    """:func:`validation_split` as a mask of the validation rows, from each row's first label as a
    number (the labels numbered in sorted order): for rows too many to hold as text."""
    if not 0.0 <= fraction < 1.0:
        raise ValueError("validation fraction must be at least 0 and below 1")
    held_out = np.zeros(len(first_labels), dtype=bool)
    if fraction == 0.0 or not len(first_labels):
        return held_out
    rng = np.random.default_rng(seed)
    by_label = np.argsort(first_labels, kind="stable")  # each label's rows in row order
    ends = np.cumsum(np.bincount(first_labels))
    for start, end in zip(ends - np.bincount(first_labels), ends, strict=True):
        indices = by_label[start:end].copy()
        rng.shuffle(indices)
        n_validation = (
            0 if len(indices) < 2 else min(len(indices) - 1, max(1, round(fraction * len(indices))))
        )
        held_out[indices[:n_validation]] = True
    return held_out


def _solver(settings: TrainingSettings, rows: int) -> str:
    """The solver ``settings`` ask for, ``auto`` decided by the number of rows of data."""
    if settings.solver not in defaults.SOLVERS:
        raise ValueError(f"unknown solver {settings.solver!r}: choose from {', '.join(defaults.SOLVERS)}")
    if settings.solver != "auto":
        return settings.solver
    return "sgd" if rows > defaults.SGD_ABOVE_ROWS else "svm"


def _folds(settings: TrainingSettings) -> int:
    if settings.calibration_folds:
        return settings.calibration_folds
    if settings.solver == "sgd":
        return defaults.SGD_CALIBRATION_FOLDS
    return 3 if settings.multilabel else 5


def calibrated_classifier(
    settings: TrainingSettings, naive_bayes: bool = False, on_fit: Callable[[], None] | None = None
) -> CalibratedLinearClassifier:
    """The unfitted calibrated model of ``settings`` (whose solver is decided); ``on_fit`` is called after
    each pass (``sgd``) or each fit (``svm``) of its linear models."""
    options = {"C": settings.C, "class_weight": settings.class_weight, "random_state": settings.seed}
    if settings.solver == "sgd":
        linear = EpochSGDClassifier(**options, epochs=settings.epochs, on_epoch=on_fit)
    else:
        options["max_iter"] = settings.max_iter
        linear = NaiveBayesScaledSVC(**options) if naive_bayes else LinearSVC(**options)
    linear = OneVsRestClassifier(linear) if settings.multilabel else linear
    on_link_fit = None if settings.solver == "sgd" else on_fit
    return CalibratedLinearClassifier(
        linear, cv=_folds(settings), random_state=settings.seed, on_fit=on_link_fit
    )


def classifier_fits(settings: TrainingSettings, labels: int) -> int:
    """How many times :func:`_fit_classifier` calls ``on_fit``: the progress bar's total."""
    fits = 1 + _folds(settings)
    if settings.solver == "sgd":
        return fits * settings.epochs * (labels if settings.multilabel else 1)
    return fits if settings.naive_bayes is not None or settings.multilabel else 2 * fits


def _targets(data: LabeledData, settings: TrainingSettings) -> tuple[np.ndarray, tuple[str, ...]]:
    if settings.multilabel:
        binarizer = MultiLabelBinarizer()
        matrix = binarizer.fit_transform(data.labels)
        return matrix, tuple(str(label) for label in binarizer.classes_)
    first = np.array([row[0] for row in data.labels], dtype=object)
    return first, tuple(sorted(set(first.tolist())))


def _fit_classifier(
    X,
    targets: np.ndarray,
    settings: TrainingSettings,
    weights: np.ndarray | None = None,
    on_fit: Callable[[], None] | None = None,
) -> CalibratedLinearClassifier:
    """The calibrated SVM, with or without naive-Bayes scaling as ``settings.naive_bayes`` says.

    Undecided (``None``) single-label models fit both and keep the scaled one
    only if its out-of-fold accuracy is higher by more than one standard error
    of the paired difference (the one-standard-error rule: the simpler model
    unless the other is better beyond noise), each row counting as much as its
    weight. Multi-label models stay plain: one SVM per topic would make the
    choice cost too much time; so do models of the ``sgd`` solver.
    """
    if settings.naive_bayes is not None or settings.multilabel or settings.solver == "sgd":
        naive_bayes = bool(settings.naive_bayes) and settings.solver != "sgd"
        return calibrated_classifier(settings, naive_bayes, on_fit).fit(X, targets, sample_weight=weights)
    plain = calibrated_classifier(settings, on_fit=on_fit).fit(X, targets, sample_weight=weights)
    scaled = calibrated_classifier(settings, naive_bayes=True, on_fit=on_fit).fit(
        X, targets, sample_weight=weights
    )
    gain = scaled.out_of_fold_correct_.astype(float) - plain.out_of_fold_correct_
    mean = np.average(gain, weights=weights)
    spread = np.sqrt(np.average((gain - mean) ** 2, weights=weights))
    return scaled if mean > spread / np.sqrt(len(gain)) else plain


def _forget_progress(classifier: CalibratedLinearClassifier) -> None:
    """Drop the progress callbacks from the fitted model: they belong to this run, not to the model file."""
    names = [name for name in classifier.get_params(deep=True) if name.endswith(("on_fit", "on_epoch"))]
    classifier.set_params(**dict.fromkeys(names))


def _uses_naive_bayes(classifier: CalibratedLinearClassifier) -> bool:
    """Whether the SVM (or, multi-label, each topic's SVM) scales features by naive Bayes."""
    estimator = classifier.estimator
    if isinstance(estimator, OneVsRestClassifier):
        estimator = estimator.estimator
    return isinstance(estimator, NaiveBayesScaledSVC)


def train(
    data: LabeledData,
    settings: TrainingSettings | None = None,
    *,
    step: StepReporter | None = None,
    corrections: LabeledData | None = None,
    correction_weight: float = 1.0,
    adopted: LabeledData | None = None,
) -> TrainingResult:
    """Fit a :class:`TopicModel` on ``data``, holding out a validation split.

    Parameters
    ----------
    corrections
        Rows that always train, never validate, each counting
        ``correction_weight`` times as much as a row of ``data`` (see the
        module docstring).
    adopted
        Rows that always train, never validate, weighed as one more source
        (:func:`classifier.adaptation.train_adapted`).
    step
        ``step(description, total=None)`` is entered around each slow step (a context
        manager yielding the function to call as each of its ``total`` parts ends: each
        pass or fit of the linear models), so a caller can show progress; the core itself
        prints nothing.
    """
    settings = settings or TrainingSettings()
    step = step or quiet_step
    started = time.perf_counter()
    train_idx, validation_idx = validation_split(data.labels, settings.validation_fraction, settings.seed)
    training, weights, weighing = training_rows(
        data.subset(train_idx), settings.source_weighting, corrections, correction_weight, adopted
    )
    train_rows = len(training)
    settings = replace(settings, solver=_solver(settings, len(data)))
    targets, labels = _targets(training, settings)
    if len(labels) < 2:
        raise DataError(f"need at least two different labels to train, found {list(labels) or 'none'}")
    notes = [weighing] if weighing else []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        parts = feature_parts(len(training), settings.features)
        with step(f"Building features of {len(training):,} rows", parts) as done:
            features, X = fit_transform_in_parts(
                settings.features, as_input(training.headlines, training.teasers), done
            )
        kept, weights = fold_duplicates(training, weights)
        if kept is not None:
            notes.append(f"{train_rows - len(kept):,} exact duplicate training rows were fitted as weights")
            training, X, targets = training.subset(kept), X[kept], targets[kept]
        penalty = choose_penalty(X, targets, training.row_sources, weights, settings, step)
        settings = replace(settings, C=penalty.C)
        notes += filter(None, [penalty.note()])
        fits = classifier_fits(settings, len(labels))
        with step(f"Fitting the classifier ({settings.solver})", fits) as done:
            classifier = _fit_classifier(X, targets, settings, weights, done)
        _forget_progress(classifier)
        pipeline = Pipeline([("features", features), ("classifier", classifier)])
    chosen = replace(
        settings,
        naive_bayes=_uses_naive_bayes(classifier),
        calibration_folds=classifier.cv,
    )
    notes += convergence_notes(caught, settings.max_iter)
    validation = data.subset(validation_idx) if validation_idx else None
    return validated_result(pipeline, labels, chosen, validation, train_rows, notes, started, step)


def convergence_notes(caught: list[warnings.WarningMessage], max_iter: int) -> list[str]:
    """The note for the ``ConvergenceWarning``s among warnings ``caught`` while fitting; any other
    warning is not ours to hide, and is issued again."""
    for warning in caught:
        if not issubclass(warning.category, ConvergenceWarning):
            warnings.warn_explicit(warning.message, warning.category, warning.filename, warning.lineno)
    if any(issubclass(warning.category, ConvergenceWarning) for warning in caught):
        return [f"the solver did not fully converge in {max_iter} iterations"]
    return []


def validated_result(
    pipeline: Pipeline,
    labels: tuple[str, ...],
    settings: TrainingSettings,
    validation: LabeledData | None,
    train_rows: int,
    notes: list[str],
    started: float,
    step: StepReporter,
) -> TrainingResult:
    """The fitted ``pipeline`` as a :class:`TopicModel`, scored on the ``validation`` rows (multi-label:
    with each label's threshold tuned on them first), and everything :class:`TrainingResult` records."""
    thresholds = np.full(len(labels), settings.label_threshold)
    model = TopicModel(pipeline, labels, settings.multilabel, thresholds, settings.abstain_threshold)
    report = validation_scores = None
    if validation is not None:
        with step(f"Validating on {len(validation):,} held-out rows"):
            validation_scores = model.scores(validation.headlines, validation.teasers)
            if settings.multilabel:
                model.thresholds = tune_thresholds(model, validation, validation_scores)
            predictions = model.decide(validation_scores)
            report = evaluate_predictions(
                validation.labels, predictions, labels, multilabel=settings.multilabel
            )
    return TrainingResult(
        model,
        settings,
        report,
        train_rows,
        len(validation) if validation is not None else 0,
        time.perf_counter() - started,
        notes,
        validation,
        validation_scores,
    )

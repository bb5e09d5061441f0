"""Fitting a topic model: validation split, features, linear classifier, calibration, thresholds.

The classifier is a linear SVM (``LinearSVC``): in the comparisons behind the
accuracy benchmark (README, "Model quality benchmark") it beat logistic
regression on accuracy and macro-F1 and trained 6-100 times faster. Classes are
weighted by inverse frequency
(``class_weight="balanced"``), which lifts rare topics. Its decision scores
become probabilities through :class:`~classifier.calibration.CalibratedLinearClassifier`
(temperature scaling fitted on out-of-fold scores), so the model stays one
linear function whose weights explain each decision exactly.

Multi-label models are one SVM per topic, with one Platt sigmoid for all
topics; each topic's threshold is tuned for F1 on the validation split.
"""

from __future__ import annotations

import time
import warnings
from collections import defaultdict
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import asdict, dataclass, field

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import f1_score
from sklearn.multiclass import OneVsRestClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import MultiLabelBinarizer
from sklearn.svm import LinearSVC

from classifier.calibration import CalibratedLinearClassifier
from classifier.datasets import LabeledData
from classifier.errors import DataError
from classifier.evaluation import EvaluationReport, evaluate_predictions
from classifier.features import FeatureSettings, as_input, build_features
from classifier.model import TopicModel

__all__ = ["MIN_POSITIVES_TO_TUNE", "TrainingResult", "TrainingSettings", "train", "validation_split"]

StepReporter = Callable[[str], AbstractContextManager]


@dataclass(frozen=True)
class TrainingSettings:
    """Everything that shapes a model; stored in the manifest as hyper-parameters.

    The defaults are the settings that won the accuracy benchmark.
    """

    features: FeatureSettings = field(default_factory=FeatureSettings)
    C: float = 1.0
    class_weight: str | None = "balanced"
    multilabel: bool = False
    validation_fraction: float = 0.1
    seed: int = 0
    label_threshold: float = 0.25
    abstain_threshold: float = 0.0
    calibration_folds: int = 3
    max_iter: int = 1000

    def to_dict(self) -> dict:
        """JSON-ready hyper-parameters, with the name of the feature profile (or ``custom``)."""
        return {"profile": self.features.profile, **asdict(self)}


@dataclass
class TrainingResult:
    """A fitted model and what was learned about it while fitting."""

    model: TopicModel
    validation: EvaluationReport | None
    train_rows: int
    validation_rows: int
    seconds: float
    notes: list[str] = field(default_factory=list)


def validation_split(
    labels: list[tuple[str, ...]], fraction: float, seed: int
) -> tuple[list[int], list[int]]:
    """Seeded split stratified on each row's first label.

    Every label with at least two rows puts ``round(fraction * count)`` of them
    (at least one, never all) in validation; a label with a single row stays in
    training, so no topic is unknown to the model because of the split.
    """
    if not 0.0 <= fraction < 1.0:
        raise ValueError("validation fraction must be at least 0 and below 1")
    if fraction == 0.0:
        return list(range(len(labels))), []
    by_label: dict[str, list[int]] = defaultdict(list)
    for index, row in enumerate(labels):
        by_label[row[0] if row else ""].append(index)
    rng = np.random.default_rng(seed)
    train, validation = [], []
    for label in sorted(by_label):
        indices = np.array(by_label[label])
        rng.shuffle(indices)
        n_validation = (
            0 if len(indices) < 2 else min(len(indices) - 1, max(1, round(fraction * len(indices))))
        )
        validation.extend(indices[:n_validation].tolist())
        train.extend(indices[n_validation:].tolist())
    return sorted(train), sorted(validation)


def _classifier(settings: TrainingSettings) -> CalibratedLinearClassifier:
    svm = LinearSVC(
        C=settings.C,
        class_weight=settings.class_weight,
        max_iter=settings.max_iter,
        random_state=settings.seed,
    )
    linear = OneVsRestClassifier(svm) if settings.multilabel else svm
    return CalibratedLinearClassifier(linear, cv=settings.calibration_folds, random_state=settings.seed)


def _targets(data: LabeledData, settings: TrainingSettings) -> tuple[np.ndarray, tuple[str, ...]]:
    if settings.multilabel:
        binarizer = MultiLabelBinarizer()
        matrix = binarizer.fit_transform(data.labels)
        return matrix, tuple(str(label) for label in binarizer.classes_)
    first = np.array([row[0] for row in data.labels], dtype=object)
    return first, tuple(sorted(set(first.tolist())))


_THRESHOLD_GRID = np.round(np.arange(0.05, 0.96, 0.05), 2)
# A label needs this many validation rows before it gets a threshold of its own:
# with fewer, the F1-best threshold is mostly noise.
MIN_POSITIVES_TO_TUNE = 5


def _tune_thresholds(model: TopicModel, validation: LabeledData) -> np.ndarray:
    """Per-label thresholds tuned for F1 on the validation rows.

    First one threshold for all labels, the one with the best micro-F1; then,
    for each label with at least :data:`MIN_POSITIVES_TO_TUNE` validation rows,
    the threshold with the best F1 of that label (of equally good ones, the one
    closest to the shared threshold). Each row keeps its top label, as in
    :meth:`TopicModel.predict`.
    """
    scores = model.scores(validation.headlines, validation.teasers)
    truth = MultiLabelBinarizer(classes=list(model.labels)).fit_transform(
        [[label for label in row if label in model.labels] for row in validation.labels]
    )
    top = scores == scores.max(axis=1, keepdims=True)

    def decided(threshold):
        return (scores >= threshold) | top

    shared = _best(
        _THRESHOLD_GRID, [f1_score(truth, decided(t), average="micro") for t in _THRESHOLD_GRID], 0.5
    )
    thresholds = np.full(len(model.labels), shared)
    for column in np.flatnonzero(truth.sum(axis=0) >= MIN_POSITIVES_TO_TUNE):
        f1s = [f1_score(truth[:, column], decided(t)[:, column], zero_division=0) for t in _THRESHOLD_GRID]
        thresholds[column] = _best(_THRESHOLD_GRID, f1s, shared)
    return thresholds


def _best(grid: np.ndarray, scores: list[float], anchor: float) -> float:
    """The grid value with the highest score; of ties, the one closest to ``anchor``."""
    scores = np.asarray(scores)
    ties = grid[scores >= scores.max() - 1e-12]
    return float(ties[np.argmin(np.abs(ties - anchor))])


def train(
    data: LabeledData, settings: TrainingSettings | None = None, *, step: StepReporter | None = None
) -> TrainingResult:
    """Fit a :class:`TopicModel` on ``data``, holding out a validation split.

    Parameters
    ----------
    step
        Called with a description around each slow step (a context manager),
        so a caller can show progress; the core itself prints nothing.
    """
    settings = settings or TrainingSettings()
    step = step or (lambda description: nullcontext())
    started = time.perf_counter()
    train_idx, validation_idx = validation_split(data.labels, settings.validation_fraction, settings.seed)
    training = data.subset(train_idx)
    targets, labels = _targets(training, settings)
    if len(labels) < 2:
        raise DataError(f"need at least two different labels to train, found {list(labels) or 'none'}")
    pipeline = Pipeline(
        [("features", build_features(settings.features)), ("classifier", _classifier(settings))]
    )
    notes: list[str] = []
    with (
        step(f"Fitting features and classifier on {len(training):,} rows"),
        warnings.catch_warnings(record=True) as caught,
    ):
        warnings.simplefilter("always", ConvergenceWarning)
        pipeline.fit(as_input(training.headlines, training.teasers), targets)
    for warning in caught:
        if issubclass(warning.category, ConvergenceWarning):
            notes.append(f"the solver did not fully converge in {settings.max_iter} iterations")
            break
    for warning in caught:  # anything else is not ours to hide
        if not issubclass(warning.category, ConvergenceWarning):
            warnings.warn_explicit(warning.message, warning.category, warning.filename, warning.lineno)
    thresholds = np.full(len(labels), settings.label_threshold)
    model = TopicModel(pipeline, labels, settings.multilabel, thresholds, settings.abstain_threshold)
    report = None
    if validation_idx:
        validation = data.subset(validation_idx)
        with step(f"Validating on {len(validation):,} held-out rows"):
            if settings.multilabel:
                model.thresholds = _tune_thresholds(model, validation)
            predictions = model.predict(validation.headlines, validation.teasers)
            report = evaluate_predictions(
                validation.labels, predictions, labels, multilabel=settings.multilabel
            )
    return TrainingResult(
        model, report, len(train_idx), len(validation_idx), time.perf_counter() - started, notes
    )

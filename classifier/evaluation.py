"""Scoring a model against labelled data: accuracy, F1 (macro, micro, weighted), per-label
precision/recall/F1, the confusion matrix, and for multi-label models Hamming loss and
subset accuracy.

Rows whose true label the model does not know are not dropped: they count as
errors (the model cannot have got them right) and are reported, so a label-map
mistake shows up as a low score instead of a flattering one. Averages run over
the labels that occur in the truth or in the predictions: a model label absent
from both says nothing about the model and is left out (as scikit-learn does
when no label list is given).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from sklearn.metrics import f1_score, hamming_loss, precision_recall_fscore_support
from sklearn.preprocessing import MultiLabelBinarizer

from classifier.model.topic_model import Prediction, TopicModel

__all__ = ["EvaluationReport", "evaluate_predictions", "predict_rows"]

ABSTAINED = "(abstained)"


@dataclass
class EvaluationReport:
    """Metrics of one evaluation run; :meth:`to_dict` is the ``evaluate --json`` shape."""

    n: int
    multilabel: bool
    accuracy: float
    macro_f1: float
    micro_f1: float
    weighted_f1: float
    per_label: dict[str, dict[str, float]]
    abstained: int = 0
    unknown_label_rows: int = 0
    unknown_labels: dict[str, int] = field(default_factory=dict)
    confusion: dict[str, dict[str, int]] | None = None
    hamming_loss: float | None = None
    subset_accuracy: float | None = None

    def to_dict(self) -> dict:
        """Plain JSON-ready dict (floats rounded to 6 places)."""

        def rounded(value):
            if isinstance(value, float):
                return round(value, 6)
            if isinstance(value, dict):
                return {key: rounded(item) for key, item in value.items()}
            return value

        return {key: rounded(value) for key, value in self.__dict__.items() if value is not None}


def predict_rows(
    model: TopicModel, headlines: Sequence[str], teasers: Sequence[str], *, batch_size: int = 4096
) -> list[Prediction]:
    """The model's predictions of every row, one vectorised call per batch of ``batch_size`` rows."""
    predictions = []
    for start in range(0, len(headlines), batch_size):
        stop = start + batch_size
        predictions.extend(model.predict(headlines[start:stop], teasers[start:stop]))
    return predictions


def evaluate_predictions(
    true_labels: Sequence[tuple[str, ...]],
    predictions: Sequence[Prediction],
    model_labels: Sequence[str],
    *,
    multilabel: bool,
) -> EvaluationReport:
    """Compare predictions with the true labels.

    For a single-label model the first true label is the one that counts.
    """
    if len(true_labels) != len(predictions):
        raise ValueError(f"{len(true_labels)} true label sets but {len(predictions)} predictions")
    if not true_labels:
        raise ValueError("nothing to evaluate: no labelled rows")
    known = set(model_labels)
    unknown = Counter(label for labels in true_labels for label in labels if label not in known)
    unknown_rows = sum(1 for labels in true_labels if any(label not in known for label in labels))
    abstained = sum(1 for p in predictions if p.abstained)
    if multilabel:
        report = _multilabel(true_labels, predictions, list(model_labels))
    else:
        report = _single_label(true_labels, predictions, list(model_labels))
    report.abstained = abstained
    report.unknown_label_rows = unknown_rows
    report.unknown_labels = dict(unknown.most_common())
    return report


def _per_label(y_true, y_pred, labels: list[str], columns: list) -> dict[str, dict[str, float]]:
    """Precision, recall, F1 and support of each label; ``columns`` are the label
    names (single-label) or indicator column numbers (multi-label)."""
    precision, recall, f1, support = precision_recall_fscore_support(
        y_true, y_pred, labels=columns, zero_division=0
    )
    return {
        label: {"precision": float(p), "recall": float(r), "f1": float(f), "support": int(s)}
        for label, p, r, f, s in zip(labels, precision, recall, f1, support, strict=True)
    }


def _single_label(true_labels, predictions, labels: list[str]) -> EvaluationReport:
    y_true = [row[0] if row else ABSTAINED for row in true_labels]
    y_pred = [p.label if p.label is not None else ABSTAINED for p in predictions]
    confusion: dict[str, dict[str, int]] = {label: {} for label in labels}
    for truth, guess in zip(y_true, y_pred, strict=True):
        if truth in confusion:
            confusion[truth][guess] = confusion[truth].get(guess, 0) + 1

    present = sorted((set(y_true) | set(y_pred)) - {ABSTAINED})

    def f1(average: str) -> float:
        return float(f1_score(y_true, y_pred, labels=present, average=average, zero_division=0))

    return EvaluationReport(
        n=len(y_true),
        multilabel=False,
        accuracy=float(np.mean([t == p for t, p in zip(y_true, y_pred, strict=True)])),
        macro_f1=f1("macro"),
        micro_f1=f1("micro"),
        weighted_f1=f1("weighted"),
        per_label=_per_label(y_true, y_pred, present, present),
        confusion={truth: dict(sorted(row.items())) for truth, row in confusion.items()},
    )


def _multilabel(true_labels, predictions, labels: list[str]) -> EvaluationReport:
    # Unknown true labels get columns too: the model never predicts them, so they
    # count as misses.
    unknown = sorted({label for row in true_labels for label in row} - set(labels))
    columns = list(labels) + unknown
    binarizer = MultiLabelBinarizer(classes=columns)
    y_true = binarizer.fit_transform(true_labels)
    y_pred = binarizer.transform([[s.label for s in p.labels] for p in predictions])
    present = [i for i in range(len(columns)) if y_true[:, i].any() or y_pred[:, i].any()]

    def f1(average: str) -> float:
        return float(f1_score(y_true, y_pred, labels=present, average=average, zero_division=0))

    exact = [set(row) == {s.label for s in p.labels} for row, p in zip(true_labels, predictions, strict=True)]
    subset_accuracy = float(np.mean(exact))
    return EvaluationReport(
        n=len(true_labels),
        multilabel=True,
        accuracy=subset_accuracy,
        macro_f1=f1("macro"),
        micro_f1=f1("micro"),
        weighted_f1=f1("weighted"),
        per_label=_per_label(y_true, y_pred, [columns[i] for i in present], present),
        hamming_loss=float(hamming_loss(y_true, y_pred)),
        subset_accuracy=subset_accuracy,
    )

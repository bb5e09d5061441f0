"""fastText as the benchmark's baseline, with its usual settings, tuned on a validation split only.

fastText reads whitespace-separated tokens from a file of ``__label__X text``
lines. Both training and test text get the same treatment: headline and teaser
joined, lower-cased and split into words and punctuation. The model uses word
bigrams; epochs and learning rate (and, for multi-label, the score threshold of
its one-vs-all loss) are the best of a small grid on the validation rows.
"""

from __future__ import annotations

import re
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from itertools import product
from pathlib import Path

import fasttext
import numpy as np

from classifier.evaluation import EvaluationReport, evaluate_predictions
from classifier.inputs.datasets import LabeledData
from classifier.model.topic_model import LabelScore, Prediction

__all__ = ["LABEL_PREFIX", "FastTextRun", "label_token", "run_fasttext", "tokenize"]

EPOCHS = (5, 10, 25, 50)
LEARNING_RATES = (0.1, 0.5, 1.0)
THRESHOLDS = tuple(float(t) for t in np.round(np.arange(0.05, 0.96, 0.05), 2))
_TOKEN = re.compile(r"\w+|[^\w\s]")
LABEL_PREFIX = "__label__"


def tokenize(headline: str, teaser: str) -> str:
    """Headline and teaser as one line of lower-cased words and punctuation."""
    return " ".join(_TOKEN.findall(f"{headline} {teaser}".lower()))


def _lines(data: LabeledData) -> list[str]:
    return [tokenize(h, t) for h, t in zip(data.headlines, data.teasers, strict=True)]


def label_token(label: str) -> str:
    """fastText's token for ``label`` (its labels are single tokens)."""
    return LABEL_PREFIX + label.replace(" ", "_")


@dataclass
class FastTextRun:
    """The tuned fastText model's test scores and costs."""

    report: EvaluationReport
    params: dict
    train_seconds: float
    predict_test: Callable[[], list[Prediction]]  # tokenizes and predicts the test rows
    validation_confidences: np.ndarray
    validation_correct: np.ndarray


class _Model:
    """A trained fastText model whose answers are turned into headline-tagger predictions.

    As in headline-tagger, a multi-label answer lists every label whose score
    reaches the threshold and always the top one.
    """

    def __init__(self, model, labels: dict[str, str], multilabel: bool):
        self.model, self.labels, self.multilabel = model, labels, multilabel

    def scores(self, lines: list[str]) -> tuple[list, list]:
        """fastText's labels and probabilities, best first (all labels when multi-label)."""
        return self.model.predict(lines, k=-1 if self.multilabel else 1, threshold=0.0)

    def decide(self, scores: tuple[list, list], threshold: float) -> list[Prediction]:
        predictions = []
        for tokens, probabilities in zip(*scores, strict=True):
            ranked = [
                LabelScore(self.labels[t], float(p)) for t, p in zip(tokens, probabilities, strict=True)
            ]
            listed = ranked[:1] + [s for s in ranked[1:] if self.multilabel and s.score >= threshold]
            predictions.append(Prediction(ranked[0].label, ranked[0].score, tuple(listed), False))
        return predictions


def _fit(path: Path, epoch: int, lr: float, multilabel: bool, seed: int):
    return fasttext.train_supervised(
        str(path),
        epoch=epoch,
        lr=lr,
        wordNgrams=2,
        loss="ova" if multilabel else "softmax",
        seed=seed,
        thread=1,  # one thread keeps runs reproducible
        verbose=0,
    )


def run_fasttext(
    train: LabeledData, validation: LabeledData, test: LabeledData, *, multilabel: bool, seed: int = 0
) -> FastTextRun:
    """Fit fastText on ``train`` for each setting of the grid, keep the best on ``validation``,
    and score it on ``test``."""
    labels = {label_token(label): label for row in train.labels for label in row}
    known = sorted(set(labels.values()))
    metric = "micro_f1" if multilabel else "accuracy"
    validation_lines = _lines(validation)
    best = None
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "train.txt"
        rows = zip(train.labels, _lines(train), strict=True)
        path.write_text(
            "".join(" ".join(map(label_token, row)) + f" {line}\n" for row, line in rows), encoding="utf-8"
        )
        for epoch, lr in product(EPOCHS, LEARNING_RATES):
            started = time.perf_counter()
            model = _Model(_fit(path, epoch, lr, multilabel, seed), labels, multilabel)
            seconds = time.perf_counter() - started
            scores = model.scores(validation_lines)
            for threshold in THRESHOLDS if multilabel else (1.0,):
                predictions = model.decide(scores, threshold)
                value = getattr(
                    evaluate_predictions(validation.labels, predictions, known, multilabel=multilabel), metric
                )
                if best is None or value > best[0]:
                    best = (value, model, threshold, {"epoch": epoch, "lr": lr, "wordNgrams": 2}, seconds)
    _, model, threshold, params, train_seconds = best
    if multilabel:
        params["threshold"] = threshold

    def predict_test() -> list[Prediction]:
        return model.decide(model.scores(_lines(test)), threshold)

    report = evaluate_predictions(test.labels, predict_test(), known, multilabel=multilabel)
    answers = model.decide(model.scores(validation_lines), threshold)
    confidences = np.array([p.score for p in answers])
    correct = np.array([p.label in row for p, row in zip(answers, validation.labels, strict=True)])
    return FastTextRun(report, params, train_seconds, predict_test, confidences, correct)

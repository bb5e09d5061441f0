"""Label audit: rows of a labelled archive whose given label is probably wrong.

Confident learning (Northcutt, Jiang & Chuang, 2021) through ``cleanlab``:
each row gets a probability for every label from a model that never saw it
(out-of-fold: the data is cut into ``folds`` stratified parts and each part is
scored by the default recipe trained on the others), then
``cleanlab.filter.find_label_issues`` flags the rows whose given label the
model confidently disagrees with, after estimating how often each label is
mistaken for each other one, and ranks them by self-confidence: the
probability the model gives the given label, lowest first.

A saved model can stand in for the cross-validation, which is faster, but only
on rows it was not trained on: a model's probabilities on its own training
rows agree with their labels, errors included, and hide them.

Audit is single-label: a row's one given label is what is checked. Data with
several labels per row is refused with a clear error.
"""

from __future__ import annotations

import warnings
from collections import Counter
from dataclasses import dataclass, replace

import numpy as np
from sklearn.model_selection import StratifiedKFold

from classifier.errors import DataError
from classifier.inputs.datasets import LabeledData
from classifier.model.topic_model import TopicModel
from classifier.training import TrainingSettings, train

__all__ = ["LabelIssue", "find_label_issues", "out_of_fold_probabilities"]


@dataclass(frozen=True)
class LabelIssue:
    """A row whose given label is probably wrong, with the label the model suggests instead.

    ``self_confidence`` is the out-of-fold probability of the given label: the
    lower, the surer the model is that the label is wrong.
    """

    source: str
    line: int
    headline: str
    given: str
    suggested: str
    self_confidence: float

    def to_dict(self) -> dict:
        """The JSON shape of one row of ``audit``'s output."""
        return {
            "source": self.source,
            "line": self.line,
            "headline": self.headline,
            "given": self.given,
            "suggested": self.suggested,
            "self_confidence": round(self.self_confidence, 6),
        }


def out_of_fold_probabilities(
    data: LabeledData, labels: tuple[str, ...], *, folds: int = 5, settings: TrainingSettings | None = None
) -> np.ndarray:
    """Each row's probabilities, columns in ``labels`` order, from a model trained without its fold.

    The folds are stratified on the given label; a label a fold's model never
    saw gets probability 0 in that fold.
    """
    settings = settings or TrainingSettings(validation_fraction=0.0)
    given = [row[0] for row in data.labels]
    column = {label: index for index, label in enumerate(labels)}
    probabilities = np.zeros((len(data), len(labels)))
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=settings.seed)
    for fit_rows, held_out in splitter.split(np.zeros(len(given)), given):
        model = train(data.subset(fit_rows), settings).model
        held = data.subset(held_out)
        columns = [column[label] for label in model.labels]
        probabilities[np.ix_(held_out, columns)] = model.scores(held.headlines, held.teasers)
    return probabilities


def find_label_issues(
    data: LabeledData,
    *,
    model: TopicModel | None = None,
    folds: int = 5,
    seed: int = 0,
    settings: TrainingSettings | None = None,
) -> list[LabelIssue]:
    """The rows of ``data`` whose given label is probably wrong, surest first.

    Parameters
    ----------
    model
        Score the rows with this model instead of cross-validating the default
        recipe; only sound on rows it was not trained on.
    folds, seed
        Folds of the cross-validation (at least 2), and the seed of the folds and fits.
    settings
        The recipe to cross-validate (default: the default recipe); its
        validation fraction and seed are replaced by 0 and ``seed``.

    Raises
    ------
    DataError
        Rows with several labels, fewer than two labels, a label with fewer
        rows than folds, or (with ``model``) a label the model does not know.
    """
    from cleanlab.filter import find_label_issues as cleanlab_issues  # pandas: only when auditing

    if any(len(row) != 1 for row in data.labels):
        several = sum(len(row) > 1 for row in data.labels)
        raise DataError(f"audit is single-label only: {several:,} rows have several labels")
    given = [row[0] for row in data.labels]
    if model is not None:
        unknown = sorted(set(given) - set(model.labels))
        if unknown:
            raise DataError(f"labels the model does not know: {', '.join(unknown)}")
        labels = model.labels
        probabilities = model.scores(data.headlines, data.teasers)
    else:
        labels = tuple(sorted(set(given)))
        _check_folds(given, labels, folds)
        settings = replace(settings or TrainingSettings(), validation_fraction=0.0, seed=seed)
        probabilities = out_of_fold_probabilities(data, labels, folds=folds, settings=settings)
    index = {label: number for number, label in enumerate(labels)}
    targets = np.array([index[label] for label in given])
    with warnings.catch_warnings():
        # cleanlab warns when a label has no predicted rows at all, which tiny sets often have; the
        # result is still right, and a warning is no answer a user can act on.
        warnings.simplefilter("ignore")
        ranked = cleanlab_issues(targets, probabilities, return_indices_ranked_by="self_confidence", n_jobs=1)
    locations = data.locations or [("", 0)] * len(data)
    return [
        LabelIssue(
            source=locations[row][0],
            line=locations[row][1],
            headline=data.headlines[row],
            given=given[row],
            suggested=labels[int(probabilities[row].argmax())],
            self_confidence=float(probabilities[row, targets[row]]),
        )
        for row in ranked
    ]


def _check_folds(given: list[str], labels: tuple[str, ...], folds: int) -> None:
    if folds < 2:
        raise ValueError("need at least 2 folds")
    if len(labels) < 2:
        raise DataError(f"need at least two different labels to audit, found {list(labels)}")
    counts = Counter(given)
    rare = sorted(label for label, count in counts.items() if count < folds)
    if rare:
        raise DataError(
            f"every label needs at least {folds} rows for {folds} folds; too few: {', '.join(rare)}"
            " (lower --folds, or leave those rows out)"
        )

"""Choosing the SVM's penalty C by holding out one training source at a time.

How strongly to regularise depends on what the model will meet. On leave one
outlet out (bench/README.md, "Levers, each measured") a stronger penalty, C = 0.3,
lifted every unseen outlet (+1.3 points of macro-F1), while on the in-domain
protocols it cost up to 1.2 points of accuracy (BBC 0.946 → 0.934). A model
trained on several sources can tell which case it is in: fitted on all sources
but one and scored on that one, in turn, each candidate C shows how it carries
to an outlet it has not seen. With fewer than two sources there is nothing to
hold out, and C stays at the first candidate.

The candidates are fitted as plain ``LinearSVC`` (no calibration, no naive-Bayes
scaling) on at most :data:`~classifier.settings.PENALTY_ROWS_PER_SOURCE` rows of
each source, so choosing costs a bounded number of fits whatever the archive's
size. Each held-out source is scored by its macro-F1 over the labels it has, and
sources count equally. The chosen C is the first candidate (they go from the
weakest penalty to the strongest) whose mean is within
:data:`~classifier.settings.PENALTY_MIN_GAIN` of the best: of nearly equal
scores, the one that departs least from the default.
Multi-label models keep the first candidate: one SVM per topic would multiply
the fits by the number of topics.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from sklearn.metrics import f1_score
from sklearn.svm import LinearSVC

from classifier import settings as defaults
from classifier.inputs.datasets import UNKNOWN_SOURCE

if TYPE_CHECKING:
    from classifier.training import StepReporter, TrainingSettings

__all__ = ["PenaltyChoice", "choose_penalty"]


@dataclass(frozen=True)
class PenaltyChoice:
    """The chosen C, and each candidate's mean held-out macro-F1 (empty when nothing was held out)."""

    C: float
    scores: dict[float, float]

    def note(self) -> str | None:
        """One line on how C was chosen, or None when it was not."""
        if not self.scores:
            return None
        others = ", ".join(f"C={c:g}: {score:.3f}" for c, score in self.scores.items() if c != self.C)
        return (
            f"C={self.C:g} chosen by holding out each source in turn: mean macro-F1"
            f" {self.scores[self.C]:.3f} ({others})"
        )


def choose_penalty(
    X,
    targets: np.ndarray,
    row_sources: list[int],
    weights: np.ndarray | None,
    settings: TrainingSettings,
    step: StepReporter,
    candidates: tuple[float, ...] = defaults.C_CHOICES,
) -> PenaltyChoice:
    """``settings.C`` when set, else the candidate whose models score best on the sources they were
    not fitted on.

    ``row_sources`` gives each row of ``X`` its source; rows of
    :data:`~classifier.inputs.datasets.UNKNOWN_SOURCE` always train and are never held out.
    A source is held out only if the others have at least two labels. ``step`` is training's
    progress reporter, entered only when there is something to choose.
    """
    if settings.C is not None:
        return PenaltyChoice(settings.C, {})
    groups = np.asarray(row_sources) if row_sources else np.full(X.shape[0], UNKNOWN_SOURCE)
    held_out = [
        int(g) for g in np.unique(groups) if g != UNKNOWN_SOURCE and len(np.unique(targets[groups != g])) > 1
    ]
    if settings.multilabel or len(held_out) < 2:
        return PenaltyChoice(candidates[0], {})
    rows = sample_per_source(groups, defaults.PENALTY_ROWS_PER_SOURCE, settings.seed)
    X, targets, groups = X[rows], targets[rows], groups[rows]
    weights = None if weights is None else weights[rows]
    scores = {}
    with step("Choosing C by holding out each source", len(candidates) * len(held_out)) as done:
        for C in candidates:
            per_source = []
            for source in held_out:
                per_source.append(_held_out_f1(X, targets, weights, groups == source, C, settings))
                done()
            scores[C] = float(np.mean(per_source))
    best = max(scores.values())
    chosen = next(C for C in candidates if scores[C] >= best - defaults.PENALTY_MIN_GAIN)
    return PenaltyChoice(chosen, scores)


def _held_out_f1(X, targets, weights, scored: np.ndarray, C: float, settings: TrainingSettings) -> float:
    """Macro-F1, over the labels it has, of the ``scored`` rows by an SVM fitted on the others."""
    fitted, seed = ~scored, settings.seed
    svm = LinearSVC(C=C, class_weight=settings.class_weight, max_iter=settings.max_iter, random_state=seed)
    svm.fit(X[fitted], targets[fitted], sample_weight=None if weights is None else weights[fitted])
    truth = targets[scored]
    return float(f1_score(truth, svm.predict(X[scored]), labels=np.unique(truth), average="macro"))


def sample_per_source(groups: np.ndarray, limit: int, seed: int) -> np.ndarray:
    """Row indices: every row of a group with at most ``limit`` rows, else ``limit`` of them at random."""
    rng = np.random.default_rng(seed)
    picked = []
    for group in np.unique(groups):
        members = np.flatnonzero(groups == group)
        picked.append(members if len(members) <= limit else rng.choice(members, limit, replace=False))
    return np.sort(np.concatenate(picked))

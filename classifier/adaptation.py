"""Adapting a model to an archive without labels: self-training on the rows it is surest of.

A model trained on other outlets' headlines meets a newsroom's own archive with words and a house
style it never saw. ``train --adapt ARCHIVE`` trains as usual, answers a sample of the archive
(at most :data:`~classifier.settings.ADAPT_ROWS` rows), and trains again with the rows it answered
with a probability of at least :data:`~classifier.settings.ADAPT_MIN_SCORE` added as training rows
labelled with that answer. The second fit learns the archive's own words for each topic from
those rows, and carries them to the rows the first was unsure of. The adopted rows weigh as one
more source, are never held out (the validation split and its scores are the labelled data's,
as without them), and the second fit keeps the first's C, naive-Bayes choice and folds.

On leave one outlet out, with the held-out outlet's text as the archive, this is the lever that
paid most (bench/README.md, "Levers, each measured"). Single-label models only: a multi-label
model's answers are sets whose thresholds are tuned for F1, not for being sure.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from classifier import settings as defaults
from classifier.errors import DataError
from classifier.inputs.datasets import LabeledData, SourceSummary
from classifier.training import StepReporter, TrainingResult, TrainingSettings, quiet_step, train

__all__ = ["Adaptation", "adopted_rows", "archive_sample", "train_adapted"]


@dataclass
class Adaptation:
    """What adapting to an archive did: rows read and answered, and the rows adopted for each label."""

    archive: list[str]
    sha256: list[str]
    rows_read: int
    rows_answered: int
    min_score: float
    adopted: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict:
        """The manifest's ``training.adapted``."""
        return {
            "archive": self.archive,
            "sha256": self.sha256,
            "rows_read": self.rows_read,
            "rows_answered": self.rows_answered,
            "min_score": self.min_score,
            "rows_adopted": sum(self.adopted.values()),
            "adopted": self.adopted,
        }

    def note(self) -> str:
        """One line for the training notes."""
        adopted = sum(self.adopted.values())
        sampled = "" if self.rows_answered == self.rows_read else f" (a sample of {self.rows_read:,})"
        return (
            f"adapted to {', '.join(self.archive)}: {adopted:,} of {self.rows_answered:,} archive rows"
            f"{sampled} answered with at least {self.min_score:g} trained as one more source"
        )


def archive_sample(
    batches: Iterable[LabeledData], rows: int = defaults.ADAPT_ROWS, seed: int = defaults.SEED
) -> tuple[LabeledData, int]:
    """A seeded uniform sample of at most ``rows`` rows of ``batches`` (their labels dropped, their
    sources' summaries kept), in reading order, and how many rows there were: the archive is read
    once, in bounded memory."""
    random = np.random.default_rng(seed)
    kept: LabeledData = LabeledData()
    keys = np.empty(0)
    total, sources = 0, []
    for batch in batches:
        sources = batch.sources
        total += len(batch)
        joined = LabeledData.joined([kept, batch]) if len(kept) else batch
        joined_keys = np.concatenate([keys, random.random(len(batch))])
        if len(joined) > rows:
            chosen = np.sort(np.argpartition(joined_keys, rows - 1)[:rows])
            joined, joined_keys = joined.subset(chosen.tolist()), joined_keys[chosen]
        kept, keys = joined, joined_keys
    sample = LabeledData(
        headlines=kept.headlines, teasers=kept.teasers, labels=[()] * len(kept), sources=sources
    )
    return sample, total


def adopted_rows(model, archive: LabeledData, min_score: float, name: str) -> LabeledData:
    """The rows of ``archive`` that ``model`` answers with a probability of at least ``min_score``,
    labelled with that answer, as the one source ``name``."""
    scores = model.scores(archive.headlines, archive.teasers)
    sure = np.flatnonzero(scores.max(axis=1) >= min_score) if len(archive) else np.empty(0, dtype=int)
    answers = np.asarray(model.labels)[scores[sure].argmax(axis=1)] if len(sure) else []
    return LabeledData(
        headlines=[archive.headlines[i] for i in sure],
        teasers=[archive.teasers[i] for i in sure],
        labels=[(str(label),) for label in answers],
        row_sources=[0] * len(sure),
        sources=[SourceSummary(name, "", None, None, rows=len(sure))],
    )


def train_adapted(
    data: LabeledData,
    archive: LabeledData,
    adaptation: Adaptation,
    settings: TrainingSettings | None = None,
    *,
    step: StepReporter | None = None,
    corrections: LabeledData | None = None,
    correction_weight: float = 1.0,
) -> TrainingResult:
    """Train on ``data`` (and ``corrections``, as :func:`~classifier.training.train` does), then again
    with the rows of ``archive`` the first model is sure of (see the module docstring).

    ``adaptation`` names the archive and how many rows were read, and gets the adopted rows' counts.

    Raises
    ------
    DataError
        ``settings`` are multi-label, or ``archive`` has no rows.
    """
    settings = settings or TrainingSettings()
    step = step or quiet_step
    if settings.multilabel:
        raise DataError("adapting to an archive (--adapt) trains single-label models only")
    if not len(archive):
        raise DataError(f"no rows were read from the archive to adapt to: {', '.join(adaptation.archive)}")
    started = time.perf_counter()
    first = train(data, settings, step=step, corrections=corrections, correction_weight=correction_weight)
    with step(f"Answering {len(archive):,} archive rows"):
        adopted = adopted_rows(
            first.model, archive, adaptation.min_score, "adapted: " + ", ".join(adaptation.archive)
        )
    adaptation.adopted = dict(sorted(Counter(labels[0] for labels in adopted.labels).items()))
    if not len(adopted):
        first.notes.append(adaptation.note() + ": none, so the model is the first fit")
        return first
    # The first fit's choices stand: the adopted rows are the first model's own answers, and
    # choosing C on them would reward agreeing with it.
    again = train(
        data,
        first.settings,
        step=step,
        corrections=corrections,
        correction_weight=correction_weight,
        adopted=adopted,
    )
    again.notes.append(f"{adaptation.note()}, with the first fit's C={first.settings.C:g}")
    again.seconds = time.perf_counter() - started
    return again

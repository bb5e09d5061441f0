"""Adapting a model to an archive without labels: self-training on the rows it is surest of.

A model trained on other outlets' headlines meets a newsroom's own archive with words and a house
style it never saw. ``train --adapt ARCHIVE`` trains as usual, answers a sample of the archive
(at most :data:`~classifier.settings.ADAPT_ROWS` rows), and trains again with the rows it answered
with a probability of at least :data:`~classifier.settings.ADAPT_MIN_SCORE` added as training rows
labelled with that answer. The second fit learns the archive's own words for each topic from
those rows, and carries them to the rows the first was unsure of. The adopted rows weigh as one
more source, are never held out, and the second fit keeps the first's C, naive-Bayes choice and
folds. Archive rows whose text the labelled data, the corrections or a promotion gate's rows
already hold are left out, so the validation split and its scores stay the labelled data's alone,
as without the archive, and no row is given the model's answer instead of its label.

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
from classifier.inputs.duplicates import text_key
from classifier.training import StepReporter, TrainingResult, TrainingSettings, quiet_step, train

__all__ = [
    "Adaptation",
    "adopted_rows",
    "archive_sample",
    "check_can_adapt",
    "train_adapted",
    "unlabelled_rows",
]


@dataclass
class Adaptation:
    """What adapting to an archive did: rows read and answered, and the rows adopted for each label."""

    archive: list[str]
    sha256: list[str]
    rows_read: int
    rows_sampled: int
    min_score: float
    rows_known: int = 0  # sampled rows whose text the labelled data (or corrections, or a gate) holds
    adopted: dict[str, int] = field(default_factory=dict)

    @property
    def rows_answered(self) -> int:
        """The sampled rows the first model answered: those whose text is not already labelled."""
        return self.rows_sampled - self.rows_known

    def to_dict(self) -> dict:
        """The manifest's ``training.adapted``."""
        return {
            "archive": self.archive,
            "sha256": self.sha256,
            "rows_read": self.rows_read,
            "rows_sampled": self.rows_sampled,
            "rows_known": self.rows_known,
            "rows_answered": self.rows_answered,
            "min_score": self.min_score,
            "rows_adopted": sum(self.adopted.values()),
            "adopted": self.adopted,
        }

    def note(self) -> str:
        """One line for the training notes."""
        adopted = sum(self.adopted.values())
        read = f"{self.rows_read:,} archive rows" + (
            f" (a sample of {self.rows_sampled:,})" if self.rows_sampled < self.rows_read else ""
        )
        known = f", {self.rows_known:,} of them already labelled," if self.rows_known else ""
        if not self.rows_answered:
            return (
                f"adapted to {', '.join(self.archive)}: every one of {read} is already labelled,"
                " so the model is the first fit"
            )
        if not adopted:
            return (
                f"adapted to {', '.join(self.archive)}: of {read}{known} none was answered with at least"
                f" {self.min_score:g}, so the model is the first fit"
            )
        return (
            f"adapted to {', '.join(self.archive)}: of {read}{known} {adopted:,} answered with at least"
            f" {self.min_score:g} trained as one more source"
        )


def check_can_adapt(settings: TrainingSettings) -> None:
    """Raise :class:`DataError` unless a model of ``settings`` can be adapted (single-label only)."""
    if settings.multilabel:
        raise DataError("adapting to an archive (--adapt) trains single-label models only")


def archive_sample(
    batches: Iterable[LabeledData], rows: int = defaults.ADAPT_ROWS, seed: int = defaults.SEED
) -> tuple[LabeledData, int]:
    """A seeded uniform sample of at most ``rows`` rows of ``batches`` (their labels dropped, their
    sources' summaries kept), in reading order, and how many rows there were: the archive is read
    once, in bounded memory (the rows with the ``rows`` smallest random keys are kept)."""
    random = np.random.default_rng(seed)
    headlines, teasers, keys = [], [], np.empty(0)
    total, sources = 0, []
    for batch in batches:
        sources, total = batch.sources, total + len(batch)
        headlines, teasers = headlines + batch.headlines, teasers + batch.teasers
        keys = np.concatenate([keys, random.random(len(batch))])
        if len(keys) > rows:
            chosen = np.sort(np.argpartition(keys, rows - 1)[:rows])
            headlines, teasers = [headlines[i] for i in chosen], [teasers[i] for i in chosen]
            keys = keys[chosen]
    return LabeledData(
        headlines=headlines, teasers=teasers, labels=[()] * len(headlines), sources=sources
    ), total


def unlabelled_rows(archive: LabeledData, labelled: Iterable[LabeledData | None]) -> LabeledData:
    """The rows of ``archive`` whose text no data of ``labelled`` holds: the same headline and teaser
    (:func:`~classifier.inputs.duplicates.text_key`) in any case, since the features lowercase."""

    def key(headline: str, teaser: str) -> tuple[str, str]:
        return text_key(headline.lower(), teaser.lower())

    known = {key(*row) for data in labelled if data for row in zip(data.headlines, data.teasers, strict=True)}
    rows = zip(archive.headlines, archive.teasers, strict=True)
    return archive.subset([index for index, row in enumerate(rows) if key(*row) not in known])


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
    held_out: LabeledData | None = None,
) -> TrainingResult:
    """Train on ``data`` (and ``corrections``, as :func:`~classifier.training.train` does), then again
    with the rows of ``archive`` the first model is sure of (see the module docstring); archive rows
    whose text ``data``, ``corrections`` or ``held_out`` (a promotion gate's rows) hold are left out.

    ``adaptation`` names the archive and how many rows were read, and gets the rows left out and
    adopted.

    Raises
    ------
    DataError
        ``settings`` are multi-label, or ``archive`` has no rows.
    """
    settings = settings or TrainingSettings()
    step = step or quiet_step
    check_can_adapt(settings)
    if not len(archive):
        raise DataError(f"no rows were read from the archive to adapt to: {', '.join(adaptation.archive)}")
    started = time.perf_counter()
    unlabelled = unlabelled_rows(archive, [data, corrections, held_out])
    adaptation.rows_known = len(archive) - len(unlabelled)
    first = train(data, settings, step=step, corrections=corrections, correction_weight=correction_weight)
    with step(f"Answering {len(unlabelled):,} archive rows"):
        adopted = adopted_rows(
            first.model, unlabelled, adaptation.min_score, "adapted: " + ", ".join(adaptation.archive)
        )
    adaptation.adopted = dict(sorted(Counter(labels[0] for labels in adopted.labels).items()))
    result = first
    if len(adopted):
        # The first fit's choices stand: the adopted rows are the first model's own answers, and
        # choosing C on them would reward agreeing with it.
        result = train(
            data,
            first.settings,
            step=step,
            corrections=corrections,
            correction_weight=correction_weight,
            adopted=adopted,
        )
        if settings.C is None:
            result.notes.append(f"the first fit chose C={first.settings.C:g}")
    result.notes.append(adaptation.note())
    result.seconds = time.perf_counter() - started
    return result

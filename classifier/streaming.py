"""Training on more rows than memory holds: three passes over the data, and the features on disk.

:func:`classifier.training.train` holds every row's text and the whole feature
matrix: 2.7 GiB at a million headlines. :func:`train_streamed` reads the data
three times instead, a batch of :data:`~classifier.settings.STREAM_BATCH_ROWS`
rows at a time:

1. Each row's first label, its source and a hash of the row (headline, teaser
   and labels) are kept, as numbers. From them alone: the validation split (the
   one ``train`` makes), exact duplicate training rows folded into their first
   copy's weight, the source weights, and which rows the choice of C samples.
2. The n-grams of the training rows are counted, copies included, as ``train``
   fits its features on them (:mod:`classifier.model.batch_features`), and the
   validation rows are kept, to be scored and reported as ``train`` does (a
   tenth of the rows by default).
3. The kept training rows become features written to disk
   (:mod:`classifier.model.streamed`); the sampled ones' features are also kept
   for the choice of C.

Then the calibrated SGD is fitted on the rows on disk. The model is the ``sgd``
solver's, as ``train`` would fit it (the same features, split, weights, C,
folds and link), except that each pass of the solver sees the rows a batch file
at a time in a seeded order, and that the link is fitted on a sample of the
out-of-fold scores. The features are the same while the n-gram counts are
exact: past :data:`~classifier.settings.MAX_NGRAM_CANDIDATES` distinct n-grams
of one order, which n-grams are dropped depends on where batches start. Memory
holds the vocabulary, the validation rows and about 60 bytes per row.

Only single-label models with word features stream; multi-label models,
character n-grams, training with corrections and adapting to an archive are
fitted in memory. A data
file that changes between the passes is an error: the rows built into features
must be the rows the first pass planned for.
"""

from __future__ import annotations

import tempfile
import time
import warnings
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
from scipy import sparse
from sklearn.compose import ColumnTransformer
from sklearn.exceptions import ConvergenceWarning
from sklearn.pipeline import Pipeline

from classifier import settings as defaults
from classifier.errors import DataError
from classifier.inputs.datasets import LabeledData, SourceSummary
from classifier.inputs.duplicates import folded_rows, row_hashes
from classifier.inputs.weights import source_weights
from classifier.model.batch_features import BOOKKEEPING_ROWS, FeatureCounts
from classifier.model.features import as_input
from classifier.model.streamed import SpilledRows, fit_calibrated
from classifier.penalty import choose_penalty, sample_per_source
from classifier.training import (
    StepReporter,
    TrainingResult,
    TrainingSettings,
    calibrated_classifier,
    classifier_fits,
    convergence_notes,
    held_out_rows,
    quiet_step,
    validated_result,
)

__all__ = ["can_stream", "draining", "held_until_streaming", "train_streamed"]


def can_stream(settings: TrainingSettings) -> bool:
    """Whether :func:`train_streamed` can fit a model of ``settings`` (their solver aside)."""
    return not settings.multilabel and settings.features.char_ngrams is None


def held_until_streaming(
    batches: Iterator[LabeledData], settings: TrainingSettings, *, in_memory: bool
) -> tuple[list[LabeledData], bool]:
    """The batches read until the data ends (held: train in memory) or streaming is decided (then
    train from these and the batches left).

    Training streams with the ``sgd`` solver (``auto``: above ``SGD_ABOVE_ROWS`` rows), when the
    model can (:func:`~classifier.streaming.can_stream`), unless ``in_memory``: corrections replace
    rows of the data, and adapting to an archive fits twice, so the data is then held.
    """
    streams = not in_memory and settings.solver != "svm" and can_stream(settings)
    held, rows = [], 0
    for batch in batches:
        held.append(batch)
        rows += len(batch)
        if streams and (settings.solver == "sgd" or rows > defaults.SGD_ABOVE_ROWS):
            return held, True
    return held, False


def draining(held: list[LabeledData], batches: Iterable[LabeledData]) -> Iterator[LabeledData]:
    """The ``held`` batches, each removed from the list as it is given (so that it can be let go),
    then the other ``batches``."""
    while held:
        yield held.pop(0)
    yield from batches


@dataclass
class _Rows:
    """What the first pass keeps of each row: numbers only."""

    label_codes: dict[str, int] = field(default_factory=dict)  # in the order labels were met
    first_labels: list[np.ndarray] = field(default_factory=list)
    row_sources: list[np.ndarray] = field(default_factory=list)
    row_hashes: list[np.ndarray] = field(default_factory=list)
    sources: list[SourceSummary] = field(default_factory=list)

    @classmethod
    def of(cls, batches: Iterable[LabeledData]) -> _Rows:
        rows = cls()
        for batch in batches:
            rows.add(batch)
        return rows

    def add(self, batch: LabeledData) -> None:
        codes = self.label_codes  # a new label gets the next number
        self.first_labels.append(np.array([codes.setdefault(row[0], len(codes)) for row in batch.labels]))
        self.row_sources.append(np.asarray(batch.row_sources, dtype=np.int32))
        self.row_hashes.append(row_hashes(batch))
        self.sources = batch.sources


def train_streamed(
    first_pass: Iterable[LabeledData],
    read_again: Callable[[], Iterable[LabeledData]],
    settings: TrainingSettings,
    *,
    step: StepReporter | None = None,
) -> tuple[TrainingResult, list[SourceSummary]]:
    """Fit the ``sgd`` solver's model on the batches of ``first_pass`` as the module docstring says.

    ``read_again()`` must read the same batches again (it is called twice). Returns the result
    and the summaries of the sources read.

    Raises
    ------
    DataError
        Fewer than two labels to train on, or the data changed between the passes.
    ValueError
        ``settings`` cannot stream (:func:`can_stream`).
    """
    if not can_stream(settings):
        raise ValueError("only single-label models with word features can be trained streamed")
    started = time.perf_counter()
    settings, step = replace(settings, solver="sgd"), step or quiet_step
    seen = _Rows.of(first_pass)
    labels = sorted(seen.label_codes)
    sorted_code = np.empty(len(labels), dtype=np.int64)
    sorted_code[[seen.label_codes[label] for label in labels]] = np.arange(len(labels))
    first = sorted_code[np.concatenate(seen.first_labels)]  # labels numbered in sorted order
    held_out = held_out_rows(first, settings.validation_fraction, settings.seed)
    training = np.flatnonzero(~held_out)
    if len(np.unique(first[training])) < 2:
        found = [labels[code] for code in np.unique(first[training])]
        raise DataError(f"need at least two different labels to train, found {found or 'none'}")
    row_sources = np.concatenate(seen.row_sources)
    weights, weighing = source_weights(row_sources[training], seen.sources, settings.source_weighting)
    notes = [weighing] if weighing else []
    kept, weights = folded_rows(np.concatenate(seen.row_hashes)[training], weights)
    if len(kept) < len(training):
        notes.append(f"{len(training) - len(kept):,} exact duplicate training rows were fitted as weights")
    kept = training[kept]  # as row numbers
    plan = _Plan(
        {label: code for code, label in enumerate(labels)},
        first,
        held_out,
        kept,
        weights,
        kept[sample_per_source(row_sources[kept], defaults.PENALTY_ROWS_PER_SOURCE, settings.seed)],
        seen.sources,
    )
    del seen
    features, validation = _fit_features(read_again(), settings, plan, step)
    with tempfile.TemporaryDirectory(prefix="headline-tagger-training-") as folder:
        rows = SpilledRows(Path(folder), settings.seed)
        penalty_features = _build(read_again(), features, rows, plan, step)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ConvergenceWarning)
            penalty = choose_penalty(
                penalty_features,
                np.array(labels, dtype=object)[first[plan.penalty_rows]],
                row_sources[plan.penalty_rows].tolist(),
                weights[np.searchsorted(kept, plan.penalty_rows)],
                settings,
                step,
            )
        notes += convergence_notes(caught, settings.max_iter)
        settings = replace(settings, C=penalty.C)
        notes += filter(None, [penalty.note()])
        calibrated = calibrated_classifier(settings)
        with step("Fitting the classifier (sgd)", classifier_fits(settings, len(labels))) as done:
            classifier = fit_calibrated(rows, calibrated, labels=np.array(labels, dtype=object), on_fit=done)
    pipeline = Pipeline([("features", features), ("classifier", classifier)])
    chosen = replace(settings, naive_bayes=False, calibration_folds=classifier.cv)
    result = validated_result(
        pipeline,
        tuple(labels),
        chosen,
        validation if len(validation) else None,
        len(training),
        notes,
        started,
        step,
    )
    return result, plan.sources


@dataclass(frozen=True)
class _Plan:
    """What the first pass decided, by row number: what the later passes do with each row."""

    label_codes: dict[str, int]  # in sorted order
    first_labels: np.ndarray
    held_out: np.ndarray  # a mask: the validation rows
    kept: np.ndarray  # the training rows fitted on, sorted (the first copy of each duplicate)
    weights: np.ndarray  # of the kept rows
    penalty_rows: np.ndarray  # of the kept rows, sorted: the choice of C's sample
    sources: list[SourceSummary]


def _again(
    batches: Iterable[LabeledData], plan: _Plan, description: str, step: StepReporter
) -> Iterator[tuple[LabeledData, int]]:
    """Each batch of a later pass with the number of its first row, under a progress bar of
    ``description``; raises :class:`DataError` when the rows are not those of the first pass."""
    total, start = len(plan.first_labels), 0
    with step(description, -(-total // defaults.STREAM_BATCH_ROWS)) as done:
        for batch in batches:
            end = start + len(batch)
            codes = [plan.label_codes.get(labels[0], -1) for labels in batch.labels]
            if end > total or not np.array_equal(codes, plan.first_labels[start:end]):
                raise _changed(batch.sources)
            yield batch, start
            start = end
            done()
        if start != total:
            raise _changed(plan.sources)
        changed = [a for a, b in zip(plan.sources, batch.sources, strict=True) if a.sha256 != b.sha256]
        if changed:
            raise _changed(changed)


def _fit_features(
    batches: Iterable[LabeledData], settings: TrainingSettings, plan: _Plan, step: StepReporter
) -> tuple[ColumnTransformer, LabeledData]:
    """The second pass: the features fitted on the training rows, as ``train`` fits them (copies
    included); and the validation rows, kept."""
    counts, samples, held_out = FeatureCounts(settings.features), [], []
    training = len(plan.first_labels) - int(plan.held_out.sum())
    for batch, start in _again(batches, plan, f"Counting the n-grams of {training:,} training rows", step):
        held = plan.held_out[start : start + len(batch)]
        held_out.append(batch.subset(np.flatnonzero(held)))
        part = batch.subset(np.flatnonzero(~held))
        rows = as_input(part.headlines, part.teasers)
        counts.add(rows)
        if sum(map(len, samples)) < BOOKKEEPING_ROWS:
            samples.append(rows)
    validation = LabeledData.from_batches(held_out)
    validation.sources = plan.sources  # complete, and equal to this pass's
    return counts.fitted(np.concatenate(samples)), validation


def _build(
    batches: Iterable[LabeledData], features: ColumnTransformer, rows: SpilledRows, plan: _Plan, step
) -> sparse.csr_matrix:
    """The third pass: write the kept rows' features to ``rows``; return the features of the rows
    the choice of C samples."""
    total = len(plan.first_labels)
    kept, weights = np.zeros(total, dtype=bool), np.zeros(total)
    kept[plan.kept], weights[plan.kept] = True, plan.weights
    sampled = np.zeros(total, dtype=bool)
    sampled[plan.penalty_rows] = True
    penalty_parts = []
    for batch, start in _again(batches, plan, f"Building the features of {len(plan.kept):,} rows", step):
        fitted = np.flatnonzero(kept[start : start + len(batch)])
        if not len(fitted):  # every row of the batch held out, or a copy of an earlier one
            continue
        part = batch.subset(fitted)
        X = features.transform(as_input(part.headlines, part.teasers))
        rows.add(X, plan.first_labels[start + fitted], weights[start + fitted])
        penalty_parts.append(X[np.flatnonzero(sampled[start + fitted])])
    return sparse.vstack(penalty_parts, format="csr")


def _changed(sources: list[SourceSummary]) -> DataError:
    return DataError(
        f"{', '.join(source.name for source in sources)} changed while training read it: "
        "train again once the data is complete"
    )

"""The jobs behind the commands: read data → train → save → promote (evaluating and comparing saved
models: :mod:`classifier.scoring_jobs`).

Each function takes plain values and returns plain results, so the command
line, the HTTP service and the tests drive exactly the same code.
"""

from __future__ import annotations

import functools
import platform
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path

from classifier import settings as defaults
from classifier.adaptation import Adaptation, archive_sample, check_can_adapt, train_adapted
from classifier.comparison import (
    Comparison,
    Decision,
    compare_models,
    decide_promotion,
)
from classifier.errors import DataError
from classifier.feedback.learning import CorrectionSet, FeedbackSummary, known_labels, merge_corrections
from classifier.inputs.datasets import LabeledData, SourceSummary, iter_labeled_data
from classifier.inputs.records import BadRowLimit, ReadOptions, ReadReport
from classifier.inputs.sources import DataSource, parse_data_argument
from classifier.persistence import Manifest, load_model, new_model_id, save_model
from classifier.registry import ANY_MODEL, change_current, current_model
from classifier.report import (
    ReportRows,
    ReportUnavailable,
    evaluation_report,
    require_matplotlib,
)
from classifier.streaming import draining, held_until_streaming, train_streamed
from classifier.taxonomy import load_label_map, load_taxonomy
from classifier.training import StepReporter, TrainingResult, TrainingSettings, quiet_step, train
from classifier.validation_counts import count_validation

__all__ = [
    "STARTER_CORPUS",
    "ArchiveToAdapt",
    "DataRequest",
    "PromotionGate",
    "TrainOutcome",
    "load_data",
    "source_names",
    "train_model",
]

STARTER_CORPUS = resources.files("classifier") / "data" / "starter.jsonl"


@dataclass(frozen=True)
class DataRequest:
    """Which data to read and how: the data arguments plus every reader and label option.

    ``arguments`` are ``PRESET:PATH`` or plain paths (read with ``preset`` when
    set, else with the generic ``options``); ``starter`` adds the bundled
    starter corpus.
    """

    arguments: tuple[str, ...] = ()
    preset: str | None = None
    options: ReadOptions = field(default_factory=ReadOptions)
    taxonomy: str | None = None
    label_map: str | None = None
    split: str | None = None
    body: str = defaults.REUTERS_BODY
    max_bad_rows: str = defaults.MAX_BAD_ROWS
    starter: bool = False

    def sources(self) -> list[DataSource]:
        """The data sources, in the order given."""
        sources = [parse_data_argument(argument) for argument in self.arguments]
        if self.preset is not None:
            sources = [s if s.preset is not None else DataSource(self.preset, s.path) for s in sources]
        if self.starter:
            sources.insert(0, DataSource("starter", str(STARTER_CORPUS)))
        return sources


def load_data(
    request: DataRequest, *, keep_unlabeled: bool = False, on_row: Callable[[], None] | None = None
) -> tuple[LabeledData, ReadReport]:
    """Read every source of ``request`` into memory, with its label maps applied."""
    report = _read_report(request)
    return LabeledData.from_batches(read_batches(request, report, keep_unlabeled, on_row)), report


def read_batches(
    request: DataRequest,
    report: ReadReport | None = None,
    keep_unlabeled: bool = False,
    on_row: Callable[[], None] | None = None,
) -> Iterator[LabeledData]:
    """The rows of every source of ``request`` in batches, with its label maps applied; what reading
    rejects goes to ``report`` (None: a new one, under the request's limit)."""
    report = _read_report(request) if report is None else report
    taxonomy = load_taxonomy(request.taxonomy) if request.taxonomy else None
    label_map = load_label_map(request.label_map) if request.label_map else None
    return iter_labeled_data(
        request.sources(),
        request.options,
        report,
        taxonomy=taxonomy,
        label_map=label_map,
        split=request.split,
        body=request.body,
        keep_unlabeled=keep_unlabeled,
        on_row=on_row,
    )


def _read_report(request: DataRequest) -> ReadReport:
    return ReadReport(limit=BadRowLimit.parse(request.max_bad_rows))


@dataclass(frozen=True)
class ArchiveToAdapt:
    """``train --adapt``: an archive without labels that the model adapts to (:mod:`classifier.adaptation`),
    read as ``request`` says (its labels, if any, are not read), and the probability from which the
    model's answers on it become training rows."""

    request: DataRequest
    min_score: float = defaults.ADAPT_MIN_SCORE

    def read(self, seed: int = defaults.SEED) -> tuple[LabeledData, Adaptation, ReadReport]:
        """A sample of the archive's rows (seeded by ``seed``), what adapting to it will record, and what
        reading it rejected. The training data's split and labels do not apply to it."""
        request = replace(
            self.request,
            taxonomy=None,
            label_map=None,
            split=None,
            options=replace(self.request.options, label_field=None),
        )
        report = _read_report(request)
        sample, rows = archive_sample(read_batches(request, report, keep_unlabeled=True), seed=seed)
        names, hashes = [s.source for s in sample.sources], [s.sha256 for s in sample.sources]
        return sample, Adaptation(names, hashes, rows, len(sample), self.min_score), report


@dataclass(frozen=True)
class PromotionGate:
    """``train --promote-if-better``: held-out data, and the rule a new model must pass to become current."""

    request: DataRequest
    margin: float = defaults.PROMOTE_MARGIN
    max_recall_drop: float = defaults.MAX_RECALL_DROP


@dataclass
class TrainOutcome:
    """A trained and saved model, where it went, what reading the data found, and why it was (not) promoted.

    ``comparison`` and ``decision`` are set when a :class:`PromotionGate` compared
    the new model with a current one; ``held_out_report`` is what reading its data found, and
    ``archive_report`` what reading the archive of ``--adapt`` found.
    """

    result: TrainingResult
    manifest: Manifest
    model_dir: Path
    promoted_to: Path | None
    report: ReadReport
    report_note: str | None = None  # why the model directory has no report.html, when it should
    feedback: FeedbackSummary | None = None
    comparison: Comparison | None = None
    decision: Decision | None = None
    held_out_report: ReadReport | None = None
    archive_report: ReadReport | None = None


def train_model(
    request: DataRequest,
    settings: TrainingSettings,
    *,
    models_dir: Path,
    out_dir: Path | None = None,
    promote_to_current: bool = True,
    gate: PromotionGate | None = None,
    on_row: Callable[[], None] | None = None,
    step: StepReporter | None = None,
    write_validation_report: bool = True,
    feedback: CorrectionSet | None = None,
    adapt: ArchiveToAdapt | None = None,
) -> TrainOutcome:
    """Read the data, train, save the model directory atomically and (optionally) promote it.

    The model goes to ``out_dir``, or to a new folder named after its id under
    ``models_dir``; promotion points the ``current`` link of ``models_dir`` at it
    and records the change in the folder's history. With a validation split (and
    ``write_validation_report``), the directory also gets the report of the
    validation rows, ``report.html``; without matplotlib it is left out and
    ``report_note`` says so. With a ``gate``, a current model is compared with
    the new one on the gate's data first, and the new one is promoted only if it
    passes the gate's rule; the held-out data and the current model are read
    before training, so a mistake in them costs no training time.
    ``feedback`` adds the newsroom's corrections (:mod:`classifier.feedback.learning`),
    which must use the taxonomy's labels, or without a taxonomy the labels DATA has. ``adapt`` trains
    again with the answers the model is sure of on an archive without labels (:mod:`classifier.adaptation`).
    """
    step = step or quiet_step
    current = held_out = held_out_report = None
    replacing = ANY_MODEL
    if gate is not None:
        link, replacing = defaults.current_link(models_dir), current_model(models_dir)
        if link.exists():
            current = replacing, load_model(link)[0]
            if current[1].multilabel != settings.multilabel:
                kinds = {True: "multi-label", False: "single-label"}
                raise DataError(
                    f"the current model {replacing} is {kinds[current[1].multilabel]} and the new one would"
                    f" be {kinds[settings.multilabel]}: they cannot be compared for a promotion"
                )
        held_out, held_out_report = load_data(gate.request, keep_unlabeled=settings.multilabel)
    archive = adaptation = archive_report = None
    if adapt is not None:
        check_can_adapt(settings)
        with step("Reading the archive to adapt to"):
            archive, adaptation, archive_report = adapt.read(settings.seed)
    batches = read_batches(request, report := _read_report(request), settings.multilabel, on_row)
    held, streamed = held_until_streaming(
        batches, settings, in_memory=feedback is not None or adapt is not None
    )
    summary = None
    if streamed:
        again = functools.partial(read_batches, request, None, settings.multilabel)  # bad rows counted anew
        result, sources = train_streamed(draining(held, batches), again, settings, step=step)
        rows = sum(source.rows for source in sources)
    else:
        data, corrections = LabeledData.from_batches(held), None
        if feedback is not None:
            taxonomy = load_taxonomy(request.taxonomy).labels if request.taxonomy else None
            data, corrections, summary = merge_corrections(data, feedback, known_labels(data, taxonomy))
        weight = feedback.weight if feedback else 1.0
        if archive is None:
            result = train(data, settings, step=step, corrections=corrections, correction_weight=weight)
        else:
            result = train_adapted(
                data,
                archive,
                adaptation,
                settings,
                step=step,
                corrections=corrections,
                correction_weight=weight,
                held_out=held_out,
            )
        sources, rows = data.sources, len(data)
    model_id = new_model_id()
    report_html, report_note = None, None
    if write_validation_report and result.validation is not None:
        try:
            report_html = _validation_report(result, sources, rows, model_id, step)
        except ReportUnavailable:
            report_note = (
                "no report.html in the model directory: matplotlib is missing "
                "(pip install 'headline-tagger[report]')"
            )
    target = Path(out_dir) if out_dir is not None else Path(models_dir) / model_id
    training_info = {
        "rows": rows,
        "streamed": streamed,
        "train_rows": result.train_rows,
        "validation_rows": result.validation_rows,
        "seconds": round(result.seconds, 3),
        "rejected_rows": report.bad,
        "skipped_rows": dict(report.skipped),
        "machine": platform.machine(),
        "notes": result.notes,
    }
    if summary is not None:
        training_info["feedback"] = summary.to_dict()
    if adaptation is not None:
        training_info["adapted"] = adaptation.to_dict()
    manifest = save_model(
        result.model,
        target,
        model_id=model_id,
        taxonomy=request.taxonomy,
        hyperparameters=result.settings.to_dict(),
        sources=[vars(source) for source in sources],
        training=training_info,
        validation_metrics=result.validation.to_dict() if result.validation else None,
        report_html=report_html,
        validation_counts=_validation_counts(result) if result.validation else None,
    )
    outcome = TrainOutcome(
        result,
        manifest,
        target,
        None,
        report,
        report_note,
        summary,
        held_out_report=held_out_report,
        archive_report=archive_report,
    )
    if gate is not None and current is not None:
        name, model = current
        outcome.comparison = compare_models(model, result.model, held_out, names=(name, model_id))
        outcome.decision = decide_promotion(
            outcome.comparison, margin=gate.margin, max_recall_drop=gate.max_recall_drop
        )
    if promote_to_current and (outcome.decision is None or outcome.decision.promote):
        record = outcome.decision.record(outcome.comparison) if outcome.decision else None
        # Gated, the new model was measured against the model current when training began: if another
        # process has promoted a different one since, the comparison says nothing about it.
        change_current(models_dir, target, action="train", comparison=record, replacing=replacing)
        outcome.promoted_to = defaults.current_link(models_dir)
    return outcome


def _validation_report(
    result: TrainingResult, sources: list[SourceSummary], total_rows: int, model_id: str, step: StepReporter
) -> str:
    """The report of the validation rows, scored by the trained model."""
    require_matplotlib()
    validation, model = result.validation_data, result.model
    with step("Writing the validation report"):
        scores = result.validation_scores
        rows = ReportRows(validation, scores, model.decide(scores))
        return evaluation_report(
            model,
            rows,
            result.validation,
            title=f"Model {model_id}: validation report",
            subtitle=(
                f"{len(validation):,} rows held out from {total_rows:,} "
                f"({result.settings.validation_fraction:g} of each topic, seed {result.settings.seed}) "
                f"of {source_names(sources)}; {len(model.labels)} labels"
                + (", multi-label" if model.multilabel else "")
            ),
        )


def _validation_counts(result: TrainingResult) -> dict:
    """The validation split's counts that archive reports correct topic shares with."""
    validation, model = result.validation_data, result.model
    predictions = model.decide(result.validation_scores)
    return count_validation(model.labels, model.multilabel, validation.labels, predictions).to_dict()


def source_names(sources: list[SourceSummary]) -> str:
    """The sources' names for a report's subtitle, or "the given data" when there are none."""
    return ", ".join(source.name for source in sources) or "the given data"

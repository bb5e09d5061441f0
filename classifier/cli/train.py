"""``train``: labelled data in, a saved model out."""

from __future__ import annotations

import dataclasses
import functools
from pathlib import Path
from typing import TYPE_CHECKING

import click
from click.core import ParameterSource
from rich.markup import escape

from classifier import settings
from classifier.cli import console
from classifier.cli.options import (
    NumberRange,
    data_options,
    data_request,
    feedback_db_option,
    int_pair,
    models_dir_option,
)

if TYPE_CHECKING:
    from classifier.feedback.learning import CorrectionSet
    from classifier.training import TrainingSettings
    from classifier.workflows import ArchiveToAdapt, DataRequest, PromotionGate, TrainOutcome

__all__ = ["train", "train_and_report"]

_FEATURE_OPTIONS = ("word_ngrams", "char_ngrams", "headline_weight", "min_df", "max_features", "stemming")


@click.command()
@data_options
@click.option("--starter", is_flag=True, help="Also train on the bundled starter corpus (default taxonomy).")
@click.option("--multilabel", is_flag=True, help="One yes/no model per topic; a headline can get several.")
@click.option("--out", type=click.Path(path_type=Path), help="Model directory to write (must not exist).")
@models_dir_option("Where new models and the 'current' link live")
@click.option("--no-promote", is_flag=True, help="Do not point models/current at the new model.")
@click.option(
    "--promote-if-better",
    "promote_if_better",
    metavar="DATA",
    multiple=True,
    help="Compare the new model with the current one on this held-out DATA (read like the training "
    "DATA; repeat for several) and promote it only if it passes the promotion rule.",
)
@click.option(
    "--promote-margin",
    type=NumberRange(),
    default=settings.PROMOTE_MARGIN,
    show_default=True,
    help="With --promote-if-better: macro-F1 the new model must gain over the current one.",
)
@click.option("--if-missing", is_flag=True, help="Do nothing when models/current already exists.")
@click.option(
    "--no-report",
    is_flag=True,
    help="Do not write the validation report (report.html) into the model directory.",
)
@click.option(
    "--validation-fraction",
    type=NumberRange(0, 0.9),
    default=settings.VALIDATION_FRACTION,
    show_default=True,
)
@click.option("--seed", type=int, default=settings.SEED, show_default=True)
@click.option(
    "--c",
    "c_value",
    default="auto" if settings.C is None else str(settings.C),
    show_default=True,
    callback=lambda context, parameter, value: _penalty(value),
    help="Inverse regularisation strength of the linear SVM, or 'auto': with several DATA sources, the "
    f"largest of {', '.join(map(str, settings.C_CHOICES))} within {settings.PENALTY_MIN_GAIN} macro-F1 of "
    f"the best on each source held out in turn; else {settings.C_CHOICES[0]}.",
)
@click.option(
    "--class-weight",
    type=click.Choice(["none", "balanced"]),
    default=settings.CLASS_WEIGHT or "none",
    show_default=True,
    help="'balanced' weighs each topic by its inverse frequency, which lifts rare topics.",
)
@click.option(
    "--naive-bayes",
    type=click.Choice(list(settings.NAIVE_BAYES_MODES)),
    default=settings.NAIVE_BAYES,
    show_default=True,
    help="Single-label models: scale features by naive-Bayes log-count ratios (NB-SVM). 'auto' fits "
    "both and keeps NB-SVM only if cross-validation prefers it, which doubles training time; "
    "'off' saves that on large archives.",
)
@click.option(
    "--solver",
    type=click.Choice(list(settings.SOLVERS)),
    default=settings.SOLVER,
    show_default=True,
    help="How the linear SVM is fitted: 'svm' (liblinear, the most accurate on small data), 'sgd' "
    f"(stochastic gradient descent, {settings.SGD_EPOCHS} passes: time grows linearly with the rows, and "
    "single-label models with the fast features read the data three times instead of holding it) or 'auto' "
    f"('sgd' above {settings.SGD_ABOVE_ROWS:,} rows of data).",
)
@click.option(
    "--source-weighting",
    type=click.Choice(list(settings.SOURCE_WEIGHTINGS)),
    default=settings.SOURCE_WEIGHTING,
    show_default=True,
    help="How much each DATA source (and --starter) counts: 'equal' weighs every source the same in "
    "total, so one big archive does not define the topics; 'rows' weighs every row the same.",
)
@click.option(
    "--profile",
    type=click.Choice(list(settings.PROFILES)),
    default=settings.PROFILE,
    show_default=True,
    help="Feature set: 'fast' (stemmed word n-grams, the default) or 'accurate' (unstemmed words and "
    "character n-grams: about a point more accurate, about ten times slower). The options below "
    "override it.",
)
@click.option("--word-ngrams", help="Word n-gram range MIN,MAX (at most 3 words).  [default: from --profile]")
@click.option("--char-ngrams", help="Character n-gram range MIN,MAX, or none.  [default: from --profile]")
@click.option(
    "--headline-weight",
    type=NumberRange(min=0),
    help="Weight of the extra headline-only features.  [default: from --profile]",
)
@click.option(
    "--min-df",
    type=click.IntRange(min=1),
    help="Ignore n-grams seen in fewer rows.  [default: from --profile]",
)
@click.option(
    "--max-features",
    type=click.IntRange(min=1),
    help="Keep at most this many n-grams in each feature channel, the most frequent: bounds the "
    "model's size and its weights' memory on a huge archive.  [default: from --profile]",
)
@click.option(
    "--stemming/--no-stemming",
    default=None,
    help="Count the forms of one English stem (election, elections, elected) as one word, so that "
    "another outlet's forms of a word count too.  [default: from --profile]",
)
@click.option(
    "--label-threshold",
    type=NumberRange(0, 1),
    default=settings.LABEL_THRESHOLD,
    show_default=True,
    help="Single-label models: score a second topic needs to be listed.",
)
@click.option(
    "--abstain-below",
    type=NumberRange(0, 1),
    default=settings.ABSTAIN_THRESHOLD,
    show_default=True,
    help="Answer 'abstained' when the top score is under this.",
)
@click.option(
    "--feedback",
    is_flag=True,
    help="Also learn from the current corrections of the store --feedback-db names; a correction of "
    "a headline in DATA replaces that row's label.",
)
@feedback_db_option
@click.option(
    "--feedback-weight",
    type=NumberRange(min=0, min_open=True),
    default=settings.FEEDBACK_WEIGHT,
    show_default=True,
    help="How much one correction counts against one row of DATA.",
)
@click.option(
    "--adapt",
    metavar="ARCHIVE",
    multiple=True,
    help="Adapt the model to this archive without labels (PATH or PRESET:PATH, read with DATA's "
    "field options; repeat for several): train, then train again with the archive rows it answers "
    "surely as training rows.",
)
@click.option(
    "--adapt-min-score",
    type=NumberRange(0, 1, min_open=True),
    default=settings.ADAPT_MIN_SCORE,
    show_default=True,
    help="With --adapt: the probability from which an archive row's answer becomes its training label.",
)
@click.option("--quiet", "-q", is_flag=True, help="No progress bars.")
def train(**kwargs) -> None:
    """Train a model on labelled DATA and save it under models/.

    DATA is PATH (read with --preset or the generic field options) or
    PRESET:PATH, e.g. huffpost:news.jsonl.gz agnews:test.csv bbc:bbc/ nyt:nyt/.
    Several can be combined; --taxonomy default maps each through its preset's
    shipped label map.
    """
    models_dir = kwargs.pop("models_dir")
    current = settings.current_link(models_dir)
    if kwargs.pop("if_missing") and current.exists():
        console.stderr.print(f"{current} exists; not training (--if-missing)")
        return
    feedback = _feedback(kwargs)
    training = _training_settings(kwargs)
    held_out, margin, no_promote = (
        kwargs.pop("promote_if_better"),
        kwargs.pop("promote_margin"),
        kwargs.pop("no_promote"),
    )
    if held_out and no_promote:
        raise click.UsageError("--promote-if-better and --no-promote contradict each other; give one")
    request = data_request(kwargs, starter=kwargs.pop("starter"))
    adapt = _adapt(request, kwargs.pop("adapt"), kwargs.pop("adapt_min_score"))
    quiet = kwargs.pop("quiet")
    train_and_report(
        request,
        training,
        models_dir,
        out_dir=kwargs.pop("out"),
        promote_to_current=not no_promote,
        gate=_gate(request, held_out, margin) if held_out else None,
        write_validation_report=not kwargs.pop("no_report"),
        feedback=feedback,
        adapt=adapt,
        quiet=quiet,
    )


def _adapt(request: DataRequest, archive: tuple[str, ...], min_score: float) -> ArchiveToAdapt | None:
    """The archive ``--adapt`` names, read with the training data's options, or None."""
    from classifier.workflows import ArchiveToAdapt

    if not archive:
        if click.get_current_context().get_parameter_source("adapt_min_score") is ParameterSource.COMMANDLINE:
            raise click.UsageError("--adapt-min-score is for adapting to an archive: add --adapt ARCHIVE")
        return None
    return ArchiveToAdapt(dataclasses.replace(request, arguments=archive, starter=False), min_score)


def _feedback(kwargs: dict) -> CorrectionSet | None:
    """The corrections ``--feedback`` asks for (``--feedback-db``, ``--feedback-weight`` popped), or None."""
    from classifier.feedback.learning import read_corrections

    wanted, location, weight = (kwargs.pop(name) for name in ("feedback", "feedback_db", "feedback_weight"))
    if not wanted:
        context = click.get_current_context()
        for name in ("feedback_db", "feedback_weight"):
            if context.get_parameter_source(name) is ParameterSource.COMMANDLINE:
                option = "--" + name.replace("_", "-")
                raise click.UsageError(f"{option} is for training with corrections: add --feedback")
        return None
    with console.user_errors():
        return read_corrections(location, weight)


def _gate(request: DataRequest, held_out: tuple[str, ...], margin: float) -> PromotionGate:
    """The held-out data of ``--promote-if-better``, read with the training data's options."""
    from classifier.workflows import PromotionGate

    return PromotionGate(dataclasses.replace(request, arguments=held_out, starter=False), margin=margin)


def _training_settings(kwargs: dict) -> TrainingSettings:
    """The :class:`TrainingSettings` of train's model options in ``kwargs`` (which are popped)."""
    from classifier.model.features import PROFILES  # scikit-learn: loaded only when training
    from classifier.training import TrainingSettings

    given = {name: kwargs.pop(name) for name in _FEATURE_OPTIONS}
    changes = {
        name: int_pair(value) if name.endswith("_ngrams") else value
        for name, value in given.items()
        if value is not None
    }
    class_weight = kwargs.pop("class_weight")
    return TrainingSettings(
        features=dataclasses.replace(PROFILES[kwargs.pop("profile")], **changes),
        C=kwargs.pop("c_value"),
        multilabel=kwargs.pop("multilabel"),
        class_weight=None if class_weight == "none" else class_weight,
        validation_fraction=kwargs.pop("validation_fraction"),
        seed=kwargs.pop("seed"),
        label_threshold=kwargs.pop("label_threshold"),
        abstain_threshold=kwargs.pop("abstain_below"),
        naive_bayes=settings.NAIVE_BAYES_MODES[kwargs.pop("naive_bayes")],
        solver=kwargs.pop("solver"),
        source_weighting=kwargs.pop("source_weighting"),
    )


def _penalty(text: str) -> float | None:
    """``--c``: a number above 0, or None for ``auto``."""
    if text.lower() == "auto":
        return None
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not value > 0 or value == float("inf"):
        raise click.BadParameter(f"{text!r} is neither 'auto' nor a number above 0")
    return value


def train_and_report(
    request: DataRequest,
    training: TrainingSettings,
    models_dir: Path,
    *,
    out_dir: Path | None = None,
    promote_to_current: bool = True,
    write_validation_report: bool = True,
    feedback: CorrectionSet | None = None,
    gate: PromotionGate | None = None,
    adapt: ArchiveToAdapt | None = None,
    quiet: bool = False,
) -> None:
    """Run the training job with progress on stderr (none if ``quiet``), then print its validation
    table and where it went."""
    from classifier.workflows import train_model

    reading = console.reading_progress("Reading training data", request, quiet=quiet)
    with console.user_errors(), reading as count:
        outcome = train_model(
            request,
            training,
            models_dir=models_dir,
            out_dir=out_dir,
            promote_to_current=promote_to_current,
            gate=gate,
            on_row=count,
            step=functools.partial(console.step, quiet=quiet),
            write_validation_report=write_validation_report,
            feedback=feedback,
            adapt=adapt,
        )
    console.print_read_report(outcome.report)
    for other, name in ((outcome.held_out_report, "held-out data"), (outcome.archive_report, "archive")):
        if other is not None:
            console.print_read_report(other, name)
    if outcome.feedback is not None:
        _print_feedback(outcome.feedback)
    result = outcome.result
    for note in [*result.notes, *filter(None, [outcome.report_note])]:
        console.stderr.print(f"[yellow]note:[/] {escape(note)}")
    if result.validation is not None:
        console.stdout.print(
            console.metrics_table(result.validation, f"Validation ({result.validation_rows:,} held-out rows)")
        )
        for line in console.summary_lines(result.validation):
            console.stdout.print(line)
    console.stdout.print(
        f"model {outcome.manifest.model_id}: {len(result.model.labels)} labels, "
        f"{result.train_rows:,} training rows, {result.seconds:.1f} s"
    )
    for line in _promotion_lines(outcome, gated=gate is not None):
        console.stdout.print(line, markup=False)
    console.stdout.print(
        f"saved to {outcome.model_dir}" + (f" (now {outcome.promoted_to})" if outcome.promoted_to else "")
    )


def _print_feedback(summary) -> None:
    """What training took from the corrections: a line or two on stderr, never wrapped (grep-able)."""
    from classifier.feedback.learning import skipped_line

    if (line := skipped_line(summary)) is not None:
        click.echo(f"note: {line}", err=True)
    span = ""
    if summary.corrections:
        span = f", made {summary.first[:16].replace('T', ' ')} to {summary.last[:16].replace('T', ' ')} UTC"
    overridden = f"; they replace {summary.overridden_rows:,} rows of DATA" if summary.overridden_rows else ""
    click.echo(
        f"learned from {summary.corrections:,} corrections in {summary.store}"
        f" (weight {summary.weight:g}{span}){overridden}",
        err=True,
    )


def _promotion_lines(outcome: TrainOutcome, *, gated: bool) -> list[str]:
    """What --promote-if-better found: the comparison, then each failed rule (or that none failed)."""
    comparison, decision = outcome.comparison, outcome.decision
    if comparison is None or decision is None:
        return ["promoted: there is no current model to compare with"] if gated else []
    interval = comparison.macro_f1
    lines = [
        f"on {comparison.rows:,} held-out rows: macro-F1 {comparison.report_b.macro_f1:.4f}, current "
        f"{comparison.a} {comparison.report_a.macro_f1:.4f} (difference {interval.difference:+.4f}, "
        f"95% interval [{interval.low:+.4f}, {interval.high:+.4f}])"
    ]
    if decision.promote:
        lines.append(
            f"promoted: macro-F1 at least the current one's plus the margin {decision.margin:g}, and no "
            f"topic's recall down more than {decision.max_recall_drop * 100:g} points"
        )
    lines += [f"not promoted: {failure}" for failure in decision.failures]
    return lines

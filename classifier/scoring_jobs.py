"""The jobs that score saved models on labelled data: ``evaluate`` and ``models compare``, each with
its optional HTML report.

Like :mod:`classifier.workflows`, whose data requests they read, they take plain values and return
plain results for the command line and the tests.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from classifier import settings as defaults
from classifier.comparison import Comparison, compare_models
from classifier.evaluation import EvaluationReport, evaluate_predictions
from classifier.inputs.datasets import LabeledData
from classifier.inputs.records import ReadReport
from classifier.persistence import Manifest, load_model
from classifier.report import ReportRows, check_report_path, evaluation_report, write_report
from classifier.report.comparison import ScoredRows, comparison_report
from classifier.workflows import DataRequest, load_data, source_names

__all__ = ["compare_saved_models", "evaluate_model", "score_rows"]


def evaluate_model(
    model_dir: Path,
    request: DataRequest,
    *,
    allow_version_mismatch: bool = False,
    on_row: Callable[[], None] | None = None,
    batch_size: int = 4096,
    report_path: Path | None = None,
) -> tuple[EvaluationReport, ReadReport, Manifest]:
    """Score the model in ``model_dir`` on the data of ``request``; with ``report_path``, also
    write the HTML report of the run there (atomically).

    Raises
    ------
    ReportUnavailable
        A report was asked for and matplotlib is missing (raised before any data is read).
    """
    if report_path is not None:
        check_report_path(report_path)
    model, manifest = load_model(model_dir, allow_version_mismatch=allow_version_mismatch)
    data, report = load_data(request, keep_unlabeled=model.multilabel, on_row=on_row)
    scored = score_rows(model, data, batch_size, keep_scores=report_path is not None)
    predictions = scored.predictions
    evaluation = evaluate_predictions(data.labels, predictions, model.labels, multilabel=model.multilabel)
    if report_path is not None:
        html = evaluation_report(
            model,
            ReportRows(data, scored.scores, predictions),
            evaluation,
            title=f"Model {manifest.model_id} on {len(data):,} rows",
            subtitle=f"Evaluated on {source_names(data.sources)}; {len(model.labels)} labels"
            + (", multi-label" if model.multilabel else ""),
        )
        write_report(report_path, html)
    return evaluation, report, manifest


def score_rows(model, data: LabeledData, batch_size: int = 4096, *, keep_scores: bool = True) -> ScoredRows:
    """The model's decisions on every row of ``data``, one batch of ``batch_size`` rows at a time,
    with its scores (an empty array unless ``keep_scores``): what a report is drawn from."""
    predictions, scores = [], []
    for start in range(0, len(data), batch_size):
        stop = start + batch_size
        batch = model.scores(data.headlines[start:stop], data.teasers[start:stop])
        predictions.extend(model.decide(batch))
        if keep_scores:
            scores.append(batch)
    return ScoredRows(model, np.vstack(scores) if scores else np.empty((0, 0)), predictions)


def compare_saved_models(
    dirs: tuple[Path, Path],
    request: DataRequest,
    *,
    names: tuple[str, str],
    allow_version_mismatch: bool = False,
    resamples: int = defaults.RESAMPLES,
    seed: int = 0,
    on_row: Callable[[], None] | None = None,
    report_path: Path | None = None,
) -> tuple[Comparison, ReadReport]:
    """Compare the models in ``dirs`` on the data of ``request`` (see :mod:`classifier.comparison`);
    with ``report_path``, also write the HTML report of the comparison there (atomically).

    Raises
    ------
    ReportUnavailable
        A report was asked for and matplotlib is missing (raised before any data is read).
    """
    if report_path is not None:
        check_report_path(report_path)
    model_a, model_b = (load_model(path, allow_version_mismatch=allow_version_mismatch)[0] for path in dirs)
    data, report = load_data(request, keep_unlabeled=model_a.multilabel, on_row=on_row)
    # A report draws from the scores, so its predictions are decided from them rather than made twice.
    scored = None if report_path is None else (score_rows(model_a, data), score_rows(model_b, data))
    comparison = compare_models(
        model_a,
        model_b,
        data,
        names=names,
        resamples=resamples,
        seed=seed,
        predictions=None if scored is None else (scored[0].predictions, scored[1].predictions),
    )
    if scored is None:
        return comparison, report
    html = comparison_report(
        comparison,
        data,
        scored,
        title=f"Model {names[0]} (A) against {names[1]} (B) on {len(data):,} rows",
        subtitle=f"Compared on {source_names(data.sources)}"
        + (", multi-label" if model_a.multilabel else ""),
    )
    write_report(report_path, html)
    return comparison, report

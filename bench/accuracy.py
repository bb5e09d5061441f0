"""Model-quality benchmark: headline-tagger against fastText on the same splits, in the same run.

Run from the repository root (it needs the datasets in ``../shared/data``)::

    .venv/bin/python bench/accuracy.py                      # every protocol, about 10 minutes
    .venv/bin/python bench/accuracy.py --only agnews --only bbc
    .venv/bin/python bench/accuracy.py --only bbc --profiles fast --out /tmp/bench
    .venv/bin/python bench/accuracy.py --outlets            # leave one outlet out, about 10 minutes
    .venv/bin/python bench/accuracy.py --only agnews --solver sgd --out /tmp/bench   # another solver

For each protocol of :mod:`protocols` it trains headline-tagger through the
library (each feature profile) and fastText (:mod:`fasttext_baseline`) on the
same training rows, tunes whatever each tunes on the same validation rows (the
split ``classifier.training.train`` holds out), and scores both once on the
test rows. It prints the tables and the issue's targets, met or missed, and
writes them to ``bench/results/accuracy.txt`` and ``accuracy.json``
(``accuracy-<protocol>…`` for a partial run; ``--out`` writes them elsewhere,
so that trial runs leave the committed results alone).

``--outlets`` runs the leave-one-outlet-out suite instead: for each of the six
labelled outlets, train on the other five plus the starter corpus and score on
it whole, with macro-F1 over the labels it has; beside fastText on the same
rows, the starter model alone (what a fresh install gives) is scored on each.
It writes ``accuracy-outlets.txt`` and ``.json``, and compares the mean with
``accuracy-outlets-baseline.json`` when that file exists (the recipe before
the generalisation work, kept to measure it against).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import joblib
import numpy as np
import sklearn
from accuracy_report import render, render_outlets
from fasttext_baseline import run_fasttext
from protocols import OUTLET_PROTOCOLS, PROTOCOLS, SHARED_DATA, Protocol, starter_data

from classifier.adaptation import Adaptation, train_adapted
from classifier.evaluation import evaluate_predictions
from classifier.inputs.datasets import LabeledData
from classifier.model.features import PROFILES
from classifier.settings import ADAPT_MIN_SCORE, SOLVERS
from classifier.training import TrainingSettings, train, validation_split

RESULTS = Path(__file__).resolve().parent / "results"
ABSTAIN_THRESHOLDS = (0.3, 0.5, 0.7)
TIMING_RUNS = 3
# Character n-grams over whole Reuters bodies (about 800 characters a document) take
# over ten minutes to train on two cores, so the accurate profile is not run there.
SKIP = {("accurate", "reuters-body"): "character n-grams over whole bodies take over 10 min to train"}


def expected_calibration_error(confidences: np.ndarray, correct: np.ndarray, bins: int = 15) -> float:
    """ECE of top-label confidences: the bin-weighted gap between confidence and accuracy.

    ``bins`` equal-width bins over [0, 1]; a confidence on a bin edge goes to the lower bin.
    """
    which = np.clip(np.ceil(confidences * bins).astype(int) - 1, 0, bins - 1)
    gaps = [
        np.mean(which == b) * abs(confidences[which == b].mean() - correct[which == b].mean())
        for b in range(bins)
        if np.any(which == b)
    ]
    return float(sum(gaps))


def _best_rate(rows: int, predict) -> float:
    """Rows per second of the fastest of :data:`TIMING_RUNS` calls of ``predict``."""
    fastest = float("inf")
    for _ in range(TIMING_RUNS):
        started = time.perf_counter()
        predict()
        fastest = min(fastest, time.perf_counter() - started)
    return rows / fastest


def _model_megabytes(model) -> float:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "model.joblib"
        joblib.dump(model, path, compress=3)  # as persistence.save_model writes it
        return path.stat().st_size / 1e6


def _coverage(predictions, truth) -> dict[str, dict[str, float]]:
    """Share of test rows answered, and accuracy on those, at each abstain threshold."""
    scores = np.array([p.score for p in predictions])
    correct = np.array([p.label in row for p, row in zip(predictions, truth, strict=True)])
    return {
        str(threshold): {
            "coverage": float(np.mean(scores >= threshold)),
            "accuracy": float(correct[scores >= threshold].mean()) if np.any(scores >= threshold) else 0.0,
        }
        for threshold in ABSTAIN_THRESHOLDS
    }


def run_headline_tagger(protocol: Protocol, profile: str, solver: str = "auto") -> dict:
    """Train with the default settings of ``profile`` (and ``solver``) and score on the test rows."""
    settings = TrainingSettings(features=PROFILES[profile], multilabel=protocol.multilabel, solver=solver)
    result = train(protocol.train, settings)
    model, test = result.model, protocol.test
    predictions = model.predict(test.headlines, test.teasers)
    report = evaluate_predictions(test.labels, predictions, model.labels, multilabel=protocol.multilabel)
    _, validation_rows = validation_split(protocol.train.labels, settings.validation_fraction, settings.seed)
    validation = protocol.train.subset(validation_rows)
    scores = model.scores(validation.headlines, validation.teasers)
    top = np.array(model.labels)[scores.argmax(axis=1)]
    correct = np.array([label in row for label, row in zip(top, validation.labels, strict=True)])
    outcome = {
        **_metrics(report, protocol),
        "train_seconds": result.seconds,
        "rows_per_second": _best_rate(len(test), lambda: model.predict(test.headlines, test.teasers)),
        "validation_ece": expected_calibration_error(scores.max(axis=1), correct),
        "model_mb": _model_megabytes(model),
        "notes": result.notes,
        "solver": result.settings.solver,
    }
    if not protocol.multilabel:
        outcome["coverage"] = _coverage(predictions, test.labels)
    return outcome


def run_baseline(protocol: Protocol) -> dict:
    """fastText tuned on the same validation rows, fitted on the same training rows."""
    settings = TrainingSettings()
    fit_rows, validation_rows = validation_split(
        protocol.train.labels, settings.validation_fraction, settings.seed
    )
    run = run_fasttext(
        protocol.train.subset(fit_rows),
        protocol.train.subset(validation_rows),
        protocol.test,
        multilabel=protocol.multilabel,
    )
    return {
        **_metrics(run.report, protocol),
        "train_seconds": run.train_seconds,
        "rows_per_second": _best_rate(len(protocol.test), run.predict_test),
        "validation_ece": expected_calibration_error(run.validation_confidences, run.validation_correct),
        "params": run.params,
    }


def _metrics(report, protocol: Protocol) -> dict:
    macro_f1 = report.macro_f1
    if protocol.scored_labels is not None:
        macro_f1 = float(np.mean([report.per_label[label]["f1"] for label in protocol.scored_labels]))
    return {"accuracy": report.accuracy, "micro_f1": report.micro_f1, "macro_f1": macro_f1}


def run_adapted(protocol: Protocol) -> dict:
    """The default, adapted to the test rows' text without their labels, as ``train --adapt TEST`` does."""
    test = protocol.test
    archive = LabeledData(headlines=test.headlines, teasers=test.teasers, labels=[()] * len(test))
    adaptation = Adaptation([protocol.name], [], len(test), len(test), ADAPT_MIN_SCORE)
    result = train_adapted(protocol.train, archive, adaptation, TrainingSettings())
    predictions = result.model.predict(test.headlines, test.teasers)
    report = evaluate_predictions(test.labels, predictions, result.model.labels, multilabel=False)
    return {**_metrics(report, protocol), "train_seconds": result.seconds, "adopted": adaptation.adopted}


_STARTER_MODEL = []  # trained once per run, scored on every outlet


def run_starter(protocol: Protocol) -> dict:
    """The starter model alone (default settings on the bundled corpus) on the test rows."""
    if not _STARTER_MODEL:
        _STARTER_MODEL.append(train(starter_data(), TrainingSettings()).model)
    model, test = _STARTER_MODEL[0], protocol.test
    predictions = model.predict(test.headlines, test.teasers)
    return _metrics(evaluate_predictions(test.labels, predictions, model.labels, multilabel=False), protocol)


def run_protocol(name: str, profiles: list[str], log, solver: str = "auto") -> dict:
    """Every model on one protocol."""
    started = time.perf_counter()
    protocol = {**PROTOCOLS, **OUTLET_PROTOCOLS}[name]()
    settings = TrainingSettings()
    _, validation_rows = validation_split(protocol.train.labels, settings.validation_fraction, settings.seed)
    log(
        f"{name}: {len(protocol.train):,} train rows ({len(validation_rows):,} of them validation), "
        f"{len(protocol.test):,} test rows"
    )
    outcome = {
        "description": protocol.description,
        "multilabel": protocol.multilabel,
        "metrics": list(protocol.metrics),
        "train_rows": len(protocol.train),
        "validation_rows": len(validation_rows),
        "test_rows": len(protocol.test),
        "headline_tagger": {},
    }
    for profile in profiles:
        if (profile, name) in SKIP:
            outcome["headline_tagger"][profile] = {"skipped": SKIP[(profile, name)]}
            continue
        outcome["headline_tagger"][profile] = run_headline_tagger(protocol, profile, solver)
        log(f"  headline-tagger {profile}: {_brief(outcome['headline_tagger'][profile], protocol)}")
    outcome["fasttext"] = run_baseline(protocol)
    log(f"  fastText: {_brief(outcome['fasttext'], protocol)} {outcome['fasttext']['params']}")
    if protocol.scored_labels is not None:
        outcome["scored_labels"] = list(protocol.scored_labels)
        outcome["adapted"] = run_adapted(protocol)
        log(f"  headline-tagger adapted to the outlet's text: {_brief(outcome['adapted'], protocol)}")
        outcome["starter"] = run_starter(protocol)
        starter = outcome["starter"]
        log("  starter model alone: " + ", ".join(f"{m} {starter[m]:.3f}" for m in protocol.metrics))
    outcome["seconds"] = time.perf_counter() - started
    return outcome


def _brief(result: dict, protocol: Protocol) -> str:
    scores = ", ".join(f"{metric} {result[metric]:.3f}" for metric in protocol.metrics)
    return f"{scores}, trained in {result['train_seconds']:.1f} s"


def _environment() -> dict:
    from importlib.metadata import version

    return {
        "python": platform.python_version(),
        "scikit_learn": sklearn.__version__,
        "numpy": np.__version__,
        "fasttext": version("fasttext-numpy2-wheel"),
        "cpus": os.cpu_count(),
        "machine": platform.machine(),
        "load_average_at_start": os.getloadavg()[0],
        "data": str(SHARED_DATA),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--only",
        action="append",
        choices=[*PROTOCOLS, *OUTLET_PROTOCOLS],
        help="Run this protocol (repeatable).",
    )
    parser.add_argument(
        "--outlets", action="store_true", help="Run the leave-one-outlet-out suite (default profile)."
    )
    parser.add_argument(
        "--profiles",
        help="Comma-separated feature profiles (default: all; with --outlets, the default profile).",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=RESULTS,
        help="Folder for the results (default: %(default)s).",
    )
    parser.add_argument(
        "--solver",
        choices=SOLVERS,
        default="auto",
        help="train's solver for headline-tagger (default: %(default)s, as train's).",
    )
    arguments = parser.parse_args(argv)
    if not SHARED_DATA.is_dir():
        parser.error(f"{SHARED_DATA} is missing: the benchmark needs the shared datasets")
    suite = OUTLET_PROTOCOLS if arguments.outlets else PROTOCOLS
    names = arguments.only or list(suite)
    default_profiles = TrainingSettings().features.profile if arguments.outlets else ",".join(PROFILES)
    profiles = (arguments.profiles or default_profiles).split(",")
    started = time.perf_counter()

    def log(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    results = {
        "environment": _environment(),
        "profiles": profiles,
        "default_profile": TrainingSettings().features.profile,
        "solver": arguments.solver,
        "protocols": {name: run_protocol(name, profiles, log, arguments.solver) for name in names},
    }
    results["seconds"] = time.perf_counter() - started
    if arguments.outlets:
        baseline_path = RESULTS / "accuracy-outlets-baseline.json"
        baseline = json.loads(baseline_path.read_text()) if baseline_path.exists() else None
        text, targets = render_outlets(results, baseline)
    else:
        text, targets = render(results, complete=arguments.only is None)
    results["targets"] = targets
    print(text)
    stem = "accuracy-outlets" if arguments.outlets else "accuracy"
    if arguments.only is not None:
        stem = "accuracy-" + "-".join(names)
    arguments.out.mkdir(parents=True, exist_ok=True)
    (arguments.out / f"{stem}.txt").write_text(text + "\n", encoding="utf-8")
    (arguments.out / f"{stem}.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())

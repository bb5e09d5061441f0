"""How long a comparison report (``models compare --report``) takes to write, and how big it is.

Run it from the repository root (needs ../shared/data and the report extra)::

    .venv/bin/python bench/compare_report.py [--rows 100000]

Two cases, each two models trained here, one with the default regularisation (``C=1``) and one
with stronger (``C=0.25``):

* ``default-100k``: models of the default taxonomy trained on AG News and HuffPost (fast
  profile), compared on those datasets' rows repeated to ``--rows`` rows (100,000): the size
  issue 16 sets its report targets at (under 10 s, under 2 MB).
* ``reuters-modapte``: multi-label Reuters-21578 models (``--split train``), compared on the
  ModApte test split: the most labels the project has, for the chart of F1 differences.

Scoring both models and the comparison (with its 1,000 bootstrap resamples) are timed apart
from the report (two confusion matrices and heatmaps, the difference chart, the page and the
atomic write). Reports go to ``/tmp/headline-tagger-bench/compare/``; the table to stdout, the
numbers to ``bench/results/compare_report.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np

from classifier.comparison import compare_predictions
from classifier.inputs.datasets import LabeledData
from classifier.persistence import load_model
from classifier.report import write_report
from classifier.report.comparison import comparison_report
from classifier.scoring_jobs import score_rows
from classifier.training import TrainingSettings
from classifier.workflows import DataRequest, load_data, train_model

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"
WORK = Path("/tmp/headline-tagger-bench/compare")


def _case(name: str, model_dirs: tuple[Path, Path], data: LabeledData) -> dict:
    models = [load_model(path)[0] for path in model_dirs]
    started = time.perf_counter()
    scored = (score_rows(models[0], data, 8192), score_rows(models[1], data, 8192))
    comparison = compare_predictions(
        data,
        (scored[0].predictions, scored[1].predictions),
        (list(models[0].labels), list(models[1].labels)),
        multilabel=models[0].multilabel,
        names=("C=1", "C=0.25"),
    )
    compared = time.perf_counter() - started
    target = WORK / f"{name}.html"
    started = time.perf_counter()
    html = comparison_report(
        comparison, data, scored, title=f"{name}: C=1 against C=0.25", subtitle="bench/compare_report.py"
    )
    write_report(target, html)
    written = time.perf_counter() - started
    return {
        "case": name,
        "rows": len(data),
        "labels": len(comparison.per_label),
        "disagreements": len(comparison.disagreements),
        "scoring_and_comparison_s": round(compared, 2),
        "report_s": round(written, 2),
        "report_bytes": target.stat().st_size,
        "path": str(target),
    }


def _pair(request: DataRequest, multilabel: bool) -> tuple[Path, Path]:
    dirs = []
    for c in (1.0, 0.25):
        settings = TrainingSettings(C=c, multilabel=multilabel, validation_fraction=0.0)
        outcome = train_model(
            request,
            settings,
            models_dir=WORK / "models",
            promote_to_current=False,
            write_validation_report=False,
        )
        dirs.append(outcome.model_dir)
    return dirs[0], dirs[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--results", type=Path, default=REPO / "bench" / "results" / "compare_report.json")
    args = parser.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    results = []

    default = DataRequest(
        arguments=(f"agnews:{DATA / 'ag_news'}", f"huffpost:{DATA / 'huffpost'}"), taxonomy="default"
    )
    data, _ = load_data(default)
    repeated = data.subset(np.resize(np.arange(len(data)), args.rows).tolist())
    results.append(_case("default-100k", _pair(default, False), repeated))

    reuters = DataRequest(arguments=(f"reuters:{DATA / 'reuters21578'}",), split="train")
    test, _ = load_data(DataRequest(arguments=reuters.arguments, split="test"), keep_unlabeled=True)
    results.append(_case("reuters-modapte", _pair(reuters, True), test))

    _print_and_save(results, args.results)


def _print_and_save(results: list[dict], path: Path) -> None:
    """The table on stdout; the numbers, with the machine's load when they were taken, as JSON."""
    columns = (
        ("case", "case", "<16"),
        ("rows", "rows", ">8,"),
        ("labels", "labels", ">6"),
        ("compare s", "scoring_and_comparison_s", ">9.2f"),
        ("report s", "report_s", ">8.2f"),
    )
    print(" ".join(f"{title:{spec.rstrip(',.2f')}}" for title, _, spec in columns), f"{'report MB':>9}")
    for result in results:
        cells = [f"{result[key]:{spec}}" for _, key, spec in columns]
        print(" ".join(cells), f"{result['report_bytes'] / 1e6:>9.2f}")
    # The machine is shared: the load says how much of each time was waiting for a core.
    load = round(os.getloadavg()[0], 1)
    path.write_text(json.dumps([result | {"load_average_1min": load} for result in results], indent=2) + "\n")


if __name__ == "__main__":
    main()

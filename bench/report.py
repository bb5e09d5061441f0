"""How long an evaluation report takes to write, and how big it is, on real data.

Run it from the repository root (needs ../shared/data and the report extra)::

    .venv/bin/python bench/report.py [--rows 100000] [--screenshots DIR]

Two cases:

* ``default-100k``: a model of the default taxonomy trained on AG News and HuffPost (fast
  profile), evaluated on those same datasets' rows repeated to ``--rows`` rows (100,000). The
  target of issue 16: the report written in under 10 s and under 2 MB. Scoring is timed apart
  from the report (numbers, figures, page, atomic write), which is what the target is about.
* ``reuters-modapte``: the multi-label Reuters-21578 model (``--split train --multilabel``: 109
  topics have training rows, 87 of them test rows too), evaluated on the ModApte test split: the
  biggest label set the project has.

Each report is written under ``/tmp/headline-tagger-bench/reports/``; with ``--screenshots DIR``,
headless Chromium (Debian's, at 1366 pixels, a laptop's width) saves a full-page PNG of each
there. The table goes to stdout, the numbers to ``bench/results/report.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np

from classifier.evaluation import evaluate_predictions
from classifier.inputs.datasets import LabeledData
from classifier.persistence import load_model
from classifier.report import ReportRows, evaluation_report, write_report
from classifier.training import TrainingSettings
from classifier.workflows import DataRequest, load_data, train_model

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"
WORK = Path("/tmp/headline-tagger-bench/reports")


def _repeated(data: LabeledData, rows: int) -> LabeledData:
    index = np.resize(np.arange(len(data)), rows).tolist()
    return data.subset(index)


def _case(name: str, model_dir: Path, data: LabeledData) -> dict:
    model, manifest = load_model(model_dir)
    started = time.perf_counter()
    scores = np.vstack(
        [
            model.scores(data.headlines[start : start + 8192], data.teasers[start : start + 8192])
            for start in range(0, len(data), 8192)
        ]
    )
    predictions = model.decide(scores)
    evaluation = evaluate_predictions(data.labels, predictions, model.labels, multilabel=model.multilabel)
    scored = time.perf_counter() - started
    target = WORK / f"{name}.html"
    started = time.perf_counter()
    html = evaluation_report(
        model,
        ReportRows(data, scores, predictions),
        evaluation,
        title=f"Model {manifest.model_id} on {len(data):,} rows",
        subtitle=f"bench/report.py, case {name}",
    )
    write_report(target, html)
    written = time.perf_counter() - started
    return {
        "case": name,
        "rows": len(data),
        "labels": len(model.labels),
        "scoring_s": round(scored, 2),
        "report_s": round(written, 2),
        "report_bytes": target.stat().st_size,
        "path": str(target),
    }


def _screenshot(report: Path, png: Path) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=["--headless", "--no-sandbox"]
        )
        page = browser.new_page(viewport={"width": 1366, "height": 900})
        page.goto(report.as_uri())
        page.screenshot(path=str(png), full_page=True)
        browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--screenshots", type=Path)
    parser.add_argument("--results", type=Path, default=REPO / "bench" / "results" / "report.json")
    args = parser.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    results = []

    default = DataRequest(
        arguments=(f"agnews:{DATA / 'ag_news'}", f"huffpost:{DATA / 'huffpost'}"), taxonomy="default"
    )
    outcome = train_model(default, TrainingSettings(), models_dir=WORK / "models", promote_to_current=False)
    data, _ = load_data(default)
    results.append(_case("default-100k", outcome.model_dir, _repeated(data, args.rows)))
    results[-1]["validation_report_bytes"] = (outcome.model_dir / "report.html").stat().st_size

    reuters = DataRequest(arguments=(f"reuters:{DATA / 'reuters21578'}",), split="train")
    outcome = train_model(
        reuters, TrainingSettings(multilabel=True), models_dir=WORK / "models", promote_to_current=False
    )
    test, _ = load_data(DataRequest(arguments=reuters.arguments, split="test"), keep_unlabeled=True)
    results.append(_case("reuters-modapte", outcome.model_dir, test))
    results[-1]["validation_report_bytes"] = (outcome.model_dir / "report.html").stat().st_size

    if args.screenshots:
        args.screenshots.mkdir(parents=True, exist_ok=True)
        for result in results:
            _screenshot(Path(result["path"]), args.screenshots / f"report_{result['case']}.png")

    print(f"{'case':<14} {'rows':>8} {'labels':>6} {'scoring s':>9} {'report s':>8} {'report MB':>9}")
    for r in results:
        print(
            f"{r['case']:<14} {r['rows']:>8,} {r['labels']:>6} {r['scoring_s']:>9.2f} "
            f"{r['report_s']:>8.2f} {r['report_bytes'] / 1e6:>9.2f}"
        )
    # The machine is shared: the load says how much of each time was waiting for a core.
    for result in results:
        result["load_average_1min"] = round(os.getloadavg()[0], 1)
    args.results.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()

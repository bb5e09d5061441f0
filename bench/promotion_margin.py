"""How far macro-F1 and recall move between models that differ only by chance: the promotion margin's basis.

Run from the repository root (it needs the datasets in ``../shared/data``)::

    .venv/bin/python bench/promotion_margin.py

It trains the same recipe (starter corpus plus BBC, default settings) five
times with seeds 0-4 (the seed picks the validation rows held out, so each
model trains on a slightly different 90%), scores each on AG News (7,600
held-out rows, and a fixed random 300 of them, the size of a batch of
corrections), and prints the spread of macro-F1 and the largest drop of one
topic's recall between two of the models. It writes the same lines to
``bench/results/promotion_margin.txt``.
"""

from __future__ import annotations

import itertools
import statistics
import sys
from pathlib import Path

import numpy as np

from classifier.evaluation import evaluate_predictions, predict_rows
from classifier.training import TrainingSettings, train
from classifier.workflows import DataRequest, load_data

SHARED = Path("../shared/data")
RESULTS = Path(__file__).parent / "results" / "promotion_margin.txt"
SEEDS = range(5)
SMALL = 300


def main() -> None:
    data, _ = load_data(DataRequest(arguments=(f"bbc:{SHARED / 'bbc'}",), taxonomy="default", starter=True))
    held, _ = load_data(DataRequest(arguments=(f"agnews:{SHARED / 'ag_news/test.csv'}",), taxonomy="default"))
    small = np.random.default_rng(1).choice(len(held), SMALL, replace=False)
    runs = []
    for seed in SEEDS:
        model = train(data, TrainingSettings(seed=seed)).model
        predictions = predict_rows(model, held.headlines, held.teasers)
        full = evaluate_predictions(held.labels, predictions, model.labels, multilabel=False)
        part = evaluate_predictions(
            [held.labels[i] for i in small], [predictions[i] for i in small], model.labels, multilabel=False
        )
        recall = {label: row["recall"] for label, row in full.per_label.items() if row["support"]}
        runs.append((full.macro_f1, part.macro_f1, recall))
    lines = [
        f"seed {seed}: macro-F1 {full:.4f} on {len(held):,} rows, {part:.4f} on {SMALL}"
        for seed, (full, part, _) in zip(SEEDS, runs, strict=True)
    ]
    for column, rows in ((0, f"{len(held):,}"), (1, f"{SMALL}")):
        values = [run[column] for run in runs]
        widest = max(abs(a - b) for a, b in itertools.combinations(values, 2))
        lines.append(
            f"{rows} rows: macro-F1 sd {statistics.stdev(values):.4f}, largest difference {widest:.4f}"
        )
    drop = max(a[2][label] - b[2][label] for a, b in itertools.permutations(runs, 2) for label in a[2])
    lines.append(f"largest drop of one topic's recall between two seeds ({len(held):,} rows): {drop:.4f}")
    text = "\n".join(lines) + "\n"
    sys.stdout.write(text)
    RESULTS.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()

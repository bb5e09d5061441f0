"""Choosing what to review: which strategy's 200 rows teach the model most, and what they cost editors.

Run from the repository root (it needs the datasets in ``../shared/data``; about 6 minutes)::

    .venv/bin/python bench/review.py
    .venv/bin/python bench/review.py --n 100 --random-seeds 1 --out /tmp/review
    .venv/bin/python bench/review.py --only margin-dedupe --only margin-spread   # writes review-….json

The held-out outlet is ARISE News (Nigeria), which no training source comes
from. The base model is the default recipe trained on the starter corpus plus
HuffPost, AG News, BBC and NYT (each through its shipped label map). The
review pool is ARISE's ``train.csv`` (the ``arise`` preset, which skips rows
repeated word for word), the test set its ``test.csv``; the true labels go
through the shipped ``arise`` label map.

For each strategy the base model picks N pool rows with
:func:`classifier.review.select_for_review`; their true labels are looked up,
the rows are added to the training data ``--repeat`` times (as the issue's
floor did) and the recipe is trained again and scored on the test set:
accuracy, and macro-F1 over the six topics ARISE has. The editors' burden is
the number of picked rows whose model label is wrong, per 100 reviewed: the
corrections an editor has to make, as opposed to accepting the model's tag.
Runs: ``margin`` and ``entropy`` as ``review`` runs them (bounded pool,
near-duplicates dropped, spread over topics); ``random`` likewise with a
random key; ``random-plain`` (a uniform sample: the control);
``margin-plain`` (the N smallest margins, no deduplication or spreading),
``margin-dedupe`` and ``margin-spread`` (one of the two steps each).
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

import numpy as np
from protocols import SHARED_DATA
from sklearn.metrics import f1_score

from classifier.inputs.datasets import LabeledData
from classifier.inputs.presets import read_preset
from classifier.inputs.records import ReadReport, Record
from classifier.review import select_for_review
from classifier.taxonomy import load_label_map
from classifier.training import TrainingSettings, train
from classifier.workflows import DataRequest, load_data

RESULTS = Path(__file__).resolve().parent / "results"
ARISE = SHARED_DATA / "arise_tv_news"
ARISE_MAP = load_label_map("arise").map
BOTH, NEITHER = {"dedupe": True, "spread": True}, {"dedupe": False, "spread": False}
# name: (strategy, the steps of select_for_review it takes)
RUNS = {
    "margin": ("margin", BOTH),
    "entropy": ("entropy", BOTH),
    "random": ("random", BOTH),
    "random-plain": ("random", NEITHER),
    "margin-plain": ("margin", NEITHER),
    "margin-dedupe": ("margin", {"dedupe": True, "spread": False}),
    "margin-spread": ("margin", {"dedupe": False, "spread": True}),
}
RANDOM = [name for name, (strategy, _) in RUNS.items() if strategy == "random"]
BASE = {
    "huffpost": "huffpost/news_category_2018_2019.jsonl.gz",
    "agnews": "ag_news/test.csv",
    "bbc": "bbc",
    "nyt": "nyt_articles_2017_2018",
}


def arise(split: str) -> list[Record]:
    return [r for r in read_preset("arise", ARISE, ReadReport(), split=split) if r.labels]


def base_data() -> LabeledData:
    arguments = tuple(f"{preset}:{SHARED_DATA / path}" for preset, path in BASE.items())
    return load_data(DataRequest(arguments=arguments, taxonomy="default", starter=True))[0]


def with_rows(data: LabeledData, rows: list[Record], repeat: int) -> LabeledData:
    more = LabeledData(list(data.headlines), list(data.teasers), list(data.labels))
    for _ in range(repeat):
        for record in rows:
            more.headlines.append(record.headline)
            more.teasers.append(record.teaser)
            more.labels.append((ARISE_MAP[record.labels[0]],))
    return more


def score(model, test: list[Record]) -> dict:
    truth = [ARISE_MAP[r.labels[0]] for r in test]
    predicted = [p.label or "" for p in model.predict([r.headline for r in test], [r.teaser for r in test])]
    return {
        "accuracy": float(np.mean([t == p for t, p in zip(truth, predicted, strict=True)])),
        "macro_f1": float(
            f1_score(truth, predicted, labels=sorted(set(ARISE_MAP.values())), average="macro")
        ),
    }


def run(args) -> dict:
    started = time.perf_counter()
    settings = TrainingSettings(validation_fraction=0.0)
    base, pool, test = base_data(), arise("train"), arise("test")
    by_id = {f"{r.source}:{r.line}": r for r in pool}  # review's id of a row without --id-field
    base_model = train(base, settings).model
    baseline = score(base_model, test)
    print(f"base: {len(base):,} rows; pool {len(pool):,}, test {len(test):,}; {baseline}", flush=True)
    runs = [(name, strategy, 0, steps) for name, (strategy, steps) in RUNS.items() if strategy != "random"]
    runs += [(name, "random", seed, RUNS[name][1]) for seed in range(args.random_seeds) for name in RANDOM]
    runs = [run for run in runs if not args.only or run[0] in args.only]
    results = []
    for name, strategy, seed, steps in runs:
        picked = time.perf_counter()
        queue = select_for_review(base_model, pool, args.n, strategy=strategy, seed=seed, **steps)
        pick_seconds = time.perf_counter() - picked
        rows = [by_id[row["id"]] for row in queue.rows]
        wrong = sum(row["label"] != ARISE_MAP[r.labels[0]] for row, r in zip(queue.rows, rows, strict=True))
        model = train(with_rows(base, rows, args.repeat), settings).model
        result = {
            "strategy": name,
            "seed": seed,
            "rows": len(rows),
            "duplicates_dropped": queue.duplicates,
            "corrections_per_100": round(100 * wrong / len(rows), 1),
            "topics_picked": len({ARISE_MAP[r.labels[0]] for r in rows}),
            "pick_seconds": round(pick_seconds, 2),
            **score(model, test),
        }
        results.append(result)
        print(json.dumps(result), flush=True)
    return {
        "n": args.n,
        "repeat": args.repeat,
        "base_rows": len(base),
        "pool_rows": len(pool),
        "test_rows": len(test),
        "baseline": baseline,
        "runs": results,
        "seconds": round(time.perf_counter() - started, 1),
        "machine": f"{platform.machine()}, {platform.python_version()}",
    }


def table(report: dict) -> str:
    """Mean (and for several seeds, min-max) per strategy."""
    base = report["baseline"]
    lines = [
        f"ARISE held out; N = {report['n']}, reviewed rows added x{report['repeat']}; "
        f"base accuracy {base['accuracy']:.3f}, macro-F1 {base['macro_f1']:.3f}",
        f"{'strategy':<14}{'runs':>5}{'accuracy':>10}{'gain':>8}{'macro-F1':>10}{'gain':>8}"
        f"{'corrections/100':>17}{'dups dropped':>14}",
    ]
    for name in dict.fromkeys(r["strategy"] for r in report["runs"]):
        runs = [r for r in report["runs"] if r["strategy"] == name]
        accuracy, macro = (np.mean([r[k] for r in runs]) for k in ("accuracy", "macro_f1"))
        burden = np.mean([r["corrections_per_100"] for r in runs])
        dups = np.mean([r["duplicates_dropped"] for r in runs])
        lines.append(
            f"{name:<14}{len(runs):>5}{accuracy:>10.3f}{100 * (accuracy - base['accuracy']):>+8.1f}"
            f"{macro:>10.3f}{100 * (macro - base['macro_f1']):>+8.1f}{burden:>17.1f}{dups:>14.0f}"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3, help="times each reviewed row is added")
    parser.add_argument("--random-seeds", type=int, default=3)
    parser.add_argument("--only", action="append", choices=list(RUNS), help="run only these (repeatable)")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    report = run(args)
    text = table(report)
    print(text)
    args.out.mkdir(parents=True, exist_ok=True)
    name = "review" + "".join(f"-{only}" for only in args.only or ())
    (args.out / f"{name}.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    (args.out / f"{name}.txt").write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()

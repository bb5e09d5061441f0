"""Are adjusted topic shares closer to the truth than counts of predicted labels?

Run it from the repository root (needs ../shared/data)::

    .venv/bin/python bench/shares.py [--cases huffpost-raw,agnews-prior,...] [--draws 20]

Each case trains a model as ``headline-tagger train`` does (the default settings, a validation
split of 0.1 of each topic, whose counts the model keeps), scores labelled rows as if they were an
unlabelled archive, and compares with the rows' true topic shares:

* raw: the shares of the labels the model answered (classify and count);
* adjusted: :func:`classifier.shares.adjusted_shares`, as ``tag --report`` computes them from the
  validation counts, with its 95% bootstrap intervals.

The error of each is the mean absolute error and the largest absolute error over the model's
topics, in points of share (100 points = all rows), and ``coverage`` is the share of topics whose
true share lies inside the adjusted share's interval. The cases:

* in-domain with prior shift: ``huffpost-raw`` and ``huffpost-mapped`` (train on HuffPost rows
  dated 2018, tag those dated 2019: the topic mix moved, U.S. NEWS from 3% to 23%), and
  ``agnews-prior`` and ``bbc-prior`` (a stratified 80/20 split, then ``--draws`` archives of 1,000
  rows drawn from the 20% with class priors from a flat Dirichlet, seeded; the errors are averaged
  over the draws);
* an unseen outlet: ``outlet-arise`` and ``outlet-inshorts`` (bench/protocols.py
  ``leave_one_outlet_out``: train on every other outlet plus the starter corpus, tag all of the
  held-out outlet), where ACC's assumption, that P(answer | true topic) is the same in the archive
  as in the validation split, need not hold;
* multi-label: ``reuters`` (ModApte train, tag the ModApte test documents: 90 topics), adjusted
  per label.

The table goes to stdout and ``bench/results/shares.txt``, the numbers to ``bench/results/shares.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np
from protocols import PROTOCOLS, leave_one_outlet_out

from classifier.inputs.datasets import LabeledData
from classifier.shares import adjusted_shares, drift_distance
from classifier.training import TrainingSettings, train
from classifier.validation_counts import count_validation, score_histogram

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results"
SEED = 0
ARCHIVE_ROWS = 1000


def _fit(data: LabeledData, multilabel: bool):
    """A model trained with the defaults, and its validation split's counts."""
    result = train(data, TrainingSettings(multilabel=multilabel))
    validation = result.validation_data
    model = result.model
    predictions = model.predict(validation.headlines, validation.teasers)
    return model, count_validation(model.labels, multilabel, validation.labels, predictions)


def _measure(model, counts, test: LabeledData) -> dict:
    """Raw and adjusted shares of ``test`` (rows whose true topic the model knows) against its truth."""
    labels, column = model.labels, {label: n for n, label in enumerate(model.labels)}
    if not model.multilabel:
        test = test.subset([n for n, truth in enumerate(test.labels) if truth[0] in column])
    predictions = model.predict(test.headlines, test.teasers)
    rows = len(test)
    truth = np.zeros(len(labels))
    if model.multilabel:
        answers = np.zeros(len(labels), dtype=np.int64)
        for prediction, true in zip(predictions, test.labels, strict=True):
            for item in prediction.labels:
                answers[column[item.label]] += 1
            for label in true:
                truth[column[label]] += label in column
        truth /= rows
    else:
        answers = np.bincount(
            [column[p.label] if p.label is not None else len(labels) for p in predictions],
            minlength=len(labels) + 1,
        )
        truth = np.bincount([column[t[0]] for t in test.labels], minlength=len(labels)) / rows
    shares = adjusted_shares(counts, answers, rows)
    drift = drift_distance(score_histogram(np.array([p.score for p in predictions])), counts.scores)
    raw_error, adjusted_error = np.abs(shares.raw - truth) * 100, np.abs(shares.adjusted - truth) * 100
    inside = (shares.low - 1e-9 <= truth) & (truth <= shares.high + 1e-9)
    return {
        "rows": rows,
        "raw_mae": float(raw_error.mean()),
        "raw_max": float(raw_error.max()),
        "adjusted_mae": float(adjusted_error.mean()),
        "adjusted_max": float(adjusted_error.max()),
        "coverage": float(inside.mean()),
        "drift": drift,
        "worst_raw": labels[int(raw_error.argmax())],
        "worst_adjusted": labels[int(adjusted_error.argmax())],
    }


def _prior_draws(test: LabeledData, labels: list[str], draws: int) -> list[LabeledData]:
    """``draws`` archives of :data:`ARCHIVE_ROWS` rows of ``test`` with Dirichlet-drawn class priors."""
    random = np.random.default_rng(SEED)
    by_label = {label: [n for n, t in enumerate(test.labels) if t[0] == label] for label in labels}
    present = [label for label in labels if by_label[label]]
    archives = []
    for _ in range(draws):
        sizes = random.multinomial(ARCHIVE_ROWS, random.dirichlet(np.ones(len(present))))
        index = [
            int(i)
            for label, size in zip(present, sizes, strict=True)
            for i in random.choice(by_label[label], size)
        ]
        archives.append(test.subset(index))
    return archives


def _case(name: str, draws: int) -> dict:
    started = time.perf_counter()
    if name in ("agnews-prior", "bbc-prior"):
        protocol = PROTOCOLS[name.split("-")[0]]()
        model, counts = _fit(protocol.train, False)
        results = [
            _measure(model, counts, archive) for archive in _prior_draws(protocol.test, model.labels, draws)
        ]
        measured = {
            key: float(np.mean([r[key] for r in results]))
            for key in results[0]
            if key.endswith(("mae", "max", "coverage", "drift"))
        }
        measured.update(rows=ARCHIVE_ROWS, draws=draws, worst_raw="-", worst_adjusted="-")
        description = f"{protocol.description}; {draws} archives of {ARCHIVE_ROWS:,} rows, Dirichlet priors"
    else:
        if name.startswith("outlet-"):
            protocol = leave_one_outlet_out(name.removeprefix("outlet-"))
        else:
            protocol = PROTOCOLS["reuters-first-sentence" if name == "reuters" else name]()
        model, counts = _fit(protocol.train, protocol.multilabel)
        measured = _measure(model, counts, protocol.test)
        description = protocol.description
    return {
        "case": name,
        "description": description,
        "labels": len(model.labels),
        "multilabel": protocol.multilabel,
        "validation_rows": counts.rows,
        **measured,
        "seconds": round(time.perf_counter() - started, 1),
    }


def _table(results: list[dict]) -> str:
    lines = [
        f"{'case':<16} {'rows':>6} {'topics':>6} {'raw MAE':>8} {'adj MAE':>8} {'raw max':>8} "
        f"{'adj max':>8} {'in CI':>6} {'drift':>6}",
    ]
    for r in results:
        drift = f"{r['drift']:.3f}" if r["drift"] is not None else "-"
        lines.append(
            f"{r['case']:<16} {r['rows']:>6,} {r['labels']:>6} {r['raw_mae']:>8.2f} "
            f"{r['adjusted_mae']:>8.2f} {r['raw_max']:>8.2f} {r['adjusted_max']:>8.2f} "
            f"{r['coverage']:>6.0%} {drift:>6}"
        )
    lines.append("MAE and max: absolute error over the topics, in points of share; in CI: topics whose true")
    lines.append(
        "share is inside the adjusted share's 95% interval; drift: JS distance of the top-score histograms."
    )
    return "\n".join(lines)


CASES = (
    "huffpost-raw",
    "huffpost-mapped",
    "agnews-prior",
    "bbc-prior",
    "outlet-arise",
    "outlet-inshorts",
    "reuters",
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", default=",".join(CASES))
    parser.add_argument("--draws", type=int, default=20)
    args = parser.parse_args()
    results = []
    for name in args.cases.split(","):
        results.append(_case(name, args.draws))
        print(f"{name}: {results[-1]['seconds']} s", file=sys.stderr)
    table = _table(results)
    print(table)
    load = round(os.getloadavg()[0], 1)  # a shared machine: how busy it was
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "shares.txt").write_text(table + "\n", encoding="utf-8")
    (RESULTS / "shares.json").write_text(
        json.dumps({"load_average_1min": load, "results": results}, indent=2) + "\n", encoding="utf-8"
    )


if __name__ == "__main__":
    main()

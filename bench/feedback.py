"""Learning from corrections: a simulated newsroom corrects N headlines, and the model is retrained.

Run from the repository root (it needs the datasets in ``../shared/data``)::

    .venv/bin/python bench/feedback.py                       # about 15-20 minutes on 2 cores
    .venv/bin/python bench/feedback.py --outlets arise --weights 3 --sizes 200 --out /tmp/bench

For each held-out outlet (:func:`protocols.leave_one_outlet_out`: every other
shared outlet, at most ``--cap`` rows each, plus the starter corpus, on the
default taxonomy) the outlet's rows are split, seeded, into a test part and a
pool. A baseline model is trained on the other outlets with
``headline-tagger train``. Then, for each strategy and size N, N pool
rows are picked, their true labels imported with ``headline-tagger feedback
import`` into a fresh store, the model retrained with ``train --feedback``,
and scored on the test part: accuracy, and macro-F1 over the labels the outlet
has; the weights are tried on the random picks of one size (``--sweep-at``,
200), every other run uses the default weight. Strategies: ``random`` (the
first N of one seeded shuffle of the pool, so the sets are nested) and
``review`` (``headline-tagger review POOL --model BASELINE --n N``; skipped,
with a note, where that command does not exist).
The reference is the issue's: the 200 random rows appended three times to the
training file, no corrections. Each cycle is the newsroom's whole loop: import,
then ``train --feedback --promote-if-better GATE`` against the baseline as the
current model, where GATE is up to 500 other labelled pool rows (not the test
part); its wall time and whether the new model was promoted are recorded.
Results go to ``bench/results/feedback.json`` (``--out`` writes elsewhere).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from protocols import SHARED_DATA, leave_one_outlet_out
from sklearn.metrics import f1_score

from classifier.inputs.datasets import LabeledData
from classifier.persistence import load_model

RESULTS = Path(__file__).resolve().parent / "results"
CLI = str(Path(sys.executable).with_name("headline-tagger"))
SEED = 0
TEST_ROWS = 1500
GATE_ROWS = 500  # labelled pool rows that decide the promotion
TARGET_POINTS = 10.0


def _write_jsonl(path: Path, rows) -> Path:
    with open(path, "w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row) + "\n")
    return path


def _training_rows(data: LabeledData, indices=None):
    for i in range(len(data)) if indices is None else indices:
        yield {"headline": data.headlines[i], "teaser": data.teasers[i], "label": "|".join(data.labels[i])}


def _run(*arguments: str) -> tuple[float, float, str]:
    """Run ``headline-tagger ARGUMENTS``: its wall time and its CPU time in seconds, and what it printed.

    On a machine shared with other work the wall time grows with the load; the
    CPU time (user + system) is what the command itself cost. A failure stops
    the benchmark.
    """
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    result = subprocess.run([CLI, *arguments], capture_output=True, text=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != 0:
        raise SystemExit(f"headline-tagger {' '.join(arguments)} failed:\n{result.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, result.stdout + result.stderr


def _train(train_file: Path, out: Path, *extra: str, gate: Path | None = None) -> tuple[float, float, str]:
    """Train into ``out``; promote it only through ``--promote-if-better gate`` when a gate is given."""
    promotion = ("--no-promote",) if gate is None else ("--promote-if-better", str(gate))
    options = ("--taxonomy", "default", "--label-delimiter", "|", *promotion, "--out", str(out))
    return _run("train", str(train_file), *options, "--models-dir", str(out.parent), *extra)


def _score(model_dir: Path, test: LabeledData, outlet_labels: list[str]) -> dict:
    model, _ = load_model(model_dir)
    predicted = [p.label for p in model.predict(test.headlines, test.teasers)]
    truth = [labels[0] for labels in test.labels]
    return {
        "accuracy": float(np.mean([p == t for p, t in zip(predicted, truth, strict=True)])),
        "macro_f1": float(f1_score(truth, predicted, labels=outlet_labels, average="macro", zero_division=0)),
    }


def review_available() -> bool:
    """Whether this headline-tagger has the ``review`` command (another branch brings it)."""
    return subprocess.run([CLI, "review", "--help"], capture_output=True).returncode == 0


def _pick(
    strategy: str, n: int, pool: LabeledData, order: np.ndarray, baseline: Path, work: Path
) -> list[int]:
    """The pool rows (indices) a strategy hands to the editors."""
    if strategy == "random":
        return order[:n].tolist()
    pool_file = work / "pool.jsonl"
    if not pool_file.exists():
        rows = (
            {"id": i, "headline": h, "teaser": t}
            for i, (h, t) in enumerate(zip(pool.headlines, pool.teasers, strict=True))
        )
        _write_jsonl(pool_file, rows)
    queue = work / f"queue-{n}.jsonl"
    _run(
        "review",
        str(pool_file),
        "--id-field",
        "id",
        "--model",
        str(baseline),
        "--n",
        str(n),
        "--output",
        str(queue),
    )
    return [int(json.loads(line)["id"]) for line in queue.read_text(encoding="utf-8").splitlines()]


def run_outlet(outlet: str, args, strategies: list[str], log) -> dict:
    protocol = leave_one_outlet_out(outlet, args.cap, SEED)
    rows = np.random.default_rng(SEED).permutation(len(protocol.test))
    n_test = min(TEST_ROWS, int(0.4 * len(rows)))
    test, pool = protocol.test.subset(sorted(rows[:n_test])), protocol.test.subset(sorted(rows[n_test:]))
    outlet_labels = sorted({labels[0] for labels in test.labels})
    order = np.random.default_rng(SEED + 1).permutation(len(pool))
    log(f"{outlet}: {len(protocol.train):,} training rows, pool {len(pool):,}, test {len(test):,}")
    outcome = {
        "description": protocol.description,
        "train_rows": len(protocol.train),
        "pool_rows": len(pool),
        "test_rows": len(test),
        "labels": outlet_labels,
        "runs": [],
    }
    with tempfile.TemporaryDirectory(prefix=f"feedback-{outlet}-") as folder:
        work = Path(folder)
        train_file = _write_jsonl(work / "train.jsonl", _training_rows(protocol.train))
        baseline = work / "baseline"
        wall, cpu, _ = _train(train_file, baseline)
        scores = _score(baseline, test, outlet_labels)
        _run("models", "promote", baseline.name, "--models-dir", str(work))
        outcome["baseline"] = {**scores, "train_seconds": wall, "train_cpu_seconds": cpu}
        log(f"  baseline: {_brief(scores)}, trained in {wall:.1f} s ({cpu:.1f} s CPU)")
        appended = work / "appended.jsonl"
        reference_rows = order[: args.reference_rows].tolist()
        _write_jsonl(appended, _training_rows(protocol.train))
        with open(appended, "a", encoding="utf-8") as handle:
            for _ in range(3):
                handle.writelines(json.dumps(row) + "\n" for row in _training_rows(pool, reference_rows))
        _train(appended, work / "appended")
        outcome["appended_3x"] = {
            "rows": args.reference_rows,
            **_score(work / "appended", test, outlet_labels),
        }
        log(f"  {args.reference_rows} random rows appended 3 times: {_brief(outcome['appended_3x'])}")
        for strategy in strategies:
            for n in args.sizes:
                picked = _pick(strategy, n, pool, order, baseline, work)
                corrections = _write_jsonl(
                    work / f"{strategy}-{n}.jsonl",
                    (
                        {
                            "headline": pool.headlines[i],
                            "teaser": pool.teasers[i],
                            "labels": list(pool.labels[i]),
                        }
                        for i in picked
                    ),
                )
                # The weights are compared on one size of random picks; every other run uses the default.
                sweep = strategy == "random" and n == args.sweep_at
                for weight in args.weights if sweep else [args.default_weight]:
                    store = work / f"{strategy}-{n}-{weight:g}.db"
                    import_wall, import_cpu, _ = _run(
                        "feedback",
                        "import",
                        str(corrections),
                        "--model",
                        str(baseline),
                        "--feedback-db",
                        str(store),
                    )
                    model = work / f"{strategy}-{n}-{weight:g}"
                    feedback = ("--feedback", "--feedback-db", str(store), "--feedback-weight", f"{weight:g}")
                    # The newsroom's gate: pool rows the editors labelled but did not feed back, against
                    # the baseline as the current model.
                    unpicked = [i for i in order.tolist() if i not in set(picked)][:GATE_ROWS]
                    gate = _write_jsonl(work / f"gate-{strategy}-{n}.jsonl", _training_rows(pool, unpicked))
                    _run("models", "promote", baseline.name, "--models-dir", str(work))
                    train_wall, train_cpu, said = _train(train_file, model, *feedback, gate=gate)
                    run = {
                        "strategy": strategy,
                        "n": n,
                        "weight": weight,
                        **_score(model, test, outlet_labels),
                        "promoted": (work / "current").resolve() == model.resolve(),
                        "not_promoted_because": [
                            line for line in said.splitlines() if line.startswith("not promoted")
                        ],
                        "cycle_seconds": import_wall + train_wall,
                        "cycle_cpu_seconds": import_cpu + train_cpu,
                    }
                    outcome["runs"].append(run)
                    cycle = f"cycle {run['cycle_seconds']:.1f} s ({run['cycle_cpu_seconds']:.1f} s CPU)"
                    verdict = "promoted" if run["promoted"] else "; ".join(run["not_promoted_because"])
                    log(f"  {strategy} N={n} weight {weight:g}: {_brief(run)}, {cycle}, {verdict}")
    return outcome


def _brief(scores: dict) -> str:
    return f"accuracy {scores['accuracy']:.3f}, macro-F1 {scores['macro_f1']:.3f}"


def choose_weight(results: dict) -> float | None:
    """The weight with the best mean gain (accuracy + macro-F1) over the outlets, at the swept size."""
    gains: dict[float, list[float]] = {}
    for outlet in results["outlets"].values():
        base = outlet["baseline"]
        for run in outlet["runs"]:
            if run["strategy"] != "random" or run["n"] != results["sweep_at"]:
                continue
            gain = run["accuracy"] - base["accuracy"] + run["macro_f1"] - base["macro_f1"]
            gains.setdefault(run["weight"], []).append(gain)
    return max(gains, key=lambda weight: np.mean(gains[weight])) if gains else None


def render(results: dict) -> str:
    """The Markdown tables: every run against the baseline, then the target at N = 200."""
    lines = [
        "| outlet | strategy | N | weight | accuracy | macro-F1 | Δ accuracy | Δ macro-F1 | cycle s (CPU)"
        " | promoted |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    targets = []
    for name, outlet in results["outlets"].items():
        base = outlet["baseline"]
        scores = f"{base['accuracy']:.3f} | {base['macro_f1']:.3f}"
        lines.append(f"| {name} | baseline | 0 | - | {scores} | | | | |")
        ref = outlet["appended_3x"]
        lines.append(
            f"| {name} | random rows appended 3 times | {ref['rows']} | - | {ref['accuracy']:.3f} | "
            f"{ref['macro_f1']:.3f} | {_points(ref, base, 'accuracy')} | {_points(ref, base, 'macro_f1')}"
            " | | |"
        )
        for run in outlet["runs"]:
            lines.append(
                f"| {name} | {run['strategy']} | {run['n']} | {run['weight']:g} | {run['accuracy']:.3f} | "
                f"{run['macro_f1']:.3f} | {_points(run, base, 'accuracy')} | "
                f"{_points(run, base, 'macro_f1')} | {run['cycle_seconds']:.1f}"
                f" ({run['cycle_cpu_seconds']:.1f}) | {'yes' if run['promoted'] else 'no'} |"
            )
            if run["n"] == 200 and run["weight"] == results["default_weight"]:
                met = all((run[m] - base[m]) * 100 >= TARGET_POINTS for m in ("accuracy", "macro_f1"))
                targets.append(
                    f"| {name} | {run['strategy']} | {_points(run, base, 'accuracy')} | "
                    f"{_points(run, base, 'macro_f1')} | {'met' if met else 'MISSED'} |"
                )
    lines += [
        "",
        f"Target: 200 corrections raise accuracy and macro-F1 by at least {TARGET_POINTS:g} points "
        f"(weight {results['default_weight']:g})",
        "",
        "| outlet | strategy | Δ accuracy | Δ macro-F1 | target |",
        "|---|---|---|---|---|",
        *targets,
    ]
    for note in results["notes"]:
        lines += ["", f"note: {note}"]
    lines += [
        "",
        f"best weight by mean gain: {results['best_weight']}; run took {results['seconds'] / 60:.1f} min on"
        f" {results['environment']['cpus']} CPUs, load average"
        f" {results['environment']['load_average_at_start']:.1f} at the start",
    ]
    return "\n".join(lines)


def _points(run: dict, base: dict, metric: str) -> str:
    return f"{(run[metric] - base[metric]) * 100:+.1f} pt"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--outlets", default="arise,inshorts", help="Held-out outlets, comma-separated.")
    parser.add_argument("--sizes", default="50,100,200,400", help="Numbers of corrections, comma-separated.")
    parser.add_argument("--weights", default="1,2,3,5", help="Correction weights to try, comma-separated.")
    parser.add_argument(
        "--sweep-at", type=int, default=200, help="The N of random picks the weights are tried at."
    )
    parser.add_argument("--strategies", default="random,review", help="Strategies, comma-separated.")
    parser.add_argument("--cap", type=int, default=2000, help="Rows kept of each training outlet.")
    parser.add_argument(
        "--default-weight",
        type=float,
        help="Weight of review runs and of the target (default: the setting's).",
    )
    parser.add_argument("--out", type=Path, default=RESULTS, help="Folder for the results.")
    args = parser.parse_args(argv)
    if not SHARED_DATA.is_dir():
        parser.error(f"{SHARED_DATA} is missing: the benchmark needs the shared datasets")
    args.sizes = [int(n) for n in args.sizes.split(",")]
    args.weights = [float(w) for w in args.weights.split(",")]
    args.reference_rows = 200
    from classifier import settings

    args.default_weight = args.default_weight or settings.FEEDBACK_WEIGHT

    strategies, notes = args.strategies.split(","), []
    if "review" in strategies and not review_available():
        strategies.remove("review")
        notes.append("`headline-tagger review` does not exist in this build: the review strategy was skipped")
        print(f"note: {notes[-1]}", file=sys.stderr)
    started = time.perf_counter()

    def log(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    results = {
        "environment": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "machine": platform.machine(),
            "load_average_at_start": os.getloadavg()[0],
            "data": str(SHARED_DATA),
        },
        "cap": args.cap,
        "sweep_at": args.sweep_at,
        "seed": SEED,
        "strategies": strategies,
        "notes": notes,
        "outlets": {outlet: run_outlet(outlet, args, strategies, log) for outlet in args.outlets.split(",")},
    }
    results["seconds"] = time.perf_counter() - started
    results["best_weight"] = choose_weight(results)
    results["default_weight"] = args.default_weight
    text = render(results)
    print(text)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "feedback.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    (args.out / "feedback.txt").write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())

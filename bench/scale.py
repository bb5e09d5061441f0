"""Training-cost benchmark: train time, peak memory and rows/s at 100k, 1M and 10M rows, per solver.

Run from the repository root (it needs the datasets in ``../shared/data``)::

    .venv/bin/python bench/scale.py --sizes 100k                 # a quick run, about 2 minutes
    .venv/bin/python bench/scale.py --sizes 100k,1m --solvers auto,svm,sgd
    .venv/bin/python bench/scale.py --near-duplicates            # the issue's near-duplicate case

It is a cost benchmark, not an accuracy one. For each size it writes a seeded
labelled corpus to a temporary folder (never into the repository), in
HuffPost's JSON-lines shape, made by recombining the shared outlets' headlines
(every outlet mapped to the default taxonomy): each row is a real headline of
some topic with some of its words swapped for words of other headlines of the
same topic, and new names coined at a Heaps'-law rate, so the vocabulary keeps
growing with the rows as an archive's does. About 3% of the rows repeat a recent
row exactly and 5% repeat one with a word dropped (wire copies, updates).
Generation streams: one row at a time, straight to the file.

Each training run is ``headline-tagger train`` in a subprocess, so the peak
resident memory is that process's own (``os.wait4``'s ``ru_maxrss``); the time
is the wall time of the whole command (reading included), with its CPU time (user
and system, from the same ``wait4``: on a shared machine the steadier measure), and
rows/s divides the rows of the corpus by the wall time. ``--near-duplicates`` instead trains on every HuffPost
row repeated four times with one word dropped from each copy (the issue's 302 s
case). Results go to ``bench/results/scale.txt`` and ``scale.json`` (``--out``
writes them elsewhere).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from protocols import OUTLETS, SHARED_DATA

from classifier.workflows import DataRequest, load_data

RESULTS = Path(__file__).resolve().parent / "results"
SIZES = {"100k": 100_000, "1m": 1_000_000, "10m": 10_000_000}
SEED = 0
SWAP = 0.25  # share of a headline's words replaced by words of the same topic
EXACT_DUPLICATES = 0.03
NEAR_DUPLICATES = 0.05
RECENT = 2000  # duplicates copy one of the last rows written
# Heaps' law for the coined names: about HEAPS_K * n ** HEAPS_BETA distinct ones after n rows.
HEAPS_K, HEAPS_BETA = 8.0, 0.6
_SYLLABLES = [c + v for c in "bdfgklmnprstvz" for v in "aeiou"]


def _pool() -> dict[str, list[str]]:
    """The shared outlets' headlines by (first) default-taxonomy topic, and ``""``: every word by topic."""
    arguments = tuple(argument for request in OUTLETS.values() for argument in request.arguments)
    data, _ = load_data(DataRequest(arguments, taxonomy="default", starter=True))
    headlines: dict[str, list[str]] = defaultdict(list)
    for headline, labels in zip(data.headlines, data.labels, strict=True):
        if labels and headline.strip():
            headlines[labels[0]].append(headline)
    return dict(headlines)


def _coined(number: int) -> str:
    """The ``number``-th coined name: syllables spelling the number, capitalised like a name."""
    syllables = []
    number += len(_SYLLABLES)  # at least two syllables
    while number:
        number, digit = divmod(number, len(_SYLLABLES))
        syllables.append(_SYLLABLES[digit])
    return "".join(syllables).capitalize()


def write_corpus(path: Path, rows: int, seed: int = SEED) -> dict:
    """Write ``rows`` generated rows to ``path`` (JSON lines, HuffPost's fields); return a summary."""
    rng = random.Random(seed)
    pool = _pool()
    topics = sorted(pool)
    words = {topic: [word for headline in pool[topic] for word in headline.split()] for topic in topics}
    recent: list[tuple[str, str]] = []
    coined = exact = near = 0
    with path.open("w", encoding="utf-8") as out:
        for number in range(rows):
            draw = rng.random()
            if recent and draw < EXACT_DUPLICATES:
                headline, topic = recent[rng.randrange(len(recent))]
                exact += 1
            elif recent and draw < EXACT_DUPLICATES + NEAR_DUPLICATES:
                headline, topic = recent[rng.randrange(len(recent))]
                tokens = headline.split()
                if len(tokens) > 1:
                    del tokens[rng.randrange(len(tokens))]
                headline = " ".join(tokens)
                near += 1
            else:
                topic = rng.choice(topics)
                tokens = rng.choice(pool[topic]).split()
                vocabulary = words[topic]
                for position in range(len(tokens)):
                    if rng.random() < SWAP:
                        tokens[position] = vocabulary[rng.randrange(len(vocabulary))]
                # A new name with the probability that keeps the count on Heaps' curve, else an old one.
                if rng.random() < HEAPS_K * HEAPS_BETA * (number + 1) ** (HEAPS_BETA - 1):
                    coined += 1
                    tokens.insert(rng.randrange(len(tokens) + 1), _coined(coined))
                elif coined and rng.random() < 0.3:
                    # Old names are reused, the early (famous) ones most.
                    name = _coined(1 + int(coined * rng.random() ** 3))
                    tokens.insert(rng.randrange(len(tokens) + 1), name)
                headline = " ".join(tokens)
            if len(recent) < RECENT:
                recent.append((headline, topic))
            else:
                recent[rng.randrange(RECENT)] = (headline, topic)
            out.write(json.dumps({"headline": headline, "short_description": "", "category": topic}) + "\n")
    return {"rows": rows, "topics": len(topics), "coined_names": coined, "exact": exact, "near": near}


def write_near_duplicates(path: Path, copies: int = 4, seed: int = SEED) -> dict:
    """Every HuffPost row ``copies`` times, one word dropped from each copy, shuffled (the issue's case)."""
    rng = random.Random(seed)
    source = SHARED_DATA / "huffpost" / "news_category_2018_2019.jsonl.gz"
    with gzip.open(source, "rt", encoding="utf-8") as lines:
        rows = [json.loads(line) for line in lines]
    out_rows = []
    for row in rows:
        tokens = row["headline"].split()
        for _ in range(copies):
            kept = list(tokens)
            if len(kept) > 1:
                del kept[rng.randrange(len(kept))]
            out_rows.append({**row, "headline": " ".join(kept)})
    rng.shuffle(out_rows)
    with path.open("w", encoding="utf-8") as out:
        out.writelines(json.dumps(row) + "\n" for row in out_rows)
    return {"rows": len(out_rows), "source_rows": len(rows), "copies": copies}


def measure(corpus: Path, solver: str, workdir: Path) -> dict:
    """Train on ``corpus`` with ``headline-tagger train`` in a subprocess: wall time, peak RSS, manifest."""
    model = workdir / f"model-{solver}-{time.monotonic_ns()}"
    command = [
        str(Path(sys.executable).with_name("headline-tagger")),
        "train",
        f"huffpost:{corpus}",
        "--out",
        str(model),
        "--no-promote",
        "--no-report",
        "--models-dir",
        str(workdir / "models"),
    ]
    if solver != "default":
        command += ["--solver", solver]
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    output, errors = process.stdout.read(), process.stderr.read()
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({process.returncode}):\n{errors[-2000:]}")
    manifest = json.loads((model / "manifest.json").read_text())
    training = manifest["training"]
    hyperparameters = manifest["hyperparameters"]
    validation = manifest.get("validation_metrics") or {}
    return {
        "solver_asked": solver,
        "solver": hyperparameters.get("solver", "svm"),
        "rows": training["rows"],
        "train_rows": training["train_rows"],
        "seconds": round(seconds, 1),
        "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 1),
        "training_seconds": training["seconds"],
        "peak_rss_mib": round(usage.ru_maxrss / 1024, 1),
        "rows_per_second": round(training["rows"] / seconds),
        "validation_accuracy": validation.get("accuracy"),
        "validation_macro_f1": validation.get("macro_f1"),
        "summary": output.strip().splitlines()[-3:],
    }


def render(runs: list[dict]) -> str:
    """The table of every run."""
    lines = [
        f"{'corpus':<16} {'solver':<14} {'rows':>11} {'wall s':>8} {'CPU s':>8} {'train s':>8} "
        f"{'peak RSS MiB':>13} {'rows/s':>9} {'val acc':>8} {'val F1':>7}"
    ]
    for run in runs:
        solver = (
            run["solver"]
            if run["solver_asked"] in ("default", run["solver"])
            else (f"{run['solver_asked']}->{run['solver']}")
        )
        lines.append(
            f"{run['corpus']:<16} {solver:<14} {run['rows']:>11,} {run['seconds']:>8.1f} "
            f"{run['cpu_seconds']:>8.1f} {run['training_seconds']:>8.1f} {run['peak_rss_mib']:>13,.0f} "
            f"{run['rows_per_second']:>9,} "
            f"{run['validation_accuracy'] or 0:>8.3f} {run['validation_macro_f1'] or 0:>7.3f}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100k,1m,10m", help="Comma-separated corpus sizes: 100k, 1m, 10m.")
    parser.add_argument(
        "--solvers",
        default="auto",
        help="Comma-separated values of train --solver ('default': the option left out).",
    )
    parser.add_argument(
        "--near-duplicates", action="store_true", help="Train on the near-duplicate corpus instead."
    )
    parser.add_argument(
        "--out", type=Path, default=RESULTS, help="Folder for the results (default: %(default)s)."
    )
    arguments = parser.parse_args(argv)
    if not SHARED_DATA.is_dir():
        parser.error(f"{SHARED_DATA} is missing: the benchmark needs the shared datasets")
    sizes = arguments.sizes.split(",")
    if unknown := [size for size in sizes if size not in SIZES]:
        parser.error(f"unknown size {unknown[0]!r}: choose from {', '.join(SIZES)}")
    solvers = arguments.solvers.split(",")
    runs, corpora = [], {}
    stem = "scale-near-duplicates" if arguments.near_duplicates else "scale"
    with tempfile.TemporaryDirectory(prefix="scale-bench-") as folder:
        workdir = Path(folder)
        names = ["near-duplicates"] if arguments.near_duplicates else sizes
        for name in names:
            corpus = workdir / f"{name}.jsonl"
            started = time.perf_counter()
            if arguments.near_duplicates:
                corpora[name] = write_near_duplicates(corpus)
            else:
                corpora[name] = write_corpus(corpus, SIZES[name])
            corpora[name]["seconds_to_write"] = round(time.perf_counter() - started, 1)
            print(f"{name}: wrote {corpora[name]}", file=sys.stderr, flush=True)
            for solver in solvers:
                run = {"corpus": name, **measure(corpus, solver, workdir)}
                run["load_average"] = round(os.getloadavg()[1], 1)  # over the last 5 minutes
                runs.append(run)
                print(render([run]).splitlines()[1], file=sys.stderr, flush=True)
                _write(arguments.out, stem, runs, corpora)  # a long run's results so far survive it
            corpus.unlink()
    print(render(runs))
    return 0


def _write(folder: Path, stem: str, runs: list[dict], corpora: dict) -> None:
    results = {"environment": {"python": sys.version.split()[0], "cpus": os.cpu_count()}}
    results |= {"corpora": corpora, "runs": runs}
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{stem}.txt").write_text(render(runs) + "\n", encoding="utf-8")
    (folder / f"{stem}.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())

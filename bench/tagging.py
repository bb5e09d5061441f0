"""Benchmark of archive tagging: `headline-tagger tag` against a fastText read-predict-write loop.

Run it from the repository root (after ``pip install -e '.[dask,bench]'``)::

    .venv/bin/python bench/tagging.py [--rows 1000000] [--work-dir /tmp/headline-tagger-bench]

``--model DIR --fasttext-model FILE`` reuse models trained before (say by
an earlier run, in ``WORK_DIR/models``) instead of training them again,
``--no-dask`` leaves the Dask run out and ``--results DIR`` writes the
results elsewhere: handy for comparing two versions of the code on a smaller
archive, back to back (``PYTHONPATH=OTHER_TREE`` makes every command run
that tree's code).

It builds a gzip JSON-lines archive by resampling the headlines and teasers of
``../shared/data`` (read with the project's presets), trains the default model
(HuffPost, AG News, BBC and NYT mapped onto the default taxonomy, plus the
starter corpus) and a fastText model on the same rows, then times each whole
command on the same archive, writing JSON lines (Parquet parts for Dask):

* ``headline-tagger tag`` with 1 and 2 workers, and the Dask engine on a local
  cluster of 2 single-threaded workers;
* fastText: one Python process that reads the gzip file, ``json.loads`` each
  line, predicts in batches (fastText's predict runs on one core) and writes
  each item with its label and score;
* resuming: a 2-worker run killed with SIGKILL half-way, then ``--resume``;
  the overhead is both runs' time against the uninterrupted run's.

Then (and alone with ``--dask-only``, which keeps the rest of the results) it
runs :func:`run_dask`: the archive split into ``--files`` gzip files, tagged
by the local engine and by the Dask engine on a real scheduler and two worker
processes (``bench/cluster.py``), the whole archive as one file on Dask, and
with ``--before TREE`` that tree's Dask engine, for the client's CPU time per
million rows before and after the workers read their own partitions.

The runs the targets compare (fastText, 2 workers, a resume) are measured in
``--rounds`` alternating rounds (3 by default) and the fastest of each counts:
on this kind of machine the same command's time drifts by a tenth to a third
within an hour (25 to 38 s for the 2-worker run, seen here), which a
single run of each would put into the ratios.

Peak memory is the largest sum, over the command and all its child processes,
of their proportional set sizes (PSS: a page shared by n processes counts 1/n
in each), polled every 50 ms; the summed resident sets (RSS), which count
shared pages once per process, are recorded too, and so is the CPU time of the
whole process tree (user plus system, as last polled for each process), which
other work on the machine disturbs less than the wall time. The load average of the machine is
recorded with every run, because other work on it slows everything alike. The
table goes to stdout and ``bench/results/tagging.txt``, the numbers to
``bench/results/tagging.json``. Nothing is written inside the repository
except those results.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import json
import os
import platform
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
from cluster import dask_cluster
from fasttext_baseline import LABEL_PREFIX, label_token

from classifier.inputs.presets import read_preset
from classifier.inputs.readers import read_records
from classifier.inputs.records import BadRowLimit, ReadOptions, ReadReport
from classifier.training import TrainingSettings
from classifier.workflows import DataRequest, load_data, train_model

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data"
RESULTS = REPO / "bench" / "results"
TAGGER = REPO / ".venv" / "bin" / "headline-tagger"
TRAINING = DataRequest(
    arguments=(
        f"huffpost:{SHARED}/huffpost/news_category_2018_2019.jsonl.gz",
        f"agnews:{SHARED}/ag_news/test.csv",
        f"bbc:{SHARED}/bbc",
        f"nyt:{SHARED}/nyt_articles_2017_2018",
    ),
    taxonomy="default",
    starter=True,
)
_PRESET_SOURCES = [
    ("huffpost", "huffpost/news_category_2018_2019.jsonl.gz"),
    ("agnews", "ag_news/test.csv"),
    ("bbc", "bbc"),
    ("nyt", "nyt_articles_2017_2018"),
    ("reuters", "reuters21578"),
]
_GENERIC_SOURCES = [
    (
        "arise_tv_news/train.csv",
        ReadOptions(headline_field="Title", teaser_field="Excerpt", label_field=None),
    ),
    (
        "inshorts_news",
        ReadOptions(headline_field="news_headline", teaser_field="news_article", label_field=None),
    ),
]


# -- inputs --------------------------------------------------------------------------------------------


def shared_items() -> list[dict]:
    """Every headline and teaser of the shared datasets, with their source and date."""
    items = []
    tolerant = ReadReport(limit=BadRowLimit.parse("100%"))
    for preset, path in _PRESET_SOURCES:
        for record in read_preset(preset, SHARED / path, tolerant):
            items.append(
                {"source": preset, "date": record.date, "headline": record.headline, "teaser": record.teaser}
            )
    for path, options in _GENERIC_SOURCES:
        for record in read_records(SHARED / path, options, tolerant):
            items.append(
                {
                    "source": path.split("/")[0],
                    "date": None,
                    "headline": record.headline,
                    "teaser": record.teaser,
                }
            )
    return items


def build_archive(path: Path, rows: int) -> None:
    """``rows`` items drawn (seeded) from the shared datasets, as gzip JSON lines with an id each."""
    items = shared_items()
    pick = random.Random(0).choices
    temporary = path.with_suffix(".tmp")
    with gzip.open(temporary, "wt", encoding="utf-8", compresslevel=6) as out:
        for start in range(0, rows, 10_000):
            batch = pick(items, k=min(10_000, rows - start))
            out.writelines(
                json.dumps({"id": f"a{start + n:08d}", **item}) + "\n" for n, item in enumerate(batch)
            )
    temporary.rename(path)


def train_models(folder: Path) -> tuple[Path, Path]:
    """The default model (headline-tagger) and a fastText model, trained on the same rows."""
    import fasttext

    outcome = train_model(TRAINING, TrainingSettings(), models_dir=folder / "models")
    data, _ = load_data(TRAINING)
    lines = folder / "fasttext-train.txt"
    lines.write_text(
        "".join(
            f"{label_token(labels[0])} {_fasttext_text(headline, teaser)}\n"
            for headline, teaser, labels in zip(data.headlines, data.teasers, data.labels, strict=True)
        ),
        encoding="utf-8",
    )
    model = fasttext.train_supervised(str(lines), epoch=10, lr=0.5, wordNgrams=2, dim=50, verbose=0)
    model.save_model(str(folder / "fasttext.bin"))
    return outcome.model_dir, folder / "fasttext.bin"


def _fasttext_text(headline: str, teaser: str) -> str:
    """Lower-cased text, split on white space only: the cheapest input fastText takes, so the timed
    loop is as fast as fastText gets (the accuracy benchmark tokenizes punctuation too)."""
    return f"{headline} {teaser}".lower().replace("\n", " ")


# -- the fastText baseline (run as its own process) ------------------------------------------------------


def fasttext_baseline(model_path: str, archive: str, output: str, batch: int = 10_000) -> None:
    """Read the gzip archive, predict each item's label with fastText, write JSON lines."""
    import fasttext

    model = fasttext.load_model(model_path)
    with gzip.open(archive, "rt", encoding="utf-8") as lines, open(output, "w", encoding="utf-8") as out:
        items = []
        for line in lines:
            items.append(json.loads(line))
            if len(items) == batch:
                _fasttext_write(model, items, out)
                items = []
        _fasttext_write(model, items, out)


def _fasttext_write(model, items: list[dict], out) -> None:
    if not items:
        return
    labels, scores = model.predict([_fasttext_text(i["headline"], i["teaser"]) for i in items], k=1)
    for item, label, score in zip(items, labels, scores, strict=True):
        name = label[0].removeprefix(LABEL_PREFIX)
        out.write(json.dumps({**item, "label": name, "score": round(float(score[0]), 6)}) + "\n")


# -- measuring -------------------------------------------------------------------------------------------


def measure(
    name: str,
    command: list[str],
    rows: int,
    *,
    kill_when=None,
    env: dict[str, str] | None = None,
    cluster: list[psutil.Process] = (),
) -> dict:
    """Run ``command``; wall time, rows/s and the peak resident memory of its process tree.

    ``kill_when`` (optional) is polled with the elapsed time; when it returns
    True the whole process group is killed with SIGKILL. ``cluster`` are the
    processes of a Dask cluster the command uses: their CPU time during the run
    and their peak memory are recorded apart from the command's own.
    """
    load = os.getloadavg()[0]
    cluster_cpu: dict[int, float] = {}
    for member in cluster:
        _tree_memory(member, cluster_cpu)
    cluster_cpu_before = sum(cluster_cpu.values())
    started = time.perf_counter()
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True, env=env
    )
    root = psutil.Process(process.pid)
    peak_rss = peak_pss = cluster_pss = 0
    cpu: dict[int, float] = {}
    killed = False
    while process.poll() is None:
        rss, pss = _tree_memory(root, cpu)
        peak_rss, peak_pss = max(peak_rss, rss), max(peak_pss, pss)
        if cluster:
            cluster_pss = max(cluster_pss, sum(_tree_memory(member, cluster_cpu)[1] for member in cluster))
        if kill_when is not None and kill_when():
            os.killpg(process.pid, signal.SIGKILL)
            killed = True
            break
        time.sleep(0.05)
    output = process.communicate()[0].decode(errors="replace")
    seconds = time.perf_counter() - started
    if process.returncode != 0 and not killed:
        raise SystemExit(f"{name} failed:\n{output}")
    cpu_seconds = sum(cpu.values())
    for member in cluster:
        _tree_memory(member, cluster_cpu)
    print(
        f"  {name}: {seconds:.1f} s, CPU {cpu_seconds:.1f} s, "
        f"peak PSS {peak_pss / 2**20:.0f} MiB, load {load:.1f}",
        file=sys.stderr,
    )
    extra = {}
    if cluster:
        extra = {
            "cluster_cpu_seconds": round(sum(cluster_cpu.values()) - cluster_cpu_before, 2),
            "cluster_peak_pss_mib": round(cluster_pss / 2**20),
        }
    return {
        **extra,
        "run": name,
        "command": " ".join(command),
        "seconds": round(seconds, 2),
        "rows": rows,
        "rows_per_second": round(rows / seconds),
        "cpu_seconds": round(cpu_seconds, 2),
        "peak_rss_mib": round(peak_rss / 2**20),
        "peak_pss_mib": round(peak_pss / 2**20),
        "load_average_before": round(load, 2),
        "killed": killed,
        "output": output.strip().splitlines()[-8:],
    }


def _tree_memory(root: psutil.Process, cpu: dict[int, float]) -> tuple[int, int]:
    """Summed RSS and summed PSS (shared pages divided among their sharers) of a process tree.

    ``cpu`` gets each process's CPU time so far (user plus system), by process id.
    """
    rss = pss = 0
    for process in [root, *root.children(recursive=True)]:
        with contextlib.suppress(psutil.Error):
            memory = process.memory_full_info()
            rss, pss = rss + memory.rss, pss + memory.pss
            times = process.cpu_times()
            cpu[process.pid] = times.user + times.system
    return rss, pss


def _checkpoint_rows(output: Path) -> int:
    try:
        return json.loads((Path(f"{output}.partial") / "checkpoint.json").read_text())["committed"]["rows"]
    except (OSError, ValueError, KeyError):
        return 0


# -- the benchmark -----------------------------------------------------------------------------------------


def run(
    rows: int, work: Path, *, models: tuple[Path, Path] | None = None, dask: bool = True, rounds: int = 3
) -> dict:
    work.mkdir(parents=True, exist_ok=True)
    archive = work / f"archive-{rows}.jsonl.gz"
    if not archive.exists():
        print(f"building {archive} ({rows:,} rows)", file=sys.stderr)
        build_archive(archive, rows)
    if models is None:
        print("training the default model and fastText on the same rows", file=sys.stderr)
        models = train_models(work)
    model_dir, fasttext_model = models
    out = work / "out"
    out.mkdir(exist_ok=True)
    tag = [
        str(TAGGER),
        "tag",
        str(archive),
        "--model",
        str(model_dir),
        "--id-field",
        "id",
        "--quiet",
        "--overwrite",
    ]
    baseline = [sys.executable, __file__, "--baseline", str(fasttext_model), str(archive)]
    resumable = [*tag[:-1], "-o", str(out / "resumed.jsonl"), "--workers", "2"]
    # The pairs the targets compare run in alternating rounds, and each counts its fastest run:
    # the speed of this machine's cores drifts by a tenth to a third within an hour.
    fasttext, two_workers, resumes = [], [], []
    for number in range(rounds):
        # Whichever of the pair goes first alternates, so that a drift does not favour one side.
        pair = [
            (fasttext, "fastText (1 core)", [*baseline, str(out / "fasttext.jsonl")]),
            (two_workers, "tag, 2 workers", [*tag, "-o", str(out / "w2.jsonl"), "--workers", "2"]),
        ]
        for measured, name, command in pair[:: 1 if number % 2 == 0 else -1]:
            measured.append(measure(name, command, rows))
        killed = measure(
            "tag, 2 workers, killed half-way",
            [*resumable, "--overwrite"],
            rows,
            kill_when=lambda: _checkpoint_rows(out / "resumed.jsonl") >= rows // 2,
        )
        resumed = measure("tag, 2 workers, --resume", [*resumable, "--resume"], rows)
        same = (out / "resumed.jsonl").read_bytes() == (out / "w2.jsonl").read_bytes()
        resumes.append((killed["seconds"], resumed["seconds"], same))
    runs = [
        _fastest(fasttext),
        measure("tag, 1 worker", [*tag, "-o", str(out / "w1.jsonl"), "--workers", "1"], rows),
        _fastest(two_workers),
    ]
    if dask:
        runs.append(
            measure(
                "tag, Dask local cluster (2 workers)",
                [*tag, "-o", str(out / "dask"), "--engine", "dask", "--workers", "2"],
                rows,
            )
        )
    killed_seconds, resumed_seconds, _ = min(resumes, key=lambda pair: pair[0] + pair[1])
    uninterrupted = runs[2]["seconds"]
    resume = {
        "killed_after_seconds": killed_seconds,
        "resumed_seconds": resumed_seconds,
        "uninterrupted_seconds": uninterrupted,
        "overhead": round((killed_seconds + resumed_seconds) / uninterrupted - 1, 4),
        "output_identical": all(same for _, _, same in resumes),
        "all_rounds": [{"killed_after_seconds": k, "resumed_seconds": r} for k, r, _ in resumes],
    }
    for entry in runs:
        entry["ratio_to_fasttext"] = round(entry["rows_per_second"] / runs[0]["rows_per_second"], 2)
    return {
        "rows": rows,
        "archive_bytes": archive.stat().st_size,
        "rounds": rounds,
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "runs": runs,
        "resume": resume,
    }


def split_archive(archive: Path, folder: Path, files: int) -> None:
    """The archive's rows, in order, in ``files`` gzip JSON-lines files of consecutive rows (an archive of
    daily files)."""
    with gzip.open(archive, "rb") as lines:
        rows = lines.readlines()
    temporary = folder.with_name(folder.name + ".tmp")
    temporary.mkdir(parents=True, exist_ok=True)
    size = -(-len(rows) // files)
    for n in range(files):
        with gzip.open(temporary / f"day-{n:04d}.jsonl.gz", "wb", compresslevel=6) as out:
            out.writelines(rows[n * size : (n + 1) * size])
    temporary.rename(folder)


def _ordered_and_complete(folder: Path, rows: int) -> bool:
    """Whether a Parquet output holds ids a00000000, a00000001, ... each once, in order: no gap, no
    duplicate."""
    import pyarrow.parquet

    ids = pyarrow.parquet.read_table(folder, columns=["id"]).column("id").to_pylist()
    return ids == [f"a{n:08d}" for n in range(rows)]


def run_dask(
    rows: int, work: Path, model_dir: Path, *, files: int, rounds: int, before: Path | None = None
) -> dict:
    """The Dask engine on a real scheduler and two worker processes, against the local engine.

    Both engines tag the same ``files`` gzip files in alternating rounds (the
    fastest of each counts); then the Dask engine tags the whole archive as one
    gzip file (one worker reads it all); with ``before``, the Dask engine of
    that tree (its own cluster, ``PYTHONPATH``) tags the files too, for the
    client's CPU time before the change.
    """
    archive = work / f"archive-{rows}.jsonl.gz"
    folder = work / f"files-{rows}-{files}"
    if not folder.exists():
        print(f"splitting {archive} into {files} files", file=sys.stderr)
        split_archive(archive, folder, files)
    out = work / "out"
    out.mkdir(exist_ok=True)
    tag = [str(TAGGER), "tag", "--model", str(model_dir), "--id-field", "id", "--quiet", "--overwrite"]
    local, dask, results = [], [], {}
    with dask_cluster(work / "cluster") as (address, cluster):
        on_dask = ["--engine", "dask", "--scheduler", address]
        for number in range(rounds):
            pair = [
                (
                    local,
                    "local engine, 2 workers",
                    [*tag, str(folder), "-o", str(out / "files.jsonl"), "--workers", "2"],
                    (),
                ),
                (
                    dask,
                    "Dask engine, 2 workers",
                    [*tag, str(folder), "-o", str(out / "files-dask"), *on_dask],
                    cluster,
                ),
            ]
            for measured, name, command, members in pair[:: 1 if number % 2 == 0 else -1]:
                measured.append(measure(name, command, rows, cluster=members))
        results["complete_and_ordered"] = _ordered_and_complete(out / "files-dask", rows)
        one = [*tag, str(archive), "-o", str(out / "one-dask"), *on_dask]
        results["one_file"] = measure("Dask engine, one .jsonl.gz", one, rows, cluster=cluster)
        results["one_file"]["complete_and_ordered"] = _ordered_and_complete(out / "one-dask", rows)
    results["local"], results["dask"] = _fastest(local), _fastest(dask)
    if before is not None:
        env = {**os.environ, "PYTHONPATH": str(before)}
        with dask_cluster(work / "cluster-before", env=env) as (address, cluster):
            command = [*tag, str(folder), "-o", str(out / "files-dask-before"), "--engine", "dask"]
            results["before"] = measure(
                "Dask engine, 2 workers, before (the client reads)",
                [*command, "--scheduler", address],
                rows,
                env=env,
                cluster=cluster,
            )
    for entry in (results.get("before"), results["dask"], results["one_file"]):
        if entry is not None:
            entry["client_cpu_seconds_per_million_rows"] = round(entry["cpu_seconds"] / rows * 1e6, 2)
    results["rows_per_second_ratio_dask_to_local"] = round(
        results["dask"]["rows_per_second"] / results["local"]["rows_per_second"], 2
    )
    return {"rows": rows, "files": files, "rounds": rounds, **results}


def dask_table(results: dict) -> str:
    lines = [
        f"Dask engine: {results['rows']:,} rows in {results['files']} gzip JSON-lines files, "
        "a real scheduler and 2 single-threaded worker processes on this machine",
        "",
        "| run | wall s | rows/s | command's CPU s | its CPU s per 1M rows | cluster CPU s "
        "| cluster peak PSS MiB | load before |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for key in ("local", "dask", "one_file", "before"):
        entry = results.get(key)
        if entry is None:
            continue
        rounds = entry.get("all_seconds", [])
        name = (
            f"{entry['run']}, fastest of {', '.join(f'{s:.1f}' for s in rounds)} s"
            if rounds
            else entry["run"]
        )
        per_million = entry.get("client_cpu_seconds_per_million_rows")
        cells = [
            name,
            f"{entry['seconds']:.1f}",
            f"{entry['rows_per_second']:,}",
            f"{entry['cpu_seconds']:.1f}",
            "" if per_million is None else f"{per_million:.2f}",
            str(entry.get("cluster_cpu_seconds", "")),
            str(entry.get("cluster_peak_pss_mib", "")),
            f"{entry['load_average_before']:.1f}",
        ]
        lines.append(f"| {' | '.join(cells)} |")
    lines += [
        "",
        f"Dask rows/s / local rows/s: {results['rows_per_second_ratio_dask_to_local']:.2f}; "
        f"output complete and in order (many files / one file): {results['complete_and_ordered']} / "
        f"{results['one_file']['complete_and_ordered']}",
    ]
    return "\n".join(lines)


def _fastest(measured: list[dict]) -> dict:
    """The fastest of several runs of one command, with every run's wall time."""
    fastest = dict(min(measured, key=lambda entry: entry["seconds"]))
    fastest["all_seconds"] = [entry["seconds"] for entry in measured]
    return fastest


def table(results: dict) -> str:
    lines = [
        f"{results['rows']:,} rows, gzip JSON lines ({results['archive_bytes'] / 2**20:.0f} MiB), "
        f"{results['machine']['cpus']} cores",
        "",
        "| run | wall s | rows/s | ratio to fastText | CPU s | peak PSS MiB | peak RSS MiB | load before |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for entry in results["runs"]:
        rounds = entry.get("all_seconds", [])
        name = (
            f"{entry['run']}, fastest of {', '.join(f'{s:.1f}' for s in rounds)} s"
            if rounds
            else entry["run"]
        )
        lines.append(
            f"| {name} | {entry['seconds']:.1f} | {entry['rows_per_second']:,} | "
            f"{entry['ratio_to_fasttext']:.2f} | {entry.get('cpu_seconds', 0):.1f} | "
            f"{entry['peak_pss_mib']:,} | {entry['peak_rss_mib']:,} | "
            f"{entry['load_average_before']:.1f} |"
        )
    resume = results["resume"]
    lines += [
        "",
        f"resume (the fastest of {len(resume['all_rounds'])} rounds, against the fastest uninterrupted run): "
        f"killed after {resume['killed_after_seconds']:.1f} s + resumed in "
        f"{resume['resumed_seconds']:.1f} s vs {resume['uninterrupted_seconds']:.1f} s uninterrupted: "
        f"overhead {resume['overhead']:+.1%}; output byte-identical: {resume['output_identical']}",
    ]
    return "\n".join(lines)


def _positive(text: str) -> int:
    number = int(text)
    if number < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return number


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--work-dir", type=Path, default=Path("/tmp/headline-tagger-bench"))
    parser.add_argument("--model", type=Path, help="a trained model directory to use instead of training one")
    parser.add_argument("--fasttext-model", type=Path, help="with --model: the fastText model to use")
    parser.add_argument("--no-dask", action="store_true", help="leave out the Dask run")
    parser.add_argument(
        "--rounds",
        type=_positive,
        default=3,
        help="rounds of fastText, 2 workers and a resume (the fastest counts)",
    )
    parser.add_argument("--results", type=Path, default=RESULTS, help="where tagging.txt and tagging.json go")
    parser.add_argument(
        "--dask-only",
        action="store_true",
        help="run only the Dask engine's comparison (with --model) and update its part of the results",
    )
    parser.add_argument("--files", type=_positive, default=16, help="gzip files the Dask comparison tags")
    parser.add_argument(
        "--before", type=Path, help="another tree whose Dask engine to time too (the client's CPU before)"
    )
    parser.add_argument("--baseline", nargs=3, metavar=("MODEL", "ARCHIVE", "OUTPUT"), help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.baseline:
        fasttext_baseline(*arguments.baseline)
        return
    if arguments.dask_only:
        if arguments.model is None:
            parser.error("--dask-only needs --model")
        _dask_only(arguments)
        return
    if (arguments.model is None) != (arguments.fasttext_model is None):
        parser.error("--model and --fasttext-model go together")
    models = (arguments.model, arguments.fasttext_model) if arguments.model else None
    results = run(
        arguments.rows, arguments.work_dir, models=models, dask=not arguments.no_dask, rounds=arguments.rounds
    )
    if not arguments.no_dask:
        results["dask"] = run_dask(
            arguments.rows,
            arguments.work_dir,
            models[0] if models else _latest_model(arguments.work_dir),
            files=arguments.files,
            rounds=arguments.rounds,
            before=arguments.before,
        )
    _write(arguments.results, results)


def _latest_model(work: Path) -> Path:
    return max((work / "models").iterdir(), key=lambda path: path.name)


def _dask_only(arguments: argparse.Namespace) -> None:
    """Run :func:`run_dask` and put its results into those of an earlier full run."""
    path = arguments.results / "tagging.json"
    results = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    results["dask"] = run_dask(
        arguments.rows,
        arguments.work_dir,
        arguments.model,
        files=arguments.files,
        rounds=arguments.rounds,
        before=arguments.before,
    )
    _write(arguments.results, results)


def _write(folder: Path, results: dict) -> None:
    parts = [table(results)] if "runs" in results else []
    if "dask" in results:
        parts.append(dask_table(results["dask"]))
    text = "\n\n".join(parts)
    print(text)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "tagging.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    (folder / "tagging.txt").write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()

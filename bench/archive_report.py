"""How long ``tag --report`` takes to report on a big tagged output, and what memory it needs.

Run it from the repository root (needs ../shared/data and the report extra)::

    .venv/bin/python bench/archive_report.py [--rows 1000000]

A model is trained on all of HuffPost (the default settings: it keeps its validation counts), and
HuffPost's 7,938 rows are tagged by ``tag`` into JSON lines, gzipped JSON lines, CSV and Parquet.
Each output is then repeated to ``--rows`` rows (the bytes of a JSON-lines or CSV output again and
again, a Parquet part copied), which is what ``tag`` would have written for an archive of that many
rows, and the report of each is made as ``tag --report`` makes it after a run (counting the output,
adjusting the shares with their bootstrap, the drift test, the figures, the page, the atomic write),
by month from the ``date`` column. Each report runs in a fresh process, whose peak resident memory
is measured; a tenth of the rows is measured too, to show that memory does not grow with the rows.

The table goes to stdout, the numbers to ``bench/results/archive_report.json``.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import shutil
import time
from pathlib import Path

from classifier.report.archive import archive_report
from classifier.report.builder import write_report
from classifier.tagging.outputs import output_spec

# Training and tagging are imported where they are used: the process that makes each report imports
# this module, and should hold no more than the process of `tag --report` does.

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data" / "huffpost" / "news_category_2018_2019.jsonl.gz"
WORK = Path("/tmp/headline-tagger-bench/archive-report")
OUTPUTS = {"jsonl": "tagged.jsonl", "jsonl.gz": "tagged.jsonl.gz", "csv": "tagged.csv", "parquet": "tagged"}


def _repeat(source: Path, target: Path, times: int, header: bool) -> None:
    """``times`` copies of ``source``'s bytes in ``target``; a CSV's header only once."""
    data = source.read_bytes()
    body = data.split(b"\n", 1)[1] if header else data
    with open(target, "wb") as out:
        out.write(data)
        for _ in range(times - 1):
            out.write(body)


def _outputs(model_dir: Path, rows: int, suffix: str) -> dict[str, Path]:
    """Each output format of the tagged HuffPost rows, repeated to at least ``rows`` rows."""
    from classifier.inputs.records import ReadOptions
    from classifier.tagging.job import TagJob, tag_archive

    made = {}
    for fmt, name in OUTPUTS.items():
        small = WORK / f"small-{name}"
        job = TagJob((f"huffpost:{DATA}",), small, model_dir, options=ReadOptions(), overwrite=True)
        tagged = tag_archive(job).rows_tagged
        times = -(-rows // tagged)
        target = WORK / f"{suffix}-{name}"
        if target.is_dir():
            shutil.rmtree(target)
        if fmt == "parquet":
            target.mkdir()
            parts = sorted(small.glob("part-*"))
            for copy in range(times):
                for number, part in enumerate(parts):
                    shutil.copy(part, target / f"part-{copy * len(parts) + number:08d}.parquet")
        elif fmt == "jsonl.gz":
            _repeat(small, target, times, header=False)  # gzip members may follow one another
        else:
            _repeat(small, target, times, header=fmt == "csv")
        made[fmt] = target
    return made


def _peak_mb() -> float:
    """This process's peak resident memory: ``VmHWM``, which, unlike ``ru_maxrss``, a new program
    does not inherit from the process that started it."""
    status = Path("/proc/self/status").read_text()
    return int(status.split("VmHWM:", 1)[1].split()[0]) / 1024


def _report(output: Path, model_dir: Path) -> dict:
    """Make and write the report of ``output`` (in a fresh process); its time and peak memory."""
    before = _peak_mb()  # the imports' share
    started = time.perf_counter()
    made = archive_report(
        output, output_spec(output), model_dir, date_column="date", subtitle="bench/archive_report.py"
    )
    target = output.with_name(output.name.replace(".", "-") + ".html")
    write_report(target, made.html)
    return {
        "rows": made.rows,
        "seconds": round(time.perf_counter() - started, 2),
        "peak_rss_mb": round(_peak_mb(), 1),
        "rss_before_mb": round(before, 1),
        "output_bytes": sum(f.stat().st_size for f in output.iterdir())
        if output.is_dir()
        else output.stat().st_size,
        "report_bytes": target.stat().st_size,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--results", type=Path, default=REPO / "bench" / "results" / "archive_report.json")
    args = parser.parse_args()
    from classifier.training import TrainingSettings
    from classifier.workflows import DataRequest, train_model

    WORK.mkdir(parents=True, exist_ok=True)
    request = DataRequest(arguments=(f"huffpost:{DATA}",))
    model_dir = train_model(
        request, TrainingSettings(), models_dir=WORK / "models", promote_to_current=False
    ).model_dir
    results = []
    spawn = multiprocessing.get_context("spawn")
    for rows, suffix in ((args.rows // 10, "tenth"), (args.rows, "all")):
        for fmt, output in _outputs(model_dir, rows, suffix).items():
            with spawn.Pool(1) as pool:
                results.append({"format": fmt, **pool.apply(_report, (output, model_dir))})
            print(f"{fmt}: {results[-1]}", flush=True)
    print(
        f"{'format':<9} {'rows':>10} {'output MB':>9} {'report s':>8} {'before MB':>9} {'peak MB':>8} "
        f"{'report MB':>9}"
    )
    for r in results:
        print(
            f"{r['format']:<9} {r['rows']:>10,} {r['output_bytes'] / 1e6:>9.0f} {r['seconds']:>8.2f} "
            f"{r['rss_before_mb']:>9.0f} {r['peak_rss_mb']:>8.0f} {r['report_bytes'] / 1e6:>9.2f}"
        )
    load = round(os.getloadavg()[0], 1)  # a shared machine: how much of each time was waiting for a core
    args.results.write_text(
        json.dumps({"load_average_1min": load, "results": results}, indent=2) + "\n", encoding="utf-8"
    )


if __name__ == "__main__":
    main()

"""Where a row of `headline-tagger tag` goes: CPU per row of each stage a worker runs, on real rows.

Run it from the repository root, on the archive and model that bench/tagging.py made::

    .venv/bin/python bench/tag_stages.py [--archive /tmp/headline-tagger-bench/archive-1000000.jsonl.gz]
        [--model /tmp/headline-tagger-bench/models/current] [--rows 50000] [--block 1400]

It reads the first ``--rows`` rows of the archive and times, each on its own
and in blocks of ``--block`` rows (what a 640 KiB block of `tag` holds), the
stages :func:`classifier.tagging.lines.tag_block` runs for every block:
splitting the block into lines, parsing each line (``jsonl_row``), building
the record (``record_from_row``), the probabilities of the compiled scorer,
the decision rules (``predict`` less the probabilities), and encoding the
output rows (``encode_rows``); then ``tag_block`` itself, whole. Each is the
fastest of ``--repeat`` runs (5 by default): this machine's speed drifts, and
the fastest run is the one least disturbed. ``PYTHONPATH=OTHER_TREE`` times
another version of the code on the same rows, for a before-and-after table.
The table goes to stdout, the numbers to ``bench/results/tag_stages.json``
(or ``--results FILE``).
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import time
from pathlib import Path

import classifier
from classifier.inputs.cleaning import record_from_row
from classifier.inputs.formats import jsonl_row
from classifier.inputs.records import ReadOptions
from classifier.persistence import load_model
from classifier.tagging.lines import LineBlock, tag_block
from classifier.tagging.outputs import OutputSpec, base_row, encode_rows

REPO = Path(__file__).resolve().parents[1]
WORK = Path("/tmp/headline-tagger-bench")


def stages(model, lines: list[bytes], block: int, repeat: int) -> dict[str, float]:
    """µs per row of each stage, the fastest of ``repeat`` runs."""
    options, spec = ReadOptions(id_field="id", label_field=None), OutputSpec("jsonl")
    blocks = [lines[start : start + block] for start in range(0, len(lines), block)]
    data = [b"".join(piece) for piece in blocks]
    rows = [[jsonl_row("archive", n, line) for n, line in enumerate(piece, 1)] for piece in blocks]
    records = [[record_from_row(row, options) for row in piece] for piece in rows]
    texts = [([r.headline for r in piece], [r.teaser for r in piece]) for piece in records]
    predictions = [model.predict(headlines, teasers) for headlines, teasers in texts]
    bases = [[base_row(record, False) for record in piece] for piece in records]
    work = [LineBlock(0, "archive", 0, 1, piece, options, spec, ()) for piece in data]
    timed = {
        "split the block into lines": lambda: [piece.splitlines(keepends=True) for piece in data],
        "parse each line (jsonl_row)": lambda: [
            [jsonl_row("archive", n, line) for n, line in enumerate(piece, 1)] for piece in blocks
        ],
        "build the record (record_from_row)": lambda: [
            [record_from_row(row, options) for row in piece] for piece in rows
        ],
        "probabilities (compiled scorer)": lambda: [model.scores(h, t) for h, t in texts],
        "probabilities and decisions (predict)": lambda: [model.predict(h, t) for h, t in texts],
        "encode the output rows (encode_rows)": lambda: [
            encode_rows(b, p, spec, columns=()) for b, p in zip(bases, predictions, strict=True)
        ],
        "tag_block, whole": lambda: [tag_block(model, piece) for piece in work],
    }
    return {name: _fastest(function, repeat) / len(lines) * 1e6 for name, function in timed.items()}


def _fastest(function, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--archive", type=Path, default=WORK / "archive-1000000.jsonl.gz")
    parser.add_argument("--model", type=Path, default=WORK / "models" / "current")
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--block", type=int, default=1_400)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--results", type=Path, default=REPO / "bench" / "results" / "tag_stages.json")
    arguments = parser.parse_args()
    with gzip.open(arguments.archive) as stream:
        lines = [line for _, line in zip(range(arguments.rows), stream, strict=False)]
    model, _ = load_model(arguments.model)
    model.prepare()
    measured = stages(model, lines, arguments.block, arguments.repeat)
    code = str(Path(classifier.__file__).resolve().parents[1])
    print(f"{len(lines):,} rows of {arguments.archive.name} in blocks of {arguments.block:,}; code: {code}")
    print("| stage | µs per row |\n| --- | ---: |")
    for name, micros in measured.items():
        print(f"| {name} | {micros:.2f} |")
    result = {"rows": len(lines), "block": arguments.block, "code": code, "us_per_row": measured}
    arguments.results.parent.mkdir(parents=True, exist_ok=True)
    arguments.results.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {arguments.results}", file=sys.stderr)


if __name__ == "__main__":
    main()

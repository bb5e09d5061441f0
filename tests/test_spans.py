"""Spans of a file read one after another give the rows, lines and rejected rows of a whole-file read."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pyarrow
import pyarrow.parquet
import pytest

from classifier.inputs.readers import read_records
from classifier.inputs.records import BadRowLimit, ReadOptions, ReadReport
from classifier.inputs.spans import Span, cut_file

HEADLINES = ["Parliament passes budget", "Striker scores twice", "Bank raises rates", "Storm closes roads"]


def _read(path: Path, fmt: str, span: Span | None = None):
    """(records as (id, headline, source, line), rejected rows) of ``path`` or of one span of it."""
    bad = []
    report = ReadReport(limit=BadRowLimit.parse("100%"), on_reject=bad.append)
    options = ReadOptions(format=fmt, label_field=None, id_field="id")
    records = [(r.id, r.headline, r.source, r.line) for r in read_records(path, options, report, span)]
    return records, [(row.source, row.line, row.reason) for row in bad], report.bad


def _read_by_spans(path: Path, fmt: str, spans: list[Span]):
    records, bad, count = [], [], 0
    for span in spans:
        more, more_bad, more_count = _read(path, fmt, span)
        records, bad, count = records + more, bad + more_bad, count + more_count
    return records, bad, count


def json_lines(path: Path, rows: int) -> Path:
    """A JSON-lines file with a byte-order mark, mixed line ends, blank lines and bad lines."""
    ends = ["\n", "\r\n", "\r"]
    lines = []
    for n in range(rows):
        if n % 17 == 5:
            lines.append("{not json")
        elif n % 23 == 7:
            lines.append("")
        elif n % 19 == 3:
            lines.append(json.dumps({"id": f"r{n}", "teaser": "no headline"}))
        else:
            lines.append(json.dumps({"id": f"r{n}", "headline": f"{HEADLINES[n % 4]} é{n}"}))
    path.write_bytes(b"\xef\xbb\xbf" + "".join(line + ends[n % 3] for n, line in enumerate(lines)).encode())
    return path


def csv_file(path: Path, rows: int, *, quoted_line_break: bool = False) -> Path:
    lines = ["id,headline,teaser"]
    for n in range(rows):
        if n % 13 == 4:
            lines.append(f"r{n},too,many,cells")
        else:
            lines.append(f'r{n},"{HEADLINES[n % 4]}, {n}",plain')
    if quoted_line_break:
        lines.insert(rows // 2, 'q1,"A headline","a teaser\nover two lines"')
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8", newline="")
    return path


def test_json_lines_spans_read_like_the_whole_file(tmp_path):
    path = json_lines(tmp_path / "a.jsonl", 300)
    spans = cut_file(str(path), "jsonl", part_bytes=500, part_rows=0)
    assert spans is not None and len(spans) > 5
    assert [span.start for span in spans[1:]] == [span.end for span in spans[:-1]]
    assert spans[-1].end == path.stat().st_size
    whole = _read(path, "jsonl")
    assert whole[2] > 20
    assert _read_by_spans(path, "jsonl", spans) == whole


def test_csv_spans_read_like_the_whole_file_and_quoted_line_breaks_keep_it_whole(tmp_path):
    path = csv_file(tmp_path / "a.csv", 200)
    spans = cut_file(str(path), "csv", part_bytes=400, part_rows=0)
    assert spans is not None and len(spans) > 5
    whole = _read(path, "csv")
    assert whole[2] > 10
    assert _read_by_spans(path, "csv", spans) == whole
    broken = csv_file(tmp_path / "b.csv", 200, quoted_line_break=True)
    assert cut_file(str(broken), "csv", part_bytes=400, part_rows=0) is None


def test_parquet_is_cut_between_row_groups(tmp_path):
    path = tmp_path / "a.parquet"
    table = pyarrow.table(
        {"id": [f"r{n}" for n in range(50)], "headline": [HEADLINES[n % 4] for n in range(50)]}
    )
    pyarrow.parquet.write_table(table, path, row_group_size=10)
    spans = cut_file(str(path), "parquet", part_bytes=1, part_rows=20)
    assert spans == [Span(0, 2, 1), Span(2, 4, 21), Span(4, 5, 41)]
    assert _read_by_spans(path, "parquet", spans) == _read(path, "parquet")


def test_compressed_and_small_files_are_read_whole(tmp_path):
    path = json_lines(tmp_path / "a.jsonl", 300)
    packed = tmp_path / "a.jsonl.gz"
    packed.write_bytes(gzip.compress(path.read_bytes()))
    assert cut_file(str(packed), "jsonl", part_bytes=500, part_rows=0) is None
    assert cut_file(str(path), "jsonl", part_bytes=path.stat().st_size, part_rows=0) is None


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_a_span_of_blank_lines_holds_no_rows_without_failing(tmp_path, fmt):
    path = tmp_path / f"blank.{fmt}"
    path.write_text("id,headline\n\n\n\n" if fmt == "csv" else "\n\n\n\n")
    assert _read(path, fmt, Span(6 if fmt == "csv" else 1, path.stat().st_size, 2))[0] == []

"""Cutting a data file into spans that can be read apart, by different processes, with the same rows.

A whole-file read and the reads of a file's spans, one after another, give the
same rows with the same line numbers, and the same rejected rows:

* uncompressed JSON lines are cut at line ends, every ``part_bytes`` or so, and
  each span knows the number of its first line (lines end as the text reader
  ends them: ``\\n``, ``\\r\\n`` or ``\\r``);
* uncompressed CSV and TSV are cut the same way, but only when no record spans
  two lines (a quoted line break), which the cutting checks by parsing the file
  once: a cut inside a quoted field would make two bad rows out of one good one;
* Parquet files are cut between row groups, every ``part_rows`` rows or so.

Anything else (compressed files, which must be decompressed from their start,
labelled folders, files smaller than a span) is read whole.
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass

from classifier.inputs.textio import open_text, strip_compression

__all__ = ["Span", "cut_file", "may_cut"]


@dataclass(frozen=True, slots=True)
class Span:
    """A part of one file, read on its own: ``start`` to ``end``, whose first row is line ``line``.

    ``start`` and ``end`` are byte offsets for line-based files, where ``start``
    is where a line starts, and row-group numbers for Parquet.
    """

    start: int
    end: int
    line: int

    @property
    def bytes(self) -> tuple[int, int]:
        """The byte range of a line-based file."""
        return self.start, self.end

    @property
    def row_groups(self) -> tuple[int, int]:
        """The row groups of a Parquet file, as the bounds of a ``range``."""
        return self.start, self.end


def may_cut(path: str, fmt: str, *, part_bytes: int) -> bool:
    """Whether :func:`cut_file` may cut ``path``, judged from its name and size alone (cheap)."""
    if strip_compression(path)[1] is not None:
        return False
    return fmt == "parquet" or (fmt in ("jsonl", "csv", "tsv") and os.path.getsize(path) > part_bytes)


def cut_file(path: str, fmt: str, *, part_bytes: int, part_rows: int) -> list[Span] | None:
    """The spans of file ``path`` (in format ``fmt``), in order; None when it is to be read whole."""
    if not may_cut(path, fmt, part_bytes=part_bytes):
        return None
    if fmt == "parquet":
        return _row_group_spans(path, part_rows)
    if fmt != "jsonl" and not _one_line_records(path, "\t" if fmt == "tsv" else ","):
        return None
    return _line_spans(path, os.path.getsize(path), part_bytes)


def _line_spans(path: str, size: int, part_bytes: int) -> list[Span]:
    spans = []
    start, line = 0, 1
    with open(path, "rb") as stream:
        while start < size:
            data = stream.read(part_bytes)
            if not data.endswith(b"\n"):
                data += stream.readline()  # on to the end of the line it stopped in
            spans.append(Span(start, start + len(data), line))
            start += len(data)
            line += data.count(b"\n") + data.count(b"\r") - data.count(b"\r\n")
    return spans


def _one_line_records(path: str, delimiter: str) -> bool:
    """Whether every record of a CSV file lies on one line, so that it can be cut at any line end."""
    with open_text(path, newline="") as stream:
        reader = csv.reader(stream, delimiter=delimiter)
        try:
            for number, _ in enumerate(reader, 1):
                if reader.line_num != number:
                    return False
        except csv.Error:  # let the whole-file read reject it, exactly as it always does
            return False
    return True


def _row_group_spans(path: str, part_rows: int) -> list[Span] | None:
    import pyarrow  # here: about 0.2 s to import, and most runs read no Parquet
    import pyarrow.parquet

    try:
        with pyarrow.parquet.ParquetFile(path) as parquet:
            groups = [parquet.metadata.row_group(n).num_rows for n in range(parquet.metadata.num_row_groups)]
    except (pyarrow.ArrowException, OSError):  # the whole-file read says what is wrong with it
        return None
    spans: list[Span] = []
    start, line, rows = 0, 1, 0
    for number, count in enumerate(groups):
        rows += count
        if rows >= part_rows or number == len(groups) - 1:
            spans.append(Span(start, number + 1, line))
            start, line, rows = number + 1, line + rows, 0
    return spans if len(spans) > 1 else None

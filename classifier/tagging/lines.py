"""Tagging JSON lines by raw blocks: the main process only decompresses, splits and writes.

For JSON-lines inputs (plain or compressed, read with the generic options) and
JSON-lines or CSV output, the main process does almost nothing per row:

1. :func:`line_blocks` reads each file's decompressed bytes in blocks of
   whole lines (about ``block_bytes`` each) and notes where each starts: the
   byte offset into the uncompressed stream and the line number.
2. :func:`tag_block`, in a worker (see :mod:`classifier.tagging.inflight`),
   splits a block into lines exactly as the text reader does (``\\n``,
   ``\\r\\n`` or ``\\r``; a byte-order mark only at the start of a file),
   parses them with the same reader functions (so bad rows carry the same
   file, line and reason), predicts, and encodes the output rows to bytes.
3. :class:`LineChunks`, back in the main process, cuts the encoded rows into
   chunks of ``chunk_size`` rows, exactly the chunks of the record path
   (:mod:`classifier.tagging.chunks`), so parts and rejects are byte-identical to
   it, and commits each part with its input position (compressed by the thread that writes it).

The checkpoint's position (file, byte offset after the chunk's last row,
that row's line) lets a resumed run skip straight there: a plain file is
sought, a compressed one decompressed without being parsed.
"""

from __future__ import annotations

import codecs
from array import array
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import accumulate
from typing import TYPE_CHECKING, Any

from classifier.errors import DataError
from classifier.inputs.cleaning import record_from_row
from classifier.inputs.formats import jsonl_items, jsonl_row
from classifier.inputs.records import BadRow, ReadOptions, ReadReport, RowRejected
from classifier.inputs.textio import open_binary, strip_compression
from classifier.tagging.chunks import csv_columns
from classifier.tagging.commits import Commits
from classifier.tagging.inflight import Tagger, in_order
from classifier.tagging.outputs import OutputSpec, base_row, encode_rows, part_header

if TYPE_CHECKING:  # the main process reads and writes blocks without the model (or scikit-learn)
    from classifier.model.topic_model import TopicModel

__all__ = [
    "BlockResult",
    "FileEnd",
    "LineBlock",
    "LineChunks",
    "first_columns",
    "line_blocks",
    "tag_block",
    "tag_lines",
]

_SKIP_BYTES = 1 << 20


@dataclass(frozen=True, slots=True)
class LineBlock:
    """Whole lines of file number ``file`` (``source``), from byte ``offset`` and line ``first_line`` on."""

    file: int
    source: str
    offset: int
    first_line: int
    data: bytes
    options: ReadOptions
    spec: OutputSpec
    columns: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class FileEnd:
    """The end of file number ``file``; ``resumed`` when the run started inside it."""

    file: int
    source: str
    resumed: bool


@dataclass(frozen=True, slots=True)
class BlockResult:
    """A tagged block: its output rows encoded, and what the main process needs to chunk them.

    ``text`` holds the rows, row *i* ending at byte ``ends[i]``; ``labels`` are
    their top labels (None when the model abstained); ``offsets`` and
    ``lines`` where each row's input line ends and its number. ``events`` are
    the rows rejected in the block (a :class:`BadRow`), each with the number of
    tagged rows before it. ``items`` counts the non-blank lines.
    """

    file: int
    items: int
    text: bytes
    ends: array
    labels: list[str | None]
    offsets: array
    lines: array
    events: list[tuple[int, BadRow]]


def tag_block(model: TopicModel, block: LineBlock) -> BlockResult:
    """Parse, predict and encode the rows of ``block`` (in a worker)."""
    records, events = [], []
    offsets, lines = array("q"), array("q")
    offset, number, items = block.offset, block.first_line - 1, 0
    for raw in block.data.splitlines(keepends=True):
        number += 1
        offset += len(raw)
        row = jsonl_row(block.source, number, raw)
        if row is None:  # a blank line
            continue
        items += 1
        if isinstance(row, BadRow):
            events.append((len(records), row))
            continue
        try:
            records.append(record_from_row(row, block.options))
        except RowRejected as exc:  # (only presets skip rows, and presets never come this way)
            events.append((len(records), BadRow(row.source, row.line, exc.reason)))
            continue
        offsets.append(offset)
        lines.append(number)
    predictions = model.predict([r.headline for r in records], [r.teaser for r in records]) if records else []
    bases = [base_row(record, block.spec.slim, block.spec.date) for record in records]
    rows = encode_rows(bases, predictions, block.spec, columns=block.columns)
    text = "".join(rows)
    data = text.encode("utf-8")
    lengths = map(len, rows) if len(data) == len(text) else (len(row.encode("utf-8")) for row in rows)
    return BlockResult(
        block.file,
        items,
        data,
        array("q", accumulate(lengths)),
        [None if p.abstained else p.label for p in predictions],
        offsets,
        lines,
        events,
    )


def first_columns(files: list[str], options: ReadOptions, spec: OutputSpec) -> tuple[str, ...]:
    """The CSV columns of a run (see :func:`~classifier.tagging.chunks.csv_columns`): its first row's fields.

    Read again on resume, as the first row may lie before the checkpoint's position.
    """
    if spec.format != "csv":
        return ()
    for source in files:
        for row in jsonl_items(source):
            if isinstance(row, BadRow):
                continue
            try:
                record = record_from_row(row, options)
            except RowRejected:
                continue
            return csv_columns(base_row(record, spec.slim, spec.date), spec)
    return ()


def line_blocks(
    files: list[str],
    options: ReadOptions,
    spec: OutputSpec,
    columns: tuple[str, ...],
    *,
    block_bytes: int,
    start: dict[str, int] | None = None,
) -> Iterator[tuple[LineBlock, None] | tuple[None, FileEnd]]:
    """The blocks of every file in turn, each file followed by its :class:`FileEnd`.

    Each comes as the ``(work, note)`` pair :func:`~classifier.tagging.inflight.in_order`
    takes: ``(block, None)``, then ``(None, end)``.

    ``start`` is a checkpoint's position: the files before it are passed over
    and its file is read from just after the line it names.

    Raises
    ------
    DataError
        A file cannot be read (corrupt or truncated archive).
    """
    for index, source in enumerate(files):
        if start is not None and index < start["file"]:
            continue
        resumed = start is not None and index == start["file"]
        with open_binary(source) as stream:
            offset, number = (start["offset"], start["line"] + 1) if resumed else (0, 1)
            if resumed:
                _skip(stream, source, offset)
            pending: list[bytes] = []  # the start of a line no read has ended yet, joined once it ends
            while True:
                data = stream.read(block_bytes)
                if data:
                    # Cut after the last line end; a final \r waits, as a \n may follow it.
                    cut = max(data.rfind(b"\n"), data.rfind(b"\r", 0, len(data) - 1)) + 1
                    if not cut:  # no line end: keep the piece (never re-copy a long line per read)
                        pending.append(data)
                        continue
                    block = b"".join([*pending, data[:cut]])
                    pending = [data[cut:]] if cut < len(data) else []
                else:  # the end of the file: what is left is its last line
                    block = b"".join(pending)
                if block:
                    if offset == 0 and block.startswith(codecs.BOM_UTF8):  # as "utf-8-sig" decodes
                        block, offset = block[3:], 3
                    yield LineBlock(index, source, offset, number, block, options, spec, columns), None
                    offset += len(block)
                    number += block.count(b"\n") if b"\r" not in block else len(block.splitlines())
                if not data:
                    break
        yield None, FileEnd(index, source, resumed)


def _skip(stream: Any, source: str, offset: int) -> None:
    """Move ``stream`` to ``offset``: a seek in a plain file, else decompressing without parsing."""
    if strip_compression(source)[1] is None:
        stream.seek(offset)
        return
    left = offset
    while left > 0:
        skipped = len(stream.read(min(left, _SKIP_BYTES)))
        if not skipped:
            raise DataError(f"{source}: shorter than when the interrupted run read it")
        left -= skipped


def tag_lines(
    blocks: Iterator[tuple[LineBlock, None] | tuple[None, FileEnd]], tagger: Tagger, chunks: LineChunks
) -> None:
    """Tag the blocks of :func:`line_blocks` and hand their results to ``chunks``, in input order."""
    for result, end in in_order(tagger, tag_block, blocks):
        if result is not None:
            chunks.add(result)
        else:
            chunks.file_end(end)
    chunks.finish()


class LineChunks:
    """Cuts the tagged rows of consecutive blocks into the chunks of the record path and commits them.

    Chunk *i* is the *i*-th run of ``chunk_size`` tagged rows; the rows rejected
    before a chunk's last row (and after the previous chunk's) are committed
    with it, those after the last row with the final commit.
    """

    def __init__(
        self,
        commits: Commits,
        report: ReadReport,
        spec: OutputSpec,
        columns: tuple[str, ...],
        *,
        chunk_size: int,
        first: int = 0,
    ) -> None:
        self.commits, self.report, self.spec = commits, report, spec
        self.header = part_header(spec, columns).encode("utf-8")
        self.chunk_size, self.index = chunk_size, first
        self.pieces: list[bytes] = []
        self.labels: list[str | None] = []
        self.position: dict[str, int] | None = None
        self.seen: Counter = Counter()

    def add(self, result: BlockResult) -> None:
        """Take the rows and events of the next block, committing each chunk they complete."""
        self.seen[result.file] += result.items
        done = 0
        for before, bad in result.events:
            self._rows(result, done, before)
            done = before
            self.report.reject(bad)  # to commits.pending, for the chunk being filled
        self._rows(result, done, len(result.labels))

    def file_end(self, end: FileEnd) -> None:
        """Check that the file that ended had rows, good or bad, as the readers do."""
        if not self.seen[end.file] and not end.resumed:
            raise DataError(f"{end.source} is empty: it has no rows")
        self.position = {"file": end.file + 1, "offset": 0, "line": 0}  # all read up to the next file

    def finish(self) -> None:
        """Commit the last, shorter chunk (with every row rejected after it), then mark the run complete."""
        if self.labels:
            self._commit()
        self.commits.last(self.commits.taken())

    def _rows(self, result: BlockResult, start: int, stop: int) -> None:
        """Add rows ``start`` to ``stop`` of ``result`` to the chunks."""
        while start < stop:
            take = min(self.chunk_size - len(self.labels), stop - start)
            end = start + take
            self.pieces.append(result.text[result.ends[start - 1] if start else 0 : result.ends[end - 1]])
            self.labels.extend(result.labels[start:end])
            self.report.accepted += take
            self.position = {
                "file": result.file,
                "offset": result.offsets[end - 1],
                "line": result.lines[end - 1],
            }
            start = end
            if len(self.labels) == self.chunk_size:
                self._commit()

    def _commit(self) -> None:
        data = b"".join([self.header, *self.pieces] if self.index == 0 else self.pieces)
        counts = Counter(self.labels)
        abstained = counts.pop(None, 0)
        self.commits.chunk(
            self.index,
            data,
            len(self.labels),
            dict(counts),
            abstained,
            self.commits.taken(),
            self.position,
            compression=self.spec.compression,
        )
        self.index += 1
        self.pieces, self.labels = [], []

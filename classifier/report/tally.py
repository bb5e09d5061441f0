"""Counts of a finished ``tag`` output, read back in a stream, for the archive report.

The report is made from the committed output itself, so it covers every row however the run
went (one go, or resumed after interruptions, by any engine), and its memory stays that of a
few counters: one array of answer counts, one score histogram and one array per month. Only
the columns it needs are decoded: ``label``, ``score``, ``abstained``, ``labels`` (multi-label
models) and the date column.

* JSON lines: msgspec decodes blocks of lines into small structs of those fields, skipping
  the rest of each row.
* CSV: pyarrow's streaming CSV reader, keeping those columns only.
* Parquet: each part's row groups, those columns only.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from operator import attrgetter
from pathlib import Path
from typing import Any

import numpy as np

from classifier import settings
from classifier.errors import DataError
from classifier.inputs.textio import open_binary
from classifier.tagging.outputs import OutputSpec, csv_listed_labels
from classifier.validation_counts import score_histogram

__all__ = ["ArchiveTally", "month_of", "tally_output"]

_BLOCK_BYTES = 8 << 20
# pyarrow's streaming CSV reader holds several blocks at once: with 8 MiB blocks it peaked at 400 MB
# on a 1,000,000-row output, with 1 MiB at about 120 MB, and was no slower (bench/archive_report.py).
_CSV_BLOCK_BYTES = 1 << 20
_ISO_MONTH = re.compile(r"\s*(\d{4})-(\d{2})")


@functools.lru_cache(maxsize=1 << 16)
def _month_of_text(text: str) -> str | None:
    # Cached: an archive's dates repeat (a day's rows share one), and matching is most of the cost.
    found = _ISO_MONTH.match(text)
    return f"{found[1]}-{found[2]}" if found and "01" <= found[2] <= "12" else None


def month_of(value: Any) -> str | None:
    """``YYYY-MM`` of an ISO 8601 date or time (text or a date/datetime value), else None."""
    if isinstance(value, str):
        return _month_of_text(value)
    if isinstance(value, date):  # a datetime is a date too
        return f"{value.year:04d}-{value.month:02d}"
    return None


@dataclass
class ArchiveTally:
    """What the output holds, as counts over ``labels``.

    ``answers``: single-label, the rows answered each label and, last, the rows abstained;
    multi-label, the rows listing each label. ``months`` holds the same counts per ``YYYY-MM``
    and ``month_rows`` the rows of each month; ``undated`` rows had no usable date.
    """

    labels: tuple[str, ...]
    multilabel: bool
    rows: int = 0
    abstained: int = 0
    undated: int = 0
    answers: np.ndarray = field(init=False)
    scores: np.ndarray = field(default_factory=lambda: np.zeros(settings.SCORE_BINS, dtype=np.int64))
    months: dict[str, np.ndarray] = field(default_factory=dict)
    month_rows: Counter = field(default_factory=Counter)

    def __post_init__(self) -> None:
        self.answers = np.zeros(len(self.labels) + (0 if self.multilabel else 1), dtype=np.int64)
        self._column = {label: number for number, label in enumerate(self.labels)}

    def add(
        self,
        top: Sequence[str | None],
        scores: np.ndarray,
        abstained: Sequence[bool],
        listed: Sequence[Sequence[str]] | None,
        dates: Sequence[Any] | None,
    ) -> None:
        """Count one batch of rows: top labels (None when abstained), top scores, abstentions, the
        labels each row lists (multi-label models) and the rows' dates (when there is a date column)."""
        self.rows += len(scores)
        self.abstained += sum(map(bool, abstained))
        self.scores += score_histogram(scores)
        column, width = self._column, len(self.answers)
        if self.multilabel:
            rows = [[column[name] for name in names if name in column] for names in listed]
            flat = [index for indexes in rows for index in indexes]
        else:
            rows = [column[name] if name is not None else width - 1 for name in top]
            flat = rows
        self.answers += np.bincount(np.array(flat, dtype=np.int64), minlength=width)
        if dates is None:
            return
        months = [month_of(value) for value in dates]
        self.undated += months.count(None)
        self.month_rows.update(months)
        del self.month_rows[None]
        if self.multilabel:
            pairs = Counter(
                (month, index) for month, indexes in zip(months, rows, strict=True) for index in indexes
            )
        else:
            pairs = Counter(zip(months, rows, strict=True))
        for (month, index), count in pairs.items():
            if month is not None:
                self.months.setdefault(month, np.zeros(width, dtype=np.int64))[index] += count


def tally_output(
    path: Path, spec: OutputSpec, labels: Sequence[str], multilabel: bool, date_column: str | None
) -> ArchiveTally:
    """Count the tagged output at ``path`` (written as ``spec`` says) over the model's ``labels``.

    Raises
    ------
    DataError
        The output cannot be read (a file removed or corrupted since it was written).
    """
    import pyarrow as pa

    tally = ArchiveTally(tuple(labels), multilabel)
    read = {"jsonl": _json_batches, "csv": _csv_batches, "parquet": _parquet_batches}[spec.format]
    try:
        for batch in read(Path(path), multilabel, date_column):
            tally.add(*batch)
    except (pa.ArrowException, ValueError, KeyError, OSError) as error:
        # msgspec's DecodeError is a ValueError; pyarrow's errors are ArrowExceptions
        raise DataError(f"{path}: cannot read the tagged output back for the report: {error}") from error
    return tally


_Batch = tuple[list, np.ndarray, list, list | None, list | None]


def _json_batches(path: Path, multilabel: bool, date_column: str | None) -> Iterator[_Batch]:
    import msgspec

    class Listed(msgspec.Struct):
        label: str

    fields: list[tuple] = [("label", str | None, None), ("score", float, 0.0), ("abstained", bool, False)]
    if multilabel:
        fields.append(("labels", list[Listed], []))
    if date_column is not None:
        fields.append(("date", Any, None))
    row = msgspec.defstruct("Row", fields, rename={"date": date_column} if date_column else None)
    decode = msgspec.json.Decoder(list[row]).decode
    with open_binary(path) as stream:
        rest = b""
        while block := stream.read(_BLOCK_BYTES):
            block, _, tail = (rest + block).rpartition(b"\n")
            rest = tail
            if block:
                yield _json_rows(decode(b"[" + block.replace(b"\n", b",") + b"]"), multilabel, date_column)
        if rest.strip():
            yield _json_rows(decode(b"[" + rest + b"]"), multilabel, date_column)


def _json_rows(rows: list, multilabel: bool, date_column: str | None) -> _Batch:
    return (
        list(map(attrgetter("label"), rows)),
        np.fromiter(map(attrgetter("score"), rows), dtype=float, count=len(rows)),
        list(map(attrgetter("abstained"), rows)),
        [[item.label for item in r.labels] for r in rows] if multilabel else None,
        list(map(attrgetter("date"), rows)) if date_column is not None else None,
    )


def _csv_batches(path: Path, multilabel: bool, date_column: str | None) -> Iterator[_Batch]:
    import pyarrow as pa
    from pyarrow import csv

    columns = ["label", "score", "abstained", *(["labels"] if multilabel else [])]
    columns += [date_column] if date_column is not None else []
    # A CSV output has the first record's columns: a date field that record lacked reads as no
    # date on every row (counted as undated), not as a failure.
    convert = csv.ConvertOptions(
        include_columns=columns,
        include_missing_columns=True,
        column_types={name: pa.float64() if name == "score" else pa.string() for name in columns},
        strings_can_be_null=True,
    )
    with open_binary(path) as stream:
        if not stream.peek(1):  # every row rejected: an empty file, no header
            return
        reader = csv.open_csv(
            stream,
            read_options=csv.ReadOptions(block_size=_CSV_BLOCK_BYTES),
            parse_options=csv.ParseOptions(newlines_in_values=True),
            convert_options=convert,
        )
        for batch in reader:
            data = batch.to_pydict()
            yield (
                data["label"],
                np.asarray(batch.column("score").to_numpy(zero_copy_only=False), dtype=float),
                [value == "true" for value in data["abstained"]],
                [csv_listed_labels(cell) for cell in data["labels"]] if multilabel else None,
                data[date_column] if date_column is not None else None,
            )


def _parquet_batches(path: Path, multilabel: bool, date_column: str | None) -> Iterator[_Batch]:
    import pyarrow.parquet as pq

    for part in sorted(path.glob("part-*")):
        parquet = pq.ParquetFile(part)
        present = set(parquet.schema_arrow.names)
        columns = ["label", "score", "abstained", *(["labels"] if multilabel else [])]
        dated = date_column is not None and date_column in present
        for batch in parquet.iter_batches(columns=columns + ([date_column] if dated else [])):
            data = batch.to_pydict()
            yield (
                data["label"],
                np.asarray(data["score"], dtype=float),
                data["abstained"],
                [[item["label"] for item in items or []] for items in data["labels"]] if multilabel else None,
                data[date_column] if dated else ([None] * batch.num_rows if date_column else None),
            )

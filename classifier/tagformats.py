"""Output rows of archive tagging, and their bytes in JSON lines, CSV or Parquet.

A tagged row is the input record's fields (or, slim, its id and headline) plus
the prediction in the shape of ``predict --json``: ``label``, ``score``,
``labels`` and ``abstained``. An input field with one of those four names is
kept as ``input_<name>``, so a labelled archive keeps its own labels beside the
model's.

:func:`encode_part` turns one chunk of rows into the bytes of one output part.
It is deterministic (gzip without a timestamp, fixed compression levels), so the
parts of a resumed run are byte-identical to those of an uninterrupted one, and
concatenated parts are a valid file: gzip members and zstd frames may follow
one another, and only the first CSV part has the header.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow
import pyarrow.parquet
import zstandard

from classifier.errors import OutputError
from classifier.records import BadRow, Record
from classifier.textio import strip_compression

__all__ = [
    "OUTPUT_FORMATS",
    "PREDICTION_KEYS",
    "OutputSpec",
    "base_row",
    "encode_part",
    "encode_rejects",
    "output_spec",
]

OUTPUT_FORMATS = ("jsonl", "csv", "parquet")
PREDICTION_KEYS = ("label", "score", "labels", "abstained")
_SUFFIX_FORMATS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl", ".csv": "csv"}
_PARQUET_SUFFIXES = (".parquet", ".pq")
_GZIP_LEVEL = 1  # fast: parts are compressed in the workers, on the tagging budget
_ZSTD_LEVEL = 3
# One encoder for every row: json.dumps with options would build a new one per call.
_JSON = json.JSONEncoder(default=str)
_LABELS_TYPE = pyarrow.list_(pyarrow.struct([("label", pyarrow.string()), ("score", pyarrow.float64())]))


@dataclass(frozen=True)
class OutputSpec:
    """How tagged rows are written.

    Parameters
    ----------
    format
        ``jsonl``, ``csv`` or ``parquet`` (a directory of part files).
    compression
        ``.gz``, ``.zst`` or None; never set for Parquet, which compresses itself.
    slim
        Write only the id and headline of each record instead of all its fields.
    """

    format: str
    compression: str | None = None
    slim: bool = False

    @property
    def is_directory(self) -> bool:
        """Parquet output is a directory of part files; the others are one file."""
        return self.format == "parquet"

    @property
    def part_suffix(self) -> str:
        """File name suffix of one part, e.g. ``.jsonl.gz``."""
        return f".{self.format}{self.compression or ''}"


def output_spec(path: Path, output_format: str | None = None, *, slim: bool = False) -> OutputSpec:
    """The output spec for ``path``: format from ``output_format`` or the name, compression from the name.

    A name without a known suffix (such as ``tagged/``) is a Parquet directory.

    Raises
    ------
    OutputError
        An unknown format, a compression other than ``.gz``/``.zst``, or a
        compressed Parquet name.
    """
    base, compression = strip_compression(path.name)
    if compression not in (None, ".gz", ".zst"):
        raise OutputError(f"{path}: output can be compressed with .gz or .zst, not {compression}")
    suffix = Path(base).suffix.lower()
    named = _SUFFIX_FORMATS.get(suffix) or ("parquet" if suffix in _PARQUET_SUFFIXES or not suffix else None)
    fmt = output_format or named
    if fmt not in OUTPUT_FORMATS:
        raise OutputError(
            f"{path}: cannot tell the output format from the name; name it .jsonl or .csv "
            "(optionally .gz or .zst), or a folder for Parquet, or pass --output-format"
        )
    if fmt == "parquet" and compression:
        raise OutputError(
            f"{path}: Parquet output is a folder of parts and compresses itself; drop {compression}"
        )
    return OutputSpec(fmt, compression.lower() if compression else None, slim)


def base_row(record: Record, slim: bool) -> Mapping[str, Any]:
    """The part of a record that goes into its output row.

    Slim rows have ``id`` (the ``--id-field`` value, else ``FILE:LINE``) and
    ``headline``; full rows have every input field, renaming those that clash
    with :data:`PREDICTION_KEYS`.
    """
    if slim:
        return {"id": record.id or f"{record.source}:{record.line}", "headline": record.headline}
    fields = record.fields
    if any(key in fields for key in PREDICTION_KEYS):
        return {f"input_{key}" if key in PREDICTION_KEYS else key: value for key, value in fields.items()}
    return fields  # not copied: it is only read, to be written out


def encode_part(
    bases: Sequence[Mapping[str, Any]],
    predictions: Sequence[Mapping[str, Any]],
    spec: OutputSpec,
    *,
    columns: Sequence[str],
    first: bool,
) -> bytes:
    """The bytes of one output part: each base row (:func:`base_row`) followed by its prediction.

    ``predictions`` are ``Prediction.to_dict()`` shapes. ``columns`` are the CSV
    columns (the first record's, fixed for the whole run); ``first`` says
    whether this is the first part, which alone carries the CSV header.
    """
    if spec.format == "jsonl":
        text = _jsonl_text(bases, predictions)
    else:
        rows = [{**base, **prediction} for base, prediction in zip(bases, predictions, strict=True)]
        if spec.format == "parquet":
            return _parquet_bytes(rows)
        text = _csv_text(rows, columns, header=first)
    return _compressed(text.encode("utf-8"), spec.compression)


def encode_rejects(bad_rows: Sequence[BadRow]) -> bytes:
    """Rejected rows as JSON lines: ``{"file": ..., "line": ..., "reason": ...}``."""
    return "".join(
        _JSON.encode({"file": bad.source, "line": bad.line, "reason": bad.reason}) + "\n" for bad in bad_rows
    ).encode("utf-8")


def _compressed(data: bytes, compression: str | None) -> bytes:
    if compression == ".gz":
        return gzip.compress(data, compresslevel=_GZIP_LEVEL, mtime=0)
    if compression == ".zst":
        return zstandard.ZstdCompressor(level=_ZSTD_LEVEL).compress(data)
    return data


def _jsonl_text(bases: Sequence[Mapping[str, Any]], predictions: Sequence[Mapping[str, Any]]) -> str:
    """The JSON of ``{**base, **prediction}`` per row, spliced from the two objects' JSON (no merged dict)."""
    encode = _JSON.encode
    return "".join(
        [
            f"{encode(base)[:-1]}, {encode(prediction)[1:]}\n" if base else f"{encode(prediction)}\n"
            for base, prediction in zip(bases, predictions, strict=True)
        ]
    )


def _csv_text(rows: Sequence[Mapping[str, Any]], columns: Sequence[str], *, header: bool) -> str:
    """CSV with ``labels`` flattened to ``politics:0.91|world:0.4`` and nested values as JSON."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    if header:
        writer.writerow(columns)
    writer.writerows([_csv_cell(column, row.get(column)) for column in columns] for row in rows)
    return buffer.getvalue()


def _csv_cell(column: str, value: Any) -> Any:
    if value is None:
        return ""
    if column == "labels" and isinstance(value, list):
        return "|".join(f"{item['label']}:{item['score']}" for item in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return _JSON.encode(value)
    return value


def _parquet_bytes(rows: Sequence[Mapping[str, Any]]) -> bytes:
    """One Parquet file: a column per input field (types inferred), then the prediction columns."""
    names: dict[str, None] = {}
    for row in rows:
        names.update(dict.fromkeys(key for key in row if key not in PREDICTION_KEYS))
    columns = {name: _arrow_column([row.get(name) for row in rows]) for name in names}
    columns["label"] = pyarrow.array([row["label"] for row in rows], pyarrow.string())
    columns["score"] = pyarrow.array([row["score"] for row in rows], pyarrow.float64())
    columns["labels"] = pyarrow.array([row["labels"] for row in rows], _LABELS_TYPE)
    columns["abstained"] = pyarrow.array([row["abstained"] for row in rows], pyarrow.bool_())
    sink = pyarrow.BufferOutputStream()
    pyarrow.parquet.write_table(pyarrow.table(columns), sink)
    return sink.getvalue().to_pybytes()


def _arrow_column(values: list[Any]) -> pyarrow.Array:
    """An Arrow column of ``values``; mixed types become their JSON text, an all-null column text."""
    try:
        array = pyarrow.array(values)
    except (pyarrow.ArrowInvalid, pyarrow.ArrowTypeError):
        return pyarrow.array([None if v is None else _JSON.encode(v) for v in values], pyarrow.string())
    return array.cast(pyarrow.string()) if pyarrow.types.is_null(array.type) else array

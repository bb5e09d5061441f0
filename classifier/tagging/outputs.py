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
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

import zstandard

from classifier.errors import OutputError
from classifier.inputs.records import BadRow, Record
from classifier.inputs.textio import strip_compression
from classifier.jsontext import dumps, text_json

if TYPE_CHECKING:
    import pyarrow

    from classifier.model.topic_model import Prediction

__all__ = [
    "OUTPUT_FORMATS",
    "PREDICTION_KEYS",
    "OutputSpec",
    "base_row",
    "compress_part",
    "csv_listed_labels",
    "encode_part",
    "encode_rejects",
    "encode_rows",
    "output_spec",
    "part_header",
]

OUTPUT_FORMATS = ("jsonl", "csv", "parquet")
PREDICTION_KEYS = ("label", "score", "labels", "abstained")
_SUFFIX_FORMATS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl", ".csv": "csv"}
_PARQUET_SUFFIXES = (".parquet", ".pq")
_GZIP_LEVEL = 1  # fast: parts are compressed in the workers, on the tagging budget
_ZSTD_LEVEL = 3


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
    date
        Slim rows also carry the record's date, as ``date``.
    """

    format: str
    compression: str | None = None
    slim: bool = False
    date: bool = False

    @property
    def is_directory(self) -> bool:
        """Parquet output is a directory of part files; the others are one file."""
        return self.format == "parquet"

    @property
    def part_suffix(self) -> str:
        """File name suffix of one part, e.g. ``.jsonl.gz``."""
        return f".{self.format}{self.compression or ''}"


def output_spec(
    path: Path, output_format: str | None = None, *, slim: bool = False, date: bool = False
) -> OutputSpec:
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
    return OutputSpec(fmt, compression.lower() if compression else None, slim, slim and date)


def base_row(record: Record, slim: bool, date: bool = False) -> Mapping[str, Any]:
    """The part of a record that goes into its output row.

    Slim rows have ``id`` (the ``--id-field`` value, else ``FILE:LINE``) and
    ``headline``, and with ``date`` the record's date; full rows have every input field,
    renaming those that clash with :data:`PREDICTION_KEYS`.
    """
    if slim:
        row = {"id": record.id or f"{record.source}:{record.line}", "headline": record.headline}
        return {**row, "date": record.date} if date else row
    fields = record.fields
    if not fields.keys().isdisjoint(PREDICTION_KEYS):
        return {f"input_{key}" if key in PREDICTION_KEYS else key: value for key, value in fields.items()}
    return fields  # not copied: it is only read, to be written out


def encode_part(
    bases: Sequence[Mapping[str, Any]],
    predictions: Sequence[Prediction],
    spec: OutputSpec,
    *,
    columns: Sequence[str],
    first: bool,
) -> bytes:
    """The bytes of one output part: each base row (:func:`base_row`) followed by its prediction.

    Each prediction is written in its ``to_dict()`` shape. ``columns`` are the
    CSV columns (the first record's, fixed for the whole run); ``first`` says
    whether this is the first part, which alone carries the CSV header.
    """
    if spec.format == "parquet":
        rows = [{**base, **prediction.to_dict()} for base, prediction in zip(bases, predictions, strict=True)]
        return _parquet_bytes(rows)
    header = part_header(spec, columns) if first else ""
    text = header + "".join(encode_rows(bases, predictions, spec, columns=columns))
    return compress_part(text.encode("utf-8"), spec.compression)


def encode_rows(
    bases: Sequence[Mapping[str, Any]],
    predictions: Sequence[Prediction],
    spec: OutputSpec,
    *,
    columns: Sequence[str],
) -> list[str]:
    """The text of each JSON-lines or CSV output row, newline included; a part is their concatenation."""
    if spec.format == "jsonl":
        # The JSON of {**base, **prediction.to_dict()}, spliced from the two objects' JSON (no merged dict).
        return [
            f"{dumps(base)[:-1]}, {_prediction_json(prediction)[1:]}\n"
            if base
            else f"{_prediction_json(prediction)}\n"
            for base, prediction in zip(bases, predictions, strict=True)
        ]
    lines: list[str] = []
    writer = csv.writer(SimpleNamespace(write=lines.append), lineterminator="\n")  # one write per row
    for base, prediction in zip(bases, predictions, strict=True):
        row = {**base, **prediction.to_dict()}
        writer.writerow([_csv_cell(column, row.get(column)) for column in columns])
    return lines


def _prediction_json(prediction: Prediction) -> str:
    """``json.dumps(prediction.to_dict())``, written directly: a few times faster, the same text."""
    if prediction.explanations is not None or type(prediction.abstained) is not bool:
        return dumps(prediction.to_dict())
    labels = prediction.labels
    alone = len(labels) == 1 and labels[0].label == prediction.label and labels[0].score == prediction.score
    if alone and not prediction.abstained:
        # Most rows: the top label alone, the same text twice.
        label, score = text_json(prediction.label), _json_number(round(prediction.score, 6))
        return (
            f'{{"label": {label}, "score": {score}, "labels": [{{"label": {label}, "score": {score}}}], '
            '"abstained": false}'
        )
    labels = ", ".join(
        f'{{"label": {text_json(item.label)}, "score": {_json_number(round(item.score, 6))}}}'
        for item in prediction.labels
    )
    label = "null" if prediction.label is None else text_json(prediction.label)
    score = _json_number(round(prediction.score, 6))
    abstained = "true" if prediction.abstained else "false"
    return f'{{"label": {label}, "score": {score}, "labels": [{labels}], "abstained": {abstained}}}'


def _json_number(value: Any) -> str:
    # json writes a finite float as its repr (of the float, even for a float subclass such as numpy's).
    return float.__repr__(value) if isinstance(value, float) and math.isfinite(value) else dumps(value)


def part_header(spec: OutputSpec, columns: Sequence[str]) -> str:
    """What the first part starts with: the CSV header line; nothing for JSON lines."""
    if spec.format != "csv":
        return ""
    lines: list[str] = []
    csv.writer(SimpleNamespace(write=lines.append), lineterminator="\n").writerow(columns)
    return lines[0]


def encode_rejects(bad_rows: Sequence[BadRow]) -> bytes:
    """Rejected rows as JSON lines: ``{"file": ..., "line": ..., "reason": ...}``."""
    return "".join(
        dumps({"file": bad.source, "line": bad.line, "reason": bad.reason}) + "\n" for bad in bad_rows
    ).encode("utf-8")


def compress_part(data: bytes, compression: str | None) -> bytes:
    """``data`` compressed as one gzip member or zstd frame (deterministically), or as it is."""
    if compression == ".gz":
        return gzip.compress(data, compresslevel=_GZIP_LEVEL, mtime=0)
    if compression == ".zst":
        return zstandard.ZstdCompressor(level=_ZSTD_LEVEL).compress(data)
    return data


def _csv_cell(column: str, value: Any) -> Any:
    if value is None:
        return ""
    if column == "labels" and isinstance(value, list):
        return "|".join(f"{item['label']}:{item['score']}" for item in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return dumps(value)
    return value


def csv_listed_labels(cell: str | None) -> list[str]:
    """The labels of a CSV ``labels`` cell as :func:`_csv_cell` writes it, ``label:score|label:score``."""
    return [item.rpartition(":")[0] for item in cell.split("|")] if cell else []


def _parquet_bytes(rows: Sequence[Mapping[str, Any]]) -> bytes:
    """One Parquet file: a column per input field (types inferred), then the prediction columns."""
    import pyarrow.parquet  # here: about 0.2 s to import, which JSON-lines and CSV outputs need not wait for

    names: dict[str, None] = {}
    for row in rows:
        names.update(dict.fromkeys(key for key in row if key not in PREDICTION_KEYS))
    columns = {name: _arrow_column([row.get(name) for row in rows]) for name in names}
    columns["label"] = pyarrow.array([row["label"] for row in rows], pyarrow.string())
    columns["score"] = pyarrow.array([row["score"] for row in rows], pyarrow.float64())
    labels_type = pyarrow.list_(pyarrow.struct([("label", pyarrow.string()), ("score", pyarrow.float64())]))
    columns["labels"] = pyarrow.array([row["labels"] for row in rows], labels_type)
    columns["abstained"] = pyarrow.array([row["abstained"] for row in rows], pyarrow.bool_())
    sink = pyarrow.BufferOutputStream()
    pyarrow.parquet.write_table(pyarrow.table(columns), sink)
    return sink.getvalue().to_pybytes()


def _arrow_column(values: list[Any]) -> pyarrow.Array:
    """An Arrow column of ``values``; mixed types become their JSON text, an all-null column text."""
    import pyarrow

    try:
        array = pyarrow.array(values)
    except (pyarrow.ArrowInvalid, pyarrow.ArrowTypeError):
        return pyarrow.array([None if v is None else dumps(v) for v in values], pyarrow.string())
    return array.cast(pyarrow.string()) if pyarrow.types.is_null(array.type) else array

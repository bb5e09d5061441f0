"""Parsers of the generic formats: each turns one file (or a labelled folder) into raw rows.

Every parser yields, in file order, a :class:`~classifier.inputs.records.Row`
for each row it could parse and a :class:`~classifier.inputs.records.BadRow`
for each it could not (malformed JSON, a CSV row with the wrong number of
columns, undecodable bytes), so that a bad row costs only itself. What a
file as a whole gets wrong (a missing column, a corrupt Parquet file) is a
:class:`~classifier.errors.DataError` naming the file.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from contextlib import contextmanager
from itertools import dropwhile, takewhile
from pathlib import Path
from typing import Any, TextIO

import msgspec

from classifier.errors import DataError
from classifier.inputs.records import BadRow, ReadOptions, Row
from classifier.inputs.spans import Span
from classifier.inputs.textio import has_undecodable, open_binary, open_text, strip_compression

__all__ = [
    "FOLDER_FIELDS",
    "check_columns",
    "csv_header",
    "csv_items",
    "folder_items",
    "jsonl_items",
    "jsonl_row",
    "parquet_items",
]

# A labelled folder has fixed field names: see _folder_item.
FOLDER_FIELDS = {
    "headline_field": "headline",
    "teaser_field": "teaser",
    "label_field": "label",
    "id_field": "file",
}

_PARQUET_BATCH_ROWS = 4096
_JSON_TYPES = {dict: "object", list: "array", str: "string", int: "number", float: "number", bool: "boolean"}
_UNDECODABLE_LINE = "undecodable bytes: the line is not valid UTF-8"
_TOO_DEEP = "malformed JSON: nested too deeply to parse"


def check_columns(source: str, columns: list[str], options: ReadOptions) -> None:
    """Fail early, naming the columns that exist, if a field the options need is absent."""
    wanted = {
        "headline": options.headline_field,
        "label": options.label_field,
        "id": options.id_field,
        "date": options.date_field,
    }
    for role, name in wanted.items():
        if name is not None and name not in columns:
            shown = ", ".join(repr(column) for column in columns)
            raise DataError(f"{source}: no {role} column {name!r}; the columns are {shown}")


# --- JSON lines ---------------------------------------------------------------------------------

# msgspec parses a line about four times quicker than json.loads. What it refuses but json.loads takes
# (NaN, Infinity, lone surrogates, numbers out of range) and every bad line go to json.loads, so a
# line parses to the same value, or fails with the same reason, as json.loads gives.
_fast_json = msgspec.json.Decoder().decode


@contextmanager
def _text_of(
    source: str, stream: TextIO | None, *, newline: str | None = None, span: Span | None = None
) -> Iterator[TextIO]:
    """``stream`` when the caller opened one (an upload held in memory), else the file ``source``
    (only ``span`` of it, when given)."""
    if stream is not None:
        yield stream
    else:
        with open_text(source, newline=newline, span=span and span.bytes) as opened:
            yield opened


def jsonl_items(
    source: str, span: Span | None = None, stream: TextIO | None = None
) -> Iterator[Row | BadRow]:
    """One row per non-blank line holding a JSON object; a bad row for any other non-blank line.

    ``span`` reads only that part of the file (see :mod:`~classifier.inputs.spans`). The lines
    come from ``stream`` instead when it is given (text decoded with ``errors="surrogateescape"``,
    as :func:`~classifier.inputs.textio.open_text` decodes it); ``source`` names the rows either way.
    """
    with _text_of(source, stream, span=span) as text:
        for number, line in enumerate(text, span.line if span else 1):
            if (item := jsonl_row(source, number, line)) is not None:
                yield item


def jsonl_row(source: str, number: int, line: str | bytes) -> Row | BadRow | None:
    """Parse line ``number`` of the JSON-lines file ``source``, maybe with its line end.

    ``line`` is text decoded with ``errors="surrogateescape"`` (as
    :func:`~classifier.inputs.textio.open_text` reads it) or the raw bytes of
    the line. Returns None for a blank line, a bad row for undecodable bytes,
    malformed JSON or any JSON value but an object, else the row.
    """
    if line.__class__ is not bytes and has_undecodable(line):
        return BadRow(source, number, _UNDECODABLE_LINE)
    try:
        # The line end is JSON white space, so this parses a good line as json.loads parses it stripped.
        value = _fast_json(line)
    except (msgspec.DecodeError, RecursionError, UnicodeError):
        return _checked_jsonl_row(source, number, line)
    if value.__class__ is dict:
        return Row(source, number, value)
    return _not_an_object(source, number, value)


def _checked_jsonl_row(source: str, number: int, line: str | bytes) -> Row | BadRow | None:
    """:func:`jsonl_row` for a line msgspec refused: blank, bad with json.loads's reason, or good to it."""
    if line.__class__ is bytes:
        try:
            line = line.decode("utf-8")
        except UnicodeDecodeError:  # never blank: an undecodable byte is not white space
            return BadRow(source, number, _UNDECODABLE_LINE)
    if not line.strip():
        return None
    try:
        value = json.loads(line.rstrip("\r\n"))
    except json.JSONDecodeError as exc:
        return BadRow(source, number, f"malformed JSON: {exc.msg} at column {exc.colno}")
    except RecursionError:
        return BadRow(source, number, _TOO_DEEP)
    if isinstance(value, dict):
        return Row(source, number, value)
    return _not_an_object(source, number, value)


def _not_an_object(source: str, number: int, value: Any) -> BadRow:
    kind = _JSON_TYPES.get(type(value), "null")
    return BadRow(source, number, f"not a JSON object: the line holds a JSON {kind}")


# --- CSV and TSV --------------------------------------------------------------------------------


def csv_items(
    source: str,
    options: ReadOptions,
    delimiter: str,
    span: Span | None = None,
    stream: TextIO | None = None,
) -> Iterator[Row | BadRow]:
    """One row per CSV record (quoted fields may span lines); blank lines are ignored.

    ``span`` reads only that part of the file (see :mod:`~classifier.inputs.spans`); past the
    first, a part takes its columns from the start of the file. ``stream``, when given, is read
    instead of the file ``source``, as in :func:`jsonl_items`; it must be opened with ``newline=""``.
    """
    with _text_of(source, stream, newline="", span=span) as text:
        numbered = _numbered(csv.reader(text, delimiter=delimiter), span.line if span else 1)
        if span is not None and span.bytes[0] > 0:
            columns = csv_header(source, options, delimiter)
        else:
            first = next(numbered, None)
            if first is None:
                return
            columns = _columns(source, *first, options)
            if not options.header:
                yield _csv_item(source, *first, columns)
        for start, cells in numbered:
            yield _csv_item(source, start, cells, columns)


def csv_header(source: str, options: ReadOptions, delimiter: str) -> list[str]:
    """The columns of a CSV file: its header, or (without one) the numbers of its first record's cells."""
    with open_text(source, newline="") as stream:
        first = next(_numbered(csv.reader(stream, delimiter=delimiter)), None)
    if first is None:
        raise DataError(f"{source} is empty: it has no rows")
    return _columns(source, *first, options)


def _columns(source: str, start: int, cells: list[str] | str, options: ReadOptions) -> list[str]:
    if isinstance(cells, str):
        raise DataError(f"{source}:{start}: {cells}")
    columns = cells if options.header else [str(n) for n in range(1, len(cells) + 1)]
    check_columns(source, columns, options)
    return columns


def _numbered(reader: Any, first: int = 1) -> Iterator[tuple[int, list[str] | str]]:
    """Non-empty CSV records with the line each starts on (the reader's first is ``first``).

    A parse error comes as its message.
    """
    end = first - 1
    while True:
        start = end + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            cells = f"malformed CSV: {exc}"
        end = reader.line_num + first - 1
        if cells:
            yield start, cells


def _csv_item(source: str, start: int, cells: list[str] | str, columns: list[str]) -> Row | BadRow:
    """Check one CSV record against the header and make it a row."""
    if isinstance(cells, str):
        return BadRow(source, start, cells)
    if len(cells) != len(columns):
        return BadRow(source, start, f"wrong number of columns: expected {len(columns)}, got {len(cells)}")
    if any(has_undecodable(cell) for cell in cells):
        return BadRow(source, start, "undecodable bytes: the row is not valid UTF-8")
    return Row(source, start, dict(zip(columns, cells, strict=True)))


# --- Parquet ------------------------------------------------------------------------------------


def parquet_items(source: str, options: ReadOptions, span: Span | None = None) -> Iterator[Row]:
    """One row per Parquet row, read in batches; the row number is the line.

    ``span`` reads only its row groups (see :mod:`~classifier.inputs.spans`).
    """
    if strip_compression(source)[1]:
        raise DataError(f"{source}: Parquet files cannot be read compressed; Parquet compresses itself")
    import pyarrow.parquet  # here: about 0.2 s to import, and most runs read no Parquet

    with _arrow_errors(source), pyarrow.parquet.ParquetFile(source) as parquet:
        check_columns(source, parquet.schema_arrow.names, options)
        number = span.line - 1 if span else 0
        groups = range(*span.row_groups) if span else None
        for batch in parquet.iter_batches(batch_size=_PARQUET_BATCH_ROWS, row_groups=groups):
            for fields in batch.to_pylist():
                number += 1
                yield Row(source, number, fields)


@contextmanager
def _arrow_errors(source: str) -> Iterator[None]:
    """Turn pyarrow's errors about a broken file into a DataError naming the file."""
    import pyarrow

    try:
        yield
    except (pyarrow.ArrowException, OSError) as exc:
        raise DataError(f"{source}: not a readable Parquet file: {exc}") from exc


# --- labelled folders ---------------------------------------------------------------------------


def folder_items(folder: Path) -> Iterator[Row | BadRow]:
    """One row per file in each sub-folder; the sub-folder's name is the label."""
    for label_folder in _visible(folder):
        if label_folder.is_dir():
            for file in _visible(label_folder):
                if file.is_file():
                    yield _folder_item(file, label_folder.name)


def _visible(folder: Path) -> list[Path]:
    """The entries of ``folder`` that are not hidden, in name order."""
    return sorted(entry for entry in folder.iterdir() if not entry.name.startswith("."))


def _folder_item(file: Path, label: str) -> Row | BadRow:
    """Read one item: first non-empty line the headline, the paragraph after it the teaser."""
    with open_binary(file) as stream:
        text = _decode_utf8_or_latin1(stream.read())
    lines = text.splitlines()
    first = next((number for number, line in enumerate(lines) if line.strip()), None)
    if first is None:
        return BadRow(str(file), 1, "missing headline: the file has no text")
    after_blanks = dropwhile(lambda line: not line.strip(), lines[first + 1 :])
    teaser = " ".join(takewhile(str.strip, after_blanks))
    fields = {"file": f"{label}/{file.name}", "label": label, "headline": lines[first], "teaser": teaser}
    return Row(str(file), first + 1, fields)


def _decode_utf8_or_latin1(data: bytes) -> str:
    """Decode a whole small file as UTF-8, or as Latin-1 if it is not valid UTF-8."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("latin-1")

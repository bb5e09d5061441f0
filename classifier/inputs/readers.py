"""Stream news records out of JSON lines, CSV, TSV, Parquet and labelled folders.

Reading has two steps, so that dataset presets can reuse both:

1. :func:`iter_rows` turns a file (or a folder of files) into :class:`Row` objects,
   the raw fields of one row each. Rows that cannot even be parsed (malformed JSON,
   a CSV row with the wrong number of columns, undecodable bytes) are rejected
   into the :class:`~classifier.inputs.records.ReadReport` on the way.
2. :func:`record_from_row` builds a :class:`~classifier.inputs.records.Record` from a row,
   raising :class:`RowRejected` for a row that is parsed but unusable (no headline,
   no label). :func:`convert_rows` applies such a converter and does the counting.

:func:`read_records` is both steps with the field names of :class:`ReadOptions`.
Everything is a generator: memory does not grow with the size of the input.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from functools import partial
from itertools import dropwhile, takewhile
from pathlib import Path
from typing import Any, NamedTuple

from classifier.errors import DataError
from classifier.inputs.records import BadRow, ReadReport, Record
from classifier.inputs.textio import (
    FORMATS,
    data_files,
    detect_format,
    has_undecodable,
    open_binary,
    open_text,
    strip_compression,
)

__all__ = [
    "DataSource",
    "ReadOptions",
    "Row",
    "RowRejected",
    "RowSkipped",
    "checked_rows",
    "collapse_whitespace",
    "convert_rows",
    "iter_rows",
    "jsonl_files",
    "jsonl_row",
    "parse_data_argument",
    "read_records",
    "record_from_row",
]

_PARQUET_BATCH_ROWS = 4096
_JSON_TYPES = {dict: "object", list: "array", str: "string", int: "number", float: "number", bool: "boolean"}


@dataclass(frozen=True, slots=True)
class ReadOptions:
    """Where the fields of a record are in a generic data file.

    Parameters
    ----------
    format
        ``jsonl``, ``csv``, ``tsv``, ``parquet`` or ``folder``; None detects it
        from the file name (see :func:`classifier.inputs.textio.detect_format`).
    headline_field, teaser_field, label_field
        Field (column) names. A None or absent teaser field gives an empty teaser;
        a None label field reads the data as unlabelled.
    label_delimiter
        Splits a text label into several labels, e.g. ``"|"``.
    id_field, date_field
        Optional fields copied into :attr:`Record.id` and :attr:`Record.date`.
    header
        CSV/TSV only: False means there is no header row and the columns are named
        by their 1-based position, ``"1"``, ``"2"``, ...
    """

    format: str | None = None
    headline_field: str = "headline"
    teaser_field: str | None = "teaser"
    label_field: str | None = "label"
    label_delimiter: str | None = None
    id_field: str | None = None
    date_field: str | None = None
    header: bool = True


# A labelled folder has fixed field names: see _folder_item.
_FOLDER_FIELDS = {
    "headline_field": "headline",
    "teaser_field": "teaser",
    "label_field": "label",
    "id_field": "file",
}


@dataclass(frozen=True, slots=True)
class DataSource:
    """A data argument: a path, read with a dataset preset or (``preset`` None) generically."""

    preset: str | None
    path: str

    def __str__(self) -> str:
        return f"{self.preset}:{self.path}" if self.preset else self.path


class Row(NamedTuple):
    """The raw fields of one row, with the file and the 1-based line it starts on."""

    source: str
    line: int
    fields: dict[str, Any]


class RowRejected(Exception):
    """Raised by a row converter: the row is bad data and is counted against the limit."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class RowSkipped(Exception):
    """Raised by a row converter: the row is left out on purpose (not an error)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def read_records(path: str | os.PathLike, options: ReadOptions, report: ReadReport) -> Iterator[Record]:
    """Stream the records of a data file, or of a folder of them.

    Parameters
    ----------
    path
        A file (possibly compressed), a folder of files of one format, or a
        labelled folder (one sub-folder per label, one file per item).
    options
        Format and field names.
    report
        Counts accepted rows and collects rejected ones; checking it against its
        limit (:meth:`ReadReport.check`) is the caller's job, after reading.

    Raises
    ------
    DataError
        At once for a missing path or an unknown format; while iterating for an
        empty file, a missing column or a corrupt file.
    """
    options = _resolved(path, options)
    return convert_rows(iter_rows(path, options, report), partial(record_from_row, options=options), report)


def convert_rows(
    rows: Iterator[Row], convert: Callable[[Row], Record], report: ReadReport
) -> Iterator[Record]:
    """Turn rows into records with ``convert``, counting each outcome in ``report``.

    ``convert`` raises :class:`RowRejected` for a bad row and :class:`RowSkipped`
    for a row left out on purpose; every other row is accepted.
    """
    for row in rows:
        try:
            record = convert(row)
        except RowRejected as exc:
            report.reject(BadRow(row.source, row.line, exc.reason))
        except RowSkipped as exc:
            report.skip(exc.reason)
        else:
            report.accept()
            yield record


def checked_rows(items: Iterator[Row | BadRow], report: ReadReport, source: str) -> Iterator[Row]:
    """Yield the rows and reject the bad rows of one ``source``; fail if it had neither.

    Raises
    ------
    DataError
        ``source`` is empty: it gave no row at all, good or bad.
    """
    seen = 0
    for item in items:
        seen += 1
        if isinstance(item, BadRow):
            report.reject(item)
        else:
            yield item
    if not seen:
        raise DataError(f"{source} is empty: it has no rows")


def iter_rows(
    path: str | os.PathLike, options: ReadOptions, report: ReadReport, *, pattern: str = "*"
) -> Iterator[Row]:
    """Stream the raw rows of a file, a folder of files or a labelled folder.

    Rows that cannot be parsed are rejected into ``report`` and not yielded. A
    folder of plain files is read file by file in name order, taking only the
    files of the format that match the glob ``pattern``.

    Raises
    ------
    DataError
        At once for a missing path, an unknown format or a folder without
        matching files; while iterating for an empty file, a missing column or a
        corrupt file.
    """
    options = _resolved(path, options)
    if options.format == "folder":
        if not Path(path).is_dir():
            raise DataError(f"{os.fspath(path)}: the folder format needs a folder, not a file")
        return checked_rows(_folder_items(Path(path)), report, os.fspath(path))
    if not Path(path).is_dir():
        return _file_rows(os.fspath(path), options, report)
    return _files_rows(_folder_files(path, options.format, pattern), options, report)


def _folder_files(path: str | os.PathLike, fmt: str, pattern: str = "*") -> list:
    """The files of format ``fmt`` in folder ``path`` matching ``pattern``, in name order; never none."""
    files = data_files(path, fmt, pattern)
    if not files:
        raise DataError(f"{os.fspath(path)} has no {fmt} files matching {pattern!r}")
    return files


def record_from_row(row: Row, options: ReadOptions) -> Record:
    """Build a record from the fields of ``row`` named by ``options``.

    Headline and teaser have their whitespace runs collapsed to one space; labels
    are stripped and empty ones dropped. Raises :class:`RowRejected` for a missing,
    empty or non-text headline and for a missing or malformed label.
    """
    fields = row.fields
    return Record(
        headline=_headline(fields, options.headline_field),
        teaser=_teaser(fields, options.teaser_field),
        labels=_labels(fields, options.label_field, options.label_delimiter) if options.label_field else (),
        id=_scalar(fields.get(options.id_field)) if options.id_field else None,
        date=_scalar(fields.get(options.date_field)) if options.date_field else None,
        fields=fields,
        source=row.source,
        line=row.line,
    )


def jsonl_files(path: str | os.PathLike, options: ReadOptions) -> tuple[ReadOptions, list[str]] | None:
    """The JSON-lines files :func:`read_records` reads for ``path``, in order, with the resolved options.

    None when ``path`` holds another format. The file names are spelled as
    in the rows :func:`iter_rows` yields, so that bad rows name them the same.

    Raises
    ------
    DataError
        A missing path, an unknown format, or a folder without JSON-lines files.
    """
    options = _resolved(path, options)
    if options.format != "jsonl":
        return None
    if not Path(path).is_dir():
        return options, [os.fspath(path)]
    return options, [str(file) for file in _folder_files(path, options.format)]


def parse_data_argument(text: str) -> DataSource:
    """Split a data argument ``PRESET:PATH`` (e.g. ``huffpost:news.jsonl.gz``) from a plain path.

    Only a known preset name (any case) before the first colon counts as a preset,
    so ``C:\\data\\x.csv`` or ``./odd:name.csv`` stay plain paths.

    Raises
    ------
    DataError
        A preset is named but no path follows it.
    """
    # Imported here because the presets are built on this module.
    from classifier.inputs.presets import PRESETS

    prefix, colon, path = text.partition(":")
    if not colon or prefix.lower() not in PRESETS:
        return DataSource(None, text)
    if not path:
        raise DataError(f"{text!r}: give a path after {prefix!r}, e.g. {prefix}:data/file")
    return DataSource(prefix.lower(), path)


# What str.isspace counts as white space in ASCII, the space itself apart.
_ASCII_SPACES_BUT_SPACE = bytes(code for code in range(0x80) if chr(code).isspace() and code != 0x20)


def collapse_whitespace(text: str) -> str:
    """``text`` stripped, with every run of whitespace (newlines too) made one space."""
    if text.isascii() and "  " not in text and not text[:1].isspace() and not text[-1:].isspace():
        data = text.encode("ascii")
        if len(data.translate(None, _ASCII_SPACES_BUT_SPACE)) == len(data):
            return text  # already so: most headlines and teasers, checked without splitting into words
    return " ".join(text.split())


# --- resolving options and dispatching ---------------------------------------------------------


def _resolved(path: str | os.PathLike, options: ReadOptions) -> ReadOptions:
    """``options`` with the format detected and checked (and folder field names set)."""
    if not Path(path).exists():
        raise DataError(f"{os.fspath(path)}: no such file or directory")
    fmt = options.format or detect_format(path)
    if fmt not in FORMATS:
        raise DataError(f"unknown format {fmt!r}; known formats: {', '.join(FORMATS)}")
    if fmt == "folder":
        return replace(options, format=fmt, **_FOLDER_FIELDS)
    return replace(options, format=fmt)


def _files_rows(files: list[Path], options: ReadOptions, report: ReadReport) -> Iterator[Row]:
    """The rows of each file in turn."""
    for file in files:
        yield from _file_rows(str(file), options, report)


def _file_rows(source: str, options: ReadOptions, report: ReadReport) -> Iterator[Row]:
    """The rows of one file of the format in ``options``."""
    if options.format == "jsonl":
        items = _jsonl_items(source)
    elif options.format == "parquet":
        items = _parquet_items(source, options)
    else:
        items = _csv_items(source, options, "\t" if options.format == "tsv" else ",")
    return checked_rows(items, report, source)


def _check_columns(source: str, columns: list[str], options: ReadOptions) -> None:
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


def _jsonl_items(source: str) -> Iterator[Row | BadRow]:
    """One row per non-blank line holding a JSON object; a bad row for any other line."""
    with open_text(source) as stream:
        for number, line in enumerate(stream, 1):
            if line.strip():
                yield jsonl_row(source, number, line)


def jsonl_row(source: str, number: int, line: str) -> Row | BadRow:
    """Parse line ``number`` of the JSON-lines file ``source`` (a non-blank line, maybe with its newline).

    Lines decoded with ``errors="surrogateescape"`` are accepted: undecodable
    bytes make a bad row, as do malformed JSON and any JSON value but an object.
    """
    if has_undecodable(line):
        return BadRow(source, number, "undecodable bytes: the line is not valid UTF-8")
    try:
        value = json.loads(line.rstrip("\r\n"))
    except json.JSONDecodeError as exc:
        return BadRow(source, number, f"malformed JSON: {exc.msg} at column {exc.colno}")
    except RecursionError:
        return BadRow(source, number, "malformed JSON: nested too deeply to parse")
    if not isinstance(value, dict):
        kind = _JSON_TYPES.get(type(value), "null")
        return BadRow(source, number, f"not a JSON object: the line holds a JSON {kind}")
    return Row(source, number, value)


# --- CSV and TSV --------------------------------------------------------------------------------


def _csv_items(source: str, options: ReadOptions, delimiter: str) -> Iterator[Row | BadRow]:
    """One row per CSV record (quoted fields may span lines); blank lines are ignored."""
    with open_text(source, newline="") as stream:
        numbered = _numbered(csv.reader(stream, delimiter=delimiter))
        first = next(numbered, None)
        if first is None:
            return
        start, cells = first
        if isinstance(cells, str):
            raise DataError(f"{source}:{start}: {cells}")
        columns = cells if options.header else [str(n) for n in range(1, len(cells) + 1)]
        _check_columns(source, columns, options)
        if not options.header:
            yield _csv_item(source, start, cells, columns)
        for start, cells in numbered:
            yield _csv_item(source, start, cells, columns)


def _numbered(reader: Any) -> Iterator[tuple[int, list[str] | str]]:
    """Non-empty CSV records with the line each starts on; a parse error comes as its message."""
    end = 0
    while True:
        start = end + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            cells = f"malformed CSV: {exc}"
        end = reader.line_num
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


def _parquet_items(source: str, options: ReadOptions) -> Iterator[Row]:
    """One row per Parquet row, read in batches; the row number is the line."""
    if strip_compression(source)[1]:
        raise DataError(f"{source}: Parquet files cannot be read compressed; Parquet compresses itself")
    import pyarrow.parquet  # here: about 0.2 s to import, and most runs read no Parquet

    with _arrow_errors(source), pyarrow.parquet.ParquetFile(source) as parquet:
        _check_columns(source, parquet.schema_arrow.names, options)
        number = 0
        for batch in parquet.iter_batches(batch_size=_PARQUET_BATCH_ROWS):
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


def _folder_items(folder: Path) -> Iterator[Row | BadRow]:
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


# --- fields to record values --------------------------------------------------------------------


def _headline(fields: dict[str, Any], name: str) -> str:
    """The cleaned headline; rejects the row if it is absent, empty or not text."""
    value = fields.get(name)
    if value is not None and not isinstance(value, str):
        raise RowRejected(f"bad headline: field {name!r} holds {type(value).__name__}, not text")
    headline = collapse_whitespace(value or "")
    if not headline:
        state = "empty" if name in fields else "absent"
        raise RowRejected(f"missing headline: field {name!r} is {state}")
    return headline


def _teaser(fields: dict[str, Any], name: str | None) -> str:
    """The cleaned teaser; empty when there is no teaser field or it is empty."""
    value = fields.get(name) if name else None
    if value is not None and not isinstance(value, str):
        raise RowRejected(f"bad teaser: field {name!r} holds {type(value).__name__}, not text")
    return collapse_whitespace(value or "")


def _labels(fields: dict[str, Any], name: str, delimiter: str | None) -> tuple[str, ...]:
    """The labels of a row: from text (maybe a JSON list or delimited), a number or a list.

    An explicit empty list means "no labels" (a valid negative); an absent or
    empty field rejects the row.
    """
    value = fields.get(name)
    if value is None:
        raise RowRejected(f"missing label: field {name!r} is absent")
    if isinstance(value, str) and _looks_like_json_list(value):
        value = _json_list(value, name)
    if isinstance(value, list | tuple):
        return tuple(label for item in value if (label := _label_text(item, name)))
    labels = _label_text(value, name)
    parts = labels.split(delimiter) if delimiter else [labels]
    labels = tuple(part.strip() for part in parts if part.strip())
    if not labels:
        raise RowRejected(f"missing label: field {name!r} is empty")
    return labels


def _looks_like_json_list(text: str) -> bool:
    """Whether a text label is written as a JSON list, ``["a", "b"]``."""
    text = text.strip()
    return text.startswith("[") and text.endswith("]")


def _json_list(text: str, name: str) -> list[Any]:
    """Parse a label written as a JSON list."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise RowRejected(f"bad label: field {name!r} looks like a JSON list but is not: {exc.msg}") from None


def _label_text(value: Any, name: str) -> str:
    """One label as stripped text; numbers are allowed (class ids), other types are not."""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise RowRejected(f"bad label: field {name!r} holds {type(value).__name__}, not text or a number")


def _scalar(value: Any) -> str | None:
    """An optional id or date as stripped text, None when absent or empty."""
    text = "" if value is None else str(value).strip()
    return text or None

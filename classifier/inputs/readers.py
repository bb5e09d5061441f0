"""Stream news records out of a data file, a folder of them, or a labelled folder.

Reading has two steps, so that dataset presets can reuse both:

1. :func:`iter_rows` finds the format and the files and hands each file to its
   parser in :mod:`~classifier.inputs.formats`, which yields the raw fields of
   each row as a :class:`~classifier.inputs.records.Row`. Rows that cannot even
   be parsed are rejected into the :class:`~classifier.inputs.records.ReadReport`
   on the way.
2. :func:`convert_rows` makes each row a record with a converter, by default
   :func:`~classifier.inputs.cleaning.record_from_row`, counting rows the
   converter rejects or skips.

:func:`read_records` is both steps with the field names of
:class:`~classifier.inputs.records.ReadOptions`. Everything is a generator:
memory does not grow with the size of the input.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import replace
from functools import partial
from pathlib import Path

from classifier.errors import DataError
from classifier.inputs.cleaning import record_from_row
from classifier.inputs.formats import FOLDER_FIELDS, csv_items, folder_items, jsonl_items, parquet_items
from classifier.inputs.records import BadRow, ReadOptions, ReadReport, Record, Row, RowRejected, RowSkipped
from classifier.inputs.spans import Span
from classifier.inputs.textio import FORMATS, data_files, detect_format

__all__ = ["checked_rows", "convert_rows", "iter_rows", "jsonl_files", "read_records", "source_files"]


def read_records(
    path: str | os.PathLike, options: ReadOptions, report: ReadReport, span: Span | None = None
) -> Iterator[Record]:
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
    span
        Read only this part of the file ``path`` (see :mod:`~classifier.inputs.spans`),
        which may hold no rows at all, unlike a whole file.

    Raises
    ------
    DataError
        At once for a missing path or an unknown format; while iterating for an
        empty file, a missing column or a corrupt file.
    """
    options = _resolved(path, options)
    rows = (
        iter_rows(path, options, report)
        if span is None
        else _file_rows(os.fspath(path), options, report, span)
    )
    return convert_rows(rows, partial(record_from_row, options=options), report)


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


def checked_rows(
    items: Iterator[Row | BadRow], report: ReadReport, source: str, *, may_be_empty: bool = False
) -> Iterator[Row]:
    """Yield the rows and reject the bad rows of one ``source``; fail if it had neither.

    Raises
    ------
    DataError
        ``source`` is empty: it gave no row at all, good or bad (unless ``may_be_empty``).
    """
    seen = 0
    for item in items:
        seen += 1
        if isinstance(item, BadRow):
            report.reject(item)
        else:
            yield item
    if not seen and not may_be_empty:
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
        return checked_rows(folder_items(Path(path)), report, os.fspath(path))
    if not Path(path).is_dir():
        return _file_rows(os.fspath(path), options, report)
    return _files_rows(_folder_files(path, options.format, pattern), options, report)


def jsonl_files(path: str | os.PathLike, options: ReadOptions) -> tuple[ReadOptions, list[str]] | None:
    """The JSON-lines files :func:`read_records` reads for ``path``, in order, with the resolved options.

    None when ``path`` holds another format. The file names are spelled as
    in the rows :func:`iter_rows` yields, so that bad rows name them the same.

    Raises
    ------
    DataError
        A missing path, an unknown format, or a folder without JSON-lines files.
    """
    options, files = source_files(path, options)
    return (options, files) if options.format == "jsonl" else None


def source_files(path: str | os.PathLike, options: ReadOptions) -> tuple[ReadOptions, list[str]]:
    """The files :func:`read_records` reads for ``path``, in order, with the resolved options.

    A labelled folder is read as a whole: it is its own one "file". The file
    names are spelled as in the rows :func:`iter_rows` yields, so that bad rows
    name them the same.

    Raises
    ------
    DataError
        A missing path, an unknown format, or a folder without files of its format.
    """
    options = _resolved(path, options)
    if options.format == "folder" or not Path(path).is_dir():
        return options, [os.fspath(path)]
    return options, [str(file) for file in _folder_files(path, options.format)]


def _resolved(path: str | os.PathLike, options: ReadOptions) -> ReadOptions:
    """``options`` with the format detected and checked (and folder field names set)."""
    if not Path(path).exists():
        raise DataError(f"{os.fspath(path)}: no such file or directory")
    fmt = options.format or detect_format(path)
    if fmt not in FORMATS:
        raise DataError(f"unknown format {fmt!r}; known formats: {', '.join(FORMATS)}")
    if fmt == "folder":
        return replace(options, format=fmt, **FOLDER_FIELDS)
    return replace(options, format=fmt)


def _folder_files(path: str | os.PathLike, fmt: str, pattern: str = "*") -> list[Path]:
    """The files of format ``fmt`` in folder ``path`` matching ``pattern``, in name order; never none."""
    files = data_files(path, fmt, pattern)
    if not files:
        raise DataError(f"{os.fspath(path)} has no {fmt} files matching {pattern!r}")
    return files


def _files_rows(files: list[Path], options: ReadOptions, report: ReadReport) -> Iterator[Row]:
    """The rows of each file in turn."""
    for file in files:
        yield from _file_rows(str(file), options, report)


def _file_rows(
    source: str, options: ReadOptions, report: ReadReport, span: Span | None = None
) -> Iterator[Row]:
    """The rows of one file of the format in ``options`` (of its ``span`` only, when given)."""
    if options.format == "jsonl":
        items = jsonl_items(source, span)
    elif options.format == "parquet":
        items = parquet_items(source, options, span)
    else:
        items = csv_items(source, options, "\t" if options.format == "tsv" else ",", span)
    return checked_rows(items, report, source, may_be_empty=span is not None)

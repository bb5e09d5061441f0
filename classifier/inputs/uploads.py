"""Records from an uploaded file: the bytes of one CSV, TSV or JSON-lines file, held in memory.

The bytes are parsed by the same parsers and cleaned by the same rules as a file the command
line reads (:mod:`~classifier.inputs.formats`, :mod:`~classifier.inputs.cleaning`), so an
upload has the CLI's formats, field names and error messages. Compressed and Parquet uploads
are refused: an upload is small, and one text format per file keeps the limits simple.
"""

from __future__ import annotations

import io
from dataclasses import replace
from functools import partial

from classifier.errors import DataError
from classifier.inputs.cleaning import record_from_row
from classifier.inputs.formats import csv_items, jsonl_items
from classifier.inputs.readers import checked_rows, convert_rows
from classifier.inputs.records import ReadOptions, ReadReport, Record
from classifier.inputs.textio import format_of_name, strip_compression

__all__ = ["UPLOAD_FORMATS", "TooManyUploadRows", "upload_records"]

UPLOAD_FORMATS = ("csv", "tsv", "jsonl")


class TooManyUploadRows(DataError):
    """The upload holds more rows than the limit allows."""


def upload_records(
    data: bytes, name: str, options: ReadOptions, report: ReadReport, *, max_rows: int
) -> list[Record]:
    """The records of the uploaded file ``name`` whose bytes are ``data``.

    Parameters
    ----------
    data
        The whole file, UTF-8 (a byte-order mark is dropped).
    name
        The file's name: it gives the format when ``options.format`` is None, and names the
        rows in messages.
    options
        Format and field names, as for :func:`~classifier.inputs.readers.read_records`.
    report
        Counts accepted rows and collects rejected ones; it is checked against its limit here.
    max_rows
        The most rows (accepted or rejected) an upload may hold.

    Raises
    ------
    TooManyUploadRows
        More than ``max_rows`` rows.
    DataError
        A compressed file, a format other than :data:`UPLOAD_FORMATS`, an empty file, a missing
        column, or more rejected rows than the report's limit allows (undecodable bytes, a row
        without a headline, malformed JSON).
    """
    if strip_compression(name)[1]:
        raise DataError(f"{name}: compressed files cannot be uploaded; upload the plain file")
    fmt = options.format or format_of_name(name)
    if fmt not in UPLOAD_FORMATS:
        raise DataError(
            f"{name}: cannot tell the format from the name; upload a .csv, .tsv or .jsonl file, "
            "or name the format (csv, tsv or jsonl)"
        )
    options = replace(options, format=fmt)
    text = io.TextIOWrapper(
        io.BytesIO(data),
        encoding="utf-8-sig",
        errors="surrogateescape",
        newline=None if fmt == "jsonl" else "",
    )
    if fmt == "jsonl":
        items = jsonl_items(name, stream=text)
    else:
        items = csv_items(name, options, "\t" if fmt == "tsv" else ",", stream=text)
    records = convert_rows(
        checked_rows(items, report, name), partial(record_from_row, options=options), report
    )
    kept = []
    # Rejected rows count too; the byte limit of the upload bounds the rows read before a check.
    for record in records:
        kept.append(record)
        _check_rows(name, report, max_rows)
    _check_rows(name, report, max_rows)
    report.check()
    if not kept:
        raise DataError(f"{name} has no rows to tag")
    return kept


def _check_rows(name: str, report: ReadReport, max_rows: int) -> None:
    if report.total > max_rows:
        raise TooManyUploadRows(f"{name} has more than {max_rows:,} rows, the most an upload may have")

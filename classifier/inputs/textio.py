"""Open data files as streams, whatever their compression, and tell their format.

Readers never load a whole file: :func:`open_text` decompresses ``.gz``, ``.bz2``,
``.xz`` and ``.zst`` on the fly and decodes with ``errors="surrogateescape"``, so
one undecodable byte spoils one row (see :func:`has_undecodable`) instead of the
whole file. Errors a user can cause (a missing file, a corrupt archive) become
:class:`~classifier.errors.DataError` naming the file.
"""

from __future__ import annotations

import bz2
import io
import lzma
import os
import re
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, TextIO

import zstandard
from zlib_ng import gzip_ng, zlib_ng

from classifier.errors import DataError

__all__ = [
    "COMPRESSIONS",
    "FORMATS",
    "data_files",
    "detect_format",
    "format_of_name",
    "has_undecodable",
    "open_binary",
    "open_text",
    "strip_compression",
]

COMPRESSIONS = (".gz", ".bz2", ".xz", ".zst")
FORMATS = ("jsonl", "csv", "tsv", "parquet", "folder")

_SUFFIX_FORMATS = {
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
    ".csv": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".parquet": "parquet",
    ".pq": "parquet",
}
# What a broken archive raises while it is read: gzip (BadGzipFile is an OSError,
# zlib_ng.error for bad deflate data), bz2 (OSError), xz (LZMAError), zstd (ZstdError),
# and EOFError from all of them for a truncated file.
_DECOMPRESSION_ERRORS = (OSError, EOFError, zlib.error, zlib_ng.error, lzma.LZMAError, zstandard.ZstdError)
_SURROGATE = re.compile("[\udc80-\udcff]")


def strip_compression(name: str) -> tuple[str, str | None]:
    """Split ``name`` into the name without its compression suffix and that suffix.

    ``"news.jsonl.gz"`` gives ``("news.jsonl", ".gz")``; ``"news.csv"`` gives
    ``("news.csv", None)``. The suffix is matched case-insensitively.
    """
    lowered = name.lower()
    for suffix in COMPRESSIONS:
        if lowered.endswith(suffix):
            return name[: -len(suffix)], suffix
    return name, None


def format_of_name(name: str) -> str | None:
    """The data format a file name stands for, or None if the suffix is not a data format."""
    base, _ = strip_compression(name)
    return _SUFFIX_FORMATS.get(Path(base).suffix.lower())


def data_files(folder: str | os.PathLike, fmt: str, pattern: str = "*") -> list[Path]:
    """The files of format ``fmt`` directly inside ``folder``, in sorted name order.

    Hidden files are left out, so that editor and OS droppings are not read as data.
    """
    return sorted(
        path
        for path in Path(folder).glob(pattern)
        if path.is_file() and not path.name.startswith(".") and format_of_name(path.name) == fmt
    )


def detect_format(path: str | os.PathLike) -> str:
    """Tell the format of ``path`` from its name, after any compression suffix.

    A directory with sub-folders is the ``folder`` format (one sub-folder per label).
    A directory of plain data files is read as the one format they share, so that a
    folder of CSV files works like one long CSV file.

    Raises
    ------
    DataError
        The path does not exist, or its name (or its files) name no known format.
    """
    path = Path(path)
    if not path.exists():
        raise DataError(f"{path}: no such file or directory")
    if path.is_dir():
        return _detect_folder_format(path)
    fmt = format_of_name(path.name)
    if fmt is None:
        raise DataError(
            f"{path}: unknown data format; name it .jsonl, .csv, .tsv or .parquet "
            f"(optionally {', '.join(COMPRESSIONS)}) or pass a format"
        )
    return fmt


def _detect_folder_format(folder: Path) -> str:
    """``folder`` if there are sub-folders, else the single format of the data files inside."""
    entries = [entry for entry in folder.iterdir() if not entry.name.startswith(".")]
    if any(entry.is_dir() for entry in entries):
        return "folder"
    formats = sorted({fmt for entry in entries if (fmt := format_of_name(entry.name))})
    if len(formats) == 1:
        return formats[0]
    if not formats:
        raise DataError(f"{folder} is empty: no sub-folders and no data files")
    raise DataError(f"{folder} holds files of several formats ({', '.join(formats)}); pass a format")


def has_undecodable(text: str) -> bool:
    """Whether ``text`` holds bytes that were not valid in its encoding.

    Text decoded with ``errors="surrogateescape"`` keeps each bad byte as a lone
    surrogate ``U+DC80``-``U+DCFF``; finding one lets a reader reject just that row.
    ``str.isascii`` answers at once for the common pure-ASCII line, with no search.
    """
    return not text.isascii() and _SURROGATE.search(text) is not None


def _open_raw(path: Path) -> BinaryIO:
    """Open ``path`` for binary reading, decompressing by its suffix."""
    _, compression = strip_compression(path.name)
    if compression == ".gz":
        # zlib-ng's gzip reader: the same bytes as the standard library's, in 0.4 of its time.
        return gzip_ng.open(path, "rb")
    if compression == ".bz2":
        return bz2.open(path, "rb")
    if compression == ".xz":
        return lzma.open(path, "rb")
    if compression == ".zst":
        raw = open(path, "rb")  # noqa: SIM115 - the reader below owns and closes it
        reader = zstandard.ZstdDecompressor().stream_reader(raw, read_across_frames=True, closefd=True)
        return io.BufferedReader(reader)
    return open(path, "rb")


class _Range(io.RawIOBase):
    """Bytes ``start`` to ``end`` of an uncompressed file, as a stream of their own."""

    def __init__(self, path: Path, start: int, end: int) -> None:
        self._file = open(path, "rb")  # noqa: SIM115 - closed with this stream
        self._file.seek(start)
        self._left = end - start

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        wanted = min(len(buffer), self._left)
        if wanted <= 0:
            return 0
        read = self._file.readinto(memoryview(buffer)[:wanted])
        self._left -= read
        return read

    def close(self) -> None:
        self._file.close()
        super().close()


@contextmanager
def open_binary(path: str | os.PathLike, span: tuple[int, int] | None = None) -> Iterator[BinaryIO]:
    """Open ``path`` as a decompressed binary stream; ``span`` reads bytes ``start`` to ``end`` of it only.

    Errors while opening or reading inside the ``with`` block (a missing file, a
    corrupt or truncated archive) are raised as :class:`DataError` naming the file.
    """
    path = Path(path)
    try:
        if span is not None and strip_compression(path.name)[1] is not None:
            raise DataError(f"{path}: a compressed file cannot be read from the middle")
        stream = _open_raw(path) if span is None else io.BufferedReader(_Range(path, *span), 1 << 20)
    except FileNotFoundError:
        raise DataError(f"{path}: no such file or directory") from None
    except OSError as exc:
        raise DataError(f"{path}: cannot open: {exc.strerror or exc}") from exc
    try:
        with stream:
            yield stream
    except _DECOMPRESSION_ERRORS as exc:
        raise DataError(f"{path}: cannot read (corrupt or truncated file?): {exc}") from exc


@contextmanager
def open_text(
    path: str | os.PathLike,
    *,
    encoding: str = "utf-8-sig",
    newline: str | None = None,
    span: tuple[int, int] | None = None,
) -> Iterator[TextIO]:
    """Open ``path`` as a decompressed text stream with ``errors="surrogateescape"``.

    Parameters
    ----------
    path
        The file, compressed or not.
    encoding
        ``utf-8-sig`` by default: UTF-8 that also drops a leading byte-order mark.
    newline
        As for :func:`open`; the ``csv`` module needs ``""``.
    span
        Bytes ``start`` to ``end`` of an uncompressed file, cut where a line starts: read only
        those. A byte-order mark is only dropped at the start of the file, as a whole read does.
    """
    if span is not None and span[0] > 0 and encoding == "utf-8-sig":
        encoding = "utf-8"
    with open_binary(path, span) as binary:
        yield io.TextIOWrapper(binary, encoding=encoding, errors="surrogateescape", newline=newline)

"""A quick estimate of how many rows an archive holds, for the ETA of reading (training, evaluating)
and tagging it.

Reading an archive twice to count its rows would cost as much as the job itself,
so this looks only at cheap facts: the row count in a Parquet footer, the
files of a labelled folder, and for line-based files their uncompressed size
(a plain file's size, the size a gzip file records in its last four bytes)
times the rows per byte of their first mebibyte. Anything it cannot estimate
cheaply (bzip2, xz, zstd, Reuters SGML) makes the total unknown: no ETA.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from classifier.inputs.presets import PRESETS
from classifier.inputs.records import ReadOptions
from classifier.inputs.sources import DataSource
from classifier.inputs.textio import data_files, detect_format, open_binary, strip_compression

__all__ = ["estimated_rows"]

_SAMPLE_BYTES = 1 << 20
# Formats estimated file by file: from the Parquet footer, or from the line count of a sample.
_FILE_FORMATS = frozenset({"jsonl", "csv", "tsv", "parquet"})


def estimated_rows(sources: list[DataSource], options: ReadOptions) -> int | None:
    """About how many rows ``sources`` hold, or None when that cannot be told cheaply."""
    try:
        return _sum_or_none(_rows(source, options) for source in sources)
    except (OSError, ValueError):
        return None


def _rows(source: DataSource, options: ReadOptions) -> int | None:
    """The estimate for one source, whose files are in its preset's format or that of ``options``."""
    if source.preset is None:
        return _source_rows(Path(source.path), options.format or detect_format(source.path), "*")
    preset = PRESETS.get(source.preset)
    return None if preset is None else _source_rows(Path(source.path), preset.format, preset.files)


def _sum_or_none(counts: Iterable[int | None]) -> int | None:
    """The sum of ``counts``, or None as soon as one of them is unknown."""
    total = 0
    for count in counts:
        if count is None:
            return None
        total += count
    return total


def _source_rows(path: Path, fmt: str, pattern: str) -> int | None:
    if fmt == "folder":
        return sum(
            1 for label in path.iterdir() if label.is_dir() for item in label.iterdir() if item.is_file()
        )
    if fmt not in _FILE_FORMATS:
        return None
    files = data_files(path, fmt, pattern) if path.is_dir() else [path]
    return _sum_or_none(_file_rows(file, fmt) for file in files)


def _file_rows(path: Path, fmt: str) -> int | None:
    if fmt == "parquet":
        import pyarrow.parquet  # here: most archives are not Parquet, and it takes 0.2 s to import

        return pyarrow.parquet.ParquetFile(path).metadata.num_rows
    size = _uncompressed_size(path)
    if size is None:
        return None
    with open_binary(path) as stream:
        sample = stream.read(_SAMPLE_BYTES)
    if not sample:
        return 0
    return round(sample.count(b"\n") * size / len(sample)) if len(sample) < size else sample.count(b"\n")


def _uncompressed_size(path: Path) -> int | None:
    _, compression = strip_compression(path.name)
    size = os.path.getsize(path)
    if compression is None:
        return size
    if compression != ".gz" or size < 18:
        return None
    with open(path, "rb") as handle:
        handle.seek(-4, os.SEEK_END)
        recorded = int.from_bytes(handle.read(4), "little")
    # The gzip trailer holds the size modulo 4 GiB (of the last member): only trust a plausible one.
    return recorded if recorded >= size else None

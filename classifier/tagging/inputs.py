"""The inputs of a tagging run: the data sources, what the output depends on, and how to read them."""

from __future__ import annotations

import glob
import os
from dataclasses import asdict
from pathlib import Path
from typing import Any

from classifier.errors import DataError
from classifier.inputs.presets import PRESETS
from classifier.inputs.readers import jsonl_files
from classifier.inputs.records import ReadOptions
from classifier.inputs.sources import DataSource, parse_data_argument

__all__ = ["date_field", "expand_inputs", "json_lines_inputs", "run_fingerprint"]

_GLOB_CHARACTERS = frozenset("*?[")


def expand_inputs(arguments: tuple[str, ...], preset: str | None = None) -> list[DataSource]:
    """The data sources of ``arguments``, with globs expanded (sorted) and paths checked.

    Raises
    ------
    DataError
        No argument, a glob matching nothing, or a path that does not exist.
    """
    if not arguments:
        raise DataError("no input given: name at least one file, folder or glob")
    sources = []
    for argument in arguments:
        source = parse_data_argument(argument)
        if source.preset is None and preset is not None:
            source = DataSource(preset, source.path)
        if _GLOB_CHARACTERS & set(source.path):
            matches = sorted(glob.glob(source.path, recursive=True))
            if not matches:
                raise DataError(f"{argument}: no file or folder matches")
            sources.extend(DataSource(source.preset, match) for match in matches)
        elif not Path(source.path).exists():
            raise DataError(f"{source.path}: no such file or directory")
        else:
            sources.append(source)
    return sources


def date_field(sources: list[DataSource], options: ReadOptions) -> str | None:
    """The field of the records' dates: the options' own, else the preset's when every source is
    read with one preset that has a date field; None when the records have none."""
    if options.date_field is not None:
        return options.date_field
    fields = {PRESETS[source.preset].date_field if source.preset in PRESETS else None for source in sources}
    return fields.pop() if len(fields) == 1 else None


def json_lines_inputs(
    sources: list[DataSource], options: ReadOptions
) -> tuple[ReadOptions, list[str]] | None:
    """The files of ``sources`` when all are JSON lines read with the generic ``options``, else None.

    Such inputs can be split into raw lines (:mod:`classifier.tagging.lines`);
    presets, CSV, Parquet and labelled folders are read record by record.
    """
    files: list[str] = []
    resolved = options
    for source in sources:
        found = jsonl_files(source.path, options) if source.preset is None else None
        if found is None:
            return None
        resolved, more = found
        files.extend(more)
    return resolved, files


def run_fingerprint(
    sources: list[DataSource],
    options: dict[str, Any],
    read: ReadOptions,
    model: tuple[str, str],
) -> dict[str, Any]:
    """What the output depends on: a resumed run must match the interrupted one in all of it.

    ``options`` are the job's options that change the output (besides ``read``);
    ``model`` is the model's id and checksum.
    """
    return {
        "inputs": [[str(source), _file_stats(Path(source.path))] for source in sources],
        "model": list(model),
        "options": {"read": asdict(read), **options},
    }


def _file_stats(path: Path) -> list:
    """Size and modification time of a file, or of each file in a folder (by relative name)."""
    if not path.is_dir():
        stat = path.stat()
        return [stat.st_size, stat.st_mtime_ns]
    stats = []
    for file in sorted(p for p in path.rglob("*") if p.is_file()):
        stat = file.stat()
        stats.append([os.fspath(file.relative_to(path)), stat.st_size, stat.st_mtime_ns])
    return stats

"""Data arguments: ``PRESET:PATH`` (a path read with a dataset preset) or a plain path."""

from __future__ import annotations

from dataclasses import dataclass

from classifier.errors import DataError
from classifier.inputs.presets import PRESETS

__all__ = ["DataSource", "parse_data_argument"]


@dataclass(frozen=True, slots=True)
class DataSource:
    """A data argument: a path, read with a dataset preset or (``preset`` None) generically."""

    preset: str | None
    path: str

    def __str__(self) -> str:
        return f"{self.preset}:{self.path}" if self.preset else self.path


def parse_data_argument(text: str) -> DataSource:
    """Split a data argument ``PRESET:PATH`` (e.g. ``huffpost:news.jsonl.gz``) from a plain path.

    Only a known preset name (any case) before the first colon counts as a preset,
    so ``C:\\data\\x.csv`` or ``./odd:name.csv`` stay plain paths.

    Raises
    ------
    DataError
        A preset is named but no path follows it.
    """
    prefix, colon, path = text.partition(":")
    if not colon or prefix.lower() not in PRESETS:
        return DataSource(None, text)
    if not path:
        raise DataError(f"{text!r}: give a path after {prefix!r}, e.g. {prefix}:data/file")
    return DataSource(prefix.lower(), path)

"""Files replaced all at once: a crash leaves the old file or the new one, never a mix.

A file is written as a temporary sibling, fsynced, renamed over its target,
and the folder fsynced, so that the rename itself survives a crash. Model
directories (:mod:`classifier.persistence`) and the staging folder of a
tagging run (:mod:`classifier.tagging.store`) are written this way.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from classifier.errors import OutputError
from classifier.jsontext import dumps

__all__ = ["fsync_folder", "output_errors", "replace_atomically", "write_atomically", "write_json_lines"]


def fsync_folder(path: Path) -> None:
    """Flush a folder's entries to disk, so that files created or renamed in it survive a crash."""
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def replace_atomically(path: Path, write: Callable[[Path], None]) -> None:
    """Create ``path`` all at once: ``write`` a temporary sibling, rename it over ``path``, fsync the folder.

    A crash leaves either the old ``path`` or the new one, never a mix; on an
    error the temporary file is removed and the ``OSError`` raised.
    """
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        write(temporary)
        os.replace(temporary, path)
        fsync_folder(path.parent)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def write_atomically(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` (fsynced) through :func:`replace_atomically`."""

    def write(temporary: Path) -> None:
        with open(temporary, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())

    replace_atomically(path, write)


@contextmanager
def output_errors(path: Path) -> Iterator[None]:
    """Turn an ``OSError`` while writing ``path`` (a full disk, a read-only folder) into an OutputError."""
    try:
        yield
    except OSError as error:
        raise OutputError(f"{path}: cannot write: {error.strerror or error}") from None


def write_json_lines(path: Path, rows: Iterable[object]) -> None:
    """Replace ``path`` with one JSON line per row, atomically; an unwritable path is an OutputError."""
    with output_errors(path):
        write_atomically(path, "".join(dumps(row) + "\n" for row in rows).encode("utf-8"))

"""The corrections store in one SQLite file: the default, for one host.

The file is opened in WAL mode with full synchronous writes, so a committed
batch survives a crash of the process or the machine. Writers take SQLite's
write lock at the start of their transaction (``BEGIN IMMEDIATE``), so the
service's worker processes add one batch at a time; one waits for another up
to ``timeout`` seconds, then gets a "locked" error. The schema's version is
SQLite's ``user_version``.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from classifier.errors import FeedbackStoreError
from classifier.feedback.database import (
    SAMPLE_COLUMNS,
    SAMPLE_INDEXES,
    TABLE_COLUMNS,
    TABLE_INDEXES,
    CorrectionStore,
)

__all__ = ["SQLiteStore"]

_WAL_RETRY_SECONDS = 0.01


class SQLiteStore(CorrectionStore):
    """The corrections in the SQLite file ``path`` (created when missing).

    Raises
    ------
    FeedbackStoreError
        The folder is missing, or the file is locked, read-only, corrupt or of a newer schema.
    """

    MIGRATIONS = (
        f"""
        CREATE TABLE corrections (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            {TABLE_COLUMNS},
            superseded_by INTEGER REFERENCES corrections (id)
        );
        {TABLE_INDEXES}
        """,
        f"""
        CREATE TABLE samples (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            {SAMPLE_COLUMNS}
        );
        {SAMPLE_INDEXES}
        """,
    )

    def __init__(self, path: Path, *, timeout: float = 10.0) -> None:
        super().__init__()
        self.path = Path(path)
        self.name = str(self.path)
        if not self.path.parent.is_dir():
            raise FeedbackStoreError(
                f"{self.path}: the folder {self.path.parent} does not exist",
                reason="its folder does not exist",
            )
        with self._errors("open"):
            # Shared between threads under the base class's lock, never used by two at once.
            self._db = sqlite3.connect(
                self.path, timeout=timeout, isolation_level=None, check_same_thread=False
            )
        try:
            with self._errors("open"):
                self._use_write_ahead_log(timeout)
                self._db.execute("PRAGMA synchronous=FULL")
        except FeedbackStoreError:
            self._db.close()  # the caller never gets the store to close
            raise
        self._migrate()

    def close(self) -> None:
        self._db.close()

    def _use_write_ahead_log(self, timeout: float) -> None:
        """Switch the file to WAL mode, waiting up to ``timeout`` seconds for other processes.

        The switch needs the file's exclusive lock. When two processes opening a new file
        both hold the shared lock and want it, SQLite fails one at once with "locked"
        instead of calling the busy handler, so the wait is this loop's.
        """
        deadline = time.monotonic() + timeout
        while True:
            try:
                (mode,) = self._db.execute("PRAGMA journal_mode=WAL").fetchone()
            except sqlite3.OperationalError as error:
                if "locked" not in str(error) or time.monotonic() > deadline:
                    raise
            else:
                if mode.lower() == "wal":
                    return
                if time.monotonic() > deadline:
                    raise sqlite3.OperationalError(f"database is locked (journal mode stays {mode})")
            time.sleep(_WAL_RETRY_SECONDS)

    def _execute(self, statement: str, parameters: Sequence = ()) -> sqlite3.Cursor:
        return self._db.execute(statement, parameters)

    @contextmanager
    def _writing(self) -> Iterator[None]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    @contextmanager
    def _errors(self, action: str) -> Iterator[None]:
        try:
            yield
        except sqlite3.Error as error:
            reason = _reason(error)
            raise FeedbackStoreError(
                f"{self.path}: cannot {action} the corrections store: {reason or error}",
                reason=reason or "a database error (see the service log)",
            ) from None

    def _schema_version(self) -> int:
        return self._db.execute("PRAGMA user_version").fetchone()[0]

    def _set_schema_version(self, version: int) -> None:
        self._db.execute(f"PRAGMA user_version = {int(version)}")


def _reason(error: sqlite3.Error) -> str | None:
    """What is wrong, in words safe to show anyone; None when SQLite's own message must say it."""
    message = str(error)
    if "locked" in message or "busy" in message:
        return "it is locked by another process; try again"
    if "readonly" in message or "read-only" in message:
        return "it is read-only"
    if "not a database" in message or "malformed" in message:
        return "it is not a corrections store, or it is corrupt"
    if "unable to open" in message:
        return "the file cannot be opened (check the path and its permissions)"
    return None

"""Open the corrections store a location names: the one entry point of the feedback package.

The backends are :mod:`classifier.feedback.sqlite_store` (one file, the
default) and :mod:`classifier.feedback.postgres_store` (a ``postgresql://``
URL, for several service hosts); both behave as
:class:`~classifier.feedback.database.CorrectionStore` says. Every failure a
user can cause (a missing folder, a locked, read-only or corrupt store, a
server that cannot be reached) is a :class:`~classifier.errors.FeedbackStoreError`
saying which.
"""

from __future__ import annotations

from pathlib import Path

from classifier.errors import FeedbackStoreError
from classifier.feedback.corrections import Correction
from classifier.feedback.database import CorrectionStore

# What callers use with a store, importable from here beside the function that opens one.
__all__ = ["Correction", "CorrectionStore", "is_database_url", "open_store"]


def is_database_url(location: str | Path) -> bool:
    """Whether ``location`` names a database server (a ``postgresql://`` URL) rather than a file."""
    return str(location).startswith(("postgresql://", "postgres://"))


def open_store(location: str | Path, *, timeout: float = 10.0) -> CorrectionStore:
    """The corrections store at ``location``: a ``postgresql://`` URL, or the path of an SQLite file.

    A writer waits up to ``timeout`` seconds for another to finish before it gives up.
    """
    if is_database_url(location):
        try:
            from classifier.feedback.postgres_store import PostgresStore  # psycopg only where it is used
        except ImportError as error:
            raise FeedbackStoreError(
                f"a PostgreSQL store needs psycopg ({error.msg}); install headline-tagger[postgres]",
                reason="a PostgreSQL store needs psycopg; install headline-tagger[postgres]",
            ) from None
        return PostgresStore(str(location), timeout=timeout)
    from classifier.feedback.sqlite_store import SQLiteStore

    return SQLiteStore(Path(location), timeout=timeout)

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
__all__ = ["Correction", "CorrectionStore", "open_store"]


def open_store(location: str | Path, *, timeout: float = 10.0) -> CorrectionStore:
    """The corrections store at ``location``: a ``postgresql://`` URL, or the path of an SQLite file.

    A writer waits up to ``timeout`` seconds for another to finish before it gives up.
    """
    text = str(location)
    if text.startswith(("postgresql://", "postgres://")):
        try:
            from classifier.feedback.postgres_store import PostgresStore  # psycopg only where it is used
        except ImportError as error:
            raise FeedbackStoreError(
                f"a PostgreSQL store needs psycopg ({error.msg}); install headline-tagger[postgres]"
            ) from None
        return PostgresStore(text, timeout=timeout)
    from classifier.feedback.sqlite_store import SQLiteStore

    return SQLiteStore(Path(location), timeout=timeout)

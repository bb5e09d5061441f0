"""The corrections store of one worker process: opened on first use, never shared across a fork.

gunicorn builds the app in its master and forks the workers from it. A
database connection must not cross a fork (two processes writing through one
SQLite handle corrupt its locks), so the store is opened lazily, by the
process that uses it, and opened again when the process id has changed. An
SQLite connection is not safe to use from two threads at once, so one lock
serialises its users; a gunicorn sync worker answers one request at a time
anyway, so the lock costs nothing there.

A store that fails (a missing folder, a locked, read-only or corrupt file, a
database that is down) raises :class:`~classifier.errors.FeedbackStoreError`;
the connection is then dropped and the next request opens it afresh, so the
service recovers by itself once the operator has fixed the cause.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from classifier.errors import FeedbackStoreError
from classifier.feedback.store import open_store

__all__ = ["StoreHolder"]

log = logging.getLogger(__name__)


class StoreHolder:
    """Opens the store at ``location`` (an SQLite path or a URL) on first use, once per process."""

    def __init__(self, location: str) -> None:
        self.location = location
        self._store: Any = None
        self._pid: int | None = None
        self._lock = threading.Lock()

    @contextmanager
    def using(self) -> Iterator[Any]:
        """The open store, for this thread alone until the block ends.

        Raises
        ------
        FeedbackStoreError
            The store cannot be opened or used; it is closed, to be opened again next time.
        """
        with self._lock:
            if self._store is None or self._pid != os.getpid():
                # An inherited connection is the parent's: left alone here, never closed or used.
                self._store = open_store(self.location)
                self._pid = os.getpid()
            try:
                yield self._store
            except FeedbackStoreError:
                self._drop()
                raise

    def close(self) -> None:
        """Close this process's store, if it opened one (a test's app, say, before it is dropped)."""
        with self._lock:
            if self._store is not None and self._pid == os.getpid():
                self._drop()

    def _drop(self) -> None:
        store, self._store = self._store, None
        try:
            store.close()
        except Exception:  # a broken connection may fail to close too; it is gone either way
            log.warning("closing the failed corrections store raised", exc_info=True)

"""The corrections store in PostgreSQL: one store that several service hosts share.

Given a ``postgresql://`` URL (libpq's own syntax, so ``?sslmode=``, a
``.pgpass`` file and the ``PG*`` environment variables all work). Writers hold
a transaction-level advisory lock, so batches are added one at a time across
every host, exactly as SQLite's write lock does on one host: ids are
committed in increasing order, and superseding an older correction of the same
text never races with another host adding it. Waiting for that lock, or for
any other, gives up after ``timeout`` seconds with a "locked" error. The
schema's version is the one row of the ``headline_tagger_schema`` table.

A connection that breaks (the server restarted, a network blip) fails the
operation in progress with a clear error and is opened again by the next one,
so a long-running service recovers on its own.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import psycopg
from psycopg import errors as pg_errors
from psycopg.conninfo import conninfo_to_dict

from classifier.errors import FeedbackStoreError
from classifier.feedback.database import (
    SAMPLE_COLUMNS,
    SAMPLE_INDEXES,
    TABLE_COLUMNS,
    TABLE_INDEXES,
    CorrectionStore,
)

__all__ = ["PostgresStore"]

# The advisory lock every writer of a store holds; any fixed number names it.
_WRITER_LOCK = 0x68_74_61_67  # "htag"


class PostgresStore(CorrectionStore):
    """The corrections in the PostgreSQL database that ``url`` names (tables created when missing).

    Raises
    ------
    FeedbackStoreError
        The server cannot be reached or refuses the login, the role may not
        read or write the tables, a lock is held too long, or the schema is newer.
    """

    MIGRATIONS = (
        f"""
        CREATE TABLE corrections (
            id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            {TABLE_COLUMNS},
            superseded_by BIGINT REFERENCES corrections (id)
        );
        {TABLE_INDEXES};
        CREATE TABLE headline_tagger_schema (version INTEGER NOT NULL);
        INSERT INTO headline_tagger_schema VALUES (0)
        """,
        f"""
        CREATE TABLE samples (
            id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            {SAMPLE_COLUMNS}
        );
        {SAMPLE_INDEXES}
        """,
    )

    def __init__(self, url: str, *, timeout: float = 10.0) -> None:
        super().__init__()
        self.url = url
        self.timeout = timeout
        self.name = _display_name(url)
        self._db: psycopg.Connection | None = None
        self._migrate()

    def close(self) -> None:
        if self._db is not None:
            self._db.close()

    def _connection(self) -> psycopg.Connection:
        if self._db is None or self._db.closed:
            self._db = psycopg.connect(
                self.url,
                autocommit=True,  # transactions are explicit: _writing, or one statement each
                connect_timeout=max(1, round(self.timeout)),
                options=f"-c lock_timeout={round(self.timeout * 1000)}",
                application_name="headline-tagger",
            )
        return self._db

    def _execute(self, statement: str, parameters: Sequence = ()) -> psycopg.Cursor:
        # The shared SQL writes placeholders as ``?``; none of it contains a literal ``?`` or ``%``.
        return self._connection().execute(statement.replace("?", "%s"), parameters)

    @contextmanager
    def _writing(self) -> Iterator[None]:
        with self._connection().transaction():
            self._execute("SELECT pg_advisory_xact_lock(?)", (_WRITER_LOCK,))
            yield

    @contextmanager
    def _errors(self, action: str) -> Iterator[None]:
        try:
            yield
        except psycopg.Error as error:
            public, detail = _reason(error)
            raise FeedbackStoreError(
                f"{self.name}: cannot {action} the corrections store: {detail}", reason=public
            ) from None

    def _schema_version(self) -> int:
        # pg_tables, not to_regclass: to_regclass reads a catalog snapshot that can predate a table another
        # process created while this one waited for the writer lock, so both would create it.
        (exists,) = self._execute(
            "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_tables"
            " WHERE schemaname = current_schema() AND tablename = 'headline_tagger_schema')"
        ).fetchone()
        if not exists:
            return 0
        return self._execute("SELECT max(version) FROM headline_tagger_schema").fetchone()[0] or 0

    def _set_schema_version(self, version: int) -> None:
        self._execute("UPDATE headline_tagger_schema SET version = ?", (version,))


def _display_name(url: str) -> str:
    """The URL without its password, for messages and logs."""
    try:
        parts = conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        # libpq quotes the part it could not parse, which may be the password: never repeat it.
        raise FeedbackStoreError(
            "the corrections store URL does not parse (check its syntax; percent-encode special"
            " characters of the password)",
            reason="its URL does not parse",
        ) from None
    user = f"{parts['user']}@" if parts.get("user") else ""
    port = f":{parts['port']}" if parts.get("port") else ""
    return f"postgresql://{user}{parts.get('host', '')}{port}/{parts.get('dbname', '')}"


def _reason(error: psycopg.Error) -> tuple[str, str]:
    """What is wrong: in words safe to show anyone, and with the server's first line for the operator."""
    first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    if isinstance(error, pg_errors.LockNotAvailable):
        public = "it is locked by another process; try again"
        return public, public
    if isinstance(error, pg_errors.ReadOnlySqlTransaction):
        public = "it is read-only (a read-only server or transaction)"
        return public, public
    if isinstance(error, pg_errors.InsufficientPrivilege):
        public = "the role may not use it (check its grants)"
    elif isinstance(error, pg_errors.UndefinedColumn | pg_errors.UndefinedTable | pg_errors.DuplicateTable):
        public = "it is not a corrections store, or it is damaged"
    elif isinstance(error, psycopg.OperationalError):
        public = "the server cannot be reached or refused the connection"
    else:
        public = "a database error (see the service log)"
        return public, first_line
    return public, f"{public}: {first_line}"

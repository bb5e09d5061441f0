"""What every corrections database shares: the SQL of adding, superseding, paging and counting.

Nothing is deleted: a newer correction of the same headline and teaser
supersedes the older ones (``superseded_by`` names it), so the history of a
headline stays and the current answer is the one no later correction
replaced.

Writers are serialised (each backend's ``_writing`` transaction), so ids are
committed in increasing order and a reader paging by id never skips one that
commits later. When :meth:`CorrectionStore.add` returns, every correction of
the batch is durable, and a crash keeps all of them or none. The schema is
migrated forward on open, and one written by a newer release is refused.
"""

from __future__ import annotations

import hashlib
import json
import threading
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from typing import Any

from classifier.errors import FeedbackStoreError
from classifier.feedback.corrections import KINDS, SOURCES, Correction, ReviewSample

__all__ = [
    "SAMPLE_COLUMNS",
    "SAMPLE_INDEXES",
    "SCHEMA_VERSION",
    "TABLE_COLUMNS",
    "TABLE_INDEXES",
    "CorrectionStore",
]

SCHEMA_VERSION = 2
# Version 1's table as every backend has it, between its own id column and ``superseded_by`` (whose
# integer type is the backend's too). Labels and predictions are JSON lists; times ISO 8601 in UTC.
TABLE_COLUMNS = """
    text_key TEXT NOT NULL,
    headline TEXT NOT NULL,
    teaser TEXT NOT NULL,
    labels TEXT NOT NULL,
    kind TEXT NOT NULL,
    model_id TEXT,
    predicted TEXT,
    item_id TEXT,
    sender TEXT NOT NULL,
    source TEXT NOT NULL,
    created TEXT NOT NULL
"""
TABLE_INDEXES = """
    CREATE INDEX corrections_text_key ON corrections (text_key, superseded_by);
    CREATE INDEX corrections_created ON corrections (created)
"""
# Version 2 adds the tagged requests kept for review, after the backend's id column. They are not
# corrections: only the newest ``keep`` of them stay (see :meth:`CorrectionStore.add_samples`).
SAMPLE_COLUMNS = """
    text_key TEXT NOT NULL,
    headline TEXT NOT NULL,
    teaser TEXT NOT NULL,
    model_id TEXT NOT NULL,
    label TEXT,
    score DOUBLE PRECISION NOT NULL,
    labels TEXT NOT NULL,
    uncertainty DOUBLE PRECISION NOT NULL,
    created TEXT NOT NULL
"""
SAMPLE_INDEXES = """
    CREATE INDEX samples_text_key ON samples (text_key);
    CREATE INDEX samples_uncertainty ON samples (uncertainty)
"""


class CorrectionStore(ABC):
    """The corrections in one database, created or migrated forward on open (see the backends).

    Safe to share between threads: one operation runs at a time.
    """

    name: str
    """How messages name the store (never with a password)."""

    # The schema of each version, as statements that take the version before it to this one.
    MIGRATIONS: tuple[str, ...]

    def __init__(self) -> None:
        self._lock = threading.RLock()

    def __enter__(self) -> CorrectionStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @abstractmethod
    def close(self) -> None:
        """Close the connection."""

    # -- writing ------------------------------------------------------------------------------

    def add(self, corrections: Iterable[Correction]) -> list[int]:
        """Store ``corrections`` in one transaction, each superseding the older ones of its text.

        Returns their ids, in order; ``created`` is set to now (UTC) where it is None.
        """
        now = _now()
        ids = []
        with self._lock, self._errors("write to"), self._writing():
            for correction in corrections:
                if correction.source not in SOURCES:
                    raise ValueError(f"unknown source {correction.source!r}; one of {', '.join(SOURCES)}")
                key = _text_key(correction.headline, correction.teaser)
                (new_id,) = self._execute(
                    "INSERT INTO corrections (text_key, headline, teaser, labels, kind, model_id, predicted,"
                    " item_id, sender, source, created)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                    (
                        key,
                        correction.headline,
                        correction.teaser,
                        json.dumps(list(correction.labels)),
                        correction.kind,
                        correction.model_id,
                        None if correction.predicted is None else json.dumps(list(correction.predicted)),
                        correction.item_id,
                        correction.sender,
                        correction.source,
                        correction.created or now,
                    ),
                ).fetchone()
                self._execute(
                    "UPDATE corrections SET superseded_by = ?"
                    " WHERE text_key = ? AND id < ? AND superseded_by IS NULL",
                    (new_id, key, new_id),
                )
                ids.append(new_id)
        return ids

    def add_samples(self, samples: Iterable[ReviewSample], *, keep: int) -> None:
        """Store tagged requests for review, in one transaction, then drop all but the newest ``keep``."""
        now = _now()
        with self._lock, self._errors("write to"), self._writing():
            for sample in samples:
                self._execute(
                    "INSERT INTO samples (text_key, headline, teaser, model_id, label, score, labels,"
                    " uncertainty, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        _text_key(sample.headline, sample.teaser),
                        sample.headline,
                        sample.teaser,
                        sample.model_id,
                        sample.label,
                        sample.score,
                        json.dumps([list(pair) for pair in sample.labels]),
                        sample.uncertainty,
                        sample.created or now,
                    ),
                )
            self._execute("DELETE FROM samples WHERE id <= (SELECT max(id) FROM samples) - ?", (keep,))

    # -- reading ------------------------------------------------------------------------------

    def uncertain_samples(self, limit: int = 50) -> list[ReviewSample]:
        """The ``limit`` most uncertain kept requests, most uncertain first: each text once (its newest
        sample), and none whose text has a correction already."""
        if limit < 1:
            raise ValueError("limit must be at least 1")
        with self._lock, self._errors("read"):
            rows = self._execute(
                "SELECT id, headline, teaser, model_id, label, score, labels, uncertainty, created"
                " FROM samples s WHERE id = (SELECT max(id) FROM samples t WHERE t.text_key = s.text_key)"
                " AND NOT EXISTS (SELECT 1 FROM corrections c WHERE c.text_key = s.text_key)"
                " ORDER BY uncertainty DESC, id DESC LIMIT ?",
                (limit,),
            ).fetchall()
        return [
            ReviewSample(
                headline,
                teaser,
                model_id,
                label,
                score,
                tuple(map(tuple, json.loads(labels))),
                uncertainty,
                id_,
                created,
            )
            for id_, headline, teaser, model_id, label, score, labels, uncertainty, created in rows
        ]

    def page(self, *, after: int = 0, since: str | None = None, limit: int = 100) -> list[Correction]:
        """Up to ``limit`` corrections with an id over ``after``, created at or after ``since``, by id."""
        if limit < 1:
            raise ValueError("limit must be at least 1")
        query = f"SELECT {_COLUMNS} FROM corrections WHERE id > ?"
        parameters: list = [after]
        if since is not None:
            query += " AND created >= ?"
            parameters.append(since)
        query += " ORDER BY id LIMIT ?"
        parameters.append(limit)
        with self._lock, self._errors("read"):
            return [_correction(row) for row in self._execute(query, parameters).fetchall()]

    def current(self, *, page_size: int = 1_000) -> Iterator[Correction]:
        """Every correction no later one superseded, oldest first: what training learns from.

        Read a page at a time, so a big store is never held whole.
        """
        after = 0
        while True:
            with self._lock, self._errors("read"):
                rows = self._execute(
                    f"SELECT {_COLUMNS} FROM corrections WHERE superseded_by IS NULL AND id > ?"
                    " ORDER BY id LIMIT ?",
                    (after, page_size),
                ).fetchall()
            if not rows:
                return
            yield from map(_correction, rows)
            after = rows[-1][0]

    def count(self) -> int:
        """How many corrections are stored, superseded ones included."""
        with self._lock, self._errors("read"):
            return self._execute("SELECT count(*) FROM corrections").fetchone()[0]

    def stats(self) -> dict:
        """Counts of the current corrections per label, per model and per kind, and per model the share
        its prediction was accepted as it was: a live estimate of its accuracy on the newsroom's headlines.
        """
        labels: Counter = Counter()
        kinds: Counter = Counter()
        models: dict[str, Counter] = {}
        for correction in self.current():
            labels.update(correction.labels)
            kinds[correction.kind] += 1
            if correction.model_id is not None and correction.predicted is not None:
                models.setdefault(correction.model_id, Counter())[correction.kind] += 1
        return {
            "corrections": sum(kinds.values()),
            "labels": dict(labels.most_common()),
            "kinds": {kind: kinds[kind] for kind in KINDS},
            "models": {
                model: {
                    "corrections": sum(counts.values()),
                    "agreement": counts["accepted"] / sum(counts.values()),
                }
                for model, counts in sorted(models.items())
            },
        }

    # -- what each backend provides ---------------------------------------------------------------

    @abstractmethod
    def _execute(self, statement: str, parameters: Sequence = ()) -> Any:
        """Run one statement (``?`` placeholders) and return its cursor."""

    @abstractmethod
    def _writing(self) -> AbstractContextManager:
        """A transaction that no other writer of the store runs beside."""

    @abstractmethod
    def _errors(self, action: str) -> AbstractContextManager:
        """Turn the driver's errors into a :class:`FeedbackStoreError` naming the store and ``action``."""

    @abstractmethod
    def _schema_version(self) -> int:
        """The schema version the store is at (0 when it is new)."""

    @abstractmethod
    def _set_schema_version(self, version: int) -> None:
        """Record the schema version, inside the migration's transaction."""

    def _migrate(self) -> None:
        """Bring the schema to :data:`SCHEMA_VERSION`, in one transaction, or refuse a newer one.

        A store already at this version is only read, so a read-only database still opens
        (where its backend can read without writing). The connection is closed when this
        fails, since the caller never gets the store to close.
        """
        try:
            self._migrate_schema()
        except BaseException:
            self.close()
            raise

    def _migrate_schema(self) -> None:
        with self._errors("open"):
            if self._checked_version() == SCHEMA_VERSION:
                return
            with self._writing():
                version = self._checked_version()  # another process may have migrated it meanwhile
                for number in range(version, SCHEMA_VERSION):
                    for statement in filter(str.strip, self.MIGRATIONS[number].split(";")):
                        self._execute(statement)
                if version < SCHEMA_VERSION:
                    self._set_schema_version(SCHEMA_VERSION)

    def _checked_version(self) -> int:
        version = self._schema_version()
        if version > SCHEMA_VERSION:
            raise FeedbackStoreError(
                f"{self.name}: written by a newer headline-tagger (schema {version}, this one reads up"
                f" to {SCHEMA_VERSION}); upgrade headline-tagger",
                reason="it was written by a newer headline-tagger; upgrade headline-tagger",
            )
        return version


_COLUMNS = (
    "id, headline, teaser, labels, model_id, predicted, item_id, sender, source, created, superseded_by"
)


def _text_key(headline: str, teaser: str) -> str:
    return hashlib.sha256(f"{headline}\x00{teaser}".encode("utf-8", "surrogatepass")).hexdigest()


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def _correction(row: Sequence) -> Correction:
    id_, headline, teaser, labels, model_id, predicted, item_id, sender, source, created, after = row
    return Correction(
        headline=headline,
        teaser=teaser,
        labels=tuple(json.loads(labels)),
        sender=sender,
        source=source,
        model_id=model_id,
        predicted=None if predicted is None else tuple(json.loads(predicted)),
        item_id=item_id,
        id=id_,
        created=created,
        superseded_by=after,
    )

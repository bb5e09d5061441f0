"""The corrections store in SQLite: one file, written so that an acknowledged correction is never lost.

A correction says which topics a headline (with its teaser) really has, who
said so and when, and what the model predicted at the time. Its ``kind`` is
what the editor did to the model's tags, as newsroom tagging tools record it:
``accepted`` (the prediction kept as it was), ``rejected`` (some predicted
tags removed, none added) or ``added`` (a missing tag added, whatever else
changed); a correction without a prediction counts as ``added``.

Nothing is deleted: a newer correction of the same headline and teaser
supersedes the older ones (``superseded_by`` names it), so the history of a
headline stays and the current answer is the one no later correction
replaced.

The file is opened in WAL mode with full synchronous writes, and each batch of
corrections is one ``BEGIN IMMEDIATE`` transaction: when :meth:`CorrectionStore.add`
returns, every correction of the batch is on disk, and a crash keeps all of
them or none. Several processes (the service's workers) may add at once; one
waits for another up to ``timeout`` seconds. The schema's version is SQLite's
``user_version``; opening a store migrates an older one forward, and refuses
one written by a newer release. Every failure a user can cause (a missing
folder, a locked, read-only or corrupt file) is a
:class:`~classifier.errors.FeedbackStoreError` saying which.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from classifier.errors import FeedbackStoreError

__all__ = ["KINDS", "SOURCES", "Correction", "CorrectionStore", "correction_kind", "open_store"]

KINDS = ("accepted", "rejected", "added")
SOURCES = ("api", "web", "cli", "import")
SCHEMA_VERSION = 1
# Each step takes the schema from the version before it to its own number.
_MIGRATIONS = (
    """
    CREATE TABLE corrections (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
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
        created TEXT NOT NULL,
        superseded_by INTEGER REFERENCES corrections (id)
    );
    CREATE INDEX corrections_text_key ON corrections (text_key, superseded_by);
    CREATE INDEX corrections_created ON corrections (created);
    """,
)


def correction_kind(labels: Sequence[str], predicted: Sequence[str] | None) -> str:
    """What the correction did to the model's tags: ``accepted``, ``rejected`` or ``added``."""
    if predicted is None:
        return "added"
    wanted, had = set(labels), set(predicted)
    if wanted == had:
        return "accepted"
    return "rejected" if wanted < had else "added"


@dataclass(slots=True)
class Correction:
    """One correction; ``id``, ``created`` and ``superseded_by`` are the store's to set."""

    headline: str
    teaser: str
    labels: tuple[str, ...]
    sender: str
    source: str
    model_id: str | None = None
    predicted: tuple[str, ...] | None = None
    item_id: str | None = None
    id: int | None = None
    created: str | None = None
    superseded_by: int | None = None

    @property
    def kind(self) -> str:
        """See :func:`correction_kind`."""
        return correction_kind(self.labels, self.predicted)

    def to_dict(self) -> dict:
        """The JSON shape of an exported or listed correction."""
        return {
            "id": self.id,
            "headline": self.headline,
            "teaser": self.teaser,
            "labels": list(self.labels),
            "kind": self.kind,
            "model": self.model_id,
            "predicted": None if self.predicted is None else list(self.predicted),
            "item_id": self.item_id,
            "sender": self.sender,
            "source": self.source,
            "created": self.created,
            "superseded_by": self.superseded_by,
        }


def open_store(location: str | Path) -> CorrectionStore:
    """The corrections store at ``location``: a path of an SQLite file, created when missing."""
    return CorrectionStore(Path(location))


class CorrectionStore:
    """The corrections in one SQLite file (created, or migrated forward, on open).

    Raises
    ------
    FeedbackStoreError
        The folder is missing, or the file is locked, read-only, corrupt or of a newer schema.
    """

    def __init__(self, path: Path, *, timeout: float = 10.0) -> None:
        self.path = Path(path)
        self.name = str(self.path)
        """How messages name the store."""
        if not self.path.parent.is_dir():
            raise FeedbackStoreError(f"{self.path}: the folder {self.path.parent} does not exist")
        with self._errors("open"):
            self._db = sqlite3.connect(self.path, timeout=timeout, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._migrate()

    def close(self) -> None:
        """Close the file."""
        self._db.close()

    def __enter__(self) -> CorrectionStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- writing ------------------------------------------------------------------------------

    def add(self, corrections: Iterable[Correction]) -> list[int]:
        """Store ``corrections`` in one transaction, each superseding the older ones of its text.

        Returns their ids, in order; ``created`` is set to now (UTC) where it is None.
        """
        now = _now()
        ids = []
        with self._errors("write to"), self._transaction():
            for correction in corrections:
                if correction.source not in SOURCES:
                    raise ValueError(f"unknown source {correction.source!r}; one of {', '.join(SOURCES)}")
                key = _text_key(correction.headline, correction.teaser)
                cursor = self._db.execute(
                    "INSERT INTO corrections (text_key, headline, teaser, labels, kind, model_id, predicted,"
                    " item_id, sender, source, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
                )
                new_id = cursor.lastrowid
                self._db.execute(
                    "UPDATE corrections SET superseded_by = ?"
                    " WHERE text_key = ? AND id < ? AND superseded_by IS NULL",
                    (new_id, key, new_id),
                )
                ids.append(new_id)
        return ids

    # -- reading ------------------------------------------------------------------------------

    def page(self, *, after: int = 0, since: str | None = None, limit: int = 100) -> list[Correction]:
        """Up to ``limit`` corrections with an id over ``after``, created at or after ``since``, by id."""
        if limit < 1:
            raise ValueError("limit must be at least 1")
        query = "SELECT * FROM corrections WHERE id > ?"
        parameters: list = [after]
        if since is not None:
            query += " AND created >= ?"
            parameters.append(since)
        query += " ORDER BY id LIMIT ?"
        parameters.append(limit)
        with self._errors("read"):
            return [_correction(row) for row in self._db.execute(query, parameters)]

    def current(self) -> Iterator[Correction]:
        """Every correction no later one superseded, oldest first: what training learns from."""
        with self._errors("read"):
            rows = self._db.execute("SELECT * FROM corrections WHERE superseded_by IS NULL ORDER BY id")
            yield from map(_correction, rows)

    def count(self) -> int:
        """How many corrections are stored, superseded ones included."""
        with self._errors("read"):
            return self._db.execute("SELECT count(*) FROM corrections").fetchone()[0]

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

    # -- internals ----------------------------------------------------------------------------

    def _migrate(self) -> None:
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise FeedbackStoreError(
                f"{self.path}: written by a newer headline-tagger (schema {version}, this one reads up to"
                f" {SCHEMA_VERSION}); upgrade headline-tagger"
            )
        for number in range(version, SCHEMA_VERSION):
            with self._transaction():
                # Not executescript: it would commit the open transaction before it runs.
                for statement in filter(str.strip, _MIGRATIONS[number].split(";")):
                    self._db.execute(statement)
                self._db.execute(f"PRAGMA user_version = {number + 1}")

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    @contextmanager
    def _errors(self, action: str) -> Iterator[None]:
        """Turn SQLite's errors into a :class:`FeedbackStoreError` that says what is wrong with the file."""
        try:
            yield
        except sqlite3.Error as error:
            raise FeedbackStoreError(
                f"{self.path}: cannot {action} the corrections store: {_reason(error)}"
            ) from None


def _reason(error: sqlite3.Error) -> str:
    message = str(error)
    if "locked" in message or "busy" in message:
        return "it is locked by another process; try again"
    if "readonly" in message or "read-only" in message:
        return "it is read-only"
    if "not a database" in message or "malformed" in message:
        return "it is not a corrections store, or it is corrupt"
    if "unable to open" in message:
        return "the file cannot be opened (check the path and its permissions)"
    return message


def _text_key(headline: str, teaser: str) -> str:
    return hashlib.sha256(f"{headline}\x00{teaser}".encode("utf-8", "surrogatepass")).hexdigest()


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def _correction(row: tuple) -> Correction:
    (
        id_,
        _key,
        headline,
        teaser,
        labels,
        _kind,
        model_id,
        predicted,
        item_id,
        sender,
        source,
        created,
        after,
    ) = row
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

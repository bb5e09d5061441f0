"""The models folder as a registry: its models, which one is current, and the history of changes.

A models folder holds one sub-folder per model (named after its id) and the
``current`` symlink. Every change of ``current`` made through this module (a
promotion, a rollback, training that promotes) is appended to
``history.jsonl`` in the folder: one JSON object per line, written with
``O_APPEND`` in a single ``write`` and fsynced, under an exclusive ``flock`` of
the file that is held from reading the old ``current`` to the end of the
append, so two processes never interleave lines, lose one, or record a stale
``from``. A line cut short by a crash is reported and skipped by readers; the
next append first ends it with a newline, so it never swallows a good line.

Rollback undoes changes like an editor's undo: each rollback returns to what
was current before the latest change that no rollback has undone yet, so
repeated rollbacks walk back through the promotions; a promotion after a
rollback starts a new branch (what was rolled back is not redone).
"""

from __future__ import annotations

import fcntl
import getpass
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

from classifier.atomic import replace_atomically
from classifier.errors import HeadlineTaggerError, ModelError
from classifier.persistence import Manifest, promote, read_manifest
from classifier.settings import CURRENT_LINK, current_link

__all__ = [
    "ANY_MODEL",
    "HISTORY_FILE",
    "Change",
    "History",
    "ModelEntry",
    "RegistryError",
    "change_current",
    "current_model",
    "list_models",
    "model_directory",
    "promote_model",
    "read_history",
    "rollback",
    "who",
]

HISTORY_FILE = "history.jsonl"
ANY_MODEL = object()
"""``change_current(replacing=...)``'s default: whichever model is current may be replaced."""
ACTIONS = ("promote", "rollback", "train")
# The validation metrics `models list` shows, of those the manifest holds.
_METRICS = ("accuracy", "macro_f1")


class RegistryError(HeadlineTaggerError, ValueError):
    """A registry request cannot be met: an unknown model, nothing to roll back, an unusable history."""


@dataclass(frozen=True)
class ModelEntry:
    """One model of the folder, as ``models list`` shows it."""

    id: str
    created: str
    rows: int | None
    corrections: int | None
    validation: dict[str, float]
    current: bool

    def to_dict(self) -> dict[str, Any]:
        """The ``models list --json`` shape of one model."""
        return dict(self.__dict__)


@dataclass(frozen=True)
class Change:
    """One line of the history: who moved ``current`` from which model to which, when and why."""

    time: str
    user: str
    action: str
    to: str
    previous: str | None = None
    comparison: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        """The line written to ``history.jsonl`` (``from`` is ``previous``)."""
        return {
            "time": self.time,
            "user": self.user,
            "action": self.action,
            "from": self.previous,
            "to": self.to,
            "comparison": self.comparison,
        }

    @classmethod
    def from_dict(cls, data: Any) -> Change:
        """The change a history line holds; ``ValueError`` when it is not one."""
        if not isinstance(data, dict) or data.get("action") not in ACTIONS:
            raise ValueError("not a change: no known action")
        for name in ("time", "user", "to"):
            if not isinstance(data.get(name), str):
                raise ValueError(f"{name!r} is missing")
        previous, comparison = data.get("from"), data.get("comparison")
        if not (previous is None or isinstance(previous, str)) or not (
            comparison is None or isinstance(comparison, dict)
        ):
            raise ValueError("'from' or 'comparison' has the wrong type")
        return cls(data["time"], data["user"], data["action"], data["to"], previous, comparison)


@dataclass
class History:
    """The changes of a folder, oldest first, and the lines that could not be read (torn by a crash)."""

    changes: list[Change] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def undo_stack(self) -> list[Change]:
        """The promotions no rollback has undone yet, oldest first: a rollback undoes the last one."""
        stack: list[Change] = []
        for change in self.changes:
            if change.action != "rollback":
                stack.append(change)
            elif stack:
                stack.pop()
        return stack


def who() -> str:
    """The OS user running this process, or ``cli`` when the system cannot name one."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # a container user with no passwd entry and no $USER
        return "cli"


def model_directory(models_dir: Path, model: str) -> Path:
    """The folder of ``model``: a model id (a folder of ``models_dir``, or ``current``), or a path."""
    path = Path(model) if os.sep in model or model in (".", "..") else Path(models_dir) / model
    read_manifest(path)  # a clear error for what is not a model
    return path


def current_model(models_dir: Path) -> str | None:
    """The id of the model ``current`` points at: its folder's name, or its path when outside the folder."""
    link = current_link(models_dir)
    if not link.is_symlink() and not link.exists():
        return None
    target = link.resolve()
    if target.parent == Path(models_dir).resolve():
        return target.name
    return str(target)


def list_models(models_dir: Path) -> tuple[list[ModelEntry], list[str]]:
    """The models of ``models_dir``, oldest first, and a line for each folder that is not a readable model."""
    models_dir = Path(models_dir)
    if not models_dir.is_dir():
        raise RegistryError(f"{models_dir}: no such models folder")
    current = current_model(models_dir)
    entries, problems = [], []
    for path in sorted(models_dir.iterdir()):
        if path.name.startswith(".") or path.name == CURRENT_LINK or not path.is_dir():
            continue  # a save in progress, the link, the history and the corrections store
        try:
            manifest = read_manifest(path)
        except ModelError as error:
            problems.append(str(error))
            continue
        entries.append(_entry(path.name, manifest, current=path.name == current))
    entries.sort(key=lambda entry: (entry.created, entry.id))
    return entries, problems


def _entry(name: str, manifest: Manifest, *, current: bool) -> ModelEntry:
    metrics = manifest.validation_metrics or {}
    feedback = manifest.training.get("feedback")  # train --feedback's record, when it had corrections
    corrections = feedback.get("corrections") if isinstance(feedback, dict) else None
    corrections = corrections if isinstance(corrections, int) else None
    rows = manifest.training.get("rows")
    return ModelEntry(
        id=name,
        created=manifest.created,
        rows=rows if isinstance(rows, int) else None,
        corrections=corrections,
        validation={key: metrics[key] for key in _METRICS if isinstance(metrics.get(key), int | float)},
        current=current,
    )


def read_history(models_dir: Path) -> History:
    """Every change recorded in ``models_dir``'s history; unreadable lines are skipped and named."""
    path = Path(models_dir) / HISTORY_FILE
    history = History()
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return history
    except OSError as error:
        raise RegistryError(f"{path}: cannot read the history: {error.strerror}") from None
    for number, line in enumerate(raw.split(b"\n"), start=1):
        if not line.strip():
            continue
        try:
            history.changes.append(Change.from_dict(json.loads(line)))
        except ValueError as error:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
            history.problems.append(
                f"{path}:{number}: skipped an unreadable line (torn by a crash?): {error}"
            )
    return history


def _nothing_to_roll_back(path: Path) -> RegistryError:
    return RegistryError(f"{path}: no promotion to roll back (make one with `models promote ID`)")


@contextmanager
def _locked_history(models_dir: Path, *, create: bool = True) -> Iterator[int]:
    """The history file open for appending, under an exclusive lock held until the block ends."""
    path = Path(models_dir) / HISTORY_FILE
    try:
        if create:  # `train --out` elsewhere may be the first to use the models folder
            path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_RDWR | os.O_APPEND | (os.O_CREAT if create else 0), 0o644)
    except FileNotFoundError:
        if not create:  # only rollback opens without creating: there is nothing to undo
            raise _nothing_to_roll_back(path) from None
        raise RegistryError(f"{path}: cannot open the history: its folder is missing") from None
    except OSError as error:
        raise RegistryError(f"{path}: cannot open the history: {error.strerror}") from None
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield descriptor
    finally:
        os.close(descriptor)  # closing releases the lock


def _append(descriptor: int, path: Path, change: Change) -> None:
    line = json.dumps(change.to_dict(), ensure_ascii=False).encode() + b"\n"
    try:
        size = os.fstat(descriptor).st_size
        if size and os.pread(descriptor, 1, size - 1) != b"\n":
            line = b"\n" + line  # end a line a crash cut short, so that it does not swallow this one
        os.write(descriptor, line)  # O_APPEND: one write lands whole at the end
        os.fsync(descriptor)
    except OSError as error:
        raise RegistryError(f"{path}: cannot append to the history: {error.strerror}") from None


def _change(descriptor: int, models_dir: Path, model_dir: Path, action: str, user, comparison) -> Change:
    """Swap ``current`` to ``model_dir`` and append the change; the caller holds the history's lock.

    When the history cannot be written, ``current`` is put back as it was, so that it never moves
    without a line saying so.
    """
    previous = current_model(models_dir)
    link = current_link(models_dir)
    was = os.readlink(link) if link.is_symlink() else None
    promote(model_dir, link)
    change = Change(
        time=datetime.now(UTC).isoformat(timespec="seconds"),
        user=user or who(),
        action=action,
        to=current_model(models_dir) or str(model_dir),
        previous=previous,
        comparison=comparison,
    )
    try:
        _append(descriptor, models_dir / HISTORY_FILE, change)
    except RegistryError:
        if was is None:
            link.unlink()
        else:
            replace_atomically(link, partial(os.symlink, was))
        raise
    return change


def change_current(
    models_dir: Path,
    model_dir: Path,
    *,
    action: str,
    user: str | None = None,
    comparison: dict[str, Any] | None = None,
    replacing: str | object | None = ANY_MODEL,
) -> Change:
    """Point ``current`` at ``model_dir`` (an atomic symlink swap) and append the change to the history.

    ``action`` is ``promote``, ``rollback`` or ``train``; ``comparison`` the
    numbers that justified it, when there were any, and ``replacing`` the
    model (an id, or None for none) they were measured against: when another
    process has made a different model current since, nothing changes.

    Raises
    ------
    RegistryError
        ``current`` is no longer ``replacing``, or the history cannot be written.
    """
    if action not in ACTIONS:
        raise ValueError(f"action must be one of {', '.join(ACTIONS)}, not {action!r}")
    models_dir = Path(models_dir)
    with _locked_history(models_dir) as descriptor:
        current = current_model(models_dir)
        if replacing is not ANY_MODEL and current != replacing:
            raise RegistryError(
                f"{current_link(models_dir)}: now points at {current or 'nothing'}, not at "
                f"{replacing or 'nothing'} as when the comparison began; {model_dir} is saved, not promoted"
            )
        return _change(descriptor, models_dir, Path(model_dir), action, user, comparison)


def promote_model(models_dir: Path, model: str, *, user: str | None = None) -> Change | None:
    """Make ``model``, a model folder of ``models_dir``, current; None when it already is."""
    models_dir = Path(models_dir)
    model_dir = model_directory(models_dir, model)
    if model_dir.resolve().parent != models_dir.resolve():
        raise RegistryError(
            f"{model}: not a model of {models_dir}; the service loads models only from its models folder"
        )
    if current_link(models_dir).exists() and current_link(models_dir).resolve() == model_dir.resolve():
        return None
    return change_current(models_dir, model_dir, action="promote", user=user)


def rollback(models_dir: Path, *, user: str | None = None) -> Change:
    """Make current again what was current before the latest change no rollback has undone.

    The history is read and the link swapped under the history's lock, so two
    rollbacks at once undo two changes, not the same one twice.

    Raises
    ------
    RegistryError
        Nothing to undo (no history, every change undone, or the first model
        ever promoted), or ``current`` was moved by other means since the last
        recorded change, so the history no longer says what came before.
    """
    models_dir = Path(models_dir)
    path = models_dir / HISTORY_FILE
    with _locked_history(models_dir, create=False) as descriptor:
        stack = read_history(models_dir).undo_stack()
        if not stack:
            raise _nothing_to_roll_back(path)
        last, current = stack[-1], current_model(models_dir)
        if current != last.to:
            raise RegistryError(
                f"{current_link(models_dir)}: points at {current}, but the history's last change made "
                f"{last.to} current; it was moved by other means, so choose a model with `models promote ID`"
            )
        if last.previous is None:
            raise RegistryError(f"{path}: {last.to} was the first current model; there is nothing before it")
        target = model_directory(models_dir, last.previous)
        return _change(descriptor, models_dir, target, "rollback", user, None)

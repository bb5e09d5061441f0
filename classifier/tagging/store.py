"""The staging folder of a tagging run: committed parts, a checkpoint, and the atomic finish.

Nothing is lost and nothing is written twice, whenever the process dies (even
by SIGKILL), because every step is a rename of a complete, fsynced file::

    OUT.partial/
      checkpoint.json           what the run is (its fingerprint) and how far it got
      plan.json                 the Dask engine's partitions and run nonce, fixed when the run starts
      parts/part-00000000.jsonl.gz, ...     one committed part per chunk of input rows
                                (the Dask engine's: part-PARTITION-PIECE-NONCE.parquet, ...)
      rejects/rejects-00000000.jsonl, ...   the rows rejected while reading that chunk

A chunk is committed by renaming its part (and rejects) into place and then
replacing ``checkpoint.json``; a part whose chunk the checkpoint does not count
is left over from a killed run and is written again on resume. The finish
concatenates the parts into ``OUT`` (a temporary file beside it, fsynced,
renamed over it), writes ``OUT.rejects.jsonl`` the same way, and only then
removes the staging folder; a Parquet ``OUT`` is the ``parts`` folder renamed.

Dask workers write their parts into ``parts`` themselves, and a stopped run's
tasks may go on writing there after a new run on the same output started (a
remote scheduler does not stop them when their client closes). So the
checkpoint counts the parts of each committed partition, their names carry the
run's nonce, and the finish first moves ``parts`` to ``sealed-parts`` (a task
writes by path, so it can add nothing there), then deletes every other file.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from classifier.atomic import fsync_folder, output_errors, replace_atomically, write_atomically
from classifier.errors import OutputError
from classifier.inputs.records import BadRow

__all__ = ["CHECKPOINT_FILE", "PLAN_FILE", "Committed", "Staging"]

CHECKPOINT_FILE = "checkpoint.json"
PLAN_FILE = "plan.json"
_CHECKPOINT_VERSION = 1
_INDEX = re.compile(r"[a-z]+-(\d+)")


@dataclass
class Committed:
    """How far a run got: the chunks and rows committed and what they held.

    ``report`` keeps the read counts (``accepted``, ``bad``, ``skipped``) as of
    the last commit, for the summary of a run that only had its finish left.
    ``position`` says where in the input the last committed chunk ends (see
    :mod:`classifier.tagging.lines`), so that a resumed run need not read what came
    before; None when the run reads records another way. ``pieces`` counts the
    parts of each committed chunk that the Dask engine's workers wrote.
    """

    chunks: int = 0
    rows: int = 0
    rejected: int = 0
    abstained: int = 0
    labels: Counter = field(default_factory=Counter)
    report: dict[str, Any] = field(default_factory=dict)
    complete: bool = False
    position: dict[str, int] | None = None
    pieces: list[int] = field(default_factory=list)

    def add(
        self, rows: int, labels: dict[str, int], abstained: int, rejected: int, pieces: int | None = None
    ) -> None:
        """Count one more committed chunk (and the parts its worker wrote, when ``pieces`` is given)."""
        self.chunks += 1
        if pieces is not None:
            self.pieces.append(pieces)
        self.rows += rows
        self.labels.update(labels)
        self.abstained += abstained
        self.rejected += rejected


class Staging:
    """The ``OUT.partial`` folder of the run that writes ``output``.

    Parameters
    ----------
    output
        The final output: a file, or a folder of parts when ``directory``.
    part_suffix
        Suffix of the part files, e.g. ``.jsonl.gz``.
    directory
        Whether ``output`` is a folder of parts (Parquet) rather than one file.
    """

    def __init__(self, output: Path, part_suffix: str, *, directory: bool) -> None:
        self.output = Path(output)
        self.folder = self.output.with_name(self.output.name + ".partial")
        self.rejects_path = self.output.with_name(self.output.name + ".rejects.jsonl")
        self.parts = self.folder / "parts"
        self.sealed = self.folder / "sealed-parts"  # the Dask engine's parts, while they are published
        self.part_suffix = part_suffix
        self.directory = directory
        self._fingerprint: dict[str, Any] = {}

    # -- starting ------------------------------------------------------------------------------------

    def start(self, fingerprint: dict[str, Any], *, resume: bool, overwrite: bool) -> Committed:
        """Create the staging folder, or reopen it to resume; return what is already committed.

        Raises
        ------
        OutputError
            The output or an interrupted run exists and neither ``resume`` nor
            ``overwrite`` says what to do with it; the run to resume was started
            with other inputs, model or options; the folder cannot be created.
        """
        if resume and self.folder.exists():
            return self._reopen(fingerprint)
        if self.folder.exists() and not overwrite:
            raise OutputError(
                f"{self.folder} holds an interrupted run; pass --resume to continue it "
                "or --overwrite to start again"
            )
        if self.output.exists() and not overwrite:
            if resume:
                raise OutputError(
                    f"nothing to resume: {self.output} is complete; pass --overwrite to tag again"
                )
            raise OutputError(f"{self.output} exists; pass --overwrite to replace it (or --resume)")
        if self.folder.exists():
            shutil.rmtree(self.folder)
        try:
            self.parts.mkdir(parents=True)
            (self.folder / "rejects").mkdir()
        except OSError as error:
            raise OutputError(f"{self.folder}: cannot create the output folder: {error.strerror}") from None
        committed = Committed()
        self._fingerprint = fingerprint
        self._write_checkpoint(committed)
        return committed

    def _reopen(self, fingerprint: dict[str, Any]) -> Committed:
        try:
            state = json.loads((self.folder / CHECKPOINT_FILE).read_text(encoding="utf-8"))
            committed = Committed(**{**state["committed"], "labels": Counter(state["committed"]["labels"])})
            previous = state["fingerprint"]
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise OutputError(
                f"{self.folder}: no readable checkpoint ({error}); pass --overwrite to start again"
            ) from None
        if previous != fingerprint:
            changed = ", ".join(key for key in fingerprint if previous.get(key) != fingerprint[key])
            raise OutputError(
                f"{self.folder}: cannot resume: the run was started with other {changed or 'settings'}; "
                "pass --overwrite to start again"
            )
        for stale in (*self.parts.glob("*"), *(self.folder / "rejects").glob("*")):
            if not stale.name.startswith(("part-", "rejects-")) or self._index(stale) >= committed.chunks:
                stale.unlink(missing_ok=True)  # a Dask worker of the stopped run may still be renaming it
        self._fingerprint = fingerprint
        return committed

    @staticmethod
    def _index(path: Path) -> int:
        """The chunk of a part or rejects file.

        ``part-00000007.csv``, ``part-00000007-00000002-NONCE.parquet`` and
        ``rejects-00000007.jsonl`` are chunk 7's.
        """
        return int(_INDEX.match(path.name)[1])

    def read_plan(self) -> Any:
        """The plan :meth:`write_plan` recorded for the run, or None (none was recorded before it stopped)."""
        try:
            return json.loads((self.folder / PLAN_FILE).read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as error:
            raise OutputError(
                f"{self.folder}: unreadable plan ({error}); pass --overwrite to start again"
            ) from None

    def write_plan(self, plan: Any) -> None:
        """Record how the run cuts its input (as JSON), so that a resumed run follows the same plan."""
        path = self.folder / PLAN_FILE
        with output_errors(path):
            write_atomically(path, json.dumps(plan).encode("utf-8"))

    def committed_rejects(self) -> Iterator[BadRow]:
        """The rejected rows of the committed chunks, in input order."""
        for path in sorted((self.folder / "rejects").glob("rejects-*")):
            for line in path.read_text(encoding="utf-8").splitlines():
                bad = json.loads(line)
                yield BadRow(bad["file"], bad["line"], bad["reason"])

    # -- committing ----------------------------------------------------------------------------------

    def part_path(self, index: int) -> Path:
        """Where chunk ``index``'s part is committed."""
        return self.parts / f"part-{index:08d}{self.part_suffix}"

    def piece_path(self, index: int, piece: int, run: str) -> Path:
        """Where a Dask worker writes the ``piece``-th part of chunk ``index``, with run nonce ``run``."""
        return self.parts / f"part-{index:08d}-{piece:08d}-{run}{self.part_suffix}"

    def write_part(self, index: int, data: bytes) -> None:
        """Write chunk ``index``'s part (not yet committed: :meth:`commit` does that)."""
        path = self.part_path(index)
        with output_errors(path):
            write_atomically(path, data)

    def discard(self) -> None:
        """Remove the staging folder of a run that failed before committing anything."""
        shutil.rmtree(self.folder, ignore_errors=True)

    def commit(self, committed: Committed, rejects: bytes) -> None:
        """Commit the chunk whose part was written last: its rejects, then the checkpoint.

        ``committed`` already counts the chunk; its index is ``committed.chunks - 1``.
        """
        if rejects:
            path = self.folder / "rejects" / f"rejects-{committed.chunks - 1:08d}.jsonl"
            with output_errors(path):
                write_atomically(path, rejects)
        self._write_checkpoint(committed)

    def _write_checkpoint(self, committed: Committed) -> None:
        # Not asdict: it would turn the Counter into a Counter of (label, count) pairs.
        counts = {**vars(committed), "labels": dict(committed.labels)}
        state = {"version": _CHECKPOINT_VERSION, "fingerprint": self._fingerprint, "committed": counts}
        path = self.folder / CHECKPOINT_FILE
        with output_errors(path):
            write_atomically(path, json.dumps(state, indent=1).encode("utf-8"))

    # -- finishing -----------------------------------------------------------------------------------

    def finish(self, committed: Committed) -> None:
        """Publish the rejects file and the output atomically, then remove the staging folder.

        Of the parts Dask workers wrote, only ``committed``'s are published.
        Safe to repeat after a crash part-way: every step is a rename of a
        complete file, and the parts stay until the output is in place.
        """
        _concatenate(sorted((self.folder / "rejects").glob("rejects-*")), self.rejects_path)
        if not self.directory:
            _concatenate(sorted(self.parts.glob("part-*")), self.output)
        elif self.parts.exists() or self.sealed.exists():
            plan = self.read_plan()
            self._replace_folder(self.parts if plan is None else self._seal(committed.pieces, plan["run"]))
        shutil.rmtree(self.folder)

    def _seal(self, pieces: list[int], run: str) -> Path:
        """The parts folder moved where no worker writes, with run ``run``'s committed parts only.

        ``pieces[i]`` parts of chunk ``i``: the others are a stopped run's, or a dead worker's
        temporary files. A stopped run's task writes by path into ``parts``, so once the folder
        is moved it can write nothing more that would be published.
        """
        try:
            if self.parts.exists():
                os.rename(self.parts, self.sealed)
        except OSError as error:
            raise OutputError(f"{self.parts}: cannot move the parts: {error.strerror}") from None
        committed = {
            self.piece_path(index, piece, run).name for index, n in enumerate(pieces) for piece in range(n)
        }
        for path in self.sealed.iterdir():
            if path.name not in committed:
                path.unlink(missing_ok=True)
        return self.sealed

    def _replace_folder(self, parts: Path) -> None:
        """Rename the folder ``parts`` to the output folder, replacing an old output (--overwrite)."""
        old = self.output.with_name(f".{self.output.name}.old-{secrets.token_hex(4)}")
        try:
            if self.output.exists():
                os.rename(self.output, old)
            os.rename(parts, self.output)
            fsync_folder(self.output.parent)
        except OSError as error:
            raise OutputError(f"{self.output}: cannot move the output into place: {error.strerror}") from None
        shutil.rmtree(old, ignore_errors=True)


def _concatenate(parts: list[Path], target: Path) -> None:
    """Write the parts, in order, into ``target`` atomically."""

    def write(temporary: Path) -> None:
        with open(temporary, "wb") as out:
            for part in parts:
                with open(part, "rb") as handle:
                    shutil.copyfileobj(handle, out, 1 << 20)
            out.flush()
            os.fsync(out.fileno())

    with output_errors(target):
        replace_atomically(target, write)

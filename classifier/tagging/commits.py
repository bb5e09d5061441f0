"""The commits of a tagging run: each tagged chunk's part, its rejected rows and the checkpoint.

Both ways of reading (:mod:`classifier.tagging.chunks` for records,
:mod:`classifier.tagging.lines` for raw JSON lines) hand their finished chunks,
strictly in input order, to :class:`Commits`, which writes them through the
staging folder (:mod:`classifier.tagging.store`) and reports progress after each.

A chunk's files are written, and fsynced, by one background thread while the
next chunk is tagged: the counts are kept in the calling thread, and the
thread gets a copy of them as of that chunk. One chunk at most is being
written, so a failed write (a full disk) stops the run at the next chunk, and
the data waiting to be written stays one part.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace

from classifier.inputs.records import BadRow, ReadReport
from classifier.tagging.outputs import compress_part, encode_rejects
from classifier.tagging.store import Committed, Staging

__all__ = ["Commits", "TagProgress"]


@dataclass(frozen=True)
class TagProgress:
    """How far a run is: rows tagged and committed (resumed ones included), of about ``total``."""

    rows: int
    total: int | None


class Commits:
    """Commits chunks in input order, with the rows rejected while reading each.

    The readers report every rejected row to ``report``, which hands it to
    :attr:`pending` until the chunk it belongs to is committed.
    """

    def __init__(
        self,
        staging: Staging,
        committed: Committed,
        report: ReadReport,
        progress: Callable[[TagProgress], None] | None,
        total: int | None,
    ) -> None:
        self.staging, self.committed, self.report = staging, committed, report
        self.progress, self.total = progress, total
        self.pending: list[BadRow] = []
        report.on_reject = self.pending.append
        self._writer = ThreadPoolExecutor(1, thread_name_prefix="tag-commits")
        self._writing: Future[None] | None = None
        self._report_progress(committed)

    def taken(self) -> list[BadRow]:
        """The rejected rows waiting for a commit, handed over: :attr:`pending` is emptied."""
        taken = self.pending.copy()
        self.pending.clear()
        return taken

    def chunk(
        self,
        index: int,
        data: bytes | None,
        rows: int,
        labels: dict[str, int],
        abstained: int,
        rejects: list[BadRow],
        position: dict[str, int] | None = None,
        *,
        compression: str | None = None,
        pieces: int | None = None,
    ) -> None:
        """Commit chunk ``index``: its part (None when a worker wrote it, in ``pieces`` parts), counts
        and rejected rows.

        The files are written in the background, the part compressed there first with ``compression``
        when it comes uncompressed (zlib and zstd let other threads run meanwhile); a failure to write
        the previous chunk's files is raised here.
        """
        state = self._count(rows, labels, abstained, rejects, position, pieces=pieces)
        self.wait()
        self._writing = self._writer.submit(
            self._write, index, data, state, encode_rejects(rejects), compression
        )

    def last(self, rejects: list[BadRow]) -> None:
        """Commit the rows rejected after the last chunk and mark the run complete, once all is written.

        Raises
        ------
        TooManyBadRows
            The rejected rows break the limit: nothing more is committed.
        """
        self.report.check()
        state = self._count(0, {}, 0, rejects, None, complete=True)
        self.wait()
        self._write(None, None, state, encode_rejects(rejects), None)

    def wait(self) -> None:
        """Wait until the chunk being written is committed; raise what stopped its writing."""
        writing, self._writing = self._writing, None
        if writing is not None:
            writing.result()

    def close(self) -> None:
        """Let the chunk being written finish (a stopped run keeps what it committed); stop the thread."""
        self._writer.shutdown(wait=True)

    def _count(
        self,
        rows: int,
        labels: dict[str, int],
        abstained: int,
        rejects: list[BadRow],
        position: dict[str, int] | None,
        *,
        complete: bool = False,
        pieces: int | None = None,
    ) -> Committed:
        """Count the chunk in :attr:`committed`; a copy of the counts as of this chunk, for the writer."""
        committed = self.committed
        committed.add(rows, labels, abstained, len(rejects), pieces)
        committed.complete, committed.position = complete, position
        committed.report = {
            "accepted": self.report.accepted,
            "bad": self.report.bad,
            "skipped": dict(self.report.skipped),
        }
        return replace(committed, labels=Counter(committed.labels), pieces=committed.pieces.copy())

    def _write(
        self, index: int | None, data: bytes | None, state: Committed, rejects: bytes, compression: str | None
    ) -> None:
        if data is not None:
            self.staging.write_part(index, compress_part(data, compression))
        self.staging.commit(state, rejects)
        self._report_progress(state)

    def _report_progress(self, state: Committed) -> None:
        if self.progress is not None:
            self.progress(TagProgress(state.rows, self.total))

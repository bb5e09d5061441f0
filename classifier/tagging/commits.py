"""The commits of a tagging run: each tagged chunk's part, its rejected rows and the checkpoint.

Both ways of reading (:mod:`classifier.tagging.chunks` for records,
:mod:`classifier.tagging.lines` for raw JSON lines) hand their finished chunks,
strictly in input order, to :class:`Commits`, which writes them through the
staging folder (:mod:`classifier.tagging.store`) and reports progress after each.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from classifier.inputs.records import BadRow, ReadReport
from classifier.tagging.outputs import encode_rejects
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
        self._report_progress()

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
    ) -> None:
        """Commit chunk ``index``: its part (None when a worker wrote it), counts and rejected rows."""
        if data is not None:
            self.staging.write_part(index, data)
        self._commit(rows, labels, abstained, rejects, position)

    def last(self, rejects: list[BadRow]) -> None:
        """Commit the rows rejected after the last chunk and mark the run complete.

        Raises
        ------
        TooManyBadRows
            The rejected rows break the limit: nothing more is committed.
        """
        self.report.check()
        self._commit(0, {}, 0, rejects, None, complete=True)

    def _commit(
        self,
        rows: int,
        labels: dict[str, int],
        abstained: int,
        rejects: list[BadRow],
        position: dict[str, int] | None,
        *,
        complete: bool = False,
    ) -> None:
        committed = self.committed
        committed.add(rows, labels, abstained, len(rejects))
        committed.complete, committed.position = complete, position
        committed.report = {
            "accepted": self.report.accepted,
            "bad": self.report.bad,
            "skipped": dict(self.report.skipped),
        }
        self.staging.commit(committed, encode_rejects(rejects))
        self._report_progress()

    def _report_progress(self) -> None:
        if self.progress is not None:
            self.progress(TagProgress(self.committed.rows, self.total))

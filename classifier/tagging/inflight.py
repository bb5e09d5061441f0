"""Where every piece of tagging work goes through: a :class:`Tagger`, kept busy, its results taken in order.

A tagger applies a work function to pieces of work where the model is: in this
process (:class:`~classifier.tagging.workers.InProcessTagger`), in worker
processes (:class:`~classifier.tagging.workers.PoolTagger`) or on a Dask cluster
(:class:`~classifier.tagging.dask_engine.DaskTagger`). :func:`in_order` submits
the pieces of either way of reading (chunks of records,
:mod:`classifier.tagging.chunks`; blocks of raw lines, :mod:`classifier.tagging.lines`),
``tagger.in_flight`` at a time at most, and hands back their results in input
order, which is what lets the output be the same bytes however many workers
tagged it.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Protocol, TypeVar

if TYPE_CHECKING:  # the main process tags without the model (or scikit-learn) when workers hold it
    from classifier.model.topic_model import TopicModel

__all__ = ["Pending", "Tagger", "in_order"]

Work = TypeVar("Work")
Result = TypeVar("Result")
Note = TypeVar("Note")
Result_co = TypeVar("Result_co", covariant=True)


class Pending(Protocol[Result_co]):
    """A submitted piece of work: a :class:`concurrent.futures.Future` or a ``distributed.Future``."""

    def result(self) -> Result_co:
        """Wait for the work function and return what it returned."""
        ...


class Tagger(Protocol):
    """Applies work functions to pieces of work, with the model, somewhere.

    ``in_flight`` is the number of pieces worth submitting before waiting for
    the oldest: enough to keep every worker busy, few enough to bound memory.
    A work function (such as :func:`~classifier.tagging.chunks.tag_chunk`) is
    a module-level function, so that it can be sent to another process by name.
    """

    in_flight: int

    def submit(self, function: Callable[[TopicModel, Work], Result], work: Work) -> Pending[Result]:
        """Start ``function(model, work)``."""
        ...

    def result(self, pending: Pending[Result]) -> Result:
        """Wait for a submitted piece and return what its function returned (or raise what it raised)."""
        ...

    def close(self) -> None:
        """Release the workers, dropping the pieces not yet started."""
        ...


def in_order(
    tagger: Tagger,
    function: Callable[[TopicModel, Work], Result],
    items: Iterable[tuple[Work | None, Note]],
) -> Iterator[tuple[Result | None, Note]]:
    """``(function(model, work), note)`` for each ``(work, note)`` of ``items``, in their order.

    Each work is submitted to ``tagger`` as soon as it is read, and the oldest
    is waited for whenever ``tagger.in_flight`` are being tagged. An item
    whose work is None is not tagged: ``(None, note)`` comes back in its place,
    so that markers such as a file's end keep their position among the results.
    """
    queue: deque[tuple[Pending[Result] | None, Note]] = deque()
    waiting = 0  # the pieces in the queue (not the markers)
    for work, note in items:
        if work is None:
            queue.append((None, note))
            continue
        queue.append((tagger.submit(function, work), note))
        waiting += 1
        while waiting >= tagger.in_flight:
            pending, oldest = queue.popleft()
            waiting -= pending is not None
            yield (None if pending is None else tagger.result(pending)), oldest
    while queue:
        pending, oldest = queue.popleft()
        yield (None if pending is None else tagger.result(pending)), oldest

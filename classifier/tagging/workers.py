"""Where work is tagged: in this process, or in a pool of worker processes.

The work is done where the model is: predicting, building the output rows and
encoding them all happen in the worker, so the main process does as little as
it can per row. Each worker process loads the model once, from its directory,
with the checksum verified (:func:`~classifier.persistence.load_model`).

A piece of work is a :class:`Chunk` of records tagged by :func:`tag_chunk`, or
a block of raw lines tagged by :func:`classifier.tagging.lines.tag_block`. Both
taggers have ``submit(function, work)`` returning a
:class:`concurrent.futures.Future` of ``function(model, work)``, ``close()``,
``failure()``, and ``in_flight``, the number of pieces worth submitting before
waiting for the oldest: enough to keep every worker busy, few enough to bound
memory.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.forkserver
import signal
from collections import Counter
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from classifier.errors import HeadlineTaggerError, ModelError
from classifier.persistence import load_model
from classifier.tagging.outputs import OutputSpec, encode_part

if TYPE_CHECKING:  # only the workers load the model, and scikit-learn with it
    from classifier.model.topic_model import TopicModel

__all__ = ["Chunk", "ChunkResult", "InProcessTagger", "PoolTagger", "tag_chunk"]


@dataclass(frozen=True, slots=True)
class Chunk:
    """The ``index``-th run of input records, reduced to what tagging needs.

    ``rows`` are the records' output fields (see
    :func:`~classifier.tagging.outputs.base_row`); ``columns`` are the CSV columns
    of the whole run.
    """

    index: int
    headlines: list[str]
    teasers: list[str]
    rows: list[dict[str, Any]]
    spec: OutputSpec
    columns: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ChunkResult:
    """A tagged chunk: its part's bytes (None when the worker wrote the part itself) and counts."""

    index: int
    rows: int
    labels: dict[str, int]
    abstained: int
    data: bytes | None


def tag_chunk(model: TopicModel, chunk: Chunk) -> ChunkResult:
    """Predict every row of ``chunk`` and encode it (:func:`~classifier.tagging.outputs.encode_part`)."""
    predictions = model.predict(chunk.headlines, chunk.teasers)
    labels = Counter(p.label for p in predictions if not p.abstained)
    data = encode_part(chunk.rows, predictions, chunk.spec, columns=chunk.columns, first=chunk.index == 0)
    abstained = sum(bool(p.abstained) for p in predictions)
    return ChunkResult(chunk.index, len(predictions), dict(labels), abstained, data)


class InProcessTagger:
    """Tags each chunk at once in this process: no pool, no copying (``--workers 1``)."""

    in_flight = 1

    def __init__(self, model: TopicModel) -> None:
        self.model = model

    def submit(self, function: Callable[[TopicModel, Any], Any], work: Any) -> Future:
        """Tag ``work`` now; the returned future is already done."""
        future: Future = Future()
        future.set_result(function(self.model, work))
        return future

    def result(self, future: Future) -> Any:
        """What :meth:`submit` computed."""
        return future.result()

    def close(self) -> None:
        """Nothing to release."""


# What the forkserver imports once, so that every worker forked from it has it already: this module,
# the block tagger, and what loading the model takes (scikit-learn, about a second, and joblib).
_WORKER_IMPORTS = [__name__, "classifier.tagging.lines", "classifier.model.topic_model", "joblib"]
# The model of a worker process, loaded once by _load_worker_model.
_worker_model: TopicModel | None = None


def _load_worker_model(model_dir: str, allow_version_mismatch: bool) -> None:
    global _worker_model
    # Ctrl-C reaches the whole process group; the main process alone handles it (and stops the pool).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _worker_model, _ = load_model(Path(model_dir), allow_version_mismatch=allow_version_mismatch)


def _tag_in_worker(function: Callable[[TopicModel, Any], Any], work: Any) -> Any:
    return function(_worker_model, work)


class PoolTagger:
    """Tags chunks in ``workers`` processes, each holding the model loaded once.

    Processes come from a forkserver that has already imported this module (and
    scikit-learn), so starting them is quick and they inherit no state of the
    main process (threads, open files) the way forked processes would. The
    forkserver starts with the tagger, so that its imports overlap with what
    the main process does before its first submit (reading the first block, or
    skipping to a checkpoint) rather than following it.
    """

    def __init__(self, model_dir: Path, workers: int, *, allow_version_mismatch: bool = False) -> None:
        self.in_flight = 2 * workers  # one being tagged and one queued, per worker
        self._model = (model_dir, allow_version_mismatch)
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(_WORKER_IMPORTS)
        multiprocessing.forkserver.ensure_running()  # returns at once; the first submit waits for it
        self._pool = ProcessPoolExecutor(
            workers,
            mp_context=context,
            initializer=_load_worker_model,
            initargs=(str(model_dir), allow_version_mismatch),
        )

    def submit(self, function: Callable[[TopicModel, Any], Any], work: Any) -> Future:
        """Queue ``function(model, work)`` for a worker (``function`` is pickled by name)."""
        try:
            return self._pool.submit(_tag_in_worker, function, work)
        except BrokenProcessPool:
            raise self._failure() from None

    def result(self, future: Future) -> Any:
        """The result of a submitted ``future``; why, when the pool broke."""
        try:
            return future.result()
        except BrokenProcessPool:
            raise self._failure() from None

    def _failure(self) -> HeadlineTaggerError:
        """Why the pool broke: the model's own error when it cannot be loaded, else a worker's death."""
        model_dir, allow_version_mismatch = self._model
        try:
            load_model(model_dir, allow_version_mismatch=allow_version_mismatch)
        except ModelError as error:
            return error
        return HeadlineTaggerError("a tagging worker process died (out of memory, or killed?)")

    def close(self) -> None:
        """Stop the workers, dropping chunks not yet started."""
        self._pool.shutdown(wait=True, cancel_futures=True)

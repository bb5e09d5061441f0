"""The local taggers (see :class:`~classifier.tagging.inflight.Tagger`): this process, or a pool of workers.

The work is done where the model is: predicting, building the output rows and
encoding them all happen in the worker, so the main process does as little as
it can per row. With a pool, each worker process loads the model once, from its
directory, with the checksum verified (:func:`~classifier.persistence.load_model`),
and the main process imports neither the model's modules nor scikit-learn.
"""

from __future__ import annotations

import gc
import multiprocessing
import multiprocessing.forkserver
import signal
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from classifier.errors import HeadlineTaggerError, ModelError
from classifier.persistence import load_model
from classifier.tagging.chunks import tag_chunk
from classifier.tagging.lines import tag_block

if TYPE_CHECKING:  # only the workers load the model, and scikit-learn with it
    from classifier.model.topic_model import TopicModel
    from classifier.tagging.inflight import Pending

__all__ = ["InProcessTagger", "PoolTagger", "freeze_model_objects"]

Work = TypeVar("Work")
Result = TypeVar("Result")


class InProcessTagger:
    """Tags each piece of work at once, in this process: no pool, no copying (``--workers 1``)."""

    in_flight = 1

    def __init__(self, model: TopicModel) -> None:
        self.model = model
        freeze_model_objects()

    def submit(self, function: Callable[[TopicModel, Work], Result], work: Work) -> Future[Result]:
        """Tag ``work`` now; the returned future is already done."""
        future: Future[Result] = Future()
        future.set_result(function(self.model, work))
        return future

    def result(self, pending: Pending[Result]) -> Result:
        """What :meth:`submit` computed."""
        return pending.result()

    def close(self) -> None:
        """Nothing to release."""


# What the forkserver imports once, so that every worker forked from it has it already: the modules
# of the work functions, and what loading a model takes (scikit-learn, about a second, and joblib).
# The model's modules are named, not imported, as the main process must not load them; a test checks
# that each name still resolves, because the forkserver passes over a module it cannot import.
_MODEL_IMPORTS = ("classifier.model.topic_model", "joblib")
_WORKER_IMPORTS = [__name__, tag_chunk.__module__, tag_block.__module__, *_MODEL_IMPORTS]
# The model of a worker process, loaded once by _load_worker_model.
_worker_model: TopicModel | None = None


def _load_worker_model(model_dir: str, allow_version_mismatch: bool) -> None:
    global _worker_model
    # Ctrl-C reaches the whole process group; the main process alone handles it (and stops the pool).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _worker_model, _ = load_model(Path(model_dir), allow_version_mismatch=allow_version_mismatch)
    freeze_model_objects()


def freeze_model_objects() -> None:
    """Keep the loaded model out of the garbage collector's full collections (``gc.freeze``).

    Tagging makes and drops containers by the million, which sets off a full
    collection every 15,000 rows or so, and each went through the model's
    vocabularies: about 70 ms, 0.89 s of an 11 s run of 200,000 rows (0.09 s frozen).
    """
    gc.collect()  # what is garbage already is freed, not kept for good
    gc.freeze()


def _tag_in_worker(function: Callable[[TopicModel, Work], Result], work: Work) -> Result:
    return function(_worker_model, work)


class PoolTagger:
    """Tags pieces of work in ``workers`` processes, each holding the model loaded once.

    Processes come from a forkserver that has already imported the work
    functions and scikit-learn, so starting them is quick and they inherit no state of the
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

    def submit(self, function: Callable[[TopicModel, Work], Result], work: Work) -> Future[Result]:
        """Queue ``function(model, work)`` for a worker (``function`` is pickled by name)."""
        try:
            return self._pool.submit(_tag_in_worker, function, work)
        except BrokenProcessPool:
            raise self._failure() from None

    def result(self, pending: Pending[Result]) -> Result:
        """The result of a submitted piece; why, when the pool broke."""
        try:
            return pending.result()
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
        """Stop the workers, dropping the pieces not yet started."""
        self._pool.shutdown(wait=True, cancel_futures=True)

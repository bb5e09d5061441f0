"""The Dask engine of archive tagging: the workers of a ``dask.distributed`` cluster read and tag.

Every piece of work (a partition of the inputs, :mod:`classifier.tagging.partitions`,
or the cutting of one file into spans) is one task. The workers read the inputs
and write the Parquet parts themselves, so the inputs, the model's directory
aside, and the output must be on a file system every worker and this process
share, at the same paths; this process only plans, submits and commits, a few
tasks per worker thread at a time, and so is no ceiling on the cluster's speed.

The model is shipped once to each worker by a worker plugin, which writes its
two files into the worker's local directory and loads them with the checksum
verified. A task whose worker dies is run again by Dask on another worker;
what it writes (whole parts, by atomic renames, under names fixed by the plan)
is the same the second time, so the output has no gap and no duplicate.
"""

from __future__ import annotations

import ctypes
import logging
import secrets
from collections.abc import Callable
from itertools import count
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from classifier.atomic import output_errors, write_atomically
from classifier.errors import HeadlineTaggerError
from classifier.persistence import MANIFEST_FILE, MODEL_FILE, load_model, read_manifest
from classifier.tagging.workers import freeze_model_objects

try:
    from distributed import Client, Future, LocalCluster, WorkerPlugin, get_worker
except ImportError as error:  # dask is an optional extra
    raise HeadlineTaggerError("the dask engine needs Dask: pip install 'headline-tagger[dask]'") from error

if TYPE_CHECKING:  # the Dask workers load the model, not this process
    from classifier.model.topic_model import TopicModel
    from classifier.tagging.inflight import Pending

__all__ = ["DaskTagger"]

Work = TypeVar("Work")
Result = TypeVar("Result")

_PLUGIN = "headline-tagger-model"
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # mallopt's parameters, from glibc's malloc.h


class _ModelPlugin(WorkerPlugin):
    """Carries the model's files to each worker once and loads them there."""

    name = _PLUGIN

    def __init__(self, files: dict[str, bytes], model_id: str, allow_version_mismatch: bool) -> None:
        self.files = files
        self.model_id = model_id
        self.allow_version_mismatch = allow_version_mismatch
        self.model: TopicModel | None = None

    def setup(self, worker) -> None:
        folder = Path(worker.local_directory) / f"headline-tagger-model-{self.model_id}"
        folder.mkdir(parents=True, exist_ok=True)
        for name, data in self.files.items():
            with output_errors(folder / name):
                write_atomically(folder / name, data)
        self.model, _ = load_model(folder, allow_version_mismatch=self.allow_version_mismatch)
        freeze_model_objects()  # as the local workers do: full collections would walk the model
        _malloc_as_by_default()


def _malloc_as_by_default() -> None:
    """Let glibc's malloc reuse freed memory as it does by default, which a Dask nanny turns off.

    A nanny starts each worker with ``MALLOC_TRIM_THRESHOLD_=65536``, which also fixes malloc's
    mmap threshold: every block over 128 KiB (the arrays of each chunk) is then mapped and unmapped
    anew, page faults and all, and tagging took 40% more CPU (4.0 s against 2.8 s for 62,500 rows,
    bench/README.md). These are the largest values glibc's own adaptive thresholds would reach.
    """
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:  # not glibc: nothing to undo
        return
    libc.mallopt(_M_MMAP_THRESHOLD, 32 << 20)
    libc.mallopt(_M_TRIM_THRESHOLD, 64 << 20)


def _on_worker(function: Callable[[TopicModel, Work], Result], work: Work) -> Result:
    """``function(model, work)`` with the model the plugin loaded on this worker."""
    return function(get_worker().plugins[_PLUGIN].model, work)


class DaskTagger:
    """Runs work functions on a Dask cluster: the one at ``scheduler``, or a local one started here.

    A :class:`~classifier.tagging.inflight.Tagger`; ``in_flight`` is four tasks per worker thread,
    so that a worker finds another task while a long one (a whole compressed file) holds up the commits.

    Parameters
    ----------
    model_dir
        The model directory; its files are sent to every worker once.
    scheduler
        ``tcp://HOST:PORT`` of a running scheduler; None starts a local
        cluster of ``workers`` single-threaded processes on 127.0.0.1.
    """

    def __init__(
        self,
        model_dir: Path,
        *,
        scheduler: str | None = None,
        workers: int = 1,
        allow_version_mismatch: bool = False,
    ) -> None:
        self._cluster = None
        try:
            if scheduler is None:
                self._cluster = LocalCluster(
                    n_workers=workers,
                    threads_per_worker=1,
                    processes=True,
                    host="127.0.0.1",
                    dashboard_address="127.0.0.1:0",  # its HTTP server: loopback, any free port
                    silence_logs=logging.CRITICAL,  # a task's error is raised here, once, not logged too
                )
            self.client = Client(self._cluster or scheduler, timeout="30s")
        except OSError as error:
            self.close()
            raise HeadlineTaggerError(f"cannot reach the Dask scheduler at {scheduler}: {error}") from None
        manifest = read_manifest(model_dir)  # each worker loads the model, checksum verified
        files = {name: (model_dir / name).read_bytes() for name in (MANIFEST_FILE, MODEL_FILE)}
        self.client.register_plugin(_ModelPlugin(files, manifest.model_id, allow_version_mismatch))
        self.in_flight = 4 * max(1, sum(self.client.nthreads().values()))
        self._keys = (f"headline-tagger-{secrets.token_hex(4)}-{n}" for n in count())

    def submit(self, function: Callable[[TopicModel, Work], Result], work: Work) -> Future:
        """Queue ``function(model, work)`` as a task (``function`` is pickled by name)."""
        return self.client.submit(_on_worker, function, work, key=next(self._keys), pure=False)

    def result(self, pending: Pending[Result]) -> Result:
        """What a submitted task computed (Dask raises the task's own error)."""
        return pending.result()

    def close(self) -> None:
        """Disconnect, and stop the local cluster if this tagger started one."""
        if getattr(self, "client", None) is not None:
            self.client.close()
        if self._cluster is not None:
            self._cluster.close()

"""The Dask engine of archive tagging: the same chunks, tagged on a ``dask.distributed`` cluster.

Partitions are the chunks of :mod:`classifier.tagging.chunks`: this process reads the
inputs with the project's readers and submits each run of ``chunk_size``
records as one task, a few per worker thread at a time. Why the client reads
rather than each worker reading a byte range of the files:

* archives are mostly compressed (gzip, zstd, bzip2), and a compressed stream
  cannot be split, so worker-side reading would give a whole file to a single
  worker; CSV with quoted line breaks cannot be split by bytes either;
* the records, their order and the rejected rows are then exactly those of the
  local engine, whatever the format or preset;
* reading is the cheaper part: one client reads, parses and sends some tens of
  thousands of rows per second, enough for a handful of workers, while the
  expensive part (features, prediction, Parquet encoding) runs on the workers.
  That client is the ceiling of a run; past it, split the archive into several
  inputs and run one command per group.

The model is shipped once to each worker by a worker plugin, which writes its
two files into the worker's local directory and loads them with the checksum
verified. Each task writes its Parquet part straight into the staging folder
(so the output must be on a file system every worker and this process share)
and returns only counts; this process commits the parts in order, as the local
engine does, so a Dask run can be resumed too.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from classifier.atomic import output_errors, write_atomically
from classifier.errors import HeadlineTaggerError
from classifier.persistence import MANIFEST_FILE, MODEL_FILE, load_model, read_manifest
from classifier.tagging.chunks import Chunk, ChunkResult
from classifier.tagging.store import Staging

try:
    from distributed import Client, Future, LocalCluster, WorkerPlugin, get_worker
except ImportError as error:  # dask is an optional extra
    raise HeadlineTaggerError("the dask engine needs Dask: pip install 'headline-tagger[dask]'") from error

if TYPE_CHECKING:  # the Dask workers load the model, not this process
    from classifier.model.topic_model import TopicModel
    from classifier.tagging.inflight import Pending

__all__ = ["DaskTagger"]

_PLUGIN = "headline-tagger-model"


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


def _tag_partition(
    function: Callable[[TopicModel, Chunk], ChunkResult], chunk: Chunk, part_path: str
) -> ChunkResult:
    """Tag one chunk on a worker and write its part; the result carries no bytes."""
    result = function(get_worker().plugins[_PLUGIN].model, chunk)
    with output_errors(Path(part_path)):
        write_atomically(Path(part_path), result.data)
    return replace(result, data=None)


class DaskTagger:
    """Submits chunks to a Dask cluster: the one at ``scheduler``, or a local one started here.

    A :class:`~classifier.tagging.inflight.Tagger` for the record path: each
    piece of work is a :class:`~classifier.tagging.chunks.Chunk`.

    Parameters
    ----------
    model_dir
        The model directory; its files are sent to every worker once.
    staging
        Where the workers write their parts (``staging.part_path``).
    scheduler
        ``tcp://HOST:PORT`` of a running scheduler; None starts a local
        cluster of ``workers`` single-threaded processes on 127.0.0.1.
    """

    def __init__(
        self,
        model_dir: Path,
        staging: Staging,
        *,
        scheduler: str | None = None,
        workers: int = 1,
        allow_version_mismatch: bool = False,
    ) -> None:
        self.staging = staging
        self._cluster = None
        try:
            if scheduler is None:
                self._cluster = LocalCluster(
                    n_workers=workers,
                    threads_per_worker=1,
                    processes=True,
                    host="127.0.0.1",
                    dashboard_address="127.0.0.1:0",  # its HTTP server: loopback, any free port
                )
            self.client = Client(self._cluster or scheduler, timeout="30s")
        except OSError as error:
            self.close()
            raise HeadlineTaggerError(f"cannot reach the Dask scheduler at {scheduler}: {error}") from None
        manifest = read_manifest(model_dir)  # each worker loads the model, checksum verified
        files = {name: (model_dir / name).read_bytes() for name in (MANIFEST_FILE, MODEL_FILE)}
        self.client.register_plugin(_ModelPlugin(files, manifest.model_id, allow_version_mismatch))
        self.in_flight = 2 * max(1, sum(self.client.nthreads().values()))
        self._run = secrets.token_hex(4)

    def submit(self, function: Callable[[TopicModel, Chunk], ChunkResult], chunk: Chunk) -> Future:
        """Queue ``function(model, chunk)`` as a task that writes its part into the staging folder."""
        part = self.staging.part_path(chunk.index).absolute()
        key = f"headline-tagger-{self._run}-{chunk.index}"
        return self.client.submit(_tag_partition, function, chunk, str(part), key=key, pure=False)

    def result(self, pending: Pending[ChunkResult]) -> ChunkResult:
        """What a submitted task computed (Dask raises the task's own error)."""
        return pending.result()

    def close(self) -> None:
        """Disconnect, and stop the local cluster if this tagger started one."""
        if getattr(self, "client", None) is not None:
            self.client.close()
        if self._cluster is not None:
            self._cluster.close()

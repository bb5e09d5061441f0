"""Batch-tag whole archives: streaming, parallel, resumable.

:func:`tag_archive` runs a :class:`TagJob`. One reader streams the input
records through the project's readers (every format, compression and preset
they support); chunk *i* is the *i*-th run of ``chunk_size`` records. Chunks go
to taggers (worker processes, or a Dask cluster) that predict and encode the
output part, at most a few per worker at a time, so memory stays bounded
whatever the archive's size. Parts come back and are committed strictly in
input order, each with the rows rejected while reading it, through the staging
folder of :mod:`classifier.tagstore`, so that a killed run resumes where it
stopped and ends byte-identical to an uninterrupted one.

The core prints nothing: ``progress`` is called after every committed chunk.
"""

from __future__ import annotations

import glob
import os
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures.process import BrokenProcessPool
from contextlib import closing
from dataclasses import asdict, dataclass, field
from itertools import chain
from pathlib import Path
from typing import Any

from classifier.datasets import iter_source
from classifier.errors import DataError
from classifier.persistence import load_model, read_manifest
from classifier.readers import DataSource, ReadOptions, parse_data_argument
from classifier.records import BadRow, BadRowLimit, ReadReport
from classifier.tageta import estimated_rows
from classifier.tagformats import PREDICTION_KEYS, OutputSpec, base_row, encode_rejects, output_spec
from classifier.tagstore import Committed, Staging
from classifier.tagworkers import Chunk, InProcessTagger, PoolTagger

__all__ = ["ENGINES", "TagJob", "TagProgress", "TagSummary", "expand_inputs", "tag_archive"]

ENGINES = ("local", "dask")
_GLOB_CHARACTERS = frozenset("*?[")


@dataclass(frozen=True)
class TagJob:
    """What to tag, with which model, and where the results go.

    Parameters
    ----------
    inputs
        Files, folders or globs, each maybe ``PRESET:PATH``.
    output
        A file (``.jsonl``/``.csv``, maybe ``.gz``/``.zst``) or a Parquet folder.
    model_dir
        The model directory (a ``current`` link is resolved once, at the start).
    preset, options, split, body
        How to read plain paths, as for training; labels are not needed.
    output_format
        ``jsonl``, ``csv`` or ``parquet``; None takes it from ``output``'s name.
    slim
        Write each record's id and headline instead of all its fields.
    workers
        Processes tagging chunks (1: tag in this process); Dask: tasks in flight per worker.
    chunk_size
        Records per chunk: the unit of parallel work, of output parts and of commits.
    resume, overwrite
        Continue an interrupted run; replace an existing output or interrupted run.
    max_bad_rows
        Rejected rows tolerated: a count or a percentage (``"1%"``).
    engine, scheduler
        ``local`` or ``dask``; the Dask scheduler address (None starts a local cluster).
    """

    inputs: tuple[str, ...]
    output: Path
    model_dir: Path = Path("models/current")
    preset: str | None = None
    options: ReadOptions = field(default_factory=lambda: ReadOptions(label_field=None))
    split: str | None = None
    body: str = "first-sentence"
    output_format: str | None = None
    slim: bool = False
    workers: int = 1
    chunk_size: int = 10_000
    resume: bool = False
    overwrite: bool = False
    max_bad_rows: str = "1%"
    engine: str = "local"
    scheduler: str | None = None
    allow_version_mismatch: bool = False


@dataclass(frozen=True)
class TagProgress:
    """How far a run is: rows tagged and committed (resumed ones included), of about ``total``."""

    rows: int
    total: int | None
    rejected: int


@dataclass
class TagSummary:
    """What a finished run did.

    ``rows_read`` counts every row the readers saw (tagged plus rejected);
    ``resumed_rows`` were committed by an earlier, interrupted run of the job;
    ``seconds`` and :attr:`rows_per_second` cover this run only.
    """

    output: Path
    rejects: Path
    model_id: str
    rows_read: int
    rows_tagged: int
    rows_rejected: int
    skipped: dict[str, int]
    labels: dict[str, int]
    abstained: int
    seconds: float
    resumed_rows: int = 0

    @property
    def rows_per_second(self) -> float:
        """Rows tagged per second by this run."""
        return (self.rows_tagged - self.resumed_rows) / self.seconds if self.seconds > 0 else 0.0


def expand_inputs(arguments: tuple[str, ...], preset: str | None = None) -> list[DataSource]:
    """The data sources of ``arguments``, with globs expanded (sorted) and paths checked.

    Raises
    ------
    DataError
        No argument, a glob matching nothing, or a path that does not exist.
    """
    if not arguments:
        raise DataError("no input given: name at least one file, folder or glob")
    sources = []
    for argument in arguments:
        source = parse_data_argument(argument)
        if source.preset is None and preset is not None:
            source = DataSource(preset, source.path)
        if _GLOB_CHARACTERS & set(source.path):
            matches = sorted(glob.glob(source.path, recursive=True))
            if not matches:
                raise DataError(f"{argument}: no file or folder matches")
            sources.extend(DataSource(source.preset, match) for match in matches)
        elif not Path(source.path).exists():
            raise DataError(f"{source.path}: no such file or directory")
        else:
            sources.append(source)
    return sources


def tag_archive(job: TagJob, progress: Callable[[TagProgress], None] | None = None) -> TagSummary:
    """Run ``job``: read, tag and write every input record, committing as it goes.

    Raises
    ------
    DataError
        Missing, empty or unreadable input; more rejected rows than ``max_bad_rows``.
    ModelError
        The model cannot be loaded safely.
    OutputError
        The output exists (without ``overwrite``/``resume``), the run to resume
        differs, or the output cannot be written (unwritable folder, full disk).
    """
    started = time.perf_counter()
    if job.engine not in ENGINES:
        raise ValueError(f"unknown engine {job.engine!r}; choose {' or '.join(ENGINES)}")
    if job.chunk_size < 1 or job.workers < 1:
        raise ValueError("chunk size and workers must be at least 1")
    sources = expand_inputs(job.inputs, job.preset)
    spec = output_spec(Path(job.output), job.output_format, slim=job.slim)
    if job.engine == "dask" and not spec.is_directory:
        raise ValueError(
            "the dask engine writes a folder of Parquet parts: name a folder or pass --output-format parquet"
        )
    model_dir = Path(job.model_dir).resolve()
    manifest = read_manifest(model_dir)  # the taggers load the model itself, with its checksum verified
    staging = Staging(Path(job.output), spec.part_suffix, directory=spec.is_directory)
    fingerprint = _fingerprint(job, sources, spec, manifest.model_id, manifest.model_sha256)
    committed = staging.start(fingerprint, resume=job.resume, overwrite=job.overwrite)
    resumed_rows = committed.rows
    report = ReadReport(limit=BadRowLimit.parse(job.max_bad_rows))
    if not committed.complete:
        try:
            with closing(_tagger(job, model_dir, staging)) as tagger:
                run = _Run(staging, committed, report, progress, estimated_rows(sources, job.options))
                chunks = _chunks(sources, job, spec, report, run.pending, first=committed.chunks)
                run.tag(chunks, tagger)
        except BaseException:
            if committed.chunks == 0:
                staging.discard()
            raise
    else:
        report.accepted, report.bad = committed.report["accepted"], committed.report["bad"]
        report.skipped.update(committed.report["skipped"])
    staging.finish()
    return TagSummary(
        output=Path(job.output),
        rejects=staging.rejects_path,
        model_id=manifest.model_id,
        rows_read=report.total,
        rows_tagged=committed.rows,
        rows_rejected=report.bad,
        skipped=dict(report.skipped),
        labels=dict(committed.labels.most_common()),
        abstained=committed.abstained,
        seconds=time.perf_counter() - started,
        resumed_rows=resumed_rows,
    )


def _tagger(job: TagJob, model_dir: Path, staging: Staging) -> Any:
    if job.engine == "dask":
        from classifier.tagging_dask import DaskTagger  # dask is an optional extra

        return DaskTagger(
            model_dir,
            staging,
            scheduler=job.scheduler,
            workers=job.workers,
            allow_version_mismatch=job.allow_version_mismatch,
        )
    if job.workers == 1:
        return InProcessTagger(load_model(model_dir, allow_version_mismatch=job.allow_version_mismatch)[0])
    return PoolTagger(model_dir, job.workers, allow_version_mismatch=job.allow_version_mismatch)


class _Run:
    """The ordered commit loop: submit chunks, then commit their results in input order."""

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
        self.tagger: Any = None
        report.on_reject = self.pending.append

    def tag(self, chunks: Iterator[tuple[Chunk | None, list[BadRow]]], tagger: Any) -> None:
        """Tag and commit every chunk; at most ``tagger.in_flight`` chunks wait at once."""
        self._report_progress()
        self.tagger = tagger
        queue: deque = deque()
        for chunk, rejects in chunks:
            if chunk is None:  # the rows rejected after the last record
                self._drain(queue)
                self.report.check()
                self._commit(0, {}, 0, rejects, complete=True)
                return
            queue.append((tagger.submit(chunk), rejects))
            if len(queue) >= tagger.in_flight:
                self._commit_next(queue)

    def _drain(self, queue: deque) -> None:
        while queue:
            self._commit_next(queue)

    def _commit_next(self, queue: deque) -> None:
        future, rejects = queue.popleft()
        try:
            result = future.result()
        except BrokenProcessPool:
            raise self.tagger.failure() from None
        if result.data is not None:
            self.staging.write_part(result.index, result.data)
        self._commit(result.rows, result.labels, result.abstained, rejects)

    def _commit(
        self,
        rows: int,
        labels: dict[str, int],
        abstained: int,
        rejects: list[BadRow],
        *,
        complete: bool = False,
    ) -> None:
        committed = self.committed
        committed.add(rows, labels, abstained, len(rejects))
        committed.complete = complete
        committed.report = {
            "accepted": self.report.accepted,
            "bad": self.report.bad,
            "skipped": dict(self.report.skipped),
        }
        self.staging.commit(committed, encode_rejects(rejects))
        self._report_progress()

    def _report_progress(self) -> None:
        if self.progress is not None:
            self.progress(TagProgress(self.committed.rows, self.total, self.report.bad))


def _chunks(
    sources: list[DataSource],
    job: TagJob,
    spec: OutputSpec,
    report: ReadReport,
    pending: list[BadRow],
    *,
    first: int = 0,
) -> Iterator[tuple[Chunk | None, list[BadRow]]]:
    """(chunk, rows rejected while reading it) for each run of ``chunk_size`` records from ``first`` on.

    The chunks before ``first`` (and their rejected rows) were committed by the
    run being resumed: they are read, to count them and to reach chunk
    ``first``, but not built. The last item is (None, the rows rejected after
    the last record). The rejected rows come from ``pending``, which the report
    fills as it reads.
    """
    records = chain.from_iterable(
        iter_source(source, job.options, report, split=job.split, body=job.body) for source in sources
    )
    index, columns, batch = 0, None, []
    for record in records:
        if columns is None:
            columns = _columns(base_row(record, spec.slim), spec)
        batch.append(record)
        if len(batch) == job.chunk_size:
            if index >= first:
                yield _chunk(index, batch, spec, columns), _taken(pending)
            pending.clear()
            index, batch = index + 1, []
    if batch:
        if index >= first:
            yield _chunk(index, batch, spec, columns), _taken(pending)
        pending.clear()
    yield None, _taken(pending)


def _columns(first_row, spec: OutputSpec) -> tuple[str, ...]:
    """The CSV columns of the whole run: the first record's fields, then the prediction's."""
    if spec.format != "csv":
        return ()
    return (*(key for key in first_row if key not in PREDICTION_KEYS), *PREDICTION_KEYS)


def _chunk(index: int, records: list, spec: OutputSpec, columns: tuple[str, ...]) -> Chunk:
    return Chunk(
        index,
        [record.headline for record in records],
        [record.teaser for record in records],
        [base_row(record, spec.slim) for record in records],
        spec,
        columns,
    )


def _taken(pending: list[BadRow]) -> list[BadRow]:
    """The rows in ``pending``, which is emptied."""
    taken = pending.copy()
    pending.clear()
    return taken


def _fingerprint(
    job: TagJob, sources: list[DataSource], spec: OutputSpec, model_id: str, model_sha256: str
) -> dict[str, Any]:
    """What the output depends on: a resumed run must match the interrupted one in all of it."""
    return {
        "inputs": [[str(source), _file_stats(Path(source.path))] for source in sources],
        "model": [model_id, model_sha256],
        "options": {
            "read": asdict(job.options),
            "split": job.split,
            "body": job.body,
            "output": [spec.format, spec.compression, spec.slim],
            "chunk_size": job.chunk_size,
        },
    }


def _file_stats(path: Path) -> list:
    """Size and modification time of a file, or of each file in a folder (by relative name)."""
    if not path.is_dir():
        stat = path.stat()
        return [stat.st_size, stat.st_mtime_ns]
    stats = []
    for file in sorted(p for p in path.rglob("*") if p.is_file()):
        stat = file.stat()
        stats.append([os.fspath(file.relative_to(path)), stat.st_size, stat.st_mtime_ns])
    return stats

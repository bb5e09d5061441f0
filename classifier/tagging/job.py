"""Batch-tag whole archives: streaming, parallel, resumable.

:func:`tag_archive` runs a :class:`TagJob`: it checks the job, opens the
staging folder of :mod:`classifier.tagging.store` (or reopens it to resume), and
picks how to read:

* JSON-lines inputs read with the generic options, written as JSON lines or
  CSV by the local engine, go by raw blocks of lines
  (:mod:`classifier.tagging.lines`): workers parse, predict and encode, and the main
  process only decompresses, splits and writes bytes; a resumed run starts at
  the byte where the checkpoint says the committed chunks end;
* everything else the local engine reads goes record by record
  (:mod:`classifier.tagging.chunks`): one reader streams the records through
  the project's readers and the workers tag whole chunks;
* the Dask engine (:mod:`classifier.tagging.dask_engine`) reads by partitions
  (:mod:`classifier.tagging.partitions`): its workers read the files, or spans of
  them, themselves, following a plan recorded when the run starts.

Every way, the work goes to one :class:`~classifier.tagging.inflight.Tagger`
(this process, a pool of worker processes, or Dask), kept busy and its results
taken in input order (:func:`~classifier.tagging.inflight.in_order`), and
committed in input order with the rows rejected while reading it
(:mod:`classifier.tagging.commits`). Locally, chunk *i* is the *i*-th run of
``chunk_size`` records, so the output is the same bytes whichever way it was
read, however many workers tagged it, and after any interruption; on Dask the
rows are the same, in the same order, cut into parts by partition.

The core prints nothing: ``progress`` is called after every committed chunk.
"""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass, field, replace
from pathlib import Path

from classifier import settings
from classifier.errors import OutputError
from classifier.inputs.estimate import estimated_rows
from classifier.inputs.records import BadRowLimit, ReadOptions, ReadReport
from classifier.inputs.sources import DataSource
from classifier.persistence import load_model, read_manifest
from classifier.tagging.chunks import record_chunks, tag_records
from classifier.tagging.commits import Commits, TagProgress
from classifier.tagging.inflight import Tagger
from classifier.tagging.inputs import expand_inputs, json_lines_inputs, run_fingerprint
from classifier.tagging.lines import LineChunks, first_columns, line_blocks, tag_lines
from classifier.tagging.outputs import OutputSpec, output_spec
from classifier.tagging.partitions import (
    Reading,
    plan_from_json,
    plan_partitions,
    plan_to_json,
    tag_partitions,
)
from classifier.tagging.store import Committed, Staging
from classifier.tagging.workers import InProcessTagger, PoolTagger

__all__ = ["ENGINES", "TagJob", "TagProgress", "TagSummary", "expand_inputs", "tag_archive"]

ENGINES = ("local", "dask")
# Decompressed bytes per block of lines: with 250-byte rows, about a quarter of a chunk. Blocks that
# size tag as fast as whole chunks, but a killed run loses less work (the blocks being tagged, and
# the rows of the last block back past the last commit), and the first commit comes sooner.
_BLOCK_BYTES_PER_ROW = 64
_BLOCK_BYTES = (64 << 10, 8 << 20)


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
    model_dir: Path = settings.MODEL
    preset: str | None = None
    options: ReadOptions = field(default_factory=lambda: ReadOptions(label_field=None))
    split: str | None = None
    body: str = settings.REUTERS_BODY
    output_format: str | None = None
    slim: bool = False
    workers: int = 1
    chunk_size: int = settings.TAG_CHUNK_SIZE
    resume: bool = False
    overwrite: bool = False
    max_bad_rows: str = settings.MAX_BAD_ROWS
    engine: str = settings.TAG_ENGINE
    scheduler: str | None = None
    allow_version_mismatch: bool = False


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


def job_output_spec(job: TagJob) -> OutputSpec:
    """What ``job`` writes, and where: the one reading of its output options, for tagging and reports."""
    # Slim rows keep the date only when asked (--date-field), not a preset's own by default.
    return output_spec(
        Path(job.output), job.output_format, slim=job.slim, date=job.options.date_field is not None
    )


def _refuse_output_inside_inputs(output: Path, sources: list[DataSource]) -> None:
    """An output (and so its staging folder) inside an input folder would be read as input."""
    target = output.resolve()
    for source in sources:
        folder = Path(source.path).resolve()
        if folder.is_dir() and target.is_relative_to(folder):
            raise OutputError(f"{output} is inside the input folder {source.path}: write it somewhere else")


def tag_archive(job: TagJob, progress: Callable[[TagProgress], None] | None = None) -> TagSummary:
    """Run ``job``: read, tag and write every input record, committing as it goes.

    Raises
    ------
    DataError
        Missing, empty or unreadable input; more rejected rows than ``max_bad_rows``.
    ModelError
        The model cannot be loaded safely.
    OutputError
        The output exists (without ``overwrite``/``resume``), lies inside an
        input folder (a later read or resume would take its parts for input),
        the run to resume differs, or the output cannot be written (unwritable
        folder, full disk).
    """
    started = time.perf_counter()
    if job.engine not in ENGINES:
        raise ValueError(f"unknown engine {job.engine!r}; choose {' or '.join(ENGINES)}")
    if job.chunk_size < 1 or job.workers < 1:
        raise ValueError("chunk size and workers must be at least 1")
    sources = expand_inputs(job.inputs, job.preset)
    _refuse_output_inside_inputs(Path(job.output), sources)
    spec = job_output_spec(job)
    if job.engine == "dask" and not spec.is_directory:
        raise ValueError(
            "the dask engine writes a folder of Parquet parts: name a folder or pass --output-format parquet"
        )
    model_dir = Path(job.model_dir).resolve()
    manifest = read_manifest(model_dir)  # the taggers load the model itself, with its checksum verified
    lines = (
        json_lines_inputs(sources, job.options) if job.engine == "local" and not spec.is_directory else None
    )
    staging = Staging(Path(job.output), spec.part_suffix, directory=spec.is_directory)
    fingerprint = run_fingerprint(
        sources,
        {
            "split": job.split,
            "body": job.body,
            "output": [spec.format, spec.compression, spec.slim, *(["date"] if spec.date else [])],
            "chunk_size": job.chunk_size,
            "engine": job.engine,
        },
        # Only slim rows depend on the date field (full rows keep every field): a run without
        # --date-field resumes with it, to get a report by month.
        job.options if job.slim else replace(job.options, date_field=None),
        (manifest.model_id, manifest.model_sha256),
    )
    committed = staging.start(fingerprint, resume=job.resume, overwrite=job.overwrite)
    resumed_rows = committed.rows
    report = ReadReport(limit=BadRowLimit.parse(job.max_bad_rows))
    if committed.complete:
        _restore(report, committed)
    else:
        try:
            with closing(_tagger(job, model_dir)) as tagger:
                total = estimated_rows(sources, job.options)
                run = _Run(staging, committed, report, tagger, progress, total)
                if job.engine == "dask":
                    _tag_by_partitions(job, sources, spec, run)
                elif lines is not None and (committed.chunks == 0 or committed.position is not None):
                    _tag_by_lines(job, lines, spec, run)
                else:
                    with closing(run.commits()) as commits:
                        chunks = record_chunks(
                            sources,
                            job.options,
                            spec,
                            report,
                            commits,
                            chunk_size=job.chunk_size,
                            split=job.split,
                            body=job.body,
                            first=committed.chunks,
                        )
                        tag_records(chunks, tagger, commits)
        except BaseException:
            if committed.chunks == 0:
                staging.discard()
            raise
    staging.finish(committed)
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


@dataclass
class _Run:
    """A run under way: where it commits, what it has committed and counted, and who tags."""

    staging: Staging
    committed: Committed
    report: ReadReport
    tagger: Tagger
    progress: Callable[[TagProgress], None] | None
    total: int | None

    def commits(self) -> Commits:
        """The run's commits, from where the committed chunks end."""
        return Commits(self.staging, self.committed, self.report, self.progress, self.total)

    def count_committed(self) -> None:
        """Count in the report what the committed chunks read, their rejected rows one by one."""
        _restore(self.report, self.committed)
        for bad in self.staging.committed_rejects():
            self.report.reject(bad)


def _tag_by_lines(job: TagJob, lines: tuple[ReadOptions, list[str]], spec: OutputSpec, run: _Run) -> None:
    """Tag JSON-lines inputs by raw blocks (:mod:`~classifier.tagging.lines`), from the checkpoint."""
    options, files = lines
    committed = run.committed
    if committed.position is not None:
        run.count_committed()
    columns = first_columns(files, options, spec)
    block_bytes = min(max(job.chunk_size * _BLOCK_BYTES_PER_ROW, _BLOCK_BYTES[0]), _BLOCK_BYTES[1])
    blocks = line_blocks(files, options, spec, columns, block_bytes=block_bytes, start=committed.position)
    with closing(run.commits()) as commits:
        chunks = LineChunks(
            commits, run.report, spec, columns, chunk_size=job.chunk_size, first=committed.chunks
        )
        tag_lines(blocks, run.tagger, chunks)


def _tag_by_partitions(job: TagJob, sources: list[DataSource], spec: OutputSpec, run: _Run) -> None:
    """Tag by partitions that the workers read (:mod:`~classifier.tagging.partitions`), by the run's plan."""
    cwd = os.getcwd()
    recorded = run.staging.read_plan()
    if recorded is None:  # a new run (or one stopped before its plan was recorded, so before any commit)
        plan = plan_partitions(
            sources,
            job.options,
            run.tagger,
            span_bytes=settings.TAG_SPAN_BYTES,
            span_rows=settings.TAG_SPAN_ROWS,
            cwd=cwd,
        )
        # A nonce of the run's own names its parts: a stopped run's tasks may still be writing theirs.
        recorded = plan_to_json(plan, secrets.token_hex(8))
        run.staging.write_plan(recorded)
    plan, nonce = plan_from_json(recorded, run.staging.folder)
    if run.committed.chunks:
        run.count_committed()
    output = str(Path(job.output).absolute())
    reading = Reading(job.options, job.split, job.body, spec, job.chunk_size, output, cwd, nonce)
    with closing(run.commits()) as commits:
        tag_partitions(plan, reading, run.tagger, commits, run.report, first=run.committed.chunks)


def _restore(report: ReadReport, committed: Committed) -> None:
    """Count in ``report`` the rows the committed chunks read (bad rows only as a number)."""
    report.accepted = committed.report.get("accepted", 0)
    report.skipped.update(committed.report.get("skipped", {}))
    if committed.complete:
        report.bad = committed.report.get("bad", 0)


def _tagger(job: TagJob, model_dir: Path) -> Tagger:
    if job.engine == "dask":
        from classifier.tagging.dask_engine import DaskTagger  # dask is an optional extra

        return DaskTagger(
            model_dir,
            scheduler=job.scheduler,
            workers=job.workers,
            allow_version_mismatch=job.allow_version_mismatch,
        )
    if job.workers == 1:
        return InProcessTagger(load_model(model_dir, allow_version_mismatch=job.allow_version_mismatch)[0])
    return PoolTagger(model_dir, job.workers, allow_version_mismatch=job.allow_version_mismatch)

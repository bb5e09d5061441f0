"""Tagging by partitions: the workers read the inputs, this process only plans and commits.

The Dask engine (:mod:`classifier.tagging.dask_engine`) reads this way, with
every input on a file system the workers share with this process:

1. :func:`plan_partitions` cuts the inputs into partitions, in input order:
   a whole file for a compressed file (a gzip, zstd, bzip2 or xz stream can only
   be decompressed from its start) and for a preset's source (some presets
   drop rows repeated across files); spans of a file otherwise
   (:mod:`classifier.inputs.spans`: byte ranges at line ends, Parquet row
   groups), which workers find, each file's in one task. The plan depends only
   on the files, and is recorded with the run's state, with a nonce of the
   run's own, so that a resumed run follows the same plan.
2. :func:`tag_partition`, on a worker, reads one partition with the project's
   readers, tags it ``chunk_size`` records at a time, and writes each chunk's
   Parquet part straight into the staging folder, the run's nonce in its name;
   it returns counts, how many parts it wrote, and the rows it rejected, each
   with the number of records read before it.
3. :func:`tag_partitions`, here, commits the partitions in order, counting
   their rows and rejected rows into the run's report as a whole-archive read
   would have counted them (so ``--max-bad-rows`` stops at the same row), and
   how many parts each wrote. Closing a remote scheduler's client does not stop
   the tasks it runs, so a stopped run's tasks may still write parts into the
   next run's staging folder: the finish publishes only the parts this run
   committed (:meth:`~classifier.tagging.store.Staging.finish`).

The rows, their order and the rejected rows are those of the local engine,
which reads the same files with the same readers; only the parts are cut
differently (a partition's rows in parts of up to ``chunk_size``).
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any

from classifier.atomic import output_errors, write_atomically
from classifier.errors import DataError, OutputError
from classifier.inputs.presets import read_preset
from classifier.inputs.readers import read_records, source_files
from classifier.inputs.records import BadRow, BadRowLimit, ReadOptions, ReadReport, Record
from classifier.inputs.sources import DataSource
from classifier.inputs.spans import Span, cut_file, may_cut
from classifier.tagging.chunks import chunk_of, tag_chunk
from classifier.tagging.commits import Commits
from classifier.tagging.inflight import Tagger, in_order
from classifier.tagging.outputs import OutputSpec
from classifier.tagging.store import Staging

if TYPE_CHECKING:  # only the workers load the model
    from classifier.model.topic_model import TopicModel

__all__ = [
    "Partition",
    "PartitionResult",
    "Reading",
    "plan_from_json",
    "plan_partitions",
    "plan_to_json",
    "tag_partition",
    "tag_partitions",
]


@dataclass(frozen=True, slots=True)
class Partition:
    """Partition ``index``: file ``path`` (a preset's source when ``preset``), or its ``span`` only.

    ``path`` is spelled as the inputs named it (relative to this process's
    working directory, maybe), as rejected rows and slim ids spell it.
    """

    index: int
    path: str
    preset: str | None = None
    format: str | None = None
    span: Span | None = None


@dataclass(frozen=True, slots=True)
class Reading:
    """What every partition of a run is read and written with.

    ``output`` is the run's output, absolute; ``cwd`` is this process's working
    directory, against which the workers resolve relative input paths; ``run``
    is the run's nonce, which its parts' names carry.
    """

    options: ReadOptions
    split: str | None
    body: str
    spec: OutputSpec
    chunk_size: int
    output: str
    cwd: str
    run: str


@dataclass(frozen=True, slots=True)
class PartitionResult:
    """A tagged partition: its counts, and the rows it rejected (``events``: records read before, row).

    ``items`` counts every row read, good, bad or skipped (a file whose spans
    hold none is empty); ``skipped`` counts the rows left out on purpose, by reason;
    ``pieces`` counts the parts written.
    """

    index: int
    rows: int
    labels: dict[str, int]
    abstained: int
    items: int
    events: list[tuple[int, BadRow]]
    skipped: dict[str, int]
    pieces: int


def plan_partitions(
    sources: list[DataSource],
    options: ReadOptions,
    tagger: Tagger,
    *,
    span_bytes: int,
    span_rows: int,
    cwd: str,
) -> list[Partition]:
    """The partitions of ``sources``, in input order; ``tagger``'s workers cut the files that may be cut.

    Raises
    ------
    DataError
        A missing path, an unknown format, or a folder without files of its format.
    """
    targets: list[tuple[str, str | None, str | None]] = []
    for source in sources:
        if source.preset is not None:
            targets.append((source.path, source.preset, None))
            continue
        resolved, files = source_files(source.path, options)
        targets.extend((file, None, resolved.format) for file in files)
    items = (
        (
            (os.path.join(cwd, path), fmt, span_bytes, span_rows)
            if fmt is not None and may_cut(path, fmt, part_bytes=span_bytes)
            else None,
            (path, preset, fmt),
        )
        for path, preset, fmt in targets
    )
    plan: list[Partition] = []
    for spans, (path, preset, fmt) in in_order(tagger, cut_input, items):
        for span in spans or [None]:
            plan.append(Partition(len(plan), path, preset, fmt, span))
    return plan


def cut_input(model: TopicModel | None, work: tuple[str, str, int, int]) -> list[Span] | None:
    """:func:`~classifier.inputs.spans.cut_file` as a work function (on a worker; the model is not used)."""
    path, fmt, part_bytes, part_rows = work
    return cut_file(path, fmt, part_bytes=part_bytes, part_rows=part_rows)


def plan_to_json(plan: list[Partition], run: str) -> dict[str, Any]:
    """The plan of the run with nonce ``run`` as JSON, for the staging folder.

    See :meth:`~classifier.tagging.store.Staging.write_plan`.
    """
    return {
        "run": run,
        "partitions": [
            [p.path, p.preset, p.format, None if p.span is None else [p.span.start, p.span.end, p.span.line]]
            for p in plan
        ],
    }


def plan_from_json(state: dict[str, Any], folder: Path) -> tuple[list[Partition], str]:
    """The plan and run nonce :func:`plan_to_json` recorded in staging folder ``folder``.

    Raises
    ------
    OutputError
        The plan has no nonce: an earlier version of headline-tagger started the run.
    """
    if "run" not in state:
        raise OutputError(
            f"{folder}: the run was started by an earlier version of headline-tagger; "
            "pass --overwrite to start again"
        )
    plan = [
        Partition(index, path, preset, fmt, None if span is None else Span(*span))
        for index, (path, preset, fmt, span) in enumerate(state["partitions"])
    ]
    return plan, state["run"]


def tag_partition(model: TopicModel, work: tuple[Partition, Reading]) -> PartitionResult:
    """Read, tag and write one partition, ``chunk_size`` records to a part (on a worker)."""
    partition, reading = work
    # The run's limit is checked where the partitions are committed, against the whole archive's counts.
    report = ReadReport(limit=BadRowLimit.parse("100%"))
    events: list[tuple[int, BadRow]] = []
    given, read = partition.path, os.path.join(reading.cwd, partition.path)

    def as_given(source: str) -> str:
        """A row's file as the inputs named it, not as this worker opened it."""
        return given + source[len(read) :] if source.startswith(read) else source

    report.on_reject = lambda bad: events.append((report.accepted, replace(bad, source=as_given(bad.source))))
    try:
        rows, abstained, labels, pieces = _tag_records(
            model, partition, _records(partition, read, reading, report), reading, as_given
        )
    except DataError as error:  # named as the inputs name the file, as the local engine's error does
        raise type(error)(str(error).replace(read, given)) from None
    items = report.accepted + report.bad + sum(report.skipped.values())
    return PartitionResult(
        partition.index, rows, dict(labels), abstained, items, events, dict(report.skipped), pieces
    )


def _tag_records(
    model: TopicModel,
    partition: Partition,
    records: Iterator[Record],
    reading: Reading,
    as_given: Callable[[str], str],
) -> tuple[int, int, Counter, int]:
    """Tag ``records`` ``chunk_size`` at a time, writing a part for each; (rows, abstained, labels, parts)."""
    staging = Staging(Path(reading.output), reading.spec.part_suffix, directory=True)
    rows, abstained, labels = 0, 0, Counter()
    piece = 0
    while batch := list(islice(records, reading.chunk_size)):
        for record in batch:
            record.source = as_given(record.source)
        result = tag_chunk(model, chunk_of(piece, batch, reading.spec, ()))
        path = staging.piece_path(partition.index, piece, reading.run)
        with output_errors(path):
            write_atomically(path, result.data)
        rows, abstained = rows + result.rows, abstained + result.abstained
        labels.update(result.labels)
        piece += 1
    return rows, abstained, labels, piece


def _records(partition: Partition, path: str, reading: Reading, report: ReadReport) -> Iterator[Record]:
    if partition.preset is not None:
        return read_preset(partition.preset, path, report, split=reading.split, body=reading.body)
    options = replace(reading.options, format=partition.format)
    return read_records(path, options, report, partition.span)


def tag_partitions(
    plan: list[Partition],
    reading: Reading,
    tagger: Tagger,
    commits: Commits,
    report: ReadReport,
    *,
    first: int = 0,
) -> None:
    """Tag the partitions of ``plan`` from ``first`` on and commit them in order; then finish the run.

    The partitions before ``first`` were committed by the run being resumed.

    Raises
    ------
    DataError
        A file is empty: it has no rows (or a reader's own error, from a worker).
    TooManyBadRows
        The rejected rows break the limit.
    """
    last = {partition.path: partition.index for partition in plan}  # each file's last partition
    resumed = {partition.path for partition in plan[:first]}
    seen: Counter = Counter()
    for result, _ in in_order(tagger, tag_partition, (((p, reading), None) for p in plan[first:])):
        partition = plan[result.index]
        done = 0
        for before, bad in result.events:  # counted as a whole-archive read counts them, row by row
            report.accepted += before - done
            done = before
            report.reject(bad)
        report.accepted += result.rows - done
        report.skipped.update(result.skipped)
        seen[partition.path] += result.items
        ended = last[partition.path] == partition.index  # (a file read whole says so itself)
        if ended and not seen[partition.path] and partition.path not in resumed:
            raise DataError(f"{partition.path} is empty: it has no rows")
        commits.chunk(
            result.index,
            None,
            result.rows,
            result.labels,
            result.abstained,
            commits.taken(),
            pieces=result.pieces,
        )
    commits.last(commits.taken())

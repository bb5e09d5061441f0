"""Tagging by records: the path for every input format, preset and engine.

One reader streams the records through the project's readers; chunk *i* is
the *i*-th run of ``chunk_size`` records. Chunks go to a tagger (see
:mod:`classifier.tagging.workers`, :mod:`classifier.tagging.dask_engine`) that predicts
and encodes the whole part, at most ``tagger.in_flight`` at a time, and come
back to be committed in input order. A resumed run reads the committed chunks
again, to count them, but does not tag them.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator, Mapping
from itertools import chain
from typing import Any

from classifier.inputs.datasets import iter_source
from classifier.inputs.records import BadRow, ReadOptions, ReadReport, Record
from classifier.inputs.sources import DataSource
from classifier.tagging.commits import Commits
from classifier.tagging.outputs import PREDICTION_KEYS, OutputSpec, base_row
from classifier.tagging.workers import Chunk, tag_chunk

__all__ = ["csv_columns", "record_chunks", "tag_records"]


def tag_records(chunks: Iterator[tuple[Chunk | None, list[BadRow]]], tagger: Any, commits: Commits) -> None:
    """Tag and commit every chunk of :func:`record_chunks`, ``tagger.in_flight`` at a time at most."""
    queue: deque = deque()
    for chunk, rejects in chunks:
        if chunk is None:  # the rows rejected after the last record
            while queue:
                _commit_next(queue, tagger, commits)
            commits.last(rejects)
            return
        queue.append((tagger.submit(tag_chunk, chunk), rejects))
        if len(queue) >= tagger.in_flight:
            _commit_next(queue, tagger, commits)


def _commit_next(queue: deque, tagger: Any, commits: Commits) -> None:
    future, rejects = queue.popleft()
    result = tagger.result(future)
    commits.chunk(result.index, result.data, result.rows, result.labels, result.abstained, rejects)


def record_chunks(
    sources: list[DataSource],
    options: ReadOptions,
    spec: OutputSpec,
    report: ReadReport,
    commits: Commits,
    *,
    chunk_size: int,
    split: str | None = None,
    body: str = "first-sentence",
    first: int = 0,
) -> Iterator[tuple[Chunk | None, list[BadRow]]]:
    """(chunk, rows rejected while reading it) for each run of ``chunk_size`` records from ``first`` on.

    The chunks before ``first`` (and their rejected rows) were committed by the
    run being resumed: they are read, to count them and to reach chunk
    ``first``, but not built. The last item is (None, the rows rejected after
    the last record). The rejected rows come from ``commits.pending``, which
    the report fills as it reads.
    """
    records = chain.from_iterable(
        iter_source(source, options, report, split=split, body=body) for source in sources
    )
    index, columns, batch = 0, None, []
    for record in records:
        if columns is None:
            columns = csv_columns(base_row(record, spec.slim), spec)
        batch.append(record)
        if len(batch) == chunk_size:
            if index >= first:
                yield _chunk(index, batch, spec, columns), commits.taken()
            commits.pending.clear()
            index, batch = index + 1, []
    if batch:
        if index >= first:
            yield _chunk(index, batch, spec, columns), commits.taken()
        commits.pending.clear()
    yield None, commits.taken()


def csv_columns(first_row: Mapping[str, Any], spec: OutputSpec) -> tuple[str, ...]:
    """The CSV columns of the whole run: the first record's fields, then the prediction's."""
    if spec.format != "csv":
        return ()
    return (*(key for key in first_row if key not in PREDICTION_KEYS), *PREDICTION_KEYS)


def _chunk(index: int, records: list[Record], spec: OutputSpec, columns: tuple[str, ...]) -> Chunk:
    return Chunk(
        index,
        [record.headline for record in records],
        [record.teaser for record in records],
        [base_row(record, spec.slim) for record in records],
        spec,
        columns,
    )

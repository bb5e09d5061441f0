"""Tagging by records: the path for every input format, preset and engine.

One reader streams the records through the project's readers; chunk *i* is
the *i*-th run of ``chunk_size`` records, reduced to what tagging needs (a
:class:`Chunk`). A tagger (:mod:`classifier.tagging.inflight`) predicts and
encodes each chunk with :func:`tag_chunk`, and the results are committed in
input order with the rows rejected while reading each chunk. A resumed run
reads the committed chunks again, to count them, but does not tag them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from itertools import chain
from typing import TYPE_CHECKING, Any

from classifier.inputs.datasets import iter_source
from classifier.inputs.records import BadRow, ReadOptions, ReadReport, Record
from classifier.inputs.sources import DataSource
from classifier.tagging.commits import Commits
from classifier.tagging.inflight import Tagger, in_order
from classifier.tagging.outputs import PREDICTION_KEYS, OutputSpec, base_row, encode_part

if TYPE_CHECKING:  # only the taggers load the model, and scikit-learn with it
    from classifier.model.topic_model import TopicModel

__all__ = ["Chunk", "ChunkResult", "chunk_of", "csv_columns", "record_chunks", "tag_chunk", "tag_records"]


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
    rows: list[Mapping[str, Any]]
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


def tag_records(
    chunks: Iterator[tuple[Chunk | None, list[BadRow]]], tagger: Tagger, commits: Commits
) -> None:
    """Tag the chunks of :func:`record_chunks` and commit them in order, each with its rejected rows."""
    for result, rejects in in_order(tagger, tag_chunk, chunks):
        if result is None:  # the rows rejected after the last record
            commits.last(rejects)
        else:
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
            columns = csv_columns(base_row(record, spec.slim, spec.date), spec)
        batch.append(record)
        if len(batch) == chunk_size:
            if index >= first:
                yield chunk_of(index, batch, spec, columns), commits.taken()
            commits.pending.clear()
            index, batch = index + 1, []
    if batch:
        if index >= first:
            yield chunk_of(index, batch, spec, columns), commits.taken()
        commits.pending.clear()
    yield None, commits.taken()


def csv_columns(first_row: Mapping[str, Any], spec: OutputSpec) -> tuple[str, ...]:
    """The CSV columns of the whole run: the first record's fields, then the prediction's."""
    if spec.format != "csv":
        return ()
    return (*(key for key in first_row if key not in PREDICTION_KEYS), *PREDICTION_KEYS)


def chunk_of(index: int, records: list[Record], spec: OutputSpec, columns: tuple[str, ...]) -> Chunk:
    """Chunk ``index``: ``records`` reduced to what tagging needs."""
    return Chunk(
        index,
        [record.headline for record in records],
        [record.teaser for record in records],
        [base_row(record, spec.slim, spec.date) for record in records],
        spec,
        columns,
    )

"""Active review: pick the unlabelled rows whose labels would teach the model most.

:func:`select_for_review` streams records, scores them a batch at a time and
keeps a bounded pool of the ``pool_factor * n`` most uncertain rows (a heap),
so memory does not grow with the archive. From that pool it then

1. drops near-duplicates (wire rewrites, live-blog updates): a row whose text is
   already in the pool word for word never enters it, and a row whose TF-IDF
   cosine similarity to a more uncertain row of the pool is at least
   ``similarity`` is left out, so each cluster is represented once, by its
   most uncertain member;
2. with ``spread``, spreads the queue over topics: round-robin over the
   predicted top labels, the most uncertain row of each topic first, so a
   queue is not all one confusable pair of topics. It is off by default: on a
   held-out outlet it made margin sampling no better than random sampling
   (bench/README.md, "Choosing what to review"), where the plain most
   uncertain rows gained a point and a half over random ones.

The pool is at most a few thousand rows, so exact pairwise cosine over a sparse
matrix costs milliseconds; MinHash or LSH (``datasketch``) would pay only for
deduplicating whole archives, which this does not need.

Strategies say what "uncertain" means: ``margin`` (a small gap between the top
two topics' probabilities), ``entropy`` (of the whole distribution), or
``random`` (a seeded random key: a uniform sample, the control to measure the
others against). ``dedupe=False`` leaves out step 1; without both steps the
``n`` most uncertain rows are taken as they are. Rows on which the model
abstains come before all others under ``margin`` and ``entropy``.
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

from classifier import settings
from classifier.errors import DataError
from classifier.inputs.datasets import iter_source
from classifier.inputs.records import BadRowLimit, ReadOptions, ReadReport, Record
from classifier.model.topic_model import TopicModel
from classifier.persistence import load_model
from classifier.tagging.inputs import expand_inputs

__all__ = [
    "STRATEGIES",
    "ReviewJob",
    "ReviewQueue",
    "review_archive",
    "select_for_review",
    "uncertainty",
]

STRATEGIES = settings.REVIEW_STRATEGIES
# Rows scored per call of the model: large enough that scikit-learn's per-call cost vanishes, small
# enough that one batch of probabilities stays a few MB.
_BATCH = 4096


@dataclass(frozen=True)
class ReviewJob:
    """Which archive to read, with which model, and how to pick the rows to review.

    ``inputs``, ``preset``, ``options``, ``split``, ``body`` and ``max_bad_rows``
    read the archive exactly as ``tag`` does; the other fields are the
    parameters of :func:`select_for_review`.
    """

    inputs: tuple[str, ...]
    model_dir: Path = settings.MODEL
    preset: str | None = None
    options: ReadOptions = field(default_factory=lambda: ReadOptions(label_field=None))
    split: str | None = None
    body: str = settings.REUTERS_BODY
    max_bad_rows: str = settings.MAX_BAD_ROWS
    n: int = 200
    strategy: str = "margin"
    seed: int = settings.SEED
    pool_factor: int = 5
    similarity: float = 0.5
    spread: bool = False
    allow_version_mismatch: bool = False


@dataclass
class ReviewQueue:
    """The rows picked for review, best first, and what picking them saw.

    ``rows`` are dicts of ``id``, ``headline``, ``teaser`` and the model's
    ``label``, ``score``, ``labels`` and ``abstained`` (the ``predict --json``
    shape). ``pool`` is how many candidates were kept for the final choice,
    ``duplicates`` how many rows were left out as repeats or near-duplicates.
    """

    rows: list[dict]
    rows_read: int
    pool: int
    duplicates: int
    model_id: str = ""
    report: ReadReport | None = None


@dataclass(order=True, slots=True)
class _Candidate:
    key: tuple[float, int]  # (uncertainty, -position): more uncertain first, then earlier first
    headline: str = field(compare=False)
    teaser: str = field(compare=False)
    id: str = field(compare=False)
    topic: int = field(compare=False)


def uncertainty(model: TopicModel, scores: np.ndarray, strategy: str, rng: np.random.Generator) -> np.ndarray:
    """How much each row's label would teach the model, higher first, for ``strategy``.

    Single-label models: ``margin`` is one minus the gap between the two
    highest probabilities, ``entropy`` the entropy of the probabilities
    (divided by its maximum). Multi-label models decide each topic apart, so
    ``margin`` is one minus the smallest distance of any topic's score to its
    threshold, and ``entropy`` the mean of the topics' binary entropies. Rows
    on which the model abstains score one more. ``random`` is uniform in [0, 1).
    """
    if strategy not in STRATEGIES:
        raise ValueError(f"unknown strategy {strategy!r}; choose one of {', '.join(STRATEGIES)}")
    if strategy == "random":
        return rng.random(len(scores))
    probabilities = np.clip(scores, 1e-12, 1.0)
    if model.multilabel:
        if strategy == "margin":
            value = 1.0 - np.abs(scores - model.thresholds).min(axis=1)
        else:
            complement = np.clip(1.0 - scores, 1e-12, 1.0)
            binary = -(probabilities * np.log2(probabilities) + complement * np.log2(complement))
            value = binary.mean(axis=1)
    elif strategy == "margin":
        top_two = np.sort(scores, axis=1)[:, -2:]
        value = 1.0 - (top_two[:, 1] - top_two[:, 0])
    else:
        value = -(probabilities * np.log(probabilities)).sum(axis=1) / np.log(scores.shape[1])
    return value + (scores.max(axis=1) < model.abstain_threshold)


def select_for_review(
    model: TopicModel,
    records: Iterable[Record],
    n: int = 200,
    *,
    strategy: str = "margin",
    seed: int = settings.SEED,
    pool_factor: int = 5,
    similarity: float = 0.5,
    dedupe: bool = True,
    spread: bool = False,
) -> ReviewQueue:
    """The ``n`` rows of ``records`` to review first, as described in the module docstring.

    Parameters
    ----------
    pool_factor
        Candidates kept while streaming, as a multiple of ``n``: memory is
        bounded by ``pool_factor * n`` rows whatever the archive's size.
    similarity
        TF-IDF cosine similarity at or above which two rows are near-duplicates
        (1 keeps everything but identical texts).
    dedupe, spread
        Leave out repeats and near-duplicates; take the rows round-robin over topics.
    """
    if n < 1 or pool_factor < 1:
        raise ValueError("n and the pool factor must be at least 1")
    if not 0.0 < similarity <= 1.0:
        raise ValueError("similarity must be above 0 and at most 1")
    rng = np.random.default_rng(seed)
    pool = _Pool(n * pool_factor if dedupe or spread else n, skip_repeats=dedupe)
    read = 0
    for batch in _batches(records):
        scores = model.scores([r.headline for r in batch], [r.teaser for r in batch])
        values = uncertainty(model, scores, strategy, rng)
        topics = scores.argmax(axis=1)
        for offset in np.argsort(-values, kind="stable"):
            key = (float(values[offset]), -(read + int(offset)))
            if not pool.admits(key):
                break  # sorted: no later row of this batch beats the pool's least uncertain either
            record = batch[offset]
            pool.add(_Candidate(key, record.headline, record.teaser, _row_id(record), int(topics[offset])))
        read += len(batch)
    ranked = sorted(pool.heap, reverse=True)
    kept = _without_near_duplicates(ranked, similarity) if dedupe else ranked
    chosen = _round_robin(kept, n) if spread else kept[:n]
    predictions = model.predict([c.headline for c in chosen], [c.teaser for c in chosen]) if chosen else []
    rows = [
        {"id": c.id, "headline": c.headline, "teaser": c.teaser, **p.to_dict()}
        for c, p in zip(chosen, predictions, strict=True)
    ]
    return ReviewQueue(rows, read, len(pool.heap), pool.repeats + len(ranked) - len(kept))


def review_archive(job: ReviewJob) -> ReviewQueue:
    """Read ``job``'s inputs as ``tag`` would and pick the rows to review with its model.

    Raises
    ------
    DataError
        Missing or unreadable input, no row read, or more rejected rows than allowed.
    ModelError
        The model cannot be loaded safely.
    """
    if job.strategy not in STRATEGIES:
        raise ValueError(f"unknown strategy {job.strategy!r}; choose one of {', '.join(STRATEGIES)}")
    sources = expand_inputs(job.inputs, job.preset)
    model, manifest = load_model(job.model_dir, allow_version_mismatch=job.allow_version_mismatch)
    report = ReadReport(limit=BadRowLimit.parse(job.max_bad_rows))

    def records() -> Iterable[Record]:
        for source in sources:
            yield from iter_source(source, job.options, report, split=job.split, body=job.body)

    queue = select_for_review(
        model,
        records(),
        job.n,
        strategy=job.strategy,
        seed=job.seed,
        pool_factor=job.pool_factor,
        similarity=job.similarity,
        spread=job.spread,
    )
    report.check()
    if queue.rows_read == 0:
        raise DataError("no row to review was read from " + ", ".join(job.inputs))
    queue.model_id, queue.report = manifest.model_id, report
    return queue


class _Pool:
    """The ``size`` most uncertain candidates seen so far: a min-heap on their keys.

    With ``skip_repeats``, a candidate whose text (case and spacing aside) is
    already in the pool is counted in ``repeats`` and left out, so that a story
    republished word for word many times cannot crowd the pool, as it would
    before the near-duplicate pass could see it.
    """

    def __init__(self, size: int, *, skip_repeats: bool) -> None:
        self.size, self.skip_repeats = size, skip_repeats
        self.heap: list[_Candidate] = []
        self.texts: set[str] = set()
        self.repeats = 0

    def admits(self, key: tuple[float, int]) -> bool:
        """Whether a candidate with ``key`` would get in."""
        return len(self.heap) < self.size or key > self.heap[0].key

    def add(self, candidate: _Candidate) -> None:
        if self.skip_repeats:
            text = " ".join(f"{candidate.headline} {candidate.teaser}".casefold().split())
            if text in self.texts:
                self.repeats += 1
                return
            self.texts.add(text)
        if len(self.heap) < self.size:
            heapq.heappush(self.heap, candidate)
            return
        evicted = heapq.heapreplace(self.heap, candidate)
        if self.skip_repeats:
            self.texts.discard(" ".join(f"{evicted.headline} {evicted.teaser}".casefold().split()))


def _row_id(record: Record) -> str:
    return record.id or f"{record.source}:{record.line}"


def _batches(records: Iterable[Record]) -> Iterable[list[Record]]:
    batch: list[Record] = []
    for record in records:
        batch.append(record)
        if len(batch) == _BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _without_near_duplicates(ranked: Sequence[_Candidate], similarity: float) -> list[_Candidate]:
    """``ranked`` without each row that is a near-duplicate of a row before it (more uncertain)."""
    if len(ranked) < 2:
        return list(ranked)
    texts = [f"{c.headline} {c.teaser}" for c in ranked]
    try:
        vectors = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True).fit_transform(texts)
    except ValueError:  # no word at all in any text (all punctuation): nothing to compare
        return list(ranked)
    similar = (vectors @ vectors.T).tocsr()
    dropped = np.zeros(len(ranked), dtype=bool)
    kept = []
    for row, candidate in enumerate(ranked):
        if dropped[row]:
            continue
        kept.append(candidate)
        start, stop = similar.indptr[row], similar.indptr[row + 1]
        neighbours = similar.indices[start:stop][similar.data[start:stop] >= similarity - 1e-9]
        dropped[neighbours[neighbours > row]] = True
    return kept


def _round_robin(ranked: Sequence[_Candidate], n: int) -> list[_Candidate]:
    """Up to ``n`` rows of ``ranked``, one per predicted topic in turn, each topic's most uncertain first.

    Topics take their turns in the order of their most uncertain row.
    """
    by_topic: dict[int, list[_Candidate]] = defaultdict(list)
    for candidate in ranked:  # dicts keep insertion order: topics in the order of their best row
        by_topic[candidate.topic].append(candidate)
    queues = list(by_topic.values())
    chosen: list[_Candidate] = []
    depth = 0
    while len(chosen) < n and any(depth < len(queue) for queue in queues):
        chosen.extend(queue[depth] for queue in queues if depth < len(queue))
        depth += 1
    return chosen[:n]

"""A compiled form of the fitted "fast" pipeline: the same probabilities without scikit-learn's per-call cost.

For one headline, :meth:`Pipeline.predict_proba` spends almost all of its time
in scikit-learn's machinery (``ColumnTransformer``, input validation, sparse
stacking), not in arithmetic. When every feature channel is a
:class:`~classifier.model.word_tfidf.FastWordTfidfVectorizer` and the classifier a
:class:`~classifier.model.calibration.CalibratedLinearClassifier`,
:func:`compile_scorer` reads the fitted pipeline into plain tables:

* one vocabulary per channel, n-gram → column of the stacked feature matrix,
  and one token table shared by the channels (the headline is tokenized once);
* per column its idf, channel and row of coefficients (``coef_.T``), so a
  document's decision scores are a sum of a few rows times its tf-idf values.

One headline is then tokenized once for all channels
(:func:`~classifier.model.tokens.word_tokens`), looked up in a few
dictionaries and scored with a handful of small numpy operations. A batch is
tokenized once for all channels too (:meth:`~classifier.model.tokens.ByteTokenIds.ids`),
where the pipeline tokenizes it once per channel, and scored with one sparse
product, without stacking the channels' matrices. Both do the pipeline's
arithmetic operation for operation (float32 features, float32 products summed
in the same order, the same link), so their probabilities are the pipeline's
to the last bit; :func:`compile_scorer` checks that on probe headlines before
handing a scorer out. Any other model (character n-grams, unknown shapes) gets
no scorer and keeps the pipeline path.

A scorer is derived state: :class:`~classifier.model.topic_model.TopicModel` builds it on
first use and keeps it out of model files.
"""

from __future__ import annotations

import warnings
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import islice

import numpy as np
from scipy import sparse
from scipy.special import expit
from sklearn.compose import ColumnTransformer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer

from classifier.model.calibration import CalibratedLinearClassifier
from classifier.model.features import (
    HEADLINE,
    TEASER,
    as_input,
    join_headline_and_teaser,
)
from classifier.model.tokens import (
    SEPARATOR,
    SEPARATOR_ID,
    UNKNOWN_ID,
    ByteTokenIds,
    ngram_windows,
    word_tokens,
)
from classifier.model.word_tfidf import FastWordTfidfVectorizer

__all__ = ["CompiledScorer", "compile_scorer"]

# A batch is one text: rows separated by \x00, headline and teaser by \x01. Both separators are
# neither word characters nor case-ignorable, so tokens and lower-casing are those of each part.
_ROW, _PART = SEPARATOR, "\x01"
_ROW_ID, _PART_ID = SEPARATOR_ID, -3
# Below this many rows, scoring row by row beats the fixed cost of the batch path.
_SMALL_BATCH = 12
_LARGE_BATCH = 65_536  # rows scored at once by a bigger batch, in slices of this many
_FITTED_LINK = ("coef_", "intercept_", "scale_", "offset_", "multilabel_")
_NOT_TEXT = "headlines and teasers must be strings"


@dataclass
class _Channel:
    """One fitted word channel of the feature union, as lookup tables."""

    headline_only: bool  # the "headline" channel, else the joined headline and teaser
    vectorizer: FastWordTfidfVectorizer
    offset: int  # its first column in the stacked matrix
    weight: float  # its transformer weight
    orders: tuple[int, ...]  # n-gram lengths
    vocabulary: dict[str, int]  # n-gram → column of the stacked matrix
    local_ids: np.ndarray | None = None  # shared token id → the vectorizer's token id


class CompiledScorer:
    """Decision scores and probabilities of a compiled pipeline (build it with :func:`compile_scorer`)."""

    def __init__(self, channels: list[_Channel], classifier: CalibratedLinearClassifier, n_features: int):
        self._channels = channels
        # One token table for all channels (the headline is tokenized once for all of them) ...
        tokens = list(dict.fromkeys(t for c in channels for t in c.vectorizer.token_ids_ if t != _ROW))
        self._token_ids = ByteTokenIds(
            {token: number for number, token in enumerate(tokens)} | {_ROW: _ROW_ID, _PART: _PART_ID}
        )
        for channel in channels:
            # ... mapped to each vectorizer's own ids; the three slots past the tokens are read
            # through the negative ids and keep the separators and unknown tokens what they are.
            known = channel.vectorizer.token_ids_
            channel.local_ids = np.array(
                [known.get(token, UNKNOWN_ID) for token in tokens] + [UNKNOWN_ID, _ROW_ID, UNKNOWN_ID],
                dtype=np.int64,
            )
        self._idf = np.zeros(n_features)
        self._column_channel = np.zeros(n_features, dtype=np.intp)
        for number, channel in enumerate(channels):
            width = len(channel.vectorizer.idf_)
            self._idf[channel.offset : channel.offset + width] = channel.vectorizer.idf_
            self._column_channel[channel.offset : channel.offset + width] = number
        self._sublinear = channels[0].vectorizer.sublinear_tf  # the same in every channel
        self._weights = np.array([channel.weight for channel in channels], dtype=np.float32)
        self._weighted = bool((self._weights != 1.0).any())
        self._headline_only = any(channel.headline_only for channel in channels)
        self._coef = np.ascontiguousarray(classifier.coef_.T)  # (features, labels), float32
        self._intercept = classifier.intercept_.astype(np.float64)  # exactly, from float32
        self._scale, self._offset = classifier.scale_, classifier.offset_
        self.link = classifier.link  # probabilities from decision scores, the classifier's own
        self._multilabel = classifier.multilabel_
        self.n_labels = classifier.coef_.shape[0]

    # -- public -----------------------------------------------------------------------------------

    def probabilities(self, headlines: Sequence[str], teasers: Sequence[str] | None = None) -> np.ndarray:
        """Calibrated probabilities, shape (n, labels): the pipeline's ``predict_proba``."""
        if len(headlines) == 1 and (teasers is None or len(teasers) == 1):
            return self.row_probabilities(headlines[0], "" if teasers is None else teasers[0])[None]
        return self.link(self.decision_scores(headlines, teasers))

    def decision_scores(self, headlines: Sequence[str], teasers: Sequence[str] | None = None) -> np.ndarray:
        """Linear decision scores, shape (n, labels), float64.

        Raises
        ------
        ValueError
            Headlines and teasers of different lengths.
        TypeError
            A headline or teaser that is not a string.
        """
        if teasers is None:
            teasers = [""] * len(headlines)
        if len(teasers) != len(headlines):
            raise ValueError(f"{len(headlines)} headlines but {len(teasers)} teasers")
        if len(headlines) < _SMALL_BATCH:
            scores = np.empty((len(headlines), self.n_labels))
            for row, (headline, teaser) in enumerate(zip(headlines, teasers, strict=True)):
                scores[row] = self.row_scores(headline, teaser)
            return scores
        if len(headlines) <= _LARGE_BATCH:
            return self._batch_scores(headlines, teasers)
        headlines, teasers = list(headlines), list(teasers)  # sliced below, whatever sequence they are
        # A batch's temporary arrays are several times its n-grams: a million rows at once took 2 GiB.
        return np.vstack(
            [
                self._batch_scores(
                    headlines[start : start + _LARGE_BATCH], teasers[start : start + _LARGE_BATCH]
                )
                for start in range(0, len(headlines), _LARGE_BATCH)
            ]
        )

    def row_probabilities(self, headline: str, teaser: str = "") -> np.ndarray:
        """Probabilities of one headline, shape (labels,): :meth:`probabilities` without its overhead."""
        logits = self._scale * self.row_scores(headline, teaser) + self._offset
        if self._multilabel:
            return expit(logits)
        exp = np.exp(logits - logits.max())  # scipy's softmax, on one row
        return exp / exp.sum()

    def row_scores(self, headline: str, teaser: str = "") -> np.ndarray:
        """Decision scores of one headline, shape (labels,)."""
        if not (isinstance(headline, str) and isinstance(teaser, str)):
            raise TypeError(_NOT_TEXT)
        # Lower-casing the parts separately equals lower-casing "headline teaser" (the space
        # ends any final-sigma context), and \x00, which the vectorizer turns into a space, is
        # no word character either.
        head_tokens = word_tokens(headline.lower())
        text_tokens = head_tokens + word_tokens(teaser.lower())
        counts: Counter = Counter()
        for channel in self._channels:
            tokens = channel.vectorizer.respelled(head_tokens if channel.headline_only else text_tokens)
            get = channel.vocabulary.get
            for order in channel.orders:
                if order == 1:
                    counts.update(map(get, tokens))
                else:
                    counts.update(map(get, map(" ".join, ngram_windows(tokens, order))))
        counts.pop(None, None)
        if not counts:
            return self._intercept.copy()
        columns = np.fromiter(counts, dtype=np.intp, count=len(counts))
        values = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
        order = columns.argsort()  # the sparse matrix's order, so that sums round as in the pipeline
        columns, values = columns[order], values[order]
        channel = self._column_channel[columns]
        if self._sublinear:
            values = np.log(values) + 1.0
        values *= self._idf[columns]
        norms = np.sqrt(np.bincount(channel, weights=values * values, minlength=len(self._channels)))
        values /= norms[channel]
        features = values.astype(np.float32) * self._weights[channel]  # the pipeline's features
        # scipy's sparse product in float32, row after row (a sum over the first axis is sequential).
        products = (features[:, None] * self._coef[columns]).sum(axis=0)
        return products.astype(np.float64) + self._intercept

    # -- batches ----------------------------------------------------------------------------------

    def _batch_scores(self, headlines: Sequence[str], teasers: Sequence[str]) -> np.ndarray:
        rows = len(headlines)
        try:
            text = _ROW.join(map(_PART.join, zip(headlines, teasers, strict=True)))
        except TypeError:
            raise TypeError(_NOT_TEXT) from None
        if text.count(_ROW) != rows - 1 or text.count(_PART) != rows:  # a separator inside a text
            text = _ROW.join(
                f"{_clean(headline)}{_PART}{_clean(teaser)}"
                for headline, teaser in zip(headlines, teasers, strict=True)
            )
        ids = self._token_ids.ids(text, _ROW + _PART)
        words = ids != _PART_ID  # "headline teaser": the part separator is a space
        if self._headline_only:
            # Before its row's part separator: as many part separators as row separators so far.
            parts_before = np.cumsum(~words)
            headline_words = words & (parts_before == np.cumsum(ids == _ROW_ID))
        row_parts, column_parts = [], []
        for channel in self._channels:
            local = channel.local_ids[ids[headline_words if channel.headline_only else words]]
            found_rows, found_columns = channel.vectorizer.ngram_occurrences(local)
            row_parts.append(found_rows)
            column_parts.append(found_columns + channel.offset)
        # Each row's n-gram counts in column order: the summed duplicates of scipy's count matrix.
        width = len(self._idf)
        keys = np.concatenate(row_parts) * width + np.concatenate(column_parts)
        keys.sort()
        starts = np.flatnonzero(np.diff(keys, prepend=-1))
        data = np.diff(starts, append=len(keys)).astype(np.float64)
        found_rows, columns = np.divmod(keys.take(starts), width)
        # From here on, the vectorizers' and the ColumnTransformer's arithmetic, operation for operation.
        channel = self._column_channel[columns]
        if self._sublinear:
            np.log(data, out=data)
            data += 1.0
        data *= self._idf[columns]
        buckets = found_rows * len(self._channels) + channel
        norms = np.sqrt(np.bincount(buckets, weights=data * data, minlength=rows * len(self._channels)))
        data /= norms[buckets]
        features = data.astype(np.float32)
        if self._weighted:
            features *= self._weights[channel]
        indptr = np.searchsorted(found_rows, np.arange(rows + 1))
        matrix = sparse.csr_matrix((features, columns, indptr), shape=(rows, width))
        return np.asarray(matrix @ self._coef, dtype=np.float64) + self._intercept


def _clean(text: str) -> str:
    return text.replace(_ROW, " ").replace(_PART, " ")


def compile_scorer(pipeline: Pipeline) -> CompiledScorer | None:
    """The compiled form of a fitted pipeline, or ``None`` when it has another shape.

    Compiles a ``Pipeline`` of ``features`` (a ``ColumnTransformer`` whose every
    channel is a :class:`FastWordTfidfVectorizer` over the joined headline and
    teaser or over the headline) and ``classifier`` (a fitted
    :class:`CalibratedLinearClassifier`). The result is checked against the
    pipeline on a few probe headlines; on any disagreement it is discarded
    with a ``RuntimeWarning``.
    """
    try:
        features, classifier = pipeline.named_steps["features"], pipeline.named_steps["classifier"]
    except (AttributeError, KeyError):
        return None
    if not isinstance(features, ColumnTransformer) or not isinstance(classifier, CalibratedLinearClassifier):
        return None
    if not all(hasattr(classifier, name) for name in _FITTED_LINK):
        return None
    channels = _channels_of(features)
    if channels is None:
        return None
    n_features = sum(len(channel.vectorizer.idf_) for channel in channels)
    coef = classifier.coef_
    if coef.shape[1] != n_features or coef.shape[0] != len(classifier.intercept_) or coef.dtype != np.float32:
        return None
    scorer = CompiledScorer(channels, classifier, n_features)
    if not _agrees_with(scorer, pipeline, channels):
        warnings.warn(
            "the compiled scorer disagrees with the pipeline; using the pipeline",
            RuntimeWarning,
            stacklevel=2,
        )
        return None
    return scorer


def _channels_of(features: ColumnTransformer) -> list[_Channel] | None:
    """The feature union's channels in column order, or ``None`` if one is not a word channel."""
    if not hasattr(features, "output_indices_") or not features.sparse_output_:
        return None
    weights = features.transformer_weights or {}
    channels = []
    for name, transformer, columns in features.transformers_:
        width = features.output_indices_[name]
        if width.stop == width.start:  # dropped columns, the empty remainder
            continue
        if _is_column(columns, HEADLINE) and isinstance(transformer, FastWordTfidfVectorizer):
            headline_only, vectorizer = True, transformer
        elif _is_joined(transformer, columns):
            headline_only, vectorizer = False, transformer.steps[-1][1]
        else:
            return None
        if not hasattr(vectorizer, "ngram_keys_") or width.stop - width.start != len(vectorizer.idf_):
            return None
        if vectorizer.norm != "l2" or not vectorizer.use_idf or vectorizer.dtype != np.float32:
            return None  # what the scorer does not reproduce
        orders = tuple(range(vectorizer.ngram_range[0], vectorizer.ngram_range[1] + 1))
        vocabulary = vectorizer.vocabulary_  # read only; shifted to the channel's columns if need be
        if width.start:
            vocabulary = {ngram: width.start + column for ngram, column in vocabulary.items()}
        weight = weights.get(name)
        channels.append(
            _Channel(
                headline_only, vectorizer, width.start, 1.0 if weight is None else weight, orders, vocabulary
            )
        )
    starts = [channel.offset for channel in channels]
    if not channels or starts != sorted(starts):
        return None
    if len({channel.vectorizer.sublinear_tf for channel in channels}) != 1:
        return None
    return channels


def _is_column(columns, column: int) -> bool:
    return isinstance(columns, int | np.integer) and columns == column


def _is_joined(transformer, columns) -> bool:
    """Whether ``transformer`` is the joiner of headline and teaser followed by a word vectorizer."""
    if not isinstance(transformer, Pipeline) or len(transformer.steps) != 2:
        return False
    joiner, vectorizer = transformer.steps[0][1], transformer.steps[1][1]
    return (
        list(np.atleast_1d(columns)) == [HEADLINE, TEASER]
        and isinstance(joiner, FunctionTransformer)
        and joiner.func is join_headline_and_teaser
        and joiner.kw_args is None
        and isinstance(vectorizer, FastWordTfidfVectorizer)
    )


def _agrees_with(scorer: CompiledScorer, pipeline: Pipeline, channels: list[_Channel]) -> bool:
    """Whether the scorer gives the pipeline's probabilities on probe headlines made of its n-grams."""
    sample = [
        ngram
        for channel in channels
        for ngram in islice(channel.vocabulary, 0, None, max(1, len(channel.vocabulary) // 20))
    ]
    headlines = [" ".join(sample[::2]), "", " ".join(sample[-5:]) + " Ünïcode ΣΑΣ", " é ½ ".join(sample[:4])]
    teasers = [" ".join(sample[1::2]), " ".join(sample[:3]), "x", "a\u2019 ".join(sample[-4:])]
    expected = pipeline.predict_proba(as_input(headlines, teasers))
    one_by_one = np.array([scorer.row_probabilities(h, t) for h, t in zip(headlines, teasers, strict=True)])
    batch = scorer.link(scorer._batch_scores(headlines, teasers))
    return np.allclose(batch, expected, rtol=0, atol=1e-9) and np.allclose(
        one_by_one, expected, rtol=0, atol=1e-9
    )

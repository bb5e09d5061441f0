"""Fitting the features on rows read in batches, without holding them: each word channel's n-gram counts.

:class:`~classifier.model.word_tfidf.FastWordTfidfVectorizer` takes its vocabulary
and idf from n-gram counts (:mod:`classifier.model.vocabulary`), which can be
added a batch at a time; :class:`FeatureCounts` keeps those of every word
channel of the feature union and gives the fitted union, the same as
:func:`~classifier.model.features.build_features` fitted on all the rows at once.
Training in memory fits the same way, part by part (:func:`fit_transform_in_parts`), so that
its progress bar can tell the time left.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy import sparse
from sklearn.compose import ColumnTransformer
from sklearn.pipeline import Pipeline

from classifier.model.features import (
    HEADLINE,
    FeatureSettings,
    build_features,
    join_headline_and_teaser,
)
from classifier.model.vocabulary import NgramCounts
from classifier.model.word_tfidf import FastWordTfidfVectorizer

__all__ = ["BOOKKEEPING_ROWS", "PART_ROWS", "FeatureCounts", "feature_parts", "fit_transform_in_parts"]

BOOKKEEPING_ROWS = 1000
"""Rows the feature union's own bookkeeping is fitted on (:meth:`FeatureCounts.fitted`)."""
PART_ROWS = 50_000
"""Rows counted or transformed between two reports of :func:`fit_transform_in_parts`."""


class FeatureCounts:
    """The n-gram counts of each word channel of ``settings``' features, added batch by batch of input
    rows (:func:`as_input`): what fits the features on rows read in batches (:meth:`fitted`).

    Character n-grams are not counted: features with them are fitted in memory only.
    """

    def __init__(self, settings: FeatureSettings) -> None:
        if settings.char_ngrams is not None:
            raise ValueError("features with character n-grams cannot be fitted batch by batch")
        self.settings = settings
        self.channels = {
            name: NgramCounts(settings.word_ngrams, stemming=settings.stemming)
            for name, _ in _word_channels(build_features(settings).transformers)
        }

    def add(self, rows: np.ndarray) -> None:
        """Count one batch of input rows."""
        self.channels["text"].add(join_headline_and_teaser(rows))
        if "headline" in self.channels:
            self.channels["headline"].add(rows[:, HEADLINE])

    def fitted(self, sample: np.ndarray) -> ColumnTransformer:
        """The feature union with each channel's vocabulary and idf taken from these counts.

        The union itself is fitted on the first rows of ``sample`` (some input rows) first, for its
        own bookkeeping, keeping every n-gram they have; each channel's vocabulary then becomes the
        one of all the counted rows, and the columns each channel's output fills are recorded
        again for those vocabularies.
        """
        features = build_features(self.settings)
        for _, vectorizer in _word_channels(features.transformers):
            vectorizer.set_params(min_df=1, max_df=1.0, max_features=None)
        features.fit(sample[:BOOKKEEPING_ROWS])
        start = 0
        for name, vectorizer in _word_channels(features.transformers_):
            vectorizer.set_params(
                min_df=self.settings.min_df, max_df=1.0, max_features=self.settings.max_features
            )
            width = len(vectorizer.fit_counts(self.channels[name]).vocabulary_)
            features.output_indices_[name] = slice(start, start + width)
            start += width
        return features


def feature_parts(rows: int, settings: FeatureSettings) -> int | None:
    """How many parts :func:`fit_transform_in_parts` reports for ``rows`` rows: counting, then
    transforming, each :data:`PART_ROWS` at a time; None when it fits in one go (character n-grams)."""
    return None if settings.char_ngrams is not None else 2 * -(-rows // PART_ROWS)


def fit_transform_in_parts(
    settings: FeatureSettings, rows: np.ndarray, done: Callable[[], None]
) -> tuple[ColumnTransformer, sparse.csr_matrix]:
    """The feature union of ``settings`` fitted on input rows ``rows``, and their matrix: the same as
    ``build_features(settings).fit_transform(rows)``, with ``done()`` called after each of the
    :func:`feature_parts` parts, so that a progress bar can tell the time left."""
    if settings.char_ngrams is not None:
        features = build_features(settings)
        return features, features.fit_transform(rows)
    parts = [slice(start, start + PART_ROWS) for start in range(0, len(rows), PART_ROWS)]
    counts = FeatureCounts(settings)
    for part in parts:
        counts.add(rows[part])
        done()
    features = counts.fitted(rows)
    matrices = []
    for part in parts:
        matrices.append(features.transform(rows[part]))
        done()
    return features, sparse.vstack(matrices, format="csr")


def _word_channels(transformers) -> list[tuple[str, FastWordTfidfVectorizer]]:
    """The name and the vectorizer of each word channel among a union's ``transformers``."""
    channels = []
    for name, transformer, _ in transformers:
        vectorizer = transformer[-1] if isinstance(transformer, Pipeline) else transformer
        if isinstance(vectorizer, FastWordTfidfVectorizer):
            channels.append((name, vectorizer))
    return channels

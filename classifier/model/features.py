"""TF-IDF features over a headline and its teaser.

The input of every model is a two-column array of strings: headline, teaser.
Features are a weighted union of

* ``text``: word n-grams over headline and teaser together (the teaser adds
  the context a short headline lacks);
* ``headline``: word n-grams over the headline alone, so that words in the
  headline (what an editor chose to lead with) count extra (left out at a
  headline weight of 0);
* optionally ``chars``: character n-grams within word boundaries over both,
  robust to misspellings and inflections but about ten times slower (the
  ``accurate`` profile).

The word channels are :class:`~classifier.model.word_tfidf.FastWordTfidfVectorizer`,
a ``TfidfVectorizer`` that transforms a whole batch at once with numpy. Everything is
composed with ``ColumnTransformer``, so fitting, pickling and ``get_feature_names_out``
work as in any scikit-learn pipeline.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
from sklearn.compose import ColumnTransformer
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from classifier import settings as defaults

# Also what the model files of earlier releases name the class by, so they still load.
from classifier.model.word_tfidf import FastWordTfidfVectorizer

__all__ = [
    "HEADLINE",
    "PROFILES",
    "TEASER",
    "FeatureSettings",
    "as_input",
    "build_features",
    "join_headline_and_teaser",
]

HEADLINE, TEASER = 0, 1


@dataclass(frozen=True)
class FeatureSettings:
    """Hyper-parameters of the feature union (recorded in the model manifest)."""

    word_ngrams: tuple[int, int] = defaults.WORD_NGRAMS
    char_ngrams: tuple[int, int] | None = defaults.CHAR_NGRAMS
    headline_weight: float = defaults.HEADLINE_WEIGHT
    char_weight: float = defaults.CHAR_WEIGHT
    min_df: int = defaults.MIN_DF
    max_features: int | None = defaults.MAX_FEATURES
    sublinear_tf: bool = defaults.SUBLINEAR_TF
    stemming: bool = defaults.STEMMING

    @property
    def profile(self) -> str:
        """The name of the profile in :data:`PROFILES` these settings equal, else ``custom``."""
        return next((name for name, settings in PROFILES.items() if settings == self), "custom")


# Named feature sets (classifier.settings): "fast" meets the archive-tagging speed target, "accurate"
# adds character n-grams for about a point of accuracy at a tenth of the speed.
PROFILES = {name: replace(FeatureSettings(), **changes) for name, changes in defaults.PROFILES.items()}


def as_input(headlines: Sequence[str], teasers: Sequence[str] | None = None) -> np.ndarray:
    """Stack headlines and teasers into the (n, 2) object array the features expect."""
    if teasers is None:
        teasers = [""] * len(headlines)
    if len(teasers) != len(headlines):
        raise ValueError(f"{len(headlines)} headlines but {len(teasers)} teasers")
    matrix = np.empty((len(headlines), 2), dtype=object)
    matrix[:, HEADLINE] = headlines
    matrix[:, TEASER] = teasers
    return matrix


def join_headline_and_teaser(matrix: np.ndarray) -> np.ndarray:
    """One string per row: the headline, then the teaser."""
    return np.asarray([f"{headline} {teaser}" for headline, teaser in matrix], dtype=object)


def _joiner() -> FunctionTransformer:
    # "one-to-one" only lets the pipeline report feature names; the vectorizer
    # after it names its own n-grams and ignores the input names.
    return FunctionTransformer(join_headline_and_teaser, feature_names_out="one-to-one")


def _words(settings: FeatureSettings) -> TfidfVectorizer:
    return FastWordTfidfVectorizer(
        ngram_range=settings.word_ngrams,
        sublinear_tf=settings.sublinear_tf,
        min_df=settings.min_df,
        max_features=settings.max_features,
        dtype=np.float32,
        stemming=settings.stemming,
    )


def build_features(settings: FeatureSettings) -> ColumnTransformer:
    """The unfitted feature union for ``settings``."""
    transformers = [("text", make_pipeline(_joiner(), _words(settings)), [HEADLINE, TEASER])]
    weights = {"text": 1.0}
    if settings.headline_weight:  # a channel of weight 0 would be fitted and transformed for nothing
        transformers.append(("headline", _words(settings), HEADLINE))
        weights["headline"] = settings.headline_weight
    if settings.char_ngrams is not None:
        chars = TfidfVectorizer(
            analyzer="char_wb",
            ngram_range=settings.char_ngrams,
            sublinear_tf=settings.sublinear_tf,
            min_df=max(settings.min_df, 2),
            max_features=settings.max_features,
            dtype=np.float32,
        )
        transformers.append(("chars", make_pipeline(_joiner(), chars), [HEADLINE, TEASER]))
        weights["chars"] = settings.char_weight
    return ColumnTransformer(transformers, transformer_weights=weights, sparse_threshold=1.0)

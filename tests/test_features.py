"""The feature union, and the fast word vectorizer that must equal scikit-learn's."""

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from classifier.model import batch_features
from classifier.model.features import (
    PROFILES,
    FeatureSettings,
    as_input,
    build_features,
)
from classifier.model.word_tfidf import FastWordTfidfVectorizer

TRAIN = [
    "Central bank raises interest rates",
    "Central bank holds rates as inflation cools",
    "Striker scores twice as club wins the cup",
    "Club sacks coach after cup defeat",
    "Parliament passes budget; minister resigns",
    "Minister's budget passes parliament",
    "Café owners protest ÉLECTION rules in Zürich",
    "café owners, zürich: the élection rules",
    "İstanbul shares_fall 3.5% as ΟΔΟΣ σοφος 北京 stocks rally",
    "istanbul shares_fall again; 北京 stocks rally",
]
TEST = [
    "Central bank raises rates; club wins cup",
    "",
    "a b c x y",
    "Unknown words only here",
    "\x00 zürich\x00café owners",  # the vectorizer's own document separator, inside a document
    "北京 stocks rally 株価 上昇 🚀",
    "shares_fall shares_fall shares_fall",
    "club\x01wins the cup é ½ bank",  # the scorer's part separator and lone non-ASCII letters, as text
]


@pytest.mark.parametrize(
    "options",
    [
        {"ngram_range": (1, 2), "min_df": 2, "sublinear_tf": True},
        {"ngram_range": (1, 1), "min_df": 1},
        {"ngram_range": (1, 3), "min_df": 1, "sublinear_tf": True, "dtype": np.float32},
        {"ngram_range": (2, 3), "min_df": 1, "max_features": 6},  # no tie at the cut
    ],
)
def test_fast_word_vectorizer_gives_scikit_learns_matrix(options):
    expected = TfidfVectorizer(**options).fit(TRAIN)
    fast = FastWordTfidfVectorizer(**options).fit(TRAIN)
    assert fast.vocabulary_ == expected.vocabulary_
    ascii_only = [document for document in TEST + TRAIN if document.isascii()]  # the faster tokenizer
    for batch in (TEST, ascii_only):
        got, want = fast.transform(batch), expected.transform(batch)
        assert got.shape == want.shape and got.dtype == want.dtype
        assert np.allclose(got.toarray(), want.toarray(), atol=1e-6)
    assert np.allclose(
        FastWordTfidfVectorizer(**options).fit_transform(TRAIN).toarray(),
        expected.transform(TRAIN).toarray(),
        atol=1e-6,
    )


@pytest.mark.parametrize("refit", ["fit", "fit_transform"])
def test_a_refitted_vectorizer_looks_n_grams_up_in_its_new_vocabulary(refit):
    options = {"ngram_range": (1, 2), "min_df": 1}
    fast = FastWordTfidfVectorizer(**options).fit(TRAIN[:5])
    fast.transform(TEST)  # builds the n-gram tables of the first vocabulary
    getattr(fast, refit)(TRAIN[5:])
    want = TfidfVectorizer(**options).fit(TRAIN[5:]).transform(TEST + TRAIN)
    assert np.allclose(fast.transform(TEST + TRAIN).toarray(), want.toarray(), atol=1e-6)


def test_fast_word_vectorizer_handles_an_empty_batch():
    fast = FastWordTfidfVectorizer().fit(TRAIN)
    assert fast.transform([]).shape == (0, len(fast.vocabulary_))


@pytest.mark.parametrize(
    "options", [{"analyzer": "char_wb"}, {"stop_words": "english"}, {"ngram_range": (1, 4)}]
)
def test_fast_word_vectorizer_refuses_what_it_cannot_reproduce(options):
    with pytest.raises(ValueError):
        FastWordTfidfVectorizer(**options).fit(TRAIN)


def test_features_name_their_channel():
    features = build_features(FeatureSettings(min_df=1, char_ngrams=(3, 3)))
    matrix = features.fit_transform(as_input(TRAIN[:4], ["teaser text"] * 4))
    names = features.get_feature_names_out()
    assert matrix.shape == (4, len(names))
    assert {name.split("__")[0] for name in names} == {"text", "headline", "chars"}


def test_a_headline_of_weight_zero_has_no_channel_of_its_own():
    features = build_features(FeatureSettings(min_df=1, headline_weight=0))
    features.fit(as_input(TRAIN[:4], ["teaser text"] * 4))
    assert {name.split("__")[0] for name in features.get_feature_names_out()} == {"text"}


def test_profiles_name_their_settings():
    assert FeatureSettings().profile == "fast"
    assert PROFILES["accurate"].char_ngrams is not None and PROFILES["accurate"].profile == "accurate"
    assert FeatureSettings(min_df=1).profile == "custom"


@pytest.mark.parametrize(
    "settings",
    [
        FeatureSettings(min_df=1),
        FeatureSettings(min_df=2, max_features=9),
        FeatureSettings(min_df=1, stemming=True),
        FeatureSettings(min_df=1, headline_weight=0),
        FeatureSettings(char_ngrams=(2, 3)),
    ],
    ids=["words", "words-capped", "words-stemmed", "text-only", "chars"],
)
def test_fitting_in_parts_gives_the_unions_matrix_and_reports_each_part(settings, monkeypatch):
    monkeypatch.setattr(batch_features, "PART_ROWS", 3)
    rows = as_input(TRAIN, [f"teaser {word}" for word in TRAIN[::-1]])
    reported = []
    features, matrix = batch_features.fit_transform_in_parts(settings, rows, lambda: reported.append(1))
    expected = build_features(settings).fit_transform(rows)
    assert matrix.shape == expected.shape and abs(matrix - expected).max() < 1e-6
    assert (
        abs(
            features.transform(as_input(TEST)) - build_features(settings).fit(rows).transform(as_input(TEST))
        ).max()
        < 1e-6
    )
    parts = batch_features.feature_parts(len(rows), settings)
    assert len(reported) == (parts or 0) and (parts is None) == (settings.char_ngrams is not None)
    if parts is not None:
        assert parts == 2 * 4  # 10 rows in parts of 3, counted then transformed

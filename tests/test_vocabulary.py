"""N-gram counting batch by batch: the word features' vocabulary and idf as scikit-learn fits them."""

import numpy as np
import pytest
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from test_features import TRAIN

from classifier.model import vocabulary
from classifier.model.vocabulary import NgramCounts
from classifier.model.word_tfidf import FastWordTfidfVectorizer

# The feature tests' texts (Unicode, punctuation, scripts without spaces), and a few edge cases.
DOCUMENTS = [
    *TRAIN[:8],
    "",
    "a b",  # no token: single characters
    "rates rates rates rates",
    TRAIN[8],
]


def _fitted(documents, batch, **options):
    counts = NgramCounts(options.get("ngram_range", (1, 1)))
    for start in range(0, len(documents), batch):
        counts.add(documents[start : start + batch])
    return FastWordTfidfVectorizer(**options).fit_counts(counts)


@pytest.mark.parametrize("batch", [1, 3, len(DOCUMENTS)])
@pytest.mark.parametrize(
    "options",
    [
        {"ngram_range": (1, 2), "min_df": 2},
        {"ngram_range": (1, 3), "min_df": 1, "dtype": np.float32},
        {"ngram_range": (2, 2), "min_df": 0.1, "max_df": 0.2},
        {"ngram_range": (1, 1), "min_df": 1, "max_df": 2},
    ],
)
def test_counting_in_batches_fits_scikit_learns_vocabulary_and_idf(options, batch):
    expected = TfidfVectorizer(**options).fit(DOCUMENTS)
    fitted = _fitted(DOCUMENTS, batch, **options)
    assert fitted.vocabulary_ == expected.vocabulary_
    assert fitted.idf_.dtype == expected.idf_.dtype
    assert np.array_equal(fitted.idf_, expected.idf_)
    assert np.allclose(
        fitted.transform(DOCUMENTS).toarray(), expected.transform(DOCUMENTS).toarray(), atol=1e-6
    )


def test_max_features_keeps_the_most_frequent_and_breaks_ties_by_name():
    counts = NgramCounts((1, 1))
    counts.add(["rates rates bank", "bank club", "zebra cup", "apple"])
    terms, frequencies = counts.vocabulary(max_features=3)
    # rates (2 occurrences) and bank (2) first; of the four seen once, "apple" comes first by name.
    assert terms == ["apple", "bank", "rates"]
    assert frequencies.tolist() == [1, 2, 1]


def test_an_n_gram_never_spans_two_documents():
    counts = NgramCounts((2, 2))
    counts.add(["central bank", "raises rates"])
    assert counts.vocabulary()[0] == ["central bank", "raises rates"]


def test_too_many_candidates_drop_the_n_grams_seen_in_one_document_so_far(monkeypatch):
    monkeypatch.setattr(vocabulary, "_PENDING_KEYS", 1)  # every batch merged at once
    counts = NgramCounts((1, 1), max_candidates=3)
    counts.add(["bank rates", "bank club"])  # three candidates: none dropped yet
    counts.add(["cup", "bank"])  # four: "rates", "club" and "cup" were seen once
    terms, frequencies = counts.vocabulary()
    assert terms == ["bank"] and frequencies.tolist() == [3]
    counts.add(["club"])  # counted again from here
    assert counts.vocabulary()[0] == ["bank", "club"]


@pytest.mark.parametrize(
    ("documents", "options", "message"),
    [
        (["", "a b"], {}, "empty vocabulary"),
        (["bank rates", "club cup"], {"min_df": 2}, "After pruning, no terms remain"),
        (["bank rates", "club cup"], {"min_df": 2, "max_df": 1}, "max_df corresponds to < documents"),
    ],
)
def test_what_scikit_learn_refuses_is_refused_with_its_message(documents, options, message):
    with pytest.raises(ValueError, match=message):
        TfidfVectorizer(**options).fit(documents)
    with pytest.raises(ValueError, match=message):
        FastWordTfidfVectorizer(**options).fit(documents)


def test_counts_of_another_n_gram_range_cannot_fit_the_vectorizer():
    counts = NgramCounts((1, 1))
    counts.add(DOCUMENTS)
    with pytest.raises(ValueError, match="cannot fit"):
        FastWordTfidfVectorizer(ngram_range=(1, 2)).fit_counts(counts)


def test_bytes_documents_are_decoded_as_scikit_learn_decodes_them():
    encoded = [document.encode("utf-8") for document in DOCUMENTS]
    expected = TfidfVectorizer(ngram_range=(1, 2)).fit(encoded)
    fitted = FastWordTfidfVectorizer(ngram_range=(1, 2)).fit(encoded)
    assert fitted.vocabulary_ == expected.vocabulary_


@pytest.mark.parametrize("limit", [1, 7, 40, 150])
@pytest.mark.parametrize("waiting", [1, 1_000_000])  # batches merged at once, or all at the end
def test_max_features_keeps_the_top_n_grams_by_occurrences_then_by_name(limit, waiting, monkeypatch):
    monkeypatch.setattr(vocabulary, "_PENDING_KEYS", waiting)
    rng = np.random.default_rng(limit)
    words = [f"w{number}" for number in range(30)]
    documents = [" ".join(rng.choice(words, size=rng.integers(1, 8))) for _ in range(60)]
    counts = NgramCounts((1, 2))
    for start in range(0, len(documents), 7):
        counts.add(documents[start : start + 7])
    occurrences = CountVectorizer(ngram_range=(1, 2), token_pattern=r"(?u)\b\w\w+\b").fit(documents)
    totals = np.asarray(occurrences.transform(documents).sum(axis=0)).ravel()
    ranked = sorted(occurrences.vocabulary_, key=lambda term: (-totals[occurrences.vocabulary_[term]], term))
    assert counts.vocabulary(max_features=limit)[0] == sorted(ranked[:limit])

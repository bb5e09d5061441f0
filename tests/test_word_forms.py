"""Stemming: the forms of one English stem counted as one word, spelled as the form met most."""

import pickle
from collections import Counter

import numpy as np
import pytest
import Stemmer
from sklearn.base import clone
from sklearn.feature_extraction.text import TfidfVectorizer

from classifier.model.tokens import word_tokens
from classifier.model.vocabulary import NgramCounts
from classifier.model.word_tfidf import FastWordTfidfVectorizer

DOCUMENTS = [
    "Elections called as parliament dissolves",
    "Voters head to the polls in two elections",
    "Election results delayed in three provinces",
    "Newly elected president sworn in",
    "Markets rally as rates fall",
    "Market falls as rate rise bites",
    "Central bank raises rates again",
    "Rates held as markets calm",
    "Élections anticipées: le président dissout l'Assemblée",
]
UNSEEN = ["electing a new parliament", "marketing rates", "électeurs"]


def _spelled_documents(documents: list[str]) -> list[str]:
    """The documents with each token replaced by its stem's most used form: what a stemming
    vectorizer's vocabulary should be fitted from, written out the slow way."""
    stemmer = Stemmer.Stemmer("english")
    tokens = [word_tokens(document.lower()) for document in documents]
    uses = Counter(token for row in tokens for token in row)
    in_order = dict.fromkeys(token for row in tokens for token in row)
    first_met = {token: number for number, token in enumerate(in_order)}
    by_stem: dict[str, list[str]] = {}
    for token in first_met:
        by_stem.setdefault(stemmer.stemWord(token), []).append(token)
    spelling = {
        token: min(forms, key=lambda form: (-uses[form], first_met[form]))
        for forms in by_stem.values()
        for token in forms
    }
    return [" ".join(spelling[token] for token in row) for row in tokens]


@pytest.mark.parametrize("batch", [1, 4, len(DOCUMENTS)])
@pytest.mark.parametrize("ngram_range", [(1, 1), (1, 2), (2, 3)])
def test_a_stemming_vocabulary_is_scikit_learns_on_the_spelled_documents(batch, ngram_range):
    counts = NgramCounts(ngram_range, stemming=True)
    for start in range(0, len(DOCUMENTS), batch):
        counts.add(DOCUMENTS[start : start + batch])
    fitted = FastWordTfidfVectorizer(ngram_range=ngram_range, stemming=True).fit_counts(counts)
    spelled = _spelled_documents(DOCUMENTS)
    expected = TfidfVectorizer(ngram_range=ngram_range).fit(spelled)
    assert fitted.vocabulary_ == expected.vocabulary_
    assert np.array_equal(fitted.idf_, expected.idf_)
    matrix = fitted.transform(DOCUMENTS).toarray()
    assert np.allclose(matrix, expected.transform(spelled).toarray(), atol=1e-6)


def test_a_stem_is_spelled_as_its_most_used_form_and_on_a_tie_the_first_met():
    fitted = FastWordTfidfVectorizer(stemming=True).fit(DOCUMENTS)
    # "elections" twice, "election" and "elected" once; "rates" three times, "rate" once;
    # "markets" twice, "market" once.
    assert {"elections", "rates", "markets"} <= set(fitted.vocabulary_)
    assert not {"election", "elected", "rate", "market"} & set(fitted.vocabulary_)
    assert fitted.merged_forms["elected"] == "elections"
    tie = FastWordTfidfVectorizer(stemming=True).fit(["banks lend", "bank lends"])
    assert set(tie.vocabulary_) == {"banks", "lend"}


def test_each_form_of_a_word_gives_its_stems_feature_and_an_unseen_form_none():
    fitted = FastWordTfidfVectorizer(stemming=True).fit(DOCUMENTS)
    column = fitted.vocabulary_["elections"]
    for form in ("Elections", "election", "ELECTED"):
        row = fitted.transform([form])
        assert row.indices.tolist() == [column], form
    # "electing" shares the stem but no training row uses that form: an unknown word.
    assert fitted.transform(["electing"]).nnz == 0


def test_the_fast_transform_equals_the_analyzers_on_unseen_text():
    for ngram_range in [(1, 1), (1, 2), (1, 3)]:
        fitted = FastWordTfidfVectorizer(ngram_range=ngram_range, stemming=True, min_df=1).fit(DOCUMENTS)
        texts = DOCUMENTS + UNSEEN
        fast = fitted.transform(texts)
        # The parent's transform runs the analyzer, whose tokenizer spells each fitted form.
        slow = TfidfVectorizer.transform(fitted, texts)
        assert np.allclose(fast.toarray(), slow.toarray(), atol=1e-6)


def test_stemming_is_a_parameter_that_cloning_and_pickling_keep():
    vectorizer = FastWordTfidfVectorizer(stemming=True)
    assert vectorizer.get_params()["stemming"] is True
    assert clone(vectorizer).stemming is True
    fitted = vectorizer.fit(DOCUMENTS)
    restored = pickle.loads(pickle.dumps(fitted))
    assert restored.merged_forms == fitted.merged_forms
    assert (restored.transform(UNSEEN) != fitted.transform(UNSEEN)).nnz == 0


def test_counts_fit_only_a_vectorizer_that_stems_as_they_were_counted():
    counts = NgramCounts((1, 1), stemming=True)
    counts.add(DOCUMENTS)
    with pytest.raises(ValueError, match="stemming"):
        FastWordTfidfVectorizer().fit_counts(counts)


def test_a_vectorizer_saved_before_stemming_existed_still_transforms_as_it_did(monkeypatch):
    fitted = FastWordTfidfVectorizer(ngram_range=(1, 2)).fit(DOCUMENTS)
    expected = fitted.transform(DOCUMENTS + UNSEEN)
    # What the release before saved: no stemming parameter, no merged forms, and the analysis
    # parameters its tables were fitted for without stemming among them.
    state = fitted.__getstate__()
    del state["stemming"], state["merged_forms_"]
    state["_analysis_at_fit"] = state["_analysis_at_fit"][:-1]
    old = FastWordTfidfVectorizer.__new__(FastWordTfidfVectorizer)
    old.__setstate__(state)
    assert old.get_params()["stemming"] is False and old.merged_forms == {}

    def slow(*_):
        raise AssertionError("the fitted tables were not used")

    monkeypatch.setattr(TfidfVectorizer, "transform", slow)
    assert (old.transform(DOCUMENTS + UNSEEN) != expected).nnz == 0
    assert old.build_analyzer()("Elections held") == ["elections", "held", "elections held"]


def test_without_stemming_no_form_is_merged():
    counts = NgramCounts((1, 1))
    counts.add(DOCUMENTS)
    assert counts.merged_forms() == {}
    assert "election" in FastWordTfidfVectorizer().fit(DOCUMENTS).vocabulary_

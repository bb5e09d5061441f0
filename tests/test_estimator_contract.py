"""The custom estimators keep scikit-learn's contract, as its own estimator checks test it.

The fast word vectorizer takes text, which the generic checks (built on numeric
arrays) skip, as they skip ``TfidfVectorizer``; the checks that need no data run
on it below, and the tests after them hold it to ``TfidfVectorizer``'s behaviour
on a plain string, on bytes and on ``set_params``.
"""

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError, SkipTestWarning
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.svm import LinearSVC
from sklearn.utils import estimator_checks
from sklearn.utils.estimator_checks import parametrize_with_checks

from classifier.model.calibration import CalibratedLinearClassifier
from classifier.model.naive_bayes import NaiveBayesScaledSVC
from classifier.model.sgd import EpochSGDClassifier
from classifier.model.word_tfidf import FastWordTfidfVectorizer

# What does not apply, and why.
_OWN_FOLDS = (
    "the link is fitted on its own seeded folds (cv is a number of folds, not a splitter), so a row "
    "repeated lands in other folds than the weighted row; test_calibration checks that weights reach "
    "the linear model and the link"
)
_SOLVER_TOLERANCE = (
    "liblinear stops at its tolerance, so weighted and repeated rows agree to about 1e-5, not to the "
    "check's 1e-7; test_naive_bayes checks the equivalence at the solver's precision"
)
_STOCHASTIC = (
    "stochastic gradient descent visits a repeated row once per copy in each pass and a weighted row "
    "once, in other orders, so the two agree in expectation only; test_sgd checks that weights count"
)
EXPECTED_FAILED_CHECKS = {
    CalibratedLinearClassifier: {
        "check_sample_weight_equivalence_on_dense_data": _OWN_FOLDS,
        "check_sample_weight_equivalence_on_sparse_data": _OWN_FOLDS,
    },
    EpochSGDClassifier: {
        "check_sample_weight_equivalence_on_dense_data": _STOCHASTIC,
        "check_sample_weight_equivalence_on_sparse_data": _STOCHASTIC,
        "check_class_weight_classifiers": (
            "five passes over 100 rows of noisy blobs with class weights 1000 and 0.0001: each step on "
            "a weight-1000 row overshoots; test_sgd checks class weighting on text-like data"
        ),
    },
    NaiveBayesScaledSVC: {
        # scikit-learn expects the same of LinearSVC itself, for the same reason.
        "check_sample_weight_equivalence_on_dense_data": _SOLVER_TOLERANCE,
        "check_sample_weight_equivalence_on_sparse_data": _SOLVER_TOLERANCE,
        "check_class_weight_classifiers": (
            "fits blobs with negative features, which the positive_only tag does not shift and "
            "naive-Bayes ratios of feature sums cannot take"
        ),
    },
}


def _expected_failed_checks(estimator) -> dict[str, str]:
    return EXPECTED_FAILED_CHECKS.get(type(estimator), {})


with pytest.warns(SkipTestWarning, match="FastWordTfidfVectorizer"):  # text input: like TfidfVectorizer's
    _CHECKS = parametrize_with_checks(
        [
            CalibratedLinearClassifier(LinearSVC(), cv=2),  # two folds: the checks' data sets are tiny
            NaiveBayesScaledSVC(),
            EpochSGDClassifier(),
            FastWordTfidfVectorizer(),
        ],
        expected_failed_checks=_expected_failed_checks,
    )


@_CHECKS
def test_estimator_keeps_scikit_learns_contract(estimator, check):
    check(estimator)


@pytest.mark.parametrize(
    "check",
    [
        estimator_checks.check_estimator_repr,
        estimator_checks.check_no_attributes_set_in_init,
        estimator_checks.check_do_not_raise_errors_in_init_or_set_params,
        estimator_checks.check_get_params_invariance,
        estimator_checks.check_set_params,
        estimator_checks.check_parameters_default_constructible,
        estimator_checks.check_mixin_order,
        estimator_checks.check_valid_tag_types,
    ],
    ids=lambda check: check.__name__,
)
def test_vectorizer_keeps_the_contract_where_no_data_is_needed(check):
    check("FastWordTfidfVectorizer", FastWordTfidfVectorizer())


TRAIN = [
    "Central bank raises interest rates",
    "Central bank holds rates as inflation cools",
    "Striker scores twice as club wins the cup",
    "Club sacks coach after cup defeat",
    "Café owners protest the élection rules",
    "café owners and the élection rules",
]
TEST = ["Central bank wins the cup", "", "Café owners raise rates", "unknown words"]


def _fitted(**options):
    return FastWordTfidfVectorizer(**options).fit(TRAIN), TfidfVectorizer(**options).fit(TRAIN)


def _same(got, want) -> bool:
    return got.dtype == want.dtype and got.shape == want.shape and np.allclose(got.toarray(), want.toarray())


def test_vectorizer_refuses_a_plain_string_as_scikit_learn_does():
    fast, parent = _fitted()
    message = "Iterable over raw text documents expected, string object received."
    for vectorizer in (fast, parent, FastWordTfidfVectorizer()):
        with pytest.raises(ValueError, match=message):
            vectorizer.transform("Central bank raises rates")
    with pytest.raises(ValueError, match=message):
        FastWordTfidfVectorizer().fit("Central bank raises rates")


def test_an_unfitted_vectorizer_raises_not_fitted():
    with pytest.raises(NotFittedError):
        FastWordTfidfVectorizer().transform(TEST)


def test_vectorizer_decodes_bytes_with_its_encoding():
    fast, parent = _fitted()
    encoded = [document.encode() for document in TEST]
    assert _same(fast.transform(encoded), parent.transform(encoded))
    assert _same(fast.transform(encoded), fast.transform(TEST))
    assert _same(fast.transform([TEST[0], encoded[2]]), fast.transform(TEST[:1] + TEST[2:3]))
    latin = FastWordTfidfVectorizer(encoding="latin-1").fit(TRAIN)
    assert _same(latin.transform([d.encode("latin-1") for d in TEST]), fast.transform(TEST))
    fitted_on_bytes = FastWordTfidfVectorizer().fit(encoded + TRAIN).transform(TEST)
    assert _same(fitted_on_bytes, TfidfVectorizer().fit(encoded + TRAIN).transform(TEST))


def test_vectorizer_fails_on_undecodable_bytes_unless_told_otherwise():
    fast, parent = _fitted()
    with pytest.raises(UnicodeDecodeError):
        fast.transform([b"caf\xe9 owners"])
    fast.set_params(decode_error="replace")
    parent.set_params(decode_error="replace")
    assert _same(fast.transform([b"caf\xe9 owners"]), parent.transform([b"caf\xe9 owners"]))


def test_vectorizer_reads_any_iterable_of_documents_once():
    fast, parent = _fitted()
    assert _same(fast.transform(iter(TEST)), parent.transform(TEST))
    assert _same(fast.transform(document.encode() for document in TEST), parent.transform(TEST))


@pytest.mark.parametrize(
    "changes",
    [
        {"ngram_range": (1, 1)},  # applies at once: the parent's analyzer reads it
        {"lowercase": False},
        {"dtype": np.float32},
        {"sublinear_tf": False},  # the tf-idf parameters wait for the next fit
        {"norm": None},
        {"min_df": 2},
    ],
    ids=lambda changes: next(iter(changes)),
)
def test_parameters_set_after_fit_act_as_on_tfidf_vectorizer(changes):
    options = {"ngram_range": (1, 2), "sublinear_tf": True}
    fast, parent = _fitted(**options)
    fast.set_params(**changes)
    parent.set_params(**changes)
    assert _same(fast.transform(TEST + TRAIN), parent.transform(TEST + TRAIN))
    if "lowercase" in changes:
        with pytest.raises(ValueError, match="lowercase"):
            fast.fit(TRAIN)
        return
    refit, expected = fast.fit(TRAIN), TfidfVectorizer(**(options | changes)).fit(TRAIN)
    assert refit.vocabulary_ == expected.vocabulary_
    assert _same(refit.transform(TEST + TRAIN), expected.transform(TEST + TRAIN))


def test_a_refit_after_set_params_transforms_on_the_fast_path(monkeypatch):
    fast = FastWordTfidfVectorizer(ngram_range=(1, 2)).fit(TRAIN)
    fast.set_params(ngram_range=(1, 1)).fit(TRAIN)
    assert fast.ngram_keys_ == {}

    def refuse(self, raw_documents):
        raise AssertionError("the parent's transform was used")

    monkeypatch.setattr(TfidfVectorizer, "transform", refuse)
    assert fast.transform(TEST).shape == (len(TEST), len(fast.vocabulary_))

"""The compiled scorer: the pipeline's probabilities and predictions, without the pipeline."""

import copy
import json
import pickle
import threading
from dataclasses import replace

import joblib
import numpy as np
import pytest

import classifier.model.topic_model
from classifier.inputs.datasets import LabeledData
from classifier.model import scoring
from classifier.model.features import PROFILES, FeatureSettings, as_input
from classifier.model.scoring import _SMALL_BATCH
from classifier.model.topic_model import TopicModel
from classifier.training import TrainingSettings, train
from classifier.workflows import STARTER_CORPUS

# (headline, teaser): every kind of text a newsroom or a hostile client can send.
CASES = [
    ("Central bank raises interest rates", "Markets fell after the decision."),
    ("Parliament passes election reform bill", ""),
    ("Zorblax quuxified the flimflam", "Glarbs and snorfs everywhere."),
    ("Café owners protest ÉLECTION rules in Zürich", "Größere Straße, ΟΔΟΣ ΣΟΦΟΣ, İstanbul, 北京 株価 上昇"),
    ("Stocks rally 🚀🚀 as bank 💰 profits soar", "🔥"),
    ("?!... \u2014 \u2018\u2019 \u201c\u201d !!!", ""),  # punctuation only
    ("", ""),
    ("", "Only a teaser about the central bank and interest rates"),
    ("Election " * 1000 + "bank", "rates and the cup " * 600),
    ("Bank\x00rates rise", "the\x00 striker\x00\x00scores"),
    ("Minister\x01resigns", "club\x01wins"),
    ("A b c x y", "I o u"),
    # Lone non-ASCII letters are no tokens (n-grams span them); curly apostrophes and surrogates split words.
    ("Central é bank ½ raises ß rates", "interest\u2019rates \udcff bank Ω election ⅘ reform"),
    ("Striker scores twice in cup final", "The club's coach was sacked after the defeat."),
]
HEADLINES = [headline for headline, _ in CASES]
TEASERS = [teaser for _, teaser in CASES]


def _starter_data(multilabel: bool) -> LabeledData:
    data = LabeledData()
    for line in STARTER_CORPUS.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        data.headlines.append(row["headline"])
        data.teasers.append(row["teaser"])
        data.labels.append(tuple(row["labels"]) if multilabel else (row["labels"][0],))
    return data


@pytest.fixture(scope="module")
def starter_model():
    """The default ("fast") model on the starter corpus, as ``start`` trains it."""
    return train(_starter_data(False), TrainingSettings(validation_fraction=0.0)).model


@pytest.fixture(scope="module")
def starter_unstemmed_model():
    """The default model but with every word form its own word, as models saved before stemming."""
    settings = TrainingSettings(validation_fraction=0.0, features=FeatureSettings(stemming=False))
    return train(_starter_data(False), settings).model


@pytest.fixture(scope="module")
def starter_text_only_model():
    """The default model without the headline's own channel (headline weight 0)."""
    features = FeatureSettings(stemming=True, headline_weight=0.0)
    return train(_starter_data(False), TrainingSettings(validation_fraction=0.0, features=features)).model


@pytest.fixture(scope="module")
def starter_multilabel_model():
    return train(_starter_data(True), TrainingSettings(validation_fraction=0.0, multilabel=True)).model


@pytest.fixture(
    params=[
        "starter_model",
        "starter_unstemmed_model",
        "starter_text_only_model",
        "starter_multilabel_model",
        "tiny_model",
        "tiny_multilabel_model",
    ]
)
def model(request):
    """A fresh copy (its own scorer) of each kind of fast-profile model."""
    return pickle.loads(pickle.dumps(request.getfixturevalue(request.param)))


def _pipeline_only(model: TopicModel) -> TopicModel:
    """A copy of ``model`` that always takes the pipeline path."""
    copied = copy.copy(model)
    copied._compiled = (copied.pipeline, None)
    return copied


def _pipeline_scores(model: TopicModel, headlines, teasers=None) -> np.ndarray:
    return model.pipeline.predict_proba(as_input(headlines, teasers))


def test_the_fast_profile_is_compiled(model):
    assert model._scorer() is not None


def test_one_row_gives_the_pipelines_probabilities_and_prediction(model):
    reference = _pipeline_only(model)
    for headline, teaser in CASES:
        got = model.scores([headline], [teaser])
        assert got.shape == (1, len(model.labels))
        assert np.allclose(got, _pipeline_scores(model, [headline], [teaser]), rtol=0, atol=1e-6), headline
        for options in ({}, {"threshold": 0.0}, {"threshold": 0.05, "top_k": 2}, {"abstain_threshold": 0.5}):
            assert model.predict([headline], [teaser], **options) == reference.predict(
                [headline], [teaser], **options
            )
    assert np.allclose(
        model.scores(["Bank rates"]), _pipeline_scores(model, ["Bank rates"]), rtol=0, atol=1e-6
    )


@pytest.mark.parametrize("size", [2, _SMALL_BATCH - 1, _SMALL_BATCH, len(CASES), 200])
def test_batches_give_the_pipelines_probabilities_and_predictions(model, size):
    headlines, teasers = (HEADLINES * 20)[:size], (TEASERS[1:] + TEASERS[:1]) * 20
    teasers = teasers[:size]
    got = model.scores(headlines, teasers)
    assert got.shape == (size, len(model.labels))
    assert np.allclose(got, _pipeline_scores(model, headlines, teasers), rtol=0, atol=1e-6)
    assert np.allclose(model.scores(headlines), _pipeline_scores(model, headlines), rtol=0, atol=1e-6)
    reference = _pipeline_only(model)
    for options in ({}, {"threshold": 0.0, "top_k": 3}, {"abstain_threshold": 0.4}):
        assert model.predict(headlines, teasers, **options) == reference.predict(
            headlines, teasers, **options
        )


def test_a_batch_bigger_than_a_slice_is_scored_in_slices_with_the_same_scores(model, monkeypatch):
    headlines, teasers = (HEADLINES * 20)[:200], ((TEASERS[1:] + TEASERS[:1]) * 20)[:200]
    whole = model.scores(headlines, teasers)
    sliced = []
    scorer = model._scorer()
    original = type(scorer)._batch_scores
    monkeypatch.setattr(scoring, "_LARGE_BATCH", 64)
    monkeypatch.setattr(
        type(scorer), "_batch_scores", lambda self, h, t: sliced.append(len(h)) or original(self, h, t)
    )
    assert np.array_equal(model.scores(headlines, teasers), whole)
    assert sliced == [64, 64, 64, 8]


def test_batches_without_any_separator_inside_the_texts_match_too(model):
    # The batch path joins rows with \x00 and \x01; texts that contain neither take its quickest route.
    clean = [(h, t) for h, t in CASES if "\x00" not in h + t and "\x01" not in h + t]
    headlines, teasers = [h for h, _ in clean], [t for _, t in clean]
    expected = _pipeline_scores(model, headlines, teasers)
    assert np.allclose(model.scores(headlines, teasers), expected, rtol=0, atol=1e-6)


def test_an_empty_batch_gives_no_predictions(model):
    assert model.scores([]).shape == (0, len(model.labels))
    assert model.predict([]) == []


def test_mismatched_teasers_are_refused(model):
    for headlines in (["One"], ["One", "Two"], ["x"] * 9):
        with pytest.raises(ValueError, match="teasers"):
            model.scores(headlines, ["a"] * (len(headlines) + 1))


def test_explanations_agree_with_the_fast_predictions(model):
    plain = model.predict(HEADLINES, TEASERS, threshold=0.1)
    explained = model.predict(HEADLINES, TEASERS, threshold=0.1, explain=True)
    for fast, slow in zip(plain, explained, strict=True):
        assert [s.label for s in fast.labels] == [s.label for s in slow.labels]
        assert fast.score == pytest.approx(slow.score, abs=1e-6)


def test_using_the_fast_path_leaves_the_pickled_model_unchanged(model, tmp_path):
    before, before_joblib = pickle.dumps(model), tmp_path / "before.joblib"
    joblib.dump(model, before_joblib)
    model.predict(["Central bank raises rates"])
    model.predict(HEADLINES, TEASERS)
    assert model._compiled is not None and model._compiled[1] is not None
    assert pickle.dumps(model) == before
    joblib.dump(model, tmp_path / "after.joblib")
    assert (tmp_path / "after.joblib").read_bytes() == before_joblib.read_bytes()
    assert pickle.loads(before)._compiled is None  # and a loaded model compiles anew


def test_the_scorer_is_built_once_however_many_threads_ask(tiny_model, monkeypatch):
    model = pickle.loads(pickle.dumps(tiny_model))
    built, compile_scorer = [], classifier.model.topic_model.compile_scorer

    def counting(pipeline):
        built.append(pipeline)
        return compile_scorer(pipeline)

    monkeypatch.setattr(classifier.model.topic_model, "compile_scorer", counting)
    start, results = threading.Barrier(8), []

    def predict():
        start.wait()
        results.append(model.predict(["Central bank raises rates"])[0])

    threads = [threading.Thread(target=predict) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(built) == 1 and len(results) == 8 and all(result == results[0] for result in results)


def test_a_replaced_pipeline_gets_its_own_scorer(tiny_model, tiny_multilabel_model):
    model = pickle.loads(pickle.dumps(tiny_model))
    model.scores(["Bank rates"])
    model.pipeline = tiny_multilabel_model.pipeline
    expected = _pipeline_scores(tiny_multilabel_model, ["Bank rates"])
    assert np.allclose(model.scores(["Bank rates"]), expected, rtol=0, atol=1e-6)


def test_the_accurate_profile_keeps_the_pipeline(tiny):
    settings = TrainingSettings(
        features=FeatureSettings(char_ngrams=(2, 5), min_df=1), validation_fraction=0.0
    )
    model = train(tiny, settings).model
    assert model._scorer() is None
    for headlines, teasers in ((HEADLINES[:1], TEASERS[:1]), (HEADLINES, TEASERS)):
        expected = _pipeline_scores(model, headlines, teasers)
        assert np.array_equal(model.scores(headlines, teasers), expected)
        assert model.predict(headlines, teasers) == _pipeline_only(model).predict(headlines, teasers)


@pytest.mark.parametrize("profile", ["fast", "accurate"])
def test_texts_that_are_not_strings_are_refused(tiny, profile):
    settings = TrainingSettings(features=replace(PROFILES[profile], min_df=1), validation_fraction=0.0)
    model = train(tiny, settings).model
    for rows in (1, 2, _SMALL_BATCH):
        for headlines, teasers in ((["Bank rates"] * rows, [None] * rows), ([b"Bank rates"] * rows, None)):
            for options in ({}, {"explain": True}):
                with pytest.raises(TypeError, match="must be strings"):
                    model.predict(headlines, teasers, **options)
            with pytest.raises(TypeError, match="must be strings"):
                model.scores(headlines, teasers)


def test_the_fast_path_does_not_go_through_the_pipeline(model, monkeypatch):
    expected_one = model.predict(["Central bank raises rates"], ["Stocks fell."])
    expected_batch = model.predict(HEADLINES, TEASERS)

    def refuse(*args, **kwargs):
        raise AssertionError("the pipeline was used")

    for step in ("features", "classifier"):
        for method in ("transform", "predict_proba", "decision_function"):
            if hasattr(model.pipeline.named_steps[step], method):
                monkeypatch.setattr(model.pipeline.named_steps[step], method, refuse)
    assert model.predict(["Central bank raises rates"], ["Stocks fell."]) == expected_one
    assert model.predict(HEADLINES, TEASERS) == expected_batch


def test_a_pipeline_with_float64_features_keeps_the_pipeline(tiny_model):
    model = pickle.loads(pickle.dumps(tiny_model))
    model.pipeline.named_steps["features"].named_transformers_["headline"].set_params(dtype=np.float64)
    assert model._scorer() is None
    assert np.array_equal(model.scores(HEADLINES, TEASERS), _pipeline_scores(model, HEADLINES, TEASERS))


def test_prepare_builds_the_scorer_so_that_predictions_do_not(tiny_model, monkeypatch):
    model = pickle.loads(pickle.dumps(tiny_model))
    built, compile_scorer = [], classifier.model.topic_model.compile_scorer
    monkeypatch.setattr(
        classifier.model.topic_model,
        "compile_scorer",
        lambda pipeline: built.append(1) or compile_scorer(pipeline),
    )
    model.prepare()
    assert built == [1]
    model.predict(["Central bank raises rates"])
    assert built == [1]

"""Prediction rules and exact explanations of TopicModel."""

import copy

import numpy as np
import pytest
from conftest import assert_contributions_add_up
from hypothesis import given, settings
from hypothesis import strategies as st

from classifier.inputs.datasets import LabeledData
from classifier.model.features import FeatureSettings
from classifier.model.topic_model import LabelScore, Prediction
from classifier.training import TrainingSettings, train


def test_predicts_the_obvious_topic_of_each_kind(tiny_model):
    predictions = tiny_model.predict(
        [
            "Parliament passes election reform bill",
            "Central bank raises interest rates",
            "Striker scores in cup final",
        ]
    )
    assert [p.label for p in predictions] == ["politics", "finance", "sport"]


def test_scores_are_probabilities_that_sum_to_one(tiny_model):
    scores = tiny_model.scores(["Stocks rally", "Coach sacked"], ["", "after defeats"])
    assert scores.shape == (2, 3)
    assert np.allclose(scores.sum(axis=1), 1.0)
    assert ((scores >= 0) & (scores <= 1)).all()


def test_result_shape_lists_the_top_label_first(tiny_model):
    result = tiny_model.predict(["Central bank raises rates"])[0].to_dict()
    assert set(result) == {"label", "score", "labels", "abstained"}
    assert result["labels"][0] == {"label": result["label"], "score": result["score"]}
    assert result["abstained"] is False


def test_threshold_zero_lists_every_topic_and_top_k_cuts_the_list(tiny_model):
    everything = tiny_model.predict(["Minister fined"], threshold=0.0)[0]
    assert len(everything.labels) == 3
    scores = [s.score for s in everything.labels]
    assert scores == sorted(scores, reverse=True)
    assert len(tiny_model.predict(["Minister fined"], threshold=0.0, top_k=2)[0].labels) == 2


def test_top_k_counts_listed_labels_not_ranks(tiny_model):
    model = copy.deepcopy(tiny_model)
    ranked = [s.label for s in model.predict(["Minister fined"], threshold=0.0)[0].labels]
    # The second-ranked label misses its own threshold; the third passes its own.
    model.thresholds = np.array([1.0 if label == ranked[1] else 0.0 for label in model.labels])
    for batch in (["Minister fined"], ["Minister fined", "Minister fined"]):  # one-row and batch paths
        for prediction in model.predict(batch, top_k=2):
            assert [s.label for s in prediction.labels] == [ranked[0], ranked[2]]


def test_threshold_one_still_lists_the_top_label(tiny_model):
    prediction = tiny_model.predict(["Striker scores"], threshold=1.0)[0]
    assert [s.label for s in prediction.labels] == [prediction.label]


def test_abstains_when_the_top_score_is_under_the_abstain_threshold(tiny_model):
    prediction = tiny_model.predict(["Striker scores"], abstain_threshold=1.0)[0]
    assert prediction.abstained and prediction.label is None and prediction.labels == ()
    assert prediction.to_dict()["label"] is None


@pytest.mark.parametrize("option", [{"top_k": 0}, {"threshold": 1.5}, {"abstain_threshold": -0.1}])
def test_rejects_out_of_range_options(tiny_model, option):
    with pytest.raises(ValueError):
        tiny_model.predict(["Stocks rally"], **option)


@pytest.mark.parametrize("label", ["politics", "finance", "sport"])
def test_contributions_plus_intercept_reproduce_the_decision_score(tiny_model, label):
    headline, teaser = "Central bank chief warns parliament on rates", "Stocks fell after the hearing."
    _, intercept = tiny_model.linear_terms(label)
    total = sum(c.weight for c in tiny_model.contributions(headline, teaser, label)) + intercept
    decision = tiny_model.pipeline.named_steps["classifier"].decision_function(
        tiny_model.transform([headline], [teaser])
    )[0][tiny_model.labels.index(label)]
    assert total == pytest.approx(decision, abs=1e-5)


def test_explanations_name_words_from_the_headline(tiny_model):
    prediction = tiny_model.predict(["Central bank raises interest rates"], explain=True)[0]
    contributions = prediction.explanations["finance"]
    assert contributions and all(c.weight > 0 for c in contributions)
    assert {"bank", "rates", "interest"} & {c.ngram for c in contributions}
    assert {c.field for c in contributions} == {"headline"}
    assert len({c.ngram for c in contributions}) == len(contributions)
    weights = [c.weight for c in contributions]
    assert weights == sorted(weights, reverse=True)


def test_multilabel_contributions_reproduce_each_binary_score(tiny_multilabel_model):
    model = tiny_multilabel_model
    headline = "Finance minister faces parliament over stadium deal"
    for label in model.labels:
        _, intercept = model.linear_terms(label)
        classifier = model.pipeline.named_steps["classifier"]
        decision = classifier.decision_function(model.transform([headline]))[0][model.labels.index(label)]
        total = sum(c.weight for c in model.contributions(headline, "", label)) + intercept
        assert total == pytest.approx(decision, abs=1e-5)


def test_multilabel_model_can_return_two_topics(tiny_multilabel_model):
    prediction = tiny_multilabel_model.predict(
        ["Finance minister unveils budget with tax cuts"], threshold=0.2
    )[0]
    assert {"politics", "finance"} <= {s.label for s in prediction.labels}


def test_explanations_say_whether_a_word_came_from_the_headline_or_the_teaser(tiny_model):
    prediction = tiny_model.predict(
        ["Parliament votes"], ["Inflation and bank profits rise"], explain=True, threshold=0.0
    )[0]
    finance = {c.ngram: c.field for c in prediction.explanations["finance"]}
    assert finance["inflation"] == "teaser"
    politics = {c.ngram: c.field for c in prediction.explanations["politics"]}
    assert politics["parliament"] == "headline"


@pytest.mark.parametrize(
    "options",
    [{}, {"threshold": 0.0}, {"threshold": 0.0, "top_k": 2}, {"threshold": 0.2}, {"abstain_threshold": 0.6}],
)
def test_one_headline_is_decided_as_in_a_batch(tiny_multilabel_model, tiny_model, options):
    # One row takes a plain-Python path through the decision rules; a batch the vectorised one.
    headlines = ["Finance minister faces parliament over stadium deal", "Striker scores", "Bank rates", ""]
    for model in (tiny_model, tiny_multilabel_model):
        batch = model.predict(headlines, **options)
        assert [model.predict([headline], **options)[0] for headline in headlines] == batch


def _decided_by_the_rules(names, row, thresholds, abstain_below, top_k) -> Prediction:
    """The decision rules as documented, one row, spelled out plainly."""
    ranked = sorted(range(len(row)), key=lambda label: (-row[label], label))
    top = row[ranked[0]]
    if top < abstain_below:
        return Prediction(None, top, (), True)
    listed = [ranked[0]] + [label for label in ranked[1:] if row[label] >= thresholds[label]]
    return Prediction(
        names[ranked[0]], top, tuple(LabelScore(names[i], row[i]) for i in listed[:top_k]), False
    )


# Scores from a few values, so that ties (at the top, at a threshold, among the others) are common.
LEVELS = st.sampled_from([0.0, 0.1, 0.25, 0.5, 0.75, 1.0])


@given(
    rows=st.lists(st.lists(LEVELS, min_size=4, max_size=4), min_size=1, max_size=6),
    thresholds=st.lists(LEVELS, min_size=4, max_size=4),
    abstain_below=LEVELS,
    top_k=st.one_of(st.none(), st.integers(1, 5)),
)
@settings(max_examples=300, deadline=None)
def test_one_row_and_batches_follow_the_decision_rules(tiny_model, rows, thresholds, abstain_below, top_k):
    model = copy.copy(tiny_model)
    model.labels = ("a", "b", "c", "d")
    scores, limits = np.array(rows), np.array(thresholds)
    expected = [_decided_by_the_rules(model.labels, row, thresholds, abstain_below, top_k) for row in rows]
    assert model._decide(scores, limits, abstain_below, top_k) == expected
    assert [model._decide(scores[[n]], limits, abstain_below, top_k)[0] for n in range(len(rows))] == expected


def test_result_shape_rounds_every_listed_score(tiny_model):
    prediction = Prediction("a", 0.123456789, (LabelScore("a", 0.5000004), LabelScore("b", 0.25)), False)
    assert prediction.to_dict()["labels"] == [{"label": "a", "score": 0.5}, {"label": "b", "score": 0.25}]
    assert prediction.to_dict()["score"] == 0.123457
    alone = Prediction("a", 0.9, (LabelScore("a", 0.5000004),), False).to_dict()
    assert (alone["score"], alone["labels"]) == (0.9, [{"label": "a", "score": 0.5}])
    for prediction in tiny_model.predict(["Minister fined", "Stocks rally"], threshold=0.0):
        result = prediction.to_dict()
        assert result["labels"] == [{"label": s.label, "score": round(s.score, 6)} for s in prediction.labels]
        assert result["score"] == round(prediction.score, 6) == result["labels"][0]["score"]


def _spelling_model(headline_weight: float):
    """A stemming model whose two channels spell "rate" apart: headlines write "rate", teasers "rates"."""
    data = LabeledData()
    for number in range(10):
        data.headlines.append(f"Bank {number} holds rate")
        data.teasers.append("Rates steady; rates firm; lenders keep rates.")
        data.labels.append(("finance",))
        data.headlines.append(f"Club {number} wins cup")
        data.teasers.append("The club won the final.")
        data.labels.append(("sport",))
    settings = FeatureSettings(min_df=1, stemming=True, headline_weight=headline_weight)
    return train(data, TrainingSettings(features=settings, validation_fraction=0.0)).model


@pytest.mark.parametrize("headline_weight", [0.5, 0.0])
def test_a_stemming_models_explanations_name_each_word_once_where_it_occurs(headline_weight):
    model = _spelling_model(headline_weight)
    channels = model.pipeline.named_steps["features"].named_transformers_
    assert ("headline" in channels) is bool(headline_weight)
    if headline_weight:
        assert "rate" in channels["headline"].vocabulary_ and "rates" in channels["text"][-1].vocabulary_
    contributions = model.contributions("Bank holds rate", "Rates steady.", "finance")
    ngrams = [c.ngram for c in contributions]
    # Named as the row writes them, where they first occur: "rate" in the headline, not "rates".
    assert len(ngrams) == len(set(ngrams)) and "rates" not in ngrams
    fields = {c.ngram: c.field for c in contributions}
    assert fields["bank"] == "headline" and fields["steady"] == "teaser"
    assert fields["rate"] == "headline"
    assert fields["rate rates"] == "headline+teaser"  # "rate" ending the headline, "Rates" the teaser
    assert_contributions_add_up(model, "Bank holds rate", "Rates steady.")
    # Written otherwise again, the same features are named by the new row's words.
    assert "rates" in {c.ngram for c in model.contributions("Banks hold rates", "", "finance")}


def test_a_headline_word_only_the_headline_channel_kept_is_named_as_written():
    # Teasers full of one phrase: capped at 3 n-grams a channel, the text channel keeps only the
    # phrase's, while the headline channel keeps "tariffs" (its spelling of "tariff").
    data = LabeledData()
    for number in range(10):
        data.headlines += ["Tariffs cut", "Tariff rise"] if number % 2 else ["Tariffs rise", "Tariffs cut"]
        data.teasers += ["the market the market the market"] * 2
        data.labels += [("finance",), ("finance",)]
        data.headlines.append("Cup final")
        data.teasers.append("the market the market the market")
        data.labels.append(("sport",))
    features = FeatureSettings(min_df=1, max_features=3, stemming=True)
    model = train(data, TrainingSettings(features=features, validation_fraction=0.0)).model
    channels = model.pipeline.named_steps["features"].named_transformers_
    assert "tariffs" in channels["headline"].vocabulary_ and "tariffs" not in channels["text"][-1].vocabulary_
    contributions = model.contributions("Tariff cut", "", "finance")
    assert {c.ngram: c.field for c in contributions}["tariff"] == "headline"
    assert_contributions_add_up(model, "Tariff cut", "")

"""Request sampling for review (REVIEW_SAMPLE_RATE) and GET /v1/review/queue, through the test client."""

from __future__ import annotations

import logging

import pytest
from conftest import problem

from service import create_app

HEADLINES = [
    "Parliament passes budget after all-night session",
    "Striker scores twice as club wins the derby",
    "Central bank raises rates to cool prices",
    "Minister resigns over match-fixing inquiry into the club",
]


@pytest.fixture
def make_app(service_env, publish, tmp_path):
    publish("tiny-a")

    def make(**settings):
        config = {"MODELS_DIR": tmp_path / "models", "FEEDBACK_DB": tmp_path / "feedback.db", **settings}
        return create_app(config).test_client()

    return make


def test_kept_requests_come_back_most_uncertain_first_until_someone_corrects_them(make_app):
    client = make_app(REVIEW_SAMPLE_RATE=1.0)
    tagged = client.post("/v1/tag", json={"items": [{"headline": h} for h in HEADLINES]}).get_json()
    queue = client.get("/v1/review/queue").get_json()
    assert queue["sampling"] is True and len(queue["rows"]) == 4
    uncertainties = [row["uncertainty"] for row in queue["rows"]]
    assert uncertainties == sorted(uncertainties, reverse=True)
    by_headline = {row["headline"]: row for row in queue["rows"]}
    for result, headline in zip(tagged["results"], HEADLINES, strict=True):
        assert by_headline[headline]["label"] == result["label"]  # the model's answer, as served
        assert by_headline[headline]["model"] == "tiny-a" and by_headline[headline]["id"].startswith(
            "sample-"
        )
    # The mixed headline (politics and sport) is the least sure, so it leads.
    assert queue["rows"][0]["headline"] == HEADLINES[3]
    client.post("/v1/feedback", json={"headline": HEADLINES[3], "labels": ["politics", "sport"]})
    rows = client.get("/v1/review/queue", query_string={"limit": 2}).get_json()["rows"]
    assert [row["headline"] for row in rows] == [row["headline"] for row in queue["rows"][1:3]]


def test_sampling_is_off_by_default_and_keeps_nothing(make_app, tmp_path):
    client = make_app()
    client.post("/v1/tag", json={"headline": HEADLINES[0]})
    assert client.get("/v1/review/queue").get_json() == {"sampling": False, "rows": []}


def test_a_store_that_cannot_keep_samples_never_fails_a_tag_request(make_app, tmp_path, caplog):
    client = make_app(REVIEW_SAMPLE_RATE=1.0, FEEDBACK_DB=tmp_path / "missing" / "feedback.db")
    with caplog.at_level(logging.WARNING, logger="service.sampling"):
        answer = client.post("/v1/tag", json={"items": [{"headline": h} for h in HEADLINES * 5]})
    assert answer.status_code == 200 and len(answer.get_json()["results"]) == 20
    assert "20 request samples for review were not kept" in caplog.text
    problem(client.get("/v1/review/queue"), 503)


def test_a_bad_sample_rate_is_refused_at_start(service_env, monkeypatch):
    from service.config import settings

    monkeypatch.setenv("HEADLINE_TAGGER_REVIEW_SAMPLE_RATE", "1.5")
    with pytest.raises(ValueError, match="HEADLINE_TAGGER_REVIEW_SAMPLE_RATE must be a number from 0 to 1"):
        settings()

"""The model card (GET /model) and its validation report (GET /model/report), via the test client."""

from __future__ import annotations

import pytest
from conftest import FIXTURES, problem

from classifier.persistence import REPORT_FILE, promote, save_model
from service import create_app
from service.web import REPORT_POLICY

REPORT = "<!doctype html><title>report</title><h1>Validation of the tiny model</h1>"


def _save(models, tiny_model, model_id: str, report_html: str | None):
    target = models / model_id
    save_model(
        tiny_model,
        target,
        model_id=model_id,
        taxonomy="default",
        hyperparameters={},
        sources=[{"path": str(FIXTURES / "tiny_train.jsonl"), "preset": None, "label_map": None, "rows": 36}],
        training={
            "rows": 36,
            "feedback": {
                "corrections": 7,
                "weight": 5.0,
                "first": "2026-12-01T10:00:00+00:00",
                "last": "2026-12-03T09:00:00+00:00",
            },
        },
        validation_metrics={"n": 12, "accuracy": 0.75, "macro_f1": 0.7},
        report_html=report_html,
    )
    promote(target, models / "current")
    return target


@pytest.fixture
def models(service_env, tmp_path):
    return tmp_path / "models"


def test_the_card_shows_topics_with_iptc_codes_and_thresholds_sources_and_the_report(models, tiny_model):
    target = _save(models, tiny_model, "tiny-card", REPORT)
    client = create_app({"MODELS_DIR": models}).test_client()
    card = client.get("/model")
    assert card.status_code == 200 and "frame-src 'self'" in card.headers["Content-Security-Policy"]
    page = card.get_data(as_text=True)
    assert "tiny-card" in page and "medtop:11000000" in page  # politics, with its IPTC code
    assert "tiny_train.jsonl" in page and str(FIXTURES) not in page  # the file, never the server path
    assert "accuracy 0.750" in page and "7 from the newsroom, 2026-12-01 to 2026-12-03" in page
    assert 'src="/model/report"' in page
    report = client.get("/model/report")
    assert report.get_data(as_text=True) == (target / REPORT_FILE).read_text()
    assert report.headers["Content-Security-Policy"] == REPORT_POLICY


def test_a_report_that_fails_its_checksum_is_not_shown_and_the_model_still_serves(models, tiny_model):
    target = _save(models, tiny_model, "tiny-tampered", REPORT)
    (target / REPORT_FILE).write_text(REPORT.replace("tiny", "other"))
    client = create_app({"MODELS_DIR": models}).test_client()
    assert "failed its checksum" in client.get("/model").get_data(as_text=True)
    problem(client.get("/model/report"), 404)
    assert client.post("/v1/tag", json={"headline": "Parliament passes budget"}).status_code == 200


def test_a_model_without_a_report_says_why_and_no_model_is_a_503(models, tiny_model):
    client = create_app({"MODELS_DIR": models}).test_client()
    assert client.get("/model").status_code == 503
    _save(models, tiny_model, "tiny-bare", None)
    client = create_app({"MODELS_DIR": models}).test_client()
    assert "This model has no validation report" in client.get("/model").get_data(as_text=True)
    assert problem(client.get("/model/report"), 404)["detail"] == "The served model has no validation report."

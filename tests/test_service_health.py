"""Probes, Prometheus metrics, the request log and the page's security headers."""

import json
import runpy

import pytest

from service import create_app
from service.web import CONTENT_SECURITY_POLICY


@pytest.fixture
def client(service_env, publish):
    return create_app({"MODELS_DIR": publish("tiny-a").parent}).test_client()


def metric(text: str, line_start: str) -> float:
    """The value of the one exposition line that starts with ``line_start``."""
    [value] = [line.rsplit(" ", 1)[1] for line in text.splitlines() if line.startswith(line_start)]
    return float(value)


def test_probes_answer(client):
    assert client.get("/livez").get_json() == {"status": "ok"}
    assert client.get("/readyz").get_json() == {"status": "ready", "model": "tiny-a"}


def test_metrics_count_requests_latency_items_labels_and_the_model(client):
    items = [{"headline": "Striker scores twice"}, {"headline": "Senate passes the bill"}]
    client.post("/v1/tag", json={"items": items})
    client.post("/v1/tag", json={"headline": "Goalkeeper saves a penalty"})
    client.post("/v1/tag", json={"headline": ""})
    client.get("/nowhere")
    response = client.get("/metrics")
    assert response.content_type.startswith("text/plain")
    text = response.get_data(as_text=True)
    tag = 'endpoint="/v1/tag",method="POST"'
    assert metric(text, f'headline_tagger_requests_total{{{tag},status="200"}}') == 2
    assert metric(text, f'headline_tagger_requests_total{{{tag},status="422"}}') == 1
    assert (
        metric(text, 'headline_tagger_requests_total{endpoint="(unmatched)",method="GET",status="404"}') == 1
    )
    assert metric(text, 'headline_tagger_request_duration_seconds_count{endpoint="/v1/tag"}') == 3
    assert metric(text, "headline_tagger_items_tagged_total") == 3
    assert metric(text, 'headline_tagger_predictions_total{label="sport"}') == 2
    assert metric(text, 'headline_tagger_predictions_total{label="politics"}') == 1
    assert metric(text, 'headline_tagger_model_info{model_id="tiny-a"}') == 1


def test_methods_http_does_not_define_share_one_series(client):
    for number in range(30):
        client.open("/v1/tag", method=f"PROBE{number}")
    text = client.get("/metrics").get_data(as_text=True)
    assert "PROBE" not in text
    other = 'headline_tagger_requests_total{endpoint="(unmatched)",method="OTHER",status="405"}'
    assert metric(text, other) == 30


def test_every_request_logs_one_json_line_without_headers(client, caplog):
    with caplog.at_level("INFO", logger="service.requests"):
        client.post(
            "/v1/tag?debug=1",
            json={"items": [{"headline": "a"}, {"headline": "b"}]},
            headers={"Authorization": "Bearer not-logged", "Cookie": "session=not-logged"},
        )
        client.get("/livez")
        client.get('/odd"path\\\u00e9\u2028')  # quoted, escaped and non-ASCII in the line, still JSON
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "service.requests"]
    assert [(line["method"], line["path"], line["status"], line["items"]) for line in lines] == [
        ("POST", "/v1/tag", 200, 2),
        ("GET", "/livez", 200, 0),
        ("GET", '/odd"path\\\u00e9\u2028', 404, 0),
    ]
    assert all(isinstance(line["time"], str) and isinstance(line["duration_ms"], float) for line in lines)
    assert set(lines[0]) == {"time", "method", "path", "status", "duration_ms", "items", "model"}
    assert lines[0]["model"] == "tiny-a" and lines[0]["duration_ms"] >= 0
    assert "not-logged" not in caplog.text and "debug" not in caplog.text


def test_the_page_sends_a_strict_content_security_policy(client):
    response = client.get("/")
    assert response.status_code == 200 and response.content_type.startswith("text/html")
    assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert (
        "default-src 'none'" in CONTENT_SECURITY_POLICY and "'unsafe-inline'" not in CONTENT_SECURITY_POLICY
    )
    page = response.get_data(as_text=True)
    assert "http://" not in page and "https://" not in page and "<script>" not in page
    for asset in ("app.js", "app.css", "favicon.svg"):
        with client.get(f"/static/{asset}") as static:
            assert static.status_code == 200


def test_every_response_forbids_content_sniffing(client):
    for response in (client.get("/livez"), client.get("/nowhere"), client.get("/")):
        assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_the_wsgi_module_builds_its_app_from_the_environment(service_env, publish, monkeypatch):
    monkeypatch.setenv("HEADLINE_TAGGER_MODELS_DIR", str(publish("tiny-w").parent))
    wsgi = runpy.run_module("service.wsgi")
    assert wsgi["app"].test_client().get("/readyz").get_json() == {"status": "ready", "model": "tiny-w"}

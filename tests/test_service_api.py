"""The /v1 API through the Flask test client: answers equal the Python API, every error is a problem."""

import json

import pytest
from conftest import problem
from flask.testing import FlaskClient

import service.api
from classifier.persistence import load_model
from service import create_app
from service.openapi import answer_model

HEADLINE, TEASER = "Central bank raises interest rates", "Stocks fell on the news."


@pytest.fixture
def models(service_env, publish):
    return publish("tiny-a").parent


class CheckedClient(FlaskClient):
    """A test client that validates every JSON answer against the response model the document gives it."""

    def open(self, *args, **kwargs):
        response = super().open(*args, **kwargs)
        model = answer_model(response.request.path, response.request.method, response.status_code)
        if model is not None:
            model.validate_json(response.get_data())
        return response


@pytest.fixture
def app(models):
    app = create_app({"MODELS_DIR": models})
    app.test_client_class = CheckedClient
    return app


@pytest.fixture
def client(app):
    return app.test_client()


def test_one_headline_answers_what_the_python_api_answers(client, models):
    response = client.post("/v1/tag", json={"headline": HEADLINE, "teaser": TEASER})
    assert response.status_code == 200
    model, manifest = load_model(models / "current")
    expected = model.predict([HEADLINE], [TEASER])[0].to_dict()
    assert response.get_json() == {"model": manifest.model_id, **expected}
    assert response.get_data(as_text=True).startswith('{"model":')


def test_a_batch_answers_in_input_order_with_each_id(client):
    items = [
        {"id": "a-1", "headline": "Striker scores twice in derby win"},
        {"id": 7, "headline": "Senate rejects the budget bill", "teaser": "A close vote."},
        {"headline": "Shares slide as bank profits fall"},
        {"id": {"cms": [1, 2]}, "headline": "Club sacks its manager"},
    ]
    body = client.post("/v1/tag", json={"items": items}).get_json()
    assert body["model"] == "tiny-a"
    assert [r["id"] for r in body["results"]] == ["a-1", 7, None, {"cms": [1, 2]}]
    assert [r["label"] for r in body["results"]] == ["sport", "politics", "finance", "sport"]


def test_options_limit_topics_and_add_explanations(client):
    body = client.post(
        "/v1/tag",
        json={"headline": HEADLINE, "teaser": TEASER, "top_k": 1, "threshold": 0.0, "explain": True},
    ).get_json()
    assert len(body["labels"]) == 1
    words = body["explanations"][body["label"]]
    assert {"ngram", "field", "weight"} == set(words[0])
    assert {w["field"] for w in words} <= {"headline", "teaser", "headline+teaser", "chars"}
    everything = client.post("/v1/tag", json={"headline": HEADLINE, "threshold": 0.0}).get_json()
    assert len(everything["labels"]) == 3 and "explanations" not in everything


def test_labels_lists_the_model_topics_with_descriptions_and_iptc_codes(client):
    body = client.get("/v1/labels").get_json()
    assert body["model"] == "tiny-a" and body["taxonomy"] == "default"
    finance = next(label for label in body["labels"] if label["label"] == "finance")
    assert finance["iptc"] == "medtop:04000000" and "banks" in finance["description"]
    assert [label["label"] for label in body["labels"]] == ["finance", "politics", "sport"]


def test_model_shows_the_manifest_without_server_paths(client, models):
    response = client.get("/v1/model")
    body = response.get_json()
    assert body["id"] == "tiny-a" and body["labels"] == ["finance", "politics", "sport"]
    assert body["metrics"] == {"accuracy": 1.0} and body["created"]
    assert body["sources"] == [
        {"file": "tiny_train.jsonl", "preset": None, "label_map": None, "rows": 36, "sha256": "0" * 64}
    ]
    assert "/" not in json.dumps(body["sources"]) and str(models) not in response.get_data(as_text=True)


def test_malformed_json_is_400(client):
    body = problem(client.post("/v1/tag", data='{"headline": "x",', content_type="application/json"), 400)
    assert body["type"].endswith("malformed-json")


@pytest.mark.parametrize(
    ("payload", "field", "item"),
    [
        ({}, "headline", None),
        ({"headline": ""}, "headline", None),
        ({"headline": "   "}, "headline", None),
        ({"headline": 42}, "headline", None),
        ({"headline": None}, "headline", None),
        ({"headline": "ok", "teaser": ["no"]}, "teaser", None),
        ({"headline": "ok", "top_k": 0}, "top_k", None),
        ({"headline": "ok", "top_k": "2"}, "top_k", None),
        ({"headline": "ok", "threshold": 1.5}, "threshold", None),
        ({"headline": "ok", "explain": "yes"}, "explain", None),
        ({"headline": "ok", "headlines": "typo"}, "headlines", None),
        ({"items": []}, "items", None),
        ({"items": "x"}, "items", None),
        ({"items": [{"headline": "ok"}, "x"]}, "items[1]", 1),
        ({"items": [{"headline": "ok"}, {"headline": "ok"}, {"teaser": "t"}]}, "items[2].headline", 2),
        ({"items": [{"headline": "ok"}, {"headline": ""}]}, "items[1].headline", 1),
        ([{"headline": "ok"}], "body", None),
    ],
)
def test_invalid_fields_are_422_naming_the_field_and_item(client, payload, field, item):
    body = problem(client.post("/v1/tag", json=payload), 422)
    assert body["field"] == field and body.get("item") == item
    assert body["detail"].startswith(f"{field}: ")
    assert body["errors"][0]["field"] == field


@pytest.mark.parametrize(
    "headers",
    [{}, {"Content-Type": "text/plain"}, {"Content-Type": "application/x-www-form-urlencoded"}],
)
def test_a_body_that_is_not_json_is_415(client, headers):
    problem(client.post("/v1/tag", data='{"headline": "x"}', headers=headers), 415)


def test_limits_are_413_naming_the_field(service_env, models):
    client = create_app({"MODELS_DIR": models, "MAX_BODY_BYTES": 400, "MAX_ITEMS": 3}).test_client()
    problem(client.post("/v1/tag", json={"headline": "x" * 500}), 413)
    body = problem(client.post("/v1/tag", json={"items": [{"headline": "x"}] * 4}), 413)
    assert body["field"] == "items"
    default = create_app({"MODELS_DIR": models}).test_client()
    body = problem(default.post("/v1/tag", json={"headline": "ok", "teaser": "t" * 2001}), 413)
    assert body["field"] == "teaser"
    items = [{"headline": "ok"}, {"headline": "h" * 2001}]
    body = problem(default.post("/v1/tag", json={"items": items}), 413)
    assert (body["field"], body["item"]) == ("items[1].headline", 1)
    assert default.post("/v1/tag", json={"items": [{"headline": "h" * 900}] * 1000}).status_code == 200


def test_the_body_limit_holds_before_anything_is_parsed(client, monkeypatch):
    parsed = []
    monkeypatch.setattr(service.api, "parse_tag_request", lambda *args: parsed.append(args))
    problem(client.post("/v1/tag", data=b"[" * (2 << 20), content_type="application/json"), 413)
    assert not parsed


def test_unknown_routes_are_404_and_wrong_methods_405(client):
    problem(client.get("/v1/nothing-here"), 404)
    response = client.get("/v1/tag")
    problem(response, 405)
    assert "POST" in response.headers["Allow"]
    problem(client.delete("/v1/labels"), 405)


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"null",
        b"\xff\xfe\x00",
        b'"headline"',
        b'{"headline": NaN}',
        b'{"headline": "x", "threshold": Infinity}',
        b'{"headline": "x", "top_k": 1' + b"0" * 5000 + b"}",
        b"[" * 100_000 + b"]" * 100_000,
        b'{"headline": "\\ud800"}',
        b'{"items": [' + b",".join([b'{"headline": 1}'] * 1000) + b"]}",
        b'{"headline": "x"}\x00',
    ],
)
def test_nothing_a_client_sends_gets_a_500(client, body):
    response = client.post("/v1/tag", data=body, content_type="application/json")
    assert 400 <= response.status_code < 500
    assert response.content_type == "application/problem+json"


def test_an_unexpected_failure_is_a_bare_500_and_is_logged(client, app, monkeypatch, caplog):
    model = app.extensions["headline_tagger"].current.model
    monkeypatch.setattr(model, "predict", lambda *a, **k: 1 / 0)
    body = problem(client.post("/v1/tag", json={"headline": "x"}), 500)
    assert "ZeroDivision" not in json.dumps(body) and "Traceback" not in json.dumps(body)
    assert "ZeroDivisionError" in caplog.text


def test_flask_debug_in_the_environment_does_not_turn_on_debugging(models, service_env, monkeypatch):
    monkeypatch.setenv("FLASK_DEBUG", "1")
    assert create_app({"MODELS_DIR": models}).debug is False

"""/openapi.json tells the truth: every documented answer is produced here and matches its schema.

The response schemas are generated from :mod:`service.responses`; each real
answer is also validated against the response model itself, which refuses any
field it does not declare.
"""

import io
import json

import pytest
from conftest import ADMIN_TOKEN
from jsonschema.exceptions import ValidationError as SchemaError
from openapi_schema_validator import OAS31Validator
from openapi_spec_validator import validate as validate_spec
from pydantic import ValidationError

from service import create_app, responses
from service.openapi import answer_model, document

BEARER = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
ONE = {"json": {"headline": "Striker scores twice in derby win"}}
EXPLAINED = {"json": {**ONE["json"], "explain": True, "top_k": 2, "threshold": 0}}
CORRECTION = {"json": {**ONE["json"], "labels": ["sport"]}}


def _upload(text: str, name: str = "desk.jsonl", **extra) -> dict:
    """A test-client request uploading ``text`` as the file ``name``, with ``extra`` request options."""
    return {
        "data": lambda: {"file": (io.BytesIO(text.encode()), name)},
        "content_type": "multipart/form-data",
        **extra,
    }


FILE = '{"headline": "Striker scores twice in derby win"}\n'

# (path, method, status, kind of app, request) for every response the document lists.
CASES = [
    ("/v1/files", "post", "200", "plain", _upload(FILE)),
    ("/v1/files", "post", "200", "plain", _upload(FILE, headers={"Accept": "text/csv"})),
    ("/v1/files", "post", "200", "plain", _upload(FILE, headers={"Accept": "application/x-ndjson"})),
    ("/v1/files", "post", "401", "keyed", _upload(FILE)),
    ("/v1/files", "post", "413", "plain", _upload(FILE * 10_001)),
    ("/v1/files", "post", "415", "plain", ONE),
    ("/v1/files", "post", "422", "plain", _upload(FILE, "desk.txt")),
    ("/v1/files", "post", "503", "empty", _upload(FILE)),
    ("/v1/tag", "post", "200", "plain", ONE),
    ("/v1/tag", "post", "200", "plain", EXPLAINED),
    ("/v1/tag", "post", "200", "plain", {"json": {"items": [{"id": 1, "headline": "x"}], "explain": True}}),
    ("/v1/tag", "post", "400", "plain", {"data": "{", "content_type": "application/json"}),
    ("/v1/tag", "post", "401", "keyed", ONE),
    ("/v1/tag", "post", "413", "plain", {"json": {"headline": "x" * 2001}}),
    ("/v1/tag", "post", "415", "plain", {"data": "headline"}),
    ("/v1/tag", "post", "422", "plain", {"json": {"items": [{"headline": ""}]}}),
    ("/v1/tag", "post", "503", "empty", ONE),
    ("/v1/labels", "get", "200", "plain", {}),
    ("/v1/labels", "get", "401", "keyed", {}),
    ("/v1/labels", "get", "503", "empty", {}),
    ("/v1/model", "get", "200", "plain", {}),
    ("/v1/model", "get", "401", "keyed", {}),
    ("/v1/model", "get", "503", "empty", {}),
    ("/v1/feedback", "post", "201", "plain", CORRECTION),
    ("/v1/feedback", "post", "201", "plain", {"json": {"items": [CORRECTION["json"]], "source": "web"}}),
    ("/v1/feedback", "post", "400", "plain", {"data": "{", "content_type": "application/json"}),
    ("/v1/feedback", "post", "401", "keyed", CORRECTION),
    ("/v1/feedback", "post", "413", "plain", {"json": {"headline": "x" * 2001, "labels": ["sport"]}}),
    ("/v1/feedback", "post", "415", "plain", {"data": "headline"}),
    ("/v1/feedback", "post", "422", "plain", {"json": {"headline": "x", "labels": ["chess"]}}),
    ("/v1/feedback", "post", "503", "empty", CORRECTION),
    ("/v1/feedback", "post", "503", "no-store", CORRECTION),
    ("/v1/feedback", "get", "200", "admin", {"headers": BEARER}),
    ("/v1/feedback", "get", "401", "admin", {}),
    ("/v1/feedback", "get", "404", "plain", {"headers": BEARER}),
    ("/v1/feedback", "get", "422", "admin", {"headers": BEARER, "query_string": {"limit": 0}}),
    ("/v1/feedback", "get", "503", "no-store", {"headers": BEARER}),
    ("/v1/admin/reload", "post", "200", "admin", {"headers": BEARER}),
    ("/v1/admin/reload", "post", "401", "admin", {}),
    ("/v1/admin/reload", "post", "404", "plain", {"headers": BEARER}),
    ("/v1/admin/reload", "post", "409", "broken", {"headers": BEARER}),
    ("/livez", "get", "200", "plain", {}),
    ("/readyz", "get", "200", "plain", {}),
    ("/readyz", "get", "503", "empty", {}),
    ("/metrics", "get", "200", "plain", {}),
    ("/openapi.json", "get", "200", "plain", {}),
    ("/", "get", "200", "plain", {}),
    ("/review", "get", "200", "plain", {}),
    ("/model", "get", "200", "plain", {}),
    ("/model", "get", "503", "empty", {}),
    ("/model/report", "get", "200", "report", {}),
    ("/model/report", "get", "404", "plain", {}),  # the tiny model has no report
    ("/v1/review/queue", "get", "200", "plain", {}),
    ("/v1/review/queue", "get", "401", "keyed", {}),
    ("/v1/review/queue", "get", "422", "plain", {"query_string": {"limit": 0}}),
    ("/v1/review/queue", "get", "503", "no-store", {}),
]


@pytest.fixture
def make_client(service_env, publish, tmp_path):
    def make(kind: str):
        if kind != "empty":
            publish(
                "tiny-a", report_html="<!doctype html><title>report</title>" if kind == "report" else None
            )
        config = {"MODELS_DIR": tmp_path / "models", "ADMIN_TOKEN": ADMIN_TOKEN if kind != "plain" else None}
        # "no-store": the corrections store's folder is missing.
        config["FEEDBACK_DB"] = tmp_path / ("missing" if kind == "no-store" else "") / "feedback.db"
        app = create_app({**config, "API_KEYS": ("k1",) if kind == "keyed" else ()})
        if kind == "broken":
            (publish("tiny-broken") / "model.joblib").write_bytes(b"not a model")
        return app.test_client()

    return make


def validate(instance, schema: dict) -> None:
    """Validate against a schema of the document, resolving its ``#/components/...`` references."""
    OAS31Validator({**schema, "components": document()["components"]}).validate(instance)


def test_the_document_is_valid_openapi_3_1():
    validate_spec(document())
    assert document()["openapi"] == "3.1.0"


def test_every_route_is_documented():
    app_routes = {rule.rule for rule in create_app({"MODELS_DIR": "/nonexistent"}).url_map.iter_rules()}
    assert app_routes - {"/static/<path:filename>"} == set(document()["paths"])


# Answers gunicorn gives itself, before the app: the test client cannot make them, the live service can.
SERVER_ANSWERS = {("/v1/feedback", "get", "414"), ("/v1/review/queue", "get", "414")}


def test_every_documented_answer_has_a_case_here():
    documented = {
        (path, method, status)
        for path, operations in document()["paths"].items()
        for method, operation in operations.items()
        for status in operation["responses"]
    }
    assert documented == {case[:3] for case in CASES} | SERVER_ANSWERS


@pytest.mark.parametrize(("path", "method", "status"), sorted(SERVER_ANSWERS))
def test_gunicorn_refuses_an_over_long_request_line_as_documented(live_service, path, method, status):
    answer = live_service.request(method.upper(), f"{path}?limit={'9' * 5000}", None, {})
    assert (str(answer[0]), "URI Too Long" in answer[1]) == (status, True)


@pytest.mark.parametrize(("path", "method", "status", "kind", "request_"), CASES)
def test_real_answers_match_the_document(make_client, path, method, status, kind, request_):
    operation = document()["paths"][path][method]
    if status.startswith("2") and "json" in request_:
        validate(request_["json"], operation["requestBody"]["content"]["application/json"]["schema"])
    with getattr(make_client(kind), method)(path, **_sent(request_)) as response:
        assert str(response.status_code) == status, response.get_data(as_text=True)
        contents = operation["responses"][status]["content"]
        # The answer's one media type; of several (an upload's rows), the one Accept asked for, else JSON.
        accept = request_.get("headers", {}).get("Accept")
        media_type = accept or (next(iter(contents)) if len(contents) == 1 else "application/json")
        content = contents[media_type]
        assert response.mimetype == media_type
        if "schema" in content:
            validate(response.get_json(force=True), content["schema"])


def _sent(request_: dict) -> dict:
    """``request_`` with a fresh upload: a file's stream is used up by the request that sends it."""
    return {**request_, "data": request_["data"]()} if callable(request_.get("data")) else request_


def answer(client, path: str, method: str, status: str, request_: dict) -> bytes:
    with getattr(client, method)(path, **_sent(request_)) as response:
        assert str(response.status_code) == status, response.get_data(as_text=True)
        return response.get_data()


JSON_CASES = [
    case
    for case in CASES
    if answer_model(case[0], case[1], int(case[2])) is not None and "Accept" not in case[4].get("headers", {})
]


@pytest.mark.parametrize(("path", "method", "status", "kind", "request_"), JSON_CASES)
def test_no_answer_has_a_field_its_response_model_lacks(make_client, path, method, status, kind, request_):
    answer_model(path, method, int(status)).validate_json(
        answer(make_client(kind), path, method, status, request_)
    )


def test_a_field_outside_the_response_model_fails_both_checks(make_client, monkeypatch):
    monkeypatch.setattr(responses, "Status", lambda **fields: {**fields, "uptime": 12.5})
    body = answer(make_client("plain"), "/livez", "get", "200", {})
    assert json.loads(body) == {"status": "ok", "uptime": 12.5}
    with pytest.raises(ValidationError, match="uptime"):
        answer_model("/livez", "get", 200).validate_json(body)
    with pytest.raises(SchemaError, match="uptime"):
        validate(
            json.loads(body),
            document()["paths"]["/livez"]["get"]["responses"]["200"]["content"]["application/json"]["schema"],
        )


def test_errors_outside_the_operations_are_problems_too(make_client):
    client = make_client("plain")
    problem = document()["components"]["schemas"]["Problem"]
    for response in (client.get("/nowhere"), client.put("/v1/tag"), client.delete("/readyz")):
        assert response.mimetype == "application/problem+json"
        validate(response.get_json(force=True), problem)
        request = response.request
        answer_model(request.path, request.method, response.status_code).validate_json(response.get_data())

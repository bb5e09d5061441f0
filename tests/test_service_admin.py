"""Reloading the model, API keys and the admin token, and where models may come from."""

import os

import pytest
from conftest import ADMIN_TOKEN, problem

from service import create_app

BEARER = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


@pytest.fixture
def models(service_env, publish):
    return publish("tiny-a").parent


def served_model(client) -> str:
    return client.post("/v1/tag", json={"headline": "Striker scores"}).get_json()["model"]


def test_reload_swaps_in_the_new_current_model(models, publish):
    client = create_app({"MODELS_DIR": models, "ADMIN_TOKEN": ADMIN_TOKEN}).test_client()
    publish("tiny-b")
    assert served_model(client) == "tiny-a"
    response = client.post("/v1/admin/reload", headers=BEARER)
    assert response.status_code == 200
    assert response.get_json() == {"model": "tiny-b", "previous": "tiny-a"}
    assert served_model(client) == "tiny-b"
    assert client.get("/readyz").get_json() == {"status": "ready", "model": "tiny-b"}


def test_a_broken_model_is_refused_and_the_old_one_keeps_serving(models, publish):
    client = create_app({"MODELS_DIR": models, "ADMIN_TOKEN": ADMIN_TOKEN}).test_client()
    broken = publish("tiny-broken")
    with open(broken / "model.joblib", "r+b") as handle:
        handle.truncate(100)
    body = problem(client.post("/v1/admin/reload", headers=BEARER), 409)
    assert "checksum mismatch" in body["detail"] and body["kept"] == "tiny-a"
    assert served_model(client) == "tiny-a"


def test_a_model_outside_the_models_directory_is_refused(models, publish, tmp_path):
    outside = tmp_path / "elsewhere"
    os.rename(publish("tiny-outside", promote_it=False), outside)
    os.symlink(outside, models / "current.tmp")
    os.replace(models / "current.tmp", models / "current")
    client = create_app({"MODELS_DIR": models, "ADMIN_TOKEN": ADMIN_TOKEN}).test_client()
    problem(client.get("/readyz"), 503)
    problem(client.post("/v1/tag", json={"headline": "x"}), 503)
    body = problem(client.post("/v1/admin/reload", headers=BEARER), 409)
    assert "outside the models directory" in body["detail"] and body["kept"] is None
    direct = create_app({"MODELS_DIR": models, "MODEL": outside}).test_client()
    problem(direct.get("/readyz"), 503)


def test_without_a_model_the_service_is_alive_but_not_ready_until_a_reload(service_env, publish, tmp_path):
    models = tmp_path / "models"
    client = create_app({"MODELS_DIR": models, "ADMIN_TOKEN": ADMIN_TOKEN}).test_client()
    assert client.get("/livez").status_code == 200
    assert problem(client.get("/readyz"), 503)["type"].endswith("no-model")
    for path in ("/v1/labels", "/v1/model"):
        problem(client.get(path), 503)
    publish("tiny-a")
    assert client.post("/v1/admin/reload", headers=BEARER).get_json()["previous"] is None
    assert client.get("/readyz").status_code == 200


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong"},
        {"Authorization": ADMIN_TOKEN},
        {"Authorization": "Basic " + ADMIN_TOKEN},
    ],
)
def test_reload_needs_the_admin_token(models, headers):
    client = create_app({"MODELS_DIR": models, "ADMIN_TOKEN": ADMIN_TOKEN}).test_client()
    response = client.post("/v1/admin/reload", headers=headers)
    problem(response, 401)
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="admin"'


def test_reload_does_not_exist_without_an_admin_token(models):
    client = create_app({"MODELS_DIR": models}).test_client()
    body = problem(client.post("/v1/admin/reload", headers={"Authorization": "Bearer "}), 404)
    assert "HEADLINE_TAGGER_ADMIN_TOKEN" in body["detail"]


def test_api_keys_guard_every_v1_endpoint_but_not_the_probes(models, monkeypatch):
    monkeypatch.setenv("HEADLINE_TAGGER_API_KEYS", "key-one, key-two")
    client = create_app({"MODELS_DIR": models}).test_client()
    for method, path in (("post", "/v1/tag"), ("get", "/v1/labels"), ("get", "/v1/model")):
        for headers in ({}, {"Authorization": "Bearer key-three"}, {"Authorization": "Bearer ключ"}):
            problem(getattr(client, method)(path, json={"headline": "x"}, headers=headers), 401)
        ok = getattr(client, method)(
            path, json={"headline": "x"}, headers={"Authorization": "Bearer key-two"}
        )
        assert ok.status_code == 200
    for path in ("/livez", "/readyz", "/metrics", "/openapi.json", "/"):
        with client.get(path) as response:
            assert response.status_code == 200


def test_tokens_never_reach_the_log(models, monkeypatch, caplog):
    monkeypatch.setenv("HEADLINE_TAGGER_API_KEYS", "secret-key-1")
    client = create_app({"MODELS_DIR": models, "ADMIN_TOKEN": ADMIN_TOKEN}).test_client()
    with caplog.at_level("DEBUG"):
        client.post("/v1/tag", json={"headline": "x"}, headers={"Authorization": "Bearer secret-key-1"})
        client.post("/v1/tag", json={"headline": "x"}, headers={"Authorization": "Bearer secret-key-2"})
        client.post("/v1/admin/reload", headers=BEARER)
    assert len(caplog.records) >= 3
    assert "secret-key" not in caplog.text and ADMIN_TOKEN not in caplog.text


def test_a_bad_setting_in_the_environment_is_named(models, monkeypatch):
    monkeypatch.setenv("HEADLINE_TAGGER_MAX_ITEMS", "lots")
    with pytest.raises(ValueError, match="HEADLINE_TAGGER_MAX_ITEMS"):
        create_app({"MODELS_DIR": models})

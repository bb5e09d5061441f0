"""POST and GET /v1/feedback through the Flask test client: what is stored, who sent it, and every refusal."""

from __future__ import annotations

import hashlib
import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from conftest import ADMIN_TOKEN, free_port, problem

import service.store
from classifier.feedback.store import open_store
from classifier.persistence import load_model
from service import create_app
from service.auth import api_keys
from service.feedback import STORE
from service.openapi import answer_model

ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
RATES = {"headline": "Central bank raises interest rates", "teaser": "Stocks fell on the news."}


@pytest.fixture
def models(service_env, publish):
    return publish("tiny-a").parent


def client_factory(models: Path, location: str):
    """``make(**config)``: a test client of an app on ``location``, closed (with its store) afterwards."""
    apps = []

    def make(**config):
        settings = {"MODELS_DIR": models, "ADMIN_TOKEN": ADMIN_TOKEN, "FEEDBACK_DB": location}
        apps.append(create_app(settings | config))
        return apps[-1].test_client()

    yield make
    for app in apps:  # a database connection left to the garbage collector warns
        app.extensions[STORE].close()


@pytest.fixture
def make_client(models, feedback_location):
    """Clients on each corrections store backend."""
    yield from client_factory(models, feedback_location)


@pytest.fixture
def make_sqlite_client(models, tmp_path):
    """Clients on SQLite only: for what happens to a file, and for refusals that never reach the store."""
    yield from client_factory(models, str(tmp_path / "feedback.db"))


@pytest.fixture
def client(make_client):
    return make_client()


@pytest.fixture
def sqlite_client(make_sqlite_client):
    return make_sqlite_client()


def stored(location: str) -> list[dict]:
    with open_store(location) as store:
        return [correction.to_dict() for correction in store.page(limit=1000)]


def checked(response, status: int) -> dict:
    """The JSON of ``response``, after checking its status and its response model in the document."""
    assert response.status_code == status, response.get_data(as_text=True)
    answer_model(response.request.path, response.request.method, status).validate_json(response.get_data())
    return response.get_json()


def test_a_correction_is_stored_with_the_served_models_prediction(client, models, feedback_location):
    answer = checked(client.post("/v1/feedback", json={**RATES, "labels": ["politics"], "id": "cms-1"}), 201)
    model, manifest = load_model(models / "current")
    predicted = [item.label for item in model.predict([RATES["headline"]], [RATES["teaser"]])[0].labels]
    assert predicted == ["finance"]  # so the correction below really changes the model's answer
    assert answer == {"model": manifest.model_id, "ids": [1]}
    [row] = stored(feedback_location)
    assert row | {"created": None} == {
        "id": 1,
        **RATES,
        "labels": ["politics"],
        "kind": "added",
        "model": "tiny-a",
        "predicted": predicted,
        "item_id": "cms-1",
        "sender": "anonymous",
        "source": "api",
        "created": None,
        "superseded_by": None,
    }


def test_a_batch_is_stored_in_order_with_its_source_and_ids_as_text(client, feedback_location):
    items = [
        {"headline": "Striker scores twice in derby win", "labels": ["sport"], "id": 7},
        {**RATES, "labels": ["finance", "politics", "finance"]},
        {"headline": "Senate rejects the budget bill", "labels": ["politics"], "model": "tiny-a"},
    ]
    answer = checked(client.post("/v1/feedback", json={"items": items, "source": "web"}), 201)
    rows = stored(feedback_location)
    assert answer["ids"] == [row["id"] for row in rows] == [1, 2, 3]
    assert [row["item_id"] for row in rows] == ["7", None, None]
    assert [row["labels"] for row in rows] == [["sport"], ["finance", "politics"], ["politics"]]
    assert [row["kind"] for row in rows] == ["accepted", "added", "accepted"]
    assert {row["source"] for row in rows} == {"web"}


def test_a_correction_naming_another_model_records_the_served_one(client, feedback_location):
    body = {**RATES, "labels": ["finance"], "model": "20250101T000000Z-retired"}
    assert checked(client.post("/v1/feedback", json=body), 201)["model"] == "tiny-a"
    [row] = stored(feedback_location)
    assert (row["model"], row["predicted"], row["kind"]) == ("tiny-a", ["finance"], "accepted")


@pytest.mark.parametrize(
    ("body", "field", "detail"),
    [
        ({**RATES, "labels": ["football"]}, "labels", "unknown label 'football'; the model's labels are"),
        ({**RATES, "labels": []}, "labels", "must be a non-empty list"),
        ({**RATES, "labels": "finance"}, "labels", "must be a non-empty list"),
        ({**RATES, "labels": ["finance", 3]}, "labels", "3 is not text"),
        ({"teaser": "no headline", "labels": ["finance"]}, "headline", "is required"),
        ({**RATES, "labels": ["finance"], "source": "cli"}, "source", "'api' or 'web'"),
        ({**RATES, "labels": ["finance"], "id": 1.5}, "id", ""),
        ({**RATES, "labels": ["finance"], "id": "\ud800"}, "id", "valid Unicode"),
        ({**RATES, "labels": ["finance"], "sender": "me"}, "sender", "is not a field"),
        ({"items": [{**RATES, "labels": ["sport"]}, {**RATES, "labels": ["chess"]}]}, "items[1].labels", ""),
    ],
)
def test_a_bad_correction_is_a_422_naming_the_field_and_nothing_is_stored(
    sqlite_client, tmp_path, body, field, detail
):
    answer = problem(sqlite_client.post("/v1/feedback", json=body), 422)
    assert answer["field"] == field and detail in answer["detail"]
    location = tmp_path / "feedback.db"
    assert not location.exists() or stored(str(location)) == []


def test_limits_and_content_type_hold_as_for_tagging(make_sqlite_client):
    client = make_sqlite_client(MAX_ITEMS=2)
    items = [{"headline": f"h{n}", "labels": ["sport"]} for n in range(3)]
    assert problem(client.post("/v1/feedback", json={"items": items}), 413)["field"] == "items"
    long = {"headline": "x" * 2001, "labels": ["sport"]}
    assert problem(client.post("/v1/feedback", json=long), 413)["field"] == "headline"
    assert problem(client.post("/v1/feedback", data="headline=x"), 415)
    assert problem(client.post("/v1/feedback", data="{", content_type="application/json"), 400)


def test_the_sender_is_the_api_keys_name_and_a_bare_key_gets_a_stable_name(make_client, feedback_location):
    client = make_client(API_KEYS=("desk-sport:s3cret-sport", "b4re-key-9", "desk-sport:rotated-key"))
    body = {**RATES, "labels": ["finance"]}
    problem(client.post("/v1/feedback", json=body), 401)
    problem(client.post("/v1/feedback", json=body, headers={"Authorization": "Bearer desk-sport"}), 401)
    for key in ("s3cret-sport", "b4re-key-9", "rotated-key"):
        checked(client.post("/v1/feedback", json=body, headers={"Authorization": f"Bearer {key}"}), 201)
    bare = "key-" + hashlib.sha256(b"b4re-key-9").hexdigest()[:8]
    assert [row["sender"] for row in stored(feedback_location)] == ["desk-sport", bare, "desk-sport"]
    # The same keys still open /v1/tag, as bare keys always did.
    assert (
        client.post("/v1/tag", json=RATES, headers={"Authorization": "Bearer b4re-key-9"}).status_code == 200
    )


def test_api_key_entries_name_their_keys_and_names_never_reveal_a_key():
    keys = api_keys(["alice:k1", "k2", "not a name:k3", ":k4", "bob:", "carol:with:colons"])
    names = [key.name for key in keys]
    assert names[0] == "alice" and names[5] == "carol"
    assert names[1:5] == [
        "key-" + hashlib.sha256(raw.encode()).hexdigest()[:8]
        for raw in ("k2", "not a name:k3", ":k4", "bob:")
    ]
    assert "k1" not in repr(keys) and keys[5].digest == hashlib.sha256(b"with:colons").digest()


def test_corrections_page_by_id_and_time_with_a_next_cursor(client):
    def listed(**query) -> dict:
        return checked(client.get("/v1/feedback", query_string=query, headers=ADMIN), 200)

    for number in range(5):
        body = {"headline": f"Budget vote {number}", "labels": ["politics"]}
        checked(client.post("/v1/feedback", json=body), 201)
    first = listed(limit=2)
    second = listed(limit=2, after=first["next"])
    last = listed(limit=2, after=second["next"])
    assert [[row["id"] for row in page["corrections"]] for page in (first, second, last)] == [
        [1, 2],
        [3, 4],
        [5],
    ]
    assert (first["next"], second["next"], last["next"]) == (2, 4, None)
    created = first["corrections"][1]["created"]
    assert created.endswith("+00:00")
    assert [row["id"] for row in listed(since=created)["corrections"]] == [2, 3, 4, 5]
    # The same instant an hour east of UTC, or in Z form: the same corrections.
    moment = datetime.fromisoformat(created)
    east = moment.astimezone(timezone(timedelta(hours=1))).isoformat()
    assert listed(since=east) == listed(since=created) == listed(since=created.replace("+00:00", "z"))
    assert listed(since="2999-01-01") == {"corrections": [], "next": None}
    assert len(listed(since="0001-01-01T00:00:00-23:59")["corrections"]) == 5


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("limit=0", "limit"),
        ("limit=1001", "limit"),
        ("after=-1", "after"),
        ("after=1e3", "after"),
        ("since=yesterday", "since"),
        ("since=2026-12-04T09:30", "since"),
        ("since=2026-13-01", "since"),
        ("sinse=2026-01-01", "sinse"),
    ],
)
def test_a_bad_page_parameter_is_a_422(sqlite_client, query, field):
    assert problem(sqlite_client.get(f"/v1/feedback?{query}", headers=ADMIN), 422)["field"] == field


def test_listing_needs_the_admin_token_and_does_not_exist_without_one(make_sqlite_client):
    keyed = make_sqlite_client(API_KEYS=("k1",))
    problem(keyed.get("/v1/feedback", headers={"Authorization": "Bearer k1"}), 401)
    assert problem(make_sqlite_client(ADMIN_TOKEN=None).get("/v1/feedback", headers=ADMIN), 404)


def test_without_a_model_nothing_is_stored(make_sqlite_client, tmp_path):
    client = make_sqlite_client(MODELS_DIR=tmp_path / "empty")
    assert problem(client.post("/v1/feedback", json={**RATES, "labels": ["finance"]}), 503)["type"].endswith(
        ":no-model"
    )


def test_a_missing_folder_is_a_503_that_names_the_cause_not_the_path(make_sqlite_client, tmp_path):
    location = tmp_path / "gone" / "feedback.db"
    client = make_sqlite_client(FEEDBACK_DB=str(location))
    posted = problem(client.post("/v1/feedback", json={**RATES, "labels": ["finance"]}), 503)
    listed = problem(client.get("/v1/feedback", headers=ADMIN), 503)
    assert (
        posted["detail"]
        == "The corrections store is unavailable (its folder does not exist); nothing was stored."
    )
    assert listed["detail"] == "The corrections store is unavailable (its folder does not exist)."
    assert {posted["type"], listed["type"]} == {"urn:headline-tagger:problem:feedback-store-unavailable"}
    location.parent.mkdir()  # the operator fixes it: the next request opens the store, with no restart
    assert checked(client.post("/v1/feedback", json={**RATES, "labels": ["finance"]}), 201)["ids"] == [1]


def test_a_corrupt_store_is_a_503_and_nothing_is_acknowledged(make_sqlite_client, tmp_path):
    location = tmp_path / "feedback.db"
    location.write_bytes(b"this is not an SQLite file " * 200)
    client = make_sqlite_client(FEEDBACK_DB=str(location))
    answer = problem(client.post("/v1/feedback", json={**RATES, "labels": ["finance"]}), 503)
    assert answer["detail"] == (
        "The corrections store is unavailable (it is not a corrections store, or it is corrupt);"
        " nothing was stored."
    )
    assert problem(client.get("/v1/feedback", headers=ADMIN), 503)["status"] == 503
    assert location.read_bytes() == b"this is not an SQLite file " * 200  # left as it was, for the operator


def test_a_store_of_a_newer_release_is_a_503_that_says_so(make_sqlite_client, tmp_path):
    location = tmp_path / "feedback.db"
    with sqlite3.connect(location) as database:
        database.execute("PRAGMA user_version = 99")
    answer = problem(make_sqlite_client(FEEDBACK_DB=str(location)).get("/v1/feedback", headers=ADMIN), 503)
    assert answer["detail"] == (
        "The corrections store is unavailable"
        " (it was written by a newer headline-tagger; upgrade headline-tagger)."
    )


def test_a_locked_store_is_a_503_and_the_next_request_after_the_lock_stores(
    make_sqlite_client, tmp_path, monkeypatch
):
    location = tmp_path / "feedback.db"
    # The store's own timeout (10 s) made short, so the lock is felt at once.
    monkeypatch.setattr(service.store, "open_store", lambda where: open_store(where, timeout=0.1))
    client = make_sqlite_client(FEEDBACK_DB=str(location))
    body = {**RATES, "labels": ["finance"]}
    assert checked(client.post("/v1/feedback", json=body), 201)["ids"] == [1]
    other = sqlite3.connect(location, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process writing, and slow about it
    try:
        answer = problem(client.post("/v1/feedback", json=body), 503)
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert answer["detail"] == (
        "The corrections store is unavailable"
        " (it is locked by another process; try again); nothing was stored."
    )
    assert checked(client.post("/v1/feedback", json=body), 201)["ids"] == [2]  # 503 stored nothing: id 2
    assert [row["id"] for row in stored(str(location))] == [1, 2]


def test_metrics_count_corrections_by_kind_source_and_model(sqlite_client):
    sqlite_client.post(
        "/v1/feedback", json={"items": [{**RATES, "labels": ["finance"]}, {**RATES, "labels": ["sport"]}]}
    )
    sqlite_client.post("/v1/feedback", json={**RATES, "labels": ["finance"], "source": "web"})
    text = sqlite_client.get("/metrics").get_data(as_text=True)
    series = {
        line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith("headline_tagger_corrections_total")
    }
    assert series == {
        'headline_tagger_corrections_total{kind="accepted",model="tiny-a",source="api"}': 1.0,
        'headline_tagger_corrections_total{kind="added",model="tiny-a",source="api"}': 1.0,
        'headline_tagger_corrections_total{kind="accepted",model="tiny-a",source="web"}': 1.0,
    }


def test_an_unreachable_database_is_a_503_that_names_neither_host_nor_user(make_sqlite_client):
    location = f"postgresql://desk-user:pw@127.0.0.1:{free_port()}/newsroom"
    client = make_sqlite_client(FEEDBACK_DB=location)
    answer = problem(client.post("/v1/feedback", json={**RATES, "labels": ["finance"]}), 503)
    assert answer["detail"] == (
        "The corrections store is unavailable (the server cannot be reached or refused the connection);"
        " nothing was stored."
    )

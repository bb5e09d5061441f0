"""Corrections through a real gunicorn with two workers: none lost under concurrent clients, failures a 503.

Parametrised over ``feedback_location`` (conftest.py): every corrections store
backend runs the same test.
"""

from __future__ import annotations

import hashlib
import json
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from conftest import ADMIN_TOKEN, LiveService

from classifier.feedback.store import open_store

CLIENTS, REQUESTS, BATCH = 4, 40, 2  # 320 corrections in 160 requests
LABELS = ["sport", "politics", "finance"]


def post(service: LiveService, body: dict, key: str | None = None) -> tuple[int, dict]:
    headers = {"Content-Type": "application/json"} | ({"Authorization": f"Bearer {key}"} if key else {})
    return service.request("POST", "/v1/feedback", json.dumps(body).encode(), headers)


def start(tmp_path: Path, args: list[str], env: dict[str, str]) -> LiveService:
    service = LiveService(
        ["serve", "--models-dir", str(tmp_path / "models"), "--workers", "2", *args],
        tmp_path / "models",
        tmp_path,
        {"HEADLINE_TAGGER_ADMIN_TOKEN": ADMIN_TOKEN, **env},
    )
    service.wait_ready()
    return service


@pytest.fixture
def service(tmp_path, publish, feedback_location):
    publish("tiny-a")
    # The store from the environment, as a deployment with a database URL (and its password) sets it.
    env = {"HEADLINE_TAGGER_FEEDBACK_DB": feedback_location, "HEADLINE_TAGGER_API_KEYS": "desk-a:key-a,key-b"}
    service = start(tmp_path, [], env)
    yield service
    assert service.stop() == 0, service.stderr()[-3000:]


def files_open_by(pid: int) -> set[str]:
    fds = Path(f"/proc/{pid}/fd")
    return {os.path.realpath(fds / fd) for fd in os.listdir(fds)} if fds.exists() else set()


def workers_of(master: int) -> list[int]:
    def parent(pid: str) -> int:
        try:
            return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            return -1

    return [int(pid) for pid in os.listdir("/proc") if pid.isdigit() and parent(pid) == master]


def test_two_workers_under_concurrent_clients_lose_no_correction(service, feedback_location):
    def client(number: int) -> list[tuple[int, dict, list[str]]]:
        answers = []
        for request in range(REQUESTS):
            headlines = [f"client {number} request {request} item {item}" for item in range(BATCH)]
            items = [
                {"headline": headline, "labels": [LABELS[(number + item) % 3]], "id": headline}
                for item, headline in enumerate(headlines)
            ]
            status, body = post(service, {"items": items}, "key-a" if number % 2 else "key-b")
            answers.append((status, body, headlines))
        return answers

    with ThreadPoolExecutor(CLIENTS) as pool:
        answers = [answer for answers in pool.map(client, range(CLIENTS)) for answer in answers]
    assert {status for status, _, _ in answers} == {201}, [
        body for status, body, _ in answers if status != 201
    ]
    acknowledged = {
        i: headline
        for _, body, headlines in answers
        for i, headline in zip(body["ids"], headlines, strict=True)
    }
    assert len(acknowledged) == CLIENTS * REQUESTS * BATCH  # every id once

    with open_store(feedback_location) as store:
        assert store.count() == len(acknowledged)
        rows = store.page(limit=len(acknowledged) + 1)
    assert {row.id: row.headline for row in rows} == acknowledged
    assert {row.sender for row in rows} == {
        "desk-a",
        "key-" + hashlib.sha256(b"key-b").hexdigest()[:8],
    }

    # The same corrections, paged through the service by its next cursor.
    listed, after = [], 0
    while after is not None:
        status, page = service.get(f"/v1/feedback?limit=100&after={after}")
        assert status == 401  # the API keys do not open the listing; the admin token does
        status, page = service.request(
            "GET", f"/v1/feedback?limit=100&after={after}", None, {"Authorization": f"Bearer {ADMIN_TOKEN}"}
        )
        assert status == 200
        listed += page["corrections"]
        after = page["next"]
    assert {row["id"]: row["headline"] for row in listed} == acknowledged

    if not feedback_location.startswith("postgresql:"):
        # Each worker opened the file itself; the master, which forked them, never did.
        database = os.path.realpath(feedback_location)
        workers = workers_of(service.process.pid)
        assert len(workers) == 2
        assert [database in files_open_by(pid) for pid in workers] == [True, True]
        assert database not in files_open_by(service.process.pid)


def test_a_missing_folder_is_a_503_until_it_exists(tmp_path, publish):
    publish("tiny-a")
    location = tmp_path / "later" / "feedback.db"
    service = start(tmp_path, ["--feedback-db", str(location)], {})
    try:
        status, body = post(service, {"headline": "Budget passes", "labels": ["politics"]})
        assert status == 503 and body["type"] == "urn:headline-tagger:problem:feedback-store-unavailable"
        assert body["detail"].endswith("nothing was stored.") and str(tmp_path) not in body["detail"]
        location.parent.mkdir()
        statuses = [
            post(service, {"headline": f"Budget passes {n}", "labels": ["politics"]})[0] for n in range(4)
        ]
        assert statuses == [201] * 4  # in whichever worker answers
        with open_store(location) as store:
            assert store.count() == 4
    finally:
        assert service.stop() == 0
    assert "corrections store unavailable" in service.stderr()  # the operator sees the path in the log
    assert str(location.parent) in service.stderr()

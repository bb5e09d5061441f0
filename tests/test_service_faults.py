"""Faults under load against a real gunicorn on 127.0.0.1: a killed worker, reloads, path traversal.

Client threads send requests back to back over fresh connections (gunicorn's
sync workers close each one) and record every outcome, so a test can say
exactly which requests failed and which model answered each one.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from conftest import ADMIN_TOKEN, LiveService

from classifier.persistence import promote

# How a request on a worker that is killed mid-request fails, depending on how far it had got.
BROKEN_CONNECTION = {"RemoteDisconnected", "ConnectionResetError", "IncompleteRead", "BrokenPipeError"}
BEARER = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
HEADLINES = ["Striker scores twice in derby win", "Senate rejects the budget bill", "Shares slide as bank"]
SINGLE = json.dumps({"headline": HEADLINES[0]}).encode()
BATCH = json.dumps({"items": [{"id": n, "headline": h} for n, h in enumerate(HEADLINES)]}).encode()


@dataclass
class Load:
    """Client threads posting to ``/v1/tag`` until stopped; every outcome is kept, in order."""

    port: int
    threads: int = 2
    outcomes: list[tuple[float, str, object]] = field(default_factory=list)  # (time, kind, status or body)
    _stop: threading.Event = field(default_factory=threading.Event)
    _workers: list[threading.Thread] = field(default_factory=list)

    def __enter__(self) -> Load:
        for number in range(self.threads):
            thread = threading.Thread(target=self._run, args=(number,), daemon=True)
            thread.start()
            self._workers.append(thread)
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        for thread in self._workers:
            thread.join(timeout=15)

    def _run(self, number: int) -> None:
        sent = 0
        while not self._stop.is_set():
            body = BATCH if (sent + number) % 3 == 0 else SINGLE
            sent += 1
            connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
            try:
                connection.request("POST", "/v1/tag", body, {"Content-Type": "application/json"})
                response = connection.getresponse()
                answer = json.loads(response.read())
                kind = "ok" if response.status == 200 else f"http {response.status}"
                self.outcomes.append((time.monotonic(), kind, answer))
            except (OSError, http.client.HTTPException, ValueError) as error:
                self.outcomes.append((time.monotonic(), type(error).__name__, str(error)))
            finally:
                connection.close()

    def wait_for(self, successes: int, timeout: float = 15) -> None:
        """Until ``successes`` more requests have been answered 200."""
        target = self.count("ok") + successes
        deadline = time.monotonic() + timeout
        while self.count("ok") < target:
            assert time.monotonic() < deadline, f"only {self.count('ok')} of {target}: {self.failures()}"
            time.sleep(0.02)

    def count(self, kind: str) -> int:
        return sum(1 for _, k, _ in list(self.outcomes) if k == kind)

    def failures(self) -> list[tuple[float, str, object]]:
        return [outcome for outcome in list(self.outcomes) if outcome[1] != "ok"]

    def models(self) -> Counter:
        return Counter(answer["model"] for _, kind, answer in list(self.outcomes) if kind == "ok")


def workers(service: LiveService) -> set[int]:
    """The pids of the gunicorn master's children (its workers)."""
    pid = service.process.pid
    return {int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()}


def wait_for_workers(service: LiveService, count: int = 2, timeout: float = 15) -> set[int]:
    """The worker pids, once there are ``count`` of them and each has booted."""
    deadline = time.monotonic() + timeout
    while len(pids := workers(service)) != count or not all(
        f"Booting worker with pid: {pid}" in service.stderr() for pid in pids
    ):
        assert time.monotonic() < deadline, f"not {count} workers: {pids}\n{service.stderr()[-3000:]}"
        time.sleep(0.05)
    return pids


def wait_for_log(service: LiveService, text: str, count: int = 1, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while service.stderr().count(text) < count:
        assert time.monotonic() < deadline, f"{text!r} not logged {count} times:\n{service.stderr()[-3000:]}"
        time.sleep(0.05)


def test_a_killed_worker_loses_at_most_its_request_in_flight_and_is_replaced(tiny_service):
    before = wait_for_workers(tiny_service)
    with Load(tiny_service.port) as load:
        load.wait_for(40)
        victim = min(before)
        os.kill(victim, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while not (workers(tiny_service) - before and victim not in workers(tiny_service)):
            assert time.monotonic() < deadline, f"no replacement for worker {victim}: {tiny_service.stderr()}"
            time.sleep(0.05)
        load.wait_for(40)  # and the service answers again, on both workers
    after = wait_for_workers(tiny_service)
    assert victim not in after and len(after - before) == 1
    # A sync worker handles one request at a time: only that one may have failed, as a broken connection.
    failures = load.failures()
    assert len(failures) <= 1, failures
    assert all(kind in BROKEN_CONNECTION for _, kind, _ in failures), failures
    assert f"Worker (pid:{victim}) was sent SIGKILL" in tiny_service.stderr()
    assert tiny_service.get("/readyz")[0] == 200


def test_twenty_reloads_under_load_by_admin_and_sighup_lose_no_request(
    tiny_service, publish, tiny_model, tiny_multilabel_model
):
    models = tiny_service.models
    publish("tiny-b", model=tiny_multilabel_model, promote_it=False)
    # What each model answers: a response that names a model must be that model's answer, whole.
    expected = {
        model_id: {
            SINGLE: model.predict([HEADLINES[0]], [""])[0].to_dict(),
            BATCH: [p.to_dict() for p in model.predict(HEADLINES, [""] * 3)],
        }
        for model_id, model in (("tiny-a", tiny_model), ("tiny-b", tiny_multilabel_model))
    }
    with Load(tiny_service.port) as load:
        load.wait_for(20)
        for number in range(20):
            target = "tiny-b" if number % 2 == 0 else "tiny-a"
            promote(models / target, models / "current")
            if number % 2 == 0:
                status, body = tiny_service.request("POST", "/v1/admin/reload", None, BEARER)
                assert status == 200 and body["model"] == target, body
            else:
                tiny_service.process.send_signal(signal.SIGHUP)
            # The master reloads (an admin reload is passed on to it as a SIGHUP) and forks new workers.
            wait_for_log(tiny_service, "reloaded: now serving", count=number + 1)
            load.wait_for(5)
        load.wait_for(20)
    assert load.failures() == []
    assert set(load.models()) == {"tiny-a", "tiny-b"} and sum(load.models().values()) == len(load.outcomes)
    for _, _, answer in load.outcomes:
        body = answer.get("results") or answer
        model_id = answer["model"]
        if "results" in answer:
            assert [{k: v for k, v in r.items() if k != "id"} for r in body] == expected[model_id][BATCH]
        else:
            assert {k: v for k, v in body.items() if k != "model"} == expected[model_id][SINGLE]
    assert "reload refused" not in tiny_service.stderr()


def raw_get(port: int, target: str) -> tuple[int, bytes]:
    """GET ``target`` exactly as written (no client-side normalising of ``..``)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as client:
        client.sendall(f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
        response = http.client.HTTPResponse(client)
        response.begin()
        return response.status, response.read()


def test_no_path_leads_out_of_the_models_directory_or_the_static_folder(tiny_service, publish, tmp_path):
    """``current`` repointed outside, a model file symlinked outside, parameters naming paths, ``..`` URLs."""
    models = tiny_service.models
    outside = publish("tiny-outside", promote_it=False).rename(tmp_path / "outside")
    served = tiny_service.get("/v1/model")[1]["id"]
    for attempts, link_target in enumerate(
        (outside, os.path.relpath(outside, models), "../../../../../etc"), 1
    ):
        os.symlink(link_target, models / "current.tmp")
        os.replace(models / "current.tmp", models / "current")
        status, body = tiny_service.request("POST", "/v1/admin/reload", None, BEARER)
        assert status == 409 and body["kept"] == served and "outside the models directory" in body["detail"]
        tiny_service.process.send_signal(signal.SIGHUP)
        wait_for_log(tiny_service, f"reload refused, still serving {served}", count=attempts)
    # A model directory inside whose model.joblib is a symlink to a file elsewhere.
    inside = publish("tiny-c", promote_it=False)
    (inside / "model.joblib").rename(tmp_path / "elsewhere.joblib")  # the checksum still matches
    os.symlink(tmp_path / "elsewhere.joblib", inside / "model.joblib")
    promote(inside, models / "current")
    status, body = tiny_service.request("POST", "/v1/admin/reload", None, BEARER)
    assert status == 409 and "model.joblib: leads to" in body["detail"] and "outside" in body["detail"]
    # Reload takes no model name: one given in the query or the body changes nothing.
    promote(models / "tiny-a", models / "current")
    for query, body in (("?model=../outside", None), ("", json.dumps({"model": str(outside)}).encode())):
        headers = BEARER | {"Content-Type": "application/json"}
        status, answer = tiny_service.request("POST", "/v1/admin/reload" + query, body, headers)
        assert status == 200 and answer["model"] == "tiny-a"
    for target in (
        "/static/../../pyproject.toml",
        "/static/%2e%2e/%2e%2e/pyproject.toml",
        "/static/..%2f..%2fpyproject.toml",
        "/static/%2e%2e%2f%2e%2e%2fservice%2fapp.py",
        "/static//etc/passwd",
        "/static/..\\..\\pyproject.toml",
        "/../../../../etc/passwd",
    ):
        status, raw = raw_get(tiny_service.port, target)
        assert status in {308, 400, 404}, (target, status)  # 308: werkzeug merging "//" into "/"
        assert b"[project]" not in raw and b"root:" not in raw and b"create_app" not in raw
    assert tiny_service.get("/readyz")[0] == 200

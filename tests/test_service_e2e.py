"""A real gunicorn on 127.0.0.1, started with ``headline-tagger start`` or ``serve`` as a user would."""

import http.client
import json
import os
import signal
import socket
import subprocess
import time

import pytest
from conftest import ADMIN_TOKEN, REPO, LiveService

from classifier.persistence import read_manifest

CLI = str(REPO / ".venv" / "bin" / "headline-tagger")


def every_worker_serves(service: LiveService, model_id: str, timeout: float = 30) -> bool:
    """Whether, within ``timeout``, 20 answers in a row (any worker) come from ``model_id``."""
    deadline, streak = time.monotonic() + timeout, 0
    while time.monotonic() < deadline and streak < 20:
        status, body = service.get("/v1/model")
        streak = streak + 1 if status == 200 and body["id"] == model_id else 0
    return streak == 20


def wait_for_log(service: LiveService, text: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while text not in service.stderr():
        assert time.monotonic() < deadline, f"{text!r} never logged:\n{service.stderr()}"
        time.sleep(0.1)


def test_start_trains_the_starter_model_and_serves_it_on_loopback(live_service):
    assert f"Listening at: http://127.0.0.1:{live_service.port}" in live_service.stderr()
    manifest = read_manifest(live_service.models / "current")
    assert live_service.get("/v1/model")[1]["id"] == manifest.model_id
    body = json.dumps({"headline": "Record heat scorches southern Europe as wildfires spread"}).encode()
    status, answer = live_service.request("POST", "/v1/tag", body, {"Content-Type": "application/json"})
    assert status == 200 and answer["label"] == "climate"


def test_metrics_add_up_across_workers(live_service):
    def labels_count() -> float:
        text = live_service.get("/metrics")[1]
        line = 'headline_tagger_requests_total{endpoint="/v1/labels",method="GET",status="200"} '
        return sum(float(row.removeprefix(line)) for row in text.splitlines() if row.startswith(line))

    before = labels_count()
    for _ in range(30):
        assert live_service.get("/v1/labels")[0] == 200
    assert {labels_count() - before for _ in range(6)} == {30.0}  # whichever worker answers /metrics


def test_requests_are_logged_as_json_lines_and_tokens_never(live_service):
    live_service.request("POST", "/v1/admin/reload", None, {"Authorization": f"Bearer {ADMIN_TOKEN}"})
    live_service.request("POST", "/v1/admin/reload", None, {"Authorization": "Bearer a-wrong-token-4711"})
    wait_for_log(live_service, "reloaded: now serving")  # the reload went on to every worker
    time.sleep(0.5)
    # stdout starts with start's training report; the request log follows, one JSON object a line.
    lines = [json.loads(line) for line in live_service.stdout().splitlines() if line.startswith("{")]
    reloads = [line["status"] for line in lines if line["path"] == "/v1/admin/reload"]
    assert reloads[-2:] == [200, 401]
    for output in (live_service.stdout(), live_service.stderr()):
        assert ADMIN_TOKEN not in output and "a-wrong-token-4711" not in output


def test_a_chunked_body_over_the_limit_is_413(live_service):
    connection = http.client.HTTPConnection("127.0.0.1", live_service.port, timeout=10)
    chunks = (b'{"headline": "' + b"x" * 65536 for _ in range(20))
    try:
        headers = {"Content-Type": "application/json"}
        connection.request("POST", "/v1/tag", body=chunks, headers=headers, encode_chunked=True)
        response = connection.getresponse()
        assert response.status == 413 and response.getheader("Content-Type") == "application/problem+json"
    finally:
        connection.close()


def test_a_content_length_over_the_limit_is_413_before_the_body_is_sent(live_service):
    head = b"POST /v1/tag HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
    with socket.create_connection(("127.0.0.1", live_service.port), timeout=10) as client:
        client.sendall(head + b"Content-Length: %d\r\n\r\n" % (2 << 20))
        response = http.client.HTTPResponse(client)
        response.begin()
        assert response.status == 413 and response.getheader("Content-Type") == "application/problem+json"


def test_a_body_sent_in_parts_is_read_whole_through_gunicorn(live_service):
    body = json.dumps({"items": [{"id": n, "headline": "Striker scores twice"} for n in range(50)]}).encode()
    head = b"POST /v1/tag HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
    with socket.create_connection(("127.0.0.1", live_service.port), timeout=10) as client:
        client.sendall(head + b"Content-Length: %d\r\n\r\n" % len(body) + body[:7])
        time.sleep(0.2)
        client.sendall(body[7:])
        response = http.client.HTTPResponse(client)
        response.begin()
        assert response.status == 200 and [r["id"] for r in json.loads(response.read())["results"]] == list(
            range(50)
        )


def test_sighup_reloads_every_worker_and_refuses_a_broken_model(tiny_service, publish):
    publish("tiny-b")
    tiny_service.process.send_signal(signal.SIGHUP)
    assert every_worker_serves(tiny_service, "tiny-b")
    (publish("tiny-broken") / "model.joblib").write_bytes(b"broken")
    tiny_service.process.send_signal(signal.SIGHUP)
    wait_for_log(tiny_service, "reload refused, still serving tiny-b")
    assert every_worker_serves(tiny_service, "tiny-b", timeout=5)
    assert tiny_service.get("/readyz")[0] == 200


def test_admin_reload_reaches_every_worker(tiny_service, publish):
    publish("tiny-c")
    bearer = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    status, body = tiny_service.request("POST", "/v1/admin/reload", None, bearer)
    assert (status, body) == (200, {"model": "tiny-c", "previous": "tiny-a"})
    assert every_worker_serves(tiny_service, "tiny-c")


def test_sigterm_lets_a_request_in_flight_finish_and_exits_0(tiny_service):
    body = json.dumps({"headline": "Striker scores twice"}).encode()
    head = b"POST /v1/tag HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
    with socket.create_connection(("127.0.0.1", tiny_service.port), timeout=10) as client:
        client.sendall(head + b"Content-Length: %d\r\n\r\n" % len(body) + body[:5])
        time.sleep(0.5)  # a worker now runs the request, waiting for the rest of the body
        tiny_service.process.send_signal(signal.SIGTERM)
        time.sleep(0.5)
        client.sendall(body[5:])
        response = http.client.HTTPResponse(client)
        response.begin()
        assert response.status == 200 and json.loads(response.read())["label"] == "sport"
    assert tiny_service.stop() == 0
    assert "Shutting down: Master" in tiny_service.stderr()


@pytest.mark.parametrize("where", ["missing", "outside"])
def test_serve_refuses_to_start_without_a_loadable_model_inside_the_models_dir(tmp_path, publish, where):
    args = [CLI, "serve", "--models-dir", str(tmp_path / "empty"), "--port", "1"]
    if where == "outside":
        args += ["--model", str(publish("tiny-a"))]
    env = {k: v for k, v in os.environ.items() if not k.startswith("HEADLINE_TAGGER_")}
    result = subprocess.run(args, capture_output=True, text=True, timeout=60, env=env, check=False)
    assert result.returncode == 1
    expected = "no such model directory" if where == "missing" else "outside the models directory"
    assert expected in result.stderr and "Traceback" not in result.stderr

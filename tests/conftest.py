"""Shared fixtures: tiny hand-written data and models fitted once per session."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from postgres_server import PostgresServer, server_binaries

from classifier.inputs.datasets import LabeledData
from classifier.model.features import FeatureSettings
from classifier.persistence import promote, save_model
from classifier.training import TrainingSettings, train

FIXTURES = Path(__file__).parent / "fixtures"
REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"


def tiny_data() -> LabeledData:
    """The 36-row, three-topic hand-written training set."""
    data = LabeledData()
    for line in (FIXTURES / "tiny_train.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        data.headlines.append(row["headline"])
        data.teasers.append(row["teaser"])
        data.labels.append((row["label"],))
    return data


def assert_contributions_add_up(model, headline: str, teaser: str) -> None:
    """Each label's n-gram contributions plus its intercept are its decision score, exactly."""
    classifier = model.pipeline.named_steps["classifier"]
    decisions = classifier.class_scores(model.transform([headline], [teaser]))
    for column, label in enumerate(model.labels):
        _, intercept = model.linear_terms(label)
        total = sum(c.weight for c in model.contributions(headline, teaser, label)) + intercept
        assert total == pytest.approx(decisions[0, column], abs=1e-5)


@pytest.fixture
def tiny():
    """A fresh copy of the tiny training set (tests may change it)."""
    return tiny_data()


@pytest.fixture(scope="session")
def tiny_model():
    """A single-label model fitted on the tiny set (no validation split)."""
    return train(
        tiny_data(), TrainingSettings(features=FeatureSettings(min_df=1), validation_fraction=0.0)
    ).model


@pytest.fixture(scope="session")
def tiny_multilabel_model():
    """A multi-label model on the tiny set plus a few two-topic rows."""
    data = tiny_data()
    extra = [
        (
            "Finance minister unveils budget with tax cuts",
            "Markets rallied on the plan.",
            ("politics", "finance"),
        ),
        ("Club owner fined by regulator over share deal", "The stock fell.", ("sport", "finance")),
        (
            "Sports minister resigns over stadium funding",
            "Parliament demanded answers.",
            ("politics", "sport"),
        ),
    ]
    for headline, teaser, labels in extra:
        data.headlines.append(headline)
        data.teasers.append(teaser)
        data.labels.append(labels)
    return train(
        data, TrainingSettings(features=FeatureSettings(min_df=1), validation_fraction=0.0, multilabel=True)
    ).model


# -- the HTTP service -----------------------------------------------------------------------------------


@pytest.fixture
def service_env(monkeypatch):
    """No HEADLINE_TAGGER_* variable from the developer's shell leaks into a service test."""
    for name in [name for name in os.environ if name.startswith("HEADLINE_TAGGER_")]:
        monkeypatch.delenv(name)
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)


@pytest.fixture
def publish(tmp_path, tiny_model):
    """``publish(model_id, promote_it=True, model=None, report_html=None)``: save a model under that id in
    ``tmp_path/models``.

    The model (the tiny one unless given) is saved with the default taxonomy (its
    three labels are in it) and ``models/current`` points at it unless
    ``promote_it`` is false.
    """
    models = tmp_path / "models"

    def save(model_id: str, *, promote_it: bool = True, model=None, report_html: str | None = None) -> Path:
        target = models / model_id
        source = {"source": f"tiny:{FIXTURES}/tiny_train.jsonl", "path": str(FIXTURES / "tiny_train.jsonl")}
        save_model(
            model or tiny_model,
            target,
            model_id=model_id,
            taxonomy="default",
            hyperparameters={},
            sources=[{**source, "preset": None, "label_map": None, "rows": 36, "sha256": "0" * 64}],
            training={},
            validation_metrics={"accuracy": 1.0},
            report_html=report_html,
        )
        if promote_it:
            promote(target, models / "current")
        return target

    return save


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def postgres_server():
    """A real PostgreSQL server on 127.0.0.1 for the session; skipped, saying why, where it cannot start."""
    binaries = server_binaries()
    if binaries is None:
        pytest.skip("no PostgreSQL server here (Debian's postgresql package; .ci/run installs it)")
    server = PostgresServer(binaries, free_port())
    try:
        server.start()
    except (OSError, subprocess.SubprocessError) as error:
        detail = getattr(error, "stderr", "") or ""
        server.stop()
        pytest.skip(f"PostgreSQL did not start: {error} {detail.strip()[-300:]}")
    yield server
    server.stop()


@pytest.fixture
def postgres_url(postgres_server, request):
    """The URL of a new, empty database on the session's PostgreSQL server."""
    import psycopg

    name = f"t{os.getpid()}_{request.node.nodeid.__hash__() & 0xFFFFFFF:x}_{time.monotonic_ns() % 10**9}"
    with psycopg.connect(postgres_server.url(), autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    return postgres_server.url(name)


@pytest.fixture(params=["sqlite", "postgresql"])
def feedback_location(request, tmp_path):
    """Where a corrections store lives: an SQLite file, then a database on a real PostgreSQL server."""
    if request.param == "sqlite":
        return str(tmp_path / "feedback.db")
    return request.getfixturevalue("postgres_url")


class LiveService:
    """A real ``headline-tagger`` server process on 127.0.0.1, its logs, and its models folder.

    Its environment is this one without any ``HEADLINE_TAGGER_*`` variable, plus ``env``.
    """

    def __init__(self, args: list[str], models: Path, logs: Path, env: dict[str, str]) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.models, self.stdout_path, self.stderr_path = models, logs / "stdout.log", logs / "stderr.log"
        with open(self.stdout_path, "wb") as out, open(self.stderr_path, "wb") as err:
            self.process = subprocess.Popen(
                [str(REPO / ".venv" / "bin" / "headline-tagger"), *args, "--port", str(self.port)],
                stdout=out,
                stderr=err,
                env={k: v for k, v in os.environ.items() if not k.startswith("HEADLINE_TAGGER_")} | env,
                cwd=logs,
            )

    def get(self, path: str) -> tuple[int, dict | str]:
        """GET ``path``: (status, parsed JSON body or text)."""
        return self.request("GET", path, None, {})

    def request(self, method: str, path: str, body: bytes | None, headers: dict) -> tuple[int, dict | str]:
        request = urllib.request.Request(self.url + path, data=body, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                status, raw, kind = response.status, response.read(), response.headers.get_content_type()
        except urllib.error.HTTPError as error:
            status, raw, kind = error.code, error.read(), error.headers.get_content_type()
        return status, json.loads(raw) if kind.endswith("json") else raw.decode()

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"server exited with {self.process.returncode}:\n{self.stderr()}")
            try:
                if self.get("/readyz")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"server not ready after {timeout} s:\n{self.stderr()}")

    def stop(self) -> int:
        """SIGTERM, then the exit status (killed, and a failure, after 30 s)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
                raise AssertionError("server did not stop within 30 s of SIGTERM") from None
        return self.process.returncode

    def stdout(self) -> str:
        return self.stdout_path.read_text(encoding="utf-8")

    def stderr(self) -> str:
        return self.stderr_path.read_text(encoding="utf-8")


ADMIN_TOKEN = "e2e-admin-token-0f3a9c"


def problem(response, status: int) -> dict:
    """The problem document of a test-client ``response``, after checking its status and media type."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.content_type == "application/problem+json"
    body = response.get_json(force=True)
    assert body["status"] == status and body["title"] and body["detail"] and body["type"]
    return body


@pytest.fixture
def tiny_service(tmp_path, publish):
    """``serve`` on the tiny model ``tiny-a``: two workers, an admin token, 127.0.0.1."""
    publish("tiny-a")
    args = ["serve", "--models-dir", str(tmp_path / "models"), "--workers", "2"]
    service = LiveService(args, tmp_path / "models", tmp_path, {"HEADLINE_TAGGER_ADMIN_TOKEN": ADMIN_TOKEN})
    service.wait_ready()
    yield service
    assert service.stop() == 0, service.stderr()[-3000:]


@pytest.fixture(scope="session")
def live_service(tmp_path_factory):
    """The first README command's end state: ``start`` trained the starter model and serves it.

    Two gunicorn workers on 127.0.0.1, with an admin token; stopped with SIGTERM
    at the end of the session, which must end with exit status 0.
    """
    root = tmp_path_factory.mktemp("live")
    env = {"HEADLINE_TAGGER_ADMIN_TOKEN": ADMIN_TOKEN}
    service = LiveService(
        ["start", "--models-dir", str(root / "models"), "--workers", "2"], root / "models", root, env
    )
    try:
        service.wait_ready()
        yield service
    finally:
        assert service.stop() == 0, service.stderr()


# -- archive tagging --------------------------------------------------------------------------------------

TAGGING_DATA = Path(__file__).parent / "data" / "tagging"


def save_bare(model, target: Path, model_id: str) -> Path:
    """``model`` saved as the model directory ``target``: no taxonomy, sources, metrics or report."""
    save_model(
        model,
        target,
        model_id=model_id,
        taxonomy=None,
        hyperparameters={},
        sources=[],
        training={},
        validation_metrics=None,
    )
    return target


@pytest.fixture(scope="session")
def tagging_model_dir(tmp_path_factory, tiny_model):
    """The tiny single-label model saved as a model directory, for the tag command's tests."""
    return save_bare(tiny_model, tmp_path_factory.mktemp("tag-model") / "model", "tiny-tagger")


def tagging_job(inputs, output: Path, model_dir: Path, **options):
    """A tagging job with the tagging archives' field names (``id``, no labels), tolerating 100 bad rows."""
    from classifier.inputs.records import ReadOptions
    from classifier.tagging.job import TagJob

    settings = {"options": ReadOptions(label_field=None, id_field="id"), "max_bad_rows": "100", **options}
    return TagJob(inputs=tuple(str(i) for i in inputs), output=output, model_dir=model_dir, **settings)


class Crash(BaseException):
    """Stands for the process dying at this point (it is not an Exception, like SIGKILL is not)."""


def crash_after_commits(monkeypatch, commits: int) -> None:
    """Make a tagging run die right after its ``commits``-th commit."""
    from classifier.tagging.store import Staging

    real_commit = Staging.commit
    done = []

    def commit(self, committed, rejects):
        real_commit(self, committed, rejects)
        done.append(1)
        if len(done) == commits:
            raise Crash

    monkeypatch.setattr(Staging, "commit", commit)

"""A bad deploy never serves: broken, swapped, missing or foreign models stop ``serve`` and ``predict``
with a clear message, and leave a plain WSGI server alive but never ready.

Every case starts from a good tiny model and breaks one thing. The ``serve``
processes of all the cases run at once, in one module fixture, to keep the
suite fast on two cores; ``predict`` runs in-process through click's runner.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import time
import urllib.error
import urllib.request

import pytest
from click.testing import CliRunner
from conftest import ADMIN_TOKEN, FIXTURES, REPO, free_port

from classifier.cli import main
from classifier.persistence import promote, save_model

CLI = str(REPO / ".venv" / "bin" / "headline-tagger")
GUNICORN = str(REPO / ".venv" / "bin" / "gunicorn")


def _corrupt(model_dir, other) -> None:
    """Flip bytes in the middle of model.joblib; its size stays the same."""
    path = model_dir / "model.joblib"
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 16] = bytes(b ^ 0xFF for b in data[middle : middle + 16])
    path.write_bytes(bytes(data))


def _truncate(model_dir, other) -> None:
    path = model_dir / "model.joblib"
    with open(path, "r+b") as handle:
        handle.truncate(path.stat().st_size // 2)


def _swap(model_dir, other) -> None:
    """Another model's file, a valid model in itself, in place of this one's."""
    shutil.copyfile(other / "model.joblib", model_dir / "model.joblib")


def _edit_manifest(model_dir, change) -> None:
    path = model_dir / "manifest.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    change(manifest)
    path.write_text(json.dumps(manifest), encoding="utf-8")


def _garbage_with_its_checksum(model_dir, other) -> None:
    """Not a pickle, with the manifest rewritten to match it: the checksum passes, the load must not."""
    garbage = b"this is not a joblib pickle\n" * 100
    (model_dir / "model.joblib").write_bytes(garbage)
    _edit_manifest(model_dir, lambda m: m.update(model_sha256=hashlib.sha256(garbage).hexdigest()))


def _other_sklearn(model_dir, other) -> None:
    _edit_manifest(model_dir, lambda m: m["versions"].update(scikit_learn="0.24.2"))


def _no_current(model_dir, other) -> None:
    (model_dir.parent / "current").unlink()


# case: (how to break the model, what the message must say)
CASES = {
    "corrupted": (_corrupt, "checksum mismatch"),
    "truncated": (_truncate, "checksum mismatch"),
    "swapped": (_swap, "checksum mismatch"),
    "garbage-with-matching-checksum": (_garbage_with_its_checksum, "cannot load"),
    "other-scikit-learn": (_other_sklearn, "made with scikit-learn 0.24.2"),
    "missing-current": (_no_current, "no such model directory"),
}


def publish(models, model_id: str, model):
    save_model(
        model,
        models / model_id,
        model_id=model_id,
        taxonomy="default",
        hyperparameters={},
        sources=[{"path": str(FIXTURES / "tiny_train.jsonl"), "rows": 36, "sha256": "0" * 64}],
        training={},
        validation_metrics=None,
    )
    return models / model_id


def _environment() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("HEADLINE_TAGGER_")}


@pytest.fixture(scope="module")
def broken(tmp_path_factory, tiny_model, tiny_multilabel_model):
    """For each case, a models folder broken that way, and what ``serve`` (a real process) did with it."""
    root = tmp_path_factory.mktemp("broken")
    other = publish(root / "other", "tiny-other", tiny_multilabel_model)
    results, processes = {}, {}
    for case, (breaks, _) in CASES.items():
        models = root / case / "models"
        model_dir = publish(models, "tiny-a", tiny_model)
        promote(model_dir, models / "current")
        breaks(model_dir, other)
        results[case, "models"] = models
        args = [CLI, "serve", "--models-dir", str(models), "--port", str(free_port())]
        processes[case] = subprocess.Popen(
            args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_environment()
        )
    try:
        for case, process in processes.items():
            stdout, stderr = process.communicate(timeout=120)
            results[case, "serve"] = (process.returncode, stdout, stderr)
    finally:
        for process in processes.values():  # one that started serving after all must not outlive us
            if process.poll() is None:
                process.kill()
                process.wait()
    return results


@pytest.mark.parametrize("case", CASES)
def test_serve_refuses_a_bad_model_before_it_listens(broken, case):
    """``serve`` loads the model before gunicorn starts: exit 1, the reason, and no port ever bound."""
    status, stdout, stderr = broken[case, "serve"]
    assert status == 1, stderr
    assert CASES[case][1] in stderr and stderr.startswith("Error: ")
    assert "Traceback" not in stderr
    assert "Starting gunicorn" not in stderr and "Listening at" not in stderr + stdout


@pytest.mark.parametrize("case", CASES)
def test_predict_refuses_a_bad_model_with_a_clear_message(broken, case):
    current = broken[case, "models"] / "current"
    result = CliRunner().invoke(main, ["predict", "Striker scores twice", "--model", str(current)])
    assert result.exit_code == 1 and result.exception.__class__ is SystemExit
    assert CASES[case][1] in result.output and "Traceback" not in result.output


@pytest.mark.parametrize("case", ["truncated", "other-scikit-learn"])
def test_a_plain_wsgi_server_is_alive_but_never_ready_until_a_good_reload(broken, case, tmp_path, tiny_model):
    """``gunicorn service.wsgi:app`` with a bad model: /livez 200, /readyz 503 with a log line saying why."""
    models = broken[case, "models"]
    port = free_port()
    env = _environment() | {
        "HEADLINE_TAGGER_MODELS_DIR": str(models),
        "HEADLINE_TAGGER_ADMIN_TOKEN": ADMIN_TOKEN,
    }
    log = tmp_path / "stderr.log"
    with open(log, "wb") as err:
        process = subprocess.Popen(
            [
                GUNICORN,
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "1",
                "--no-control-socket",
                "service.wsgi:app",
            ],
            stdout=subprocess.DEVNULL,
            stderr=err,
            env=env,
            cwd=REPO,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while "Booting worker" not in log.read_text() or _status(url + "/livez") != 200:
            assert time.monotonic() < deadline and process.poll() is None, log.read_text()
            time.sleep(0.1)
        for _ in range(10):  # a second of asking: never ready
            assert _status(url + "/readyz") == 503
            time.sleep(0.1)
        [line] = [line for line in log.read_text().splitlines() if "no model loaded, not ready: " in line]
        assert str(models) in line and CASES[case][1] in line
        # The operator deploys a good model and reloads: ready, with no restart.
        promote(publish(models, "tiny-good", tiny_model), models / "current")
        bearer = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
        assert _status(url + "/v1/admin/reload", method="POST", headers=bearer) == 200
        assert _status(url + "/readyz") == 200
    finally:
        process.terminate()
        process.wait(timeout=30)


def _status(url: str, **options) -> int | None:
    """The HTTP status of a request to ``url``; None when nothing answers."""
    try:
        with urllib.request.urlopen(urllib.request.Request(url, **options), timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        error.close()
        return error.code
    except OSError:
        return None

"""The models folder as a registry: listing, promotion, rollback and the append-only history."""

import itertools
import json
import multiprocessing
import shutil

import pytest
from conftest import ADMIN_TOKEN

from classifier.errors import ModelError
from classifier.persistence import promote, read_manifest
from classifier.registry import (
    HISTORY_FILE,
    RegistryError,
    change_current,
    current_model,
    list_models,
    promote_model,
    read_history,
    rollback,
)
from service import create_app


def _current_id(models):
    return read_manifest(models / "current").model_id


def test_list_shows_each_model_its_numbers_and_which_is_current(publish, tmp_path):
    first = publish("m1", promote_it=False)
    publish("m2")
    manifest = json.loads((first / "manifest.json").read_text())
    manifest["training"] = {"rows": 36, "feedback": {"store": "feedback.db", "corrections": 7}}
    (first / "manifest.json").write_text(json.dumps(manifest))
    (tmp_path / "models" / "broken").mkdir()
    (tmp_path / "models" / ".m3.partial").mkdir()  # a save in progress is not a model yet

    entries, problems = list_models(tmp_path / "models")

    assert [(entry.id, entry.current) for entry in entries] == [("m1", False), ("m2", True)]
    assert (entries[0].rows, entries[0].corrections) == (36, 7)
    assert (entries[1].rows, entries[1].corrections) == (None, None)
    assert entries[1].validation == {"accuracy": 1.0}
    assert len(problems) == 1 and "broken" in problems[0]


def test_promote_swaps_current_and_records_who_from_and_to(publish, tmp_path):
    models = tmp_path / "models"
    publish("m1")
    publish("m2", promote_it=False)

    change = promote_model(models, "m2", user="alice")

    assert _current_id(models) == "m2"
    [recorded] = read_history(models).changes
    assert recorded == change
    assert (recorded.user, recorded.action) == ("alice", "promote")
    assert (recorded.previous, recorded.to) == ("m1", "m2")
    assert promote_model(models, "m2") is None  # already current: nothing changes, nothing is recorded
    assert len(read_history(models).changes) == 1


def test_rollback_walks_back_through_the_promotions_and_a_new_promotion_starts_a_branch(publish, tmp_path):
    models = tmp_path / "models"
    for name in ("m1", "m2", "m3"):
        publish(name, promote_it=False)
    for name in ("m1", "m2", "m3"):
        promote_model(models, name)

    assert rollback(models).to == "m2"
    assert rollback(models).to == "m1"
    with pytest.raises(RegistryError, match="m1 was the first current model"):
        rollback(models)
    promote_model(models, "m3")
    change = rollback(models)

    assert (change.action, change.previous, change.to) == ("rollback", "m3", "m1")
    assert _current_id(models) == "m1"
    assert [c.action for c in read_history(models).changes] == ["promote"] * 3 + ["rollback"] * 2 + [
        "promote",
        "rollback",
    ]


def test_rollback_needs_a_history_and_does_not_create_one(publish, tmp_path):
    publish("m1")
    with pytest.raises(RegistryError, match="no promotion to roll back"):
        rollback(tmp_path / "models")
    assert not (tmp_path / "models" / HISTORY_FILE).exists()


def test_a_change_measured_against_another_model_than_current_is_refused(publish, tmp_path):
    models = tmp_path / "models"
    publish("m1")
    publish("m2", promote_it=False)
    with pytest.raises(RegistryError, match="now points at m1, not at m0 as when the comparison began"):
        change_current(models, models / "m2", action="train", replacing="m0")
    assert _current_id(models) == "m1" and not read_history(models).changes
    assert change_current(models, models / "m2", action="train", replacing="m1").to == "m2"


def test_rollback_refuses_when_current_was_moved_behind_the_historys_back(publish, tmp_path):
    models = tmp_path / "models"
    publish("m1", promote_it=False)
    publish("m2", promote_it=False)
    promote_model(models, "m1")
    promote_model(models, "m2")
    promote(models / "m1", models / "current")  # not through the registry: no history line

    with pytest.raises(RegistryError, match="moved by other means"):
        rollback(models)
    assert _current_id(models) == "m1"


def test_promote_refuses_an_unknown_id_and_a_model_outside_the_folder(publish, tmp_path):
    models = tmp_path / "models"
    outside = tmp_path / "elsewhere" / "m9"
    shutil.copytree(publish("m1"), outside)
    with pytest.raises(ModelError, match="no such model directory"):
        promote_model(models, "nope")
    with pytest.raises(RegistryError, match="not a model of"):
        promote_model(models, str(outside))
    assert _current_id(models) == "m1" and not read_history(models).changes


def test_a_torn_last_line_is_reported_skipped_and_never_swallows_the_next(publish, tmp_path):
    models = tmp_path / "models"
    publish("m1", promote_it=False)
    publish("m2", promote_it=False)
    promote_model(models, "m1")
    with open(models / HISTORY_FILE, "ab") as history:
        history.write(b'{"time": "2026-12-04T00:00:00+00:00", "user": "bob", "act')  # a crash mid-write

    promote_model(models, "m2")
    history = read_history(models)

    assert [(c.previous, c.to) for c in history.changes] == [(None, "m1"), ("m1", "m2")]
    assert len(history.problems) == 1 and f"{HISTORY_FILE}:2:" in history.problems[0]
    assert rollback(models).to == "m1"


def _promote_many(models, worker: int, count: int) -> None:
    for step in range(count):
        change_current(models, models / f"m{(worker + step) % 2}", action="promote", user=f"worker-{worker}")


def test_concurrent_changes_never_interleave_lose_a_line_or_record_a_stale_from(publish, tmp_path):
    models = tmp_path / "models"
    publish("m0")
    publish("m1", promote_it=False)
    context = multiprocessing.get_context("fork")
    workers = [context.Process(target=_promote_many, args=(models, worker, 50)) for worker in range(4)]
    for process in workers:
        process.start()
    for process in workers:
        process.join(timeout=60)
        assert process.exitcode == 0

    lines = (models / HISTORY_FILE).read_bytes().split(b"\n")
    assert lines[-1] == b"" and all(json.loads(line)["action"] == "promote" for line in lines[:-1])
    history = read_history(models)
    assert len(history.changes) == 200 and not history.problems
    for worker in range(4):
        assert sum(1 for c in history.changes if c.user == f"worker-{worker}") == 50
    # Each change read the current model under the lock, so it starts where the one before ended.
    assert all(after.previous == before.to for before, after in itertools.pairwise(history.changes))
    assert current_model(models) == history.changes[-1].to


def test_a_running_service_follows_promotion_and_rollback_on_reload(publish, tmp_path, service_env):
    models = tmp_path / "models"
    publish("m1")
    publish("m2", promote_it=False)
    client = create_app({"MODELS_DIR": models, "ADMIN_TOKEN": ADMIN_TOKEN}).test_client()
    bearer = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    assert client.get("/v1/model").get_json()["id"] == "m1"

    promote_model(models, "m2")
    assert client.get("/v1/model").get_json()["id"] == "m1"  # until it is told to reload
    assert client.post("/v1/admin/reload", headers=bearer).get_json() == {"model": "m2", "previous": "m1"}
    rollback(models)
    assert client.post("/v1/admin/reload", headers=bearer).get_json()["model"] == "m1"


def test_a_history_that_cannot_be_written_leaves_current_where_it_was(publish, tmp_path, monkeypatch):
    models = tmp_path / "models"
    publish("m1")
    publish("m2", promote_it=False)

    def disk_full(descriptor, path, change):
        raise RegistryError(f"{path}: cannot append to the history: No space left on device")

    monkeypatch.setattr("classifier.registry._append", disk_full)
    with pytest.raises(RegistryError, match="No space left"):
        promote_model(models, "m2")
    assert _current_id(models) == "m1" and read_history(models).changes == []

"""Atomic model directories and checked loading."""

import json
import os
import pickle
from pathlib import Path

import joblib
import numpy as np
import pytest

from classifier.atomic import write_atomically
from classifier.errors import ModelError
from classifier.persistence import (
    FORMAT_VERSION,
    MANIFEST_FILE,
    MODEL_FILE,
    load_model,
    promote,
    read_manifest,
    save_model,
)

HEADLINES = ["Central bank raises rates", "Striker scores twice", "Senate rejects bill", "Minister fined"]


def _save(model, out: Path, model_id: str = "test-model"):
    return save_model(
        model,
        out,
        model_id=model_id,
        taxonomy=None,
        hyperparameters={"C": 10.0},
        sources=[{"source": "tiny", "rows": 36}],
        training={"rows": 36},
        validation_metrics=None,
    )


@pytest.fixture
def saved(tiny_model, tmp_path):
    out = tmp_path / "models" / "m1"
    _save(tiny_model, out)
    return out


def test_save_then_load_gives_identical_predictions(tiny_model, saved):
    loaded, manifest = load_model(saved)
    assert manifest.model_id == "test-model"
    assert manifest.labels == list(tiny_model.labels)
    before = [p.to_dict() for p in tiny_model.predict(HEADLINES, explain=True)]
    after = [p.to_dict() for p in loaded.predict(HEADLINES, explain=True)]
    assert before == after


def test_saved_directory_holds_only_the_model_and_manifest(saved):
    assert sorted(p.name for p in saved.iterdir()) == [MANIFEST_FILE, MODEL_FILE]
    assert not [p for p in saved.parent.iterdir() if p.name.startswith(".")]


def test_manifest_records_versions_and_checksum(saved):
    manifest = json.loads((saved / MANIFEST_FILE).read_text())
    assert {"python", "scikit_learn", "numpy"} <= set(manifest["versions"])
    assert len(manifest["model_sha256"]) == 64
    assert set(manifest["thresholds"]) == set(manifest["labels"])


def test_refuses_to_overwrite_an_existing_model(tiny_model, saved):
    with pytest.raises(ModelError, match="already exists"):
        _save(tiny_model, saved)


def test_a_failed_save_leaves_no_directory_behind(tiny_model, tmp_path, monkeypatch):
    def explode(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(joblib, "dump", explode)
    with pytest.raises(ModelError, match="No space left"):
        _save(tiny_model, tmp_path / "m2")
    assert list(tmp_path.iterdir()) == []


def test_tampered_model_file_is_refused_before_unpickling(saved):
    path = saved / MODEL_FILE
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(ModelError, match="checksum mismatch"):
        load_model(saved)


def test_truncated_model_file_is_refused(saved):
    path = saved / MODEL_FILE
    path.write_bytes(path.read_bytes()[:1000])
    with pytest.raises(ModelError, match="checksum mismatch"):
        load_model(saved)


def test_foreign_pickle_with_matching_checksum_is_refused(saved):
    joblib.dump({"not": "a model"}, saved / MODEL_FILE)
    manifest = json.loads((saved / MANIFEST_FILE).read_text())
    import hashlib

    manifest["model_sha256"] = hashlib.sha256((saved / MODEL_FILE).read_bytes()).hexdigest()
    (saved / MANIFEST_FILE).write_text(json.dumps(manifest))
    with pytest.raises(ModelError, match="holds a dict, not a headline-tagger model"):
        load_model(saved)


def test_swapped_malicious_pickle_never_runs(saved, tmp_path):
    marker = tmp_path / "pwned"

    class Exploit:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    (saved / MODEL_FILE).write_bytes(pickle.dumps(Exploit()))
    with pytest.raises(ModelError, match="checksum mismatch"):
        load_model(saved)
    assert not marker.exists()


def test_other_scikit_learn_minor_version_needs_explicit_permission(saved):
    manifest = json.loads((saved / MANIFEST_FILE).read_text())
    manifest["versions"]["scikit_learn"] = "0.24.2"
    (saved / MANIFEST_FILE).write_text(json.dumps(manifest))
    with pytest.raises(ModelError, match=r"made with scikit-learn 0\.24\.2"):
        load_model(saved)
    model, _ = load_model(saved, allow_version_mismatch=True)
    assert model.predict(["Stocks rally"])[0].label


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda m: m.pop("labels"), "labels"),
        (lambda m: m.update(model_sha256="abc"), "model_sha256"),
        (lambda m: m.update(model_id="../../etc"), "model_id"),
        (lambda m: m.update(thresholds={"politics": 0.3}), "thresholds must name exactly"),
        (lambda m: m.update(surprise=1), "surprise"),
    ],
)
def test_invalid_manifest_is_refused_with_the_field_named(saved, change, message):
    manifest = json.loads((saved / MANIFEST_FILE).read_text())
    change(manifest)
    (saved / MANIFEST_FILE).write_text(json.dumps(manifest))
    with pytest.raises(ModelError, match=message):
        read_manifest(saved)


def test_missing_directory_and_missing_manifest_are_clear_errors(saved, tmp_path):
    with pytest.raises(ModelError, match="no such model directory"):
        load_model(tmp_path / "nowhere")
    (saved / MANIFEST_FILE).unlink()
    with pytest.raises(ModelError, match="not a headline-tagger model"):
        load_model(saved)


def test_manifest_thresholds_are_the_ones_applied(saved):
    manifest = json.loads((saved / MANIFEST_FILE).read_text())
    manifest["abstain_threshold"] = 1.0
    (saved / MANIFEST_FILE).write_text(json.dumps(manifest))
    model, _ = load_model(saved)
    assert model.predict(["Stocks rally"])[0].abstained


def test_promote_points_current_at_the_model_and_swaps_atomically(tiny_model, saved):
    current = saved.parent / "current"
    promote(saved, current)
    assert current.is_symlink() and os.readlink(current) == "m1"
    second = saved.parent / "m2"
    _save(tiny_model, second, model_id="second")
    promote(second, current)
    assert os.readlink(current) == "m2"
    assert load_model(current)[1].model_id == "second"
    assert sorted(p.name for p in saved.parent.iterdir()) == ["current", "m1", "m2"]


def test_promote_refuses_to_replace_a_real_directory(saved):
    (saved.parent / "current").mkdir()
    with pytest.raises(ModelError, match="not a symlink"):
        promote(saved, saved.parent / "current")


def test_an_atomic_write_that_fails_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    target = tmp_path / "checkpoint.json"
    write_atomically(target, b"old")
    write_atomically(target, b"new")
    assert target.read_bytes() == b"new"

    def full_disk(descriptor):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full_disk)
    with pytest.raises(OSError, match="No space left"):
        write_atomically(target, b"newer")
    assert target.read_bytes() == b"new"
    assert [path.name for path in tmp_path.iterdir()] == ["checkpoint.json"]


def test_a_model_of_format_2_loads_and_scores_as_the_release_that_saved_it(tmp_path):
    """tests/fixtures/format2-model: the tiny model saved before stemming and the vectorizer's module."""
    fixture = Path(__file__).parent / "fixtures" / "format2-model"
    expected = json.loads((fixture / "expected.json").read_text())
    model, manifest = load_model(fixture / "model")
    assert manifest.format_version == 2 and list(model.labels) == expected["labels"]
    headlines, teasers = zip(*expected["cases"], strict=True)
    assert model._scorer() is not None  # its fitted tables still serve the fast paths
    batch = model.scores(list(headlines), list(teasers))
    assert np.allclose(batch, expected["scores"], rtol=0, atol=1e-7)
    for (headline, teaser), row in zip(expected["cases"], expected["row_scores"], strict=True):
        assert np.allclose(model.scores([headline], [teaser])[0], row, rtol=0, atol=1e-7)
    assert model.predict(["Central bank raises rates"], explain=True)[0].explanations["finance"]


@pytest.mark.parametrize(
    ("version", "remedy"), [(1, "retrain the model with this version"), (4, "upgrade headline-tagger")]
)
def test_a_model_of_a_format_this_code_cannot_read_is_refused_before_unpickling(saved, version, remedy):
    manifest = json.loads((saved / MANIFEST_FILE).read_text())
    assert manifest["format_version"] == FORMAT_VERSION
    manifest["format_version"] = version
    (saved / MANIFEST_FILE).write_text(json.dumps(manifest))
    (saved / MODEL_FILE).write_bytes(b"not a pickle")
    message = rf"model format {version} is not supported .*formats 2 and 3\); {remedy}"
    with pytest.raises(ModelError, match=message):
        load_model(saved)

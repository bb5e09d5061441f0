"""headline-tagger train --feedback: the store's current corrections as weighted training rows."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from conftest import FIXTURES

from classifier import settings
from classifier.cli import main
from classifier.feedback.store import Correction, open_store
from classifier.persistence import load_model, read_manifest

DATA = FIXTURES / "tiny_train.jsonl"
# The first is a row of DATA, relabelled; the second is a new headline. The tiny model calls both sport.
OVERRIDE = {
    "headline": "Striker scores twice as club wins cup final",
    "teaser": "The match was decided in extra time.",
    "labels": ["finance"],
}
NEW = {"headline": "Goalkeeper saves three penalties as club wins cup", "teaser": "", "labels": ["finance"]}
FAST = ("--validation-fraction", "0", "--naive-bayes", "off", "--min-df", "1")


def _run(*arguments):
    return CliRunner().invoke(main, [str(argument) for argument in arguments], catch_exceptions=False)


def _train(tmp_path, *extra):
    return _run("train", DATA, "--models-dir", tmp_path / "trained", *FAST, *extra)


@pytest.fixture
def store(tmp_path, publish):
    """A store with the two corrections, imported through the command against the tiny model."""
    source = tmp_path / "corrections.jsonl"
    source.write_text("".join(json.dumps(row) + "\n" for row in (OVERRIDE, NEW)))
    db = tmp_path / "feedback.db"
    result = _run("feedback", "import", source, "--model", publish("m1"), "--feedback-db", db)
    assert result.exit_code == 0, result.output
    return db


def _predict(model_dir, rows):
    model, _ = load_model(model_dir)
    return [p.label for p in model.predict([r["headline"] for r in rows], [r["teaser"] for r in rows])]


def test_corrections_change_their_headlines_and_the_manifest_records_them(tmp_path, store):
    assert _train(tmp_path / "before").exit_code == 0
    assert _predict(tmp_path / "before" / "trained" / "current", [OVERRIDE, NEW]) == ["sport", "sport"]

    result = _train(tmp_path, "--feedback", "--feedback-db", store)
    assert result.exit_code == 0, result.output
    current = tmp_path / "trained" / "current"
    assert _predict(current, [OVERRIDE, NEW]) == ["finance", "finance"]

    with open_store(store) as opened:
        created = [c.created for c in opened.current()]
    feedback = read_manifest(current).training["feedback"]
    assert feedback == {
        "store": str(store),
        "corrections": 2,
        "weight": settings.FEEDBACK_WEIGHT,
        "first": created[0],
        "last": created[1],
        "overridden_rows": 1,
        "skipped": 0,
        "skipped_labels": {},
    }
    # The DATA row is replaced, not joined by a contradicting copy: 36 - 1 + 2 rows.
    assert read_manifest(current).training["train_rows"] == 37
    assert (
        f"learned from 2 corrections in {store} (weight {settings.FEEDBACK_WEIGHT:g}, made " in result.stderr
    )
    assert "they replace 1 rows of DATA" in result.stderr


def test_the_weight_is_an_option_and_is_recorded(tmp_path, store):
    result = _train(tmp_path, "--feedback", "--feedback-db", store, "--feedback-weight", "1.5")
    assert result.exit_code == 0, result.output
    assert read_manifest(tmp_path / "trained" / "current").training["feedback"]["weight"] == 1.5
    assert _run("train", DATA, "--feedback", "--feedback-weight", "0").exit_code == 2


def test_a_correction_with_a_label_outside_the_training_labels_is_skipped_and_reported(tmp_path, store):
    with open_store(store) as opened:
        opened.add([Correction("Storm floods the valley", "", ("weather",), "cli", "cli")])
    result = _train(tmp_path, "--feedback", "--feedback-db", store)
    assert result.exit_code == 0, result.output
    line = "note: skipped 1 corrections with labels outside the training labels: weather (1)"
    assert line in result.stderr.splitlines()
    feedback = read_manifest(tmp_path / "trained" / "current").training["feedback"]
    assert (feedback["corrections"], feedback["skipped"], feedback["skipped_labels"]) == (
        2,
        1,
        {"weather": 1},
    )


def test_a_store_whose_every_correction_has_unknown_labels_is_an_error(tmp_path):
    db = tmp_path / "weather.db"
    with open_store(db) as opened:
        opened.add([Correction("Storm floods the valley", "", ("weather",), "cli", "cli")])
    result = _train(tmp_path, "--feedback", "--feedback-db", db)
    assert result.exit_code == 1
    [line] = result.output.strip().splitlines()
    assert line.startswith(
        f"Error: {db}: none of its 1 corrections has only training labels (unknown: weather"
    )
    assert not (tmp_path / "trained").exists()


def test_a_missing_or_corrupt_store_is_one_line_and_no_model(tmp_path):
    missing = tmp_path / "nowhere.db"
    result = _train(tmp_path, "--feedback", "--feedback-db", missing)
    assert result.exit_code == 1 and not missing.exists()
    assert result.output.strip().splitlines() == [
        f"Error: {missing}: no corrections store there (`headline-tagger feedback import` creates one)"
    ]
    corrupt = tmp_path / "corrupt.db"
    corrupt.write_bytes(b"no database here" * 200)
    result = _train(tmp_path, "--feedback", "--feedback-db", corrupt)
    assert result.exit_code == 1
    reason = "cannot open the corrections store: it is not a corrections store, or it is corrupt"
    assert result.output.strip().splitlines() == [f"Error: {corrupt}: {reason}"]
    assert not (tmp_path / "trained").exists()


def test_feedback_alone_uses_the_store_the_environment_names(tmp_path, store, monkeypatch):
    monkeypatch.setenv("HEADLINE_TAGGER_FEEDBACK_DB", str(store))
    result = _train(tmp_path, "--feedback")
    assert result.exit_code == 0, result.output
    assert read_manifest(tmp_path / "trained" / "current").training["feedback"]["store"] == str(store)


def test_feedback_options_without_feedback_are_a_usage_error(tmp_path, store):
    result = _train(tmp_path, "--feedback-db", store)
    assert (
        result.exit_code == 2
        and "--feedback-db is for training with corrections: add --feedback" in result.output
    )
    assert not (tmp_path / "trained").exists()


def test_a_postgresql_store_trains_like_a_file_and_the_manifest_names_it_without_a_password(
    tmp_path, postgres_url
):
    # The test server trusts local connections, so a password in the URL is accepted and ignored.
    url = postgres_url.replace("@", ":s3cret-pw@", 1)
    with open_store(url) as opened:
        opened.add([Correction(NEW["headline"], NEW["teaser"], ("finance",), "cli", "cli")])
    result = _train(tmp_path, "--feedback", "--feedback-db", url)
    assert result.exit_code == 0, result.output
    current = tmp_path / "trained" / "current"
    assert _predict(current, [NEW]) == ["finance"]
    feedback = read_manifest(current).training["feedback"]
    assert feedback["corrections"] == 1 and postgres_url.split("@")[1] in feedback["store"]
    assert "s3cret-pw" not in (current / "manifest.json").read_text() and "s3cret-pw" not in result.output


def test_a_multilabel_model_learns_a_correction_with_two_labels(tmp_path, store):
    both = {**NEW, "labels": ["finance", "sport"]}
    with open_store(store) as opened:
        opened.add([Correction(both["headline"], both["teaser"], ("finance", "sport"), "cli", "cli")])
    multilabel = ("--multilabel", "--validation-fraction", "0.2")
    assert (
        _run("train", DATA, "--models-dir", tmp_path / "before", "--min-df", "1", *multilabel).exit_code == 0
    )
    model, _ = load_model(tmp_path / "before" / "current")
    assert [item.label for item in model.predict([both["headline"]])[0].labels] == ["sport"]

    result = _run(
        "train", DATA, "--models-dir", tmp_path / "after", "--min-df", "1", *multilabel, "--feedback",
        "--feedback-db", store,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    model, _ = load_model(tmp_path / "after" / "current")  # the routed weights survive saving and loading
    assert {item.label for item in model.predict([both["headline"]])[0].labels} == {"finance", "sport"}

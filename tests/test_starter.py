"""The bundled starter corpus and the out-of-the-box model trained from it."""

import json
from collections import Counter

import pytest
from click.testing import CliRunner

from classifier.cli import main
from classifier.persistence import load_model
from classifier.taxonomy import load_taxonomy
from classifier.workflows import STARTER_CORPUS

ROWS = [json.loads(line) for line in STARTER_CORPUS.read_text(encoding="utf-8").splitlines()]


def test_corpus_covers_every_topic_with_at_least_200_rows():
    anywhere = Counter(label for row in ROWS for label in row["labels"])
    assert set(anywhere) == set(load_taxonomy().labels)
    assert min(anywhere.values()) >= 200
    assert min(Counter(row["labels"][0] for row in ROWS).values()) >= 180


def test_about_a_sixth_of_the_rows_carry_two_topics():
    share = sum(len(row["labels"]) == 2 for row in ROWS) / len(ROWS)
    assert 0.15 <= share <= 0.25
    assert all(len(set(row["labels"])) == len(row["labels"]) for row in ROWS)


def test_rows_are_complete_and_unique():
    assert all(set(row) == {"headline", "teaser", "labels"} for row in ROWS)
    assert all(row["headline"].strip() and row["teaser"].strip() for row in ROWS)
    assert len({row["headline"].lower() for row in ROWS}) == len(ROWS)


@pytest.fixture(scope="module")
def starter_models(tmp_path_factory):
    models = tmp_path_factory.mktemp("models")
    result = CliRunner().invoke(main, ["start", "--models-dir", str(models), "--no-serve"])
    assert result.exit_code == 0, result.output
    return models, result.output


def test_start_trains_the_starter_model_and_shows_predictions(starter_models):
    # Without --no-serve, start then serves the model: tests/test_service_e2e.py runs that.
    models, output = starter_models
    _, manifest = load_model(models / "current")
    assert manifest.labels == sorted(load_taxonomy().labels)
    assert manifest.taxonomy == "default"
    assert manifest.validation_metrics["accuracy"] >= 0.75
    assert "Record heat scorches southern Europe as wildfires spread\n  climate" in output


def test_start_reuses_an_existing_model(starter_models):
    models, _ = starter_models
    before = (models / "current").resolve()
    result = CliRunner().invoke(main, ["start", "--models-dir", str(models), "--no-serve"])
    assert result.exit_code == 0
    assert "Validation" not in result.output
    assert (models / "current").resolve() == before


@pytest.mark.parametrize(
    ("headline", "topic"),
    [
        ("Glacier retreat in the Andes threatens water supply for millions", "climate"),
        ("Country pledges to phase out coal power plants by 2035", "climate"),
        ("Opposition wins majority in snap parliamentary election", "politics"),
        ("Shares tumble as central bank signals higher rates", "finance"),
        ("Police arrest three suspects after jewellery store robbery", "crime"),
        ("Astronomers detect water vapour on distant exoplanet", "science"),
        ("New smartphone chip promises longer battery life", "technology"),
        ("Measles cases rise as vaccination rates fall", "health"),
        ("Teachers strike over pay as exams approach", "education"),
    ],
)
def test_starter_model_gets_unseen_headlines_right(starter_models, headline, topic):
    model, _ = load_model(starter_models[0] / "current")
    assert model.predict([headline])[0].label == topic

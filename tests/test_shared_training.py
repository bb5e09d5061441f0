"""train and evaluate through the real command on every dataset in ../shared/data.

Needs the real datasets (marker ``shared_data``); skipped only where that folder is absent.
Each run trains a real model, so the module takes about two minutes on two cores.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from classifier.cli import main
from classifier.persistence import load_model
from classifier.taxonomy import load_taxonomy

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"

pytestmark = [
    pytest.mark.shared_data,
    pytest.mark.skipif(not SHARED.is_dir(), reason=f"{SHARED} is absent"),
]


def _train(models: Path, *arguments: str):
    result = CliRunner().invoke(main, ["train", *arguments, "--models-dir", str(models)])
    assert result.exit_code == 0, result.output
    return load_model(models / "current")


@pytest.mark.parametrize(
    ("argument", "extra", "labels", "min_accuracy"),
    [
        ("huffpost:huffpost/news_category_2018_2019.jsonl.gz", [], 29, 0.6),
        ("agnews:ag_news/test.csv", [], 4, 0.8),
        ("bbc:bbc", [], 5, 0.9),
        ("nyt:nyt_articles_2017_2018", [], 40, 0.5),
        ("reuters:reuters21578", ["--split", "train", "--multilabel"], 100, 0.6),
    ],
)
def test_train_runs_on_each_dataset_with_its_preset(tmp_path, argument, extra, labels, min_accuracy):
    preset, path = argument.split(":", 1)
    model, manifest = _train(tmp_path, f"{preset}:{SHARED / path}", *extra)
    assert len(manifest.labels) >= labels
    assert manifest.sources[0]["preset"] == preset
    assert manifest.validation_metrics["accuracy"] >= min_accuracy
    assert model.multilabel == ("--multilabel" in extra)


def test_combined_run_maps_every_source_onto_the_default_taxonomy(tmp_path):
    arguments = [
        f"huffpost:{SHARED / 'huffpost' / 'news_category_2018_2019.jsonl.gz'}",
        f"agnews:{SHARED / 'ag_news' / 'test.csv'}",
        f"bbc:{SHARED / 'bbc'}",
        f"nyt:{SHARED / 'nyt_articles_2017_2018'}",
    ]
    _, manifest = _train(tmp_path, *arguments, "--taxonomy", "default")
    assert set(manifest.labels) <= set(load_taxonomy().labels)
    assert len(manifest.labels) == 12
    sources = {source["preset"]: source for source in manifest.sources}
    assert list(sources) == ["huffpost", "agnews", "bbc", "nyt"]
    assert {source["label_map"] for source in manifest.sources} == {"huffpost", "agnews", "bbc", "nyt"}
    assert sources["agnews"]["rows"] == 7600 and sources["bbc"]["rows"] == 2225
    assert sources["huffpost"]["dropped_by_map"] > 0 and sources["nyt"]["dropped_by_map"] > 0
    assert all(len(source["sha256"]) == 64 for source in manifest.sources)

    result = CliRunner().invoke(
        main,
        [
            "evaluate",
            f"bbc:{SHARED / 'bbc'}",
            "--taxonomy",
            "default",
            "--json",
            "--model",
            str(tmp_path / "current"),
        ],
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["n"] == 2225
    assert report["accuracy"] > 0.9
    bbc_topics = {"finance", "entertainment", "politics", "sport", "technology"}
    assert {label for label, row in report["per_label"].items() if row["support"]} == bbc_topics


def test_reuters_model_scores_the_modapte_test_split(tmp_path):
    _train(
        tmp_path,
        f"reuters:{SHARED / 'reuters21578'}",
        "--split",
        "train",
        "--multilabel",
        "--validation-fraction",
        "0",
    )
    result = CliRunner().invoke(
        main,
        [
            "evaluate",
            f"reuters:{SHARED / 'reuters21578'}",
            "--split",
            "test",
            "--json",
            "--model",
            str(tmp_path / "current"),
        ],
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["n"] == 3285 and report["multilabel"] is True
    assert report["micro_f1"] > 0.75
    assert report["unknown_label_rows"] > 0  # ModApte test has topics absent from train
    assert {"hamming_loss", "subset_accuracy"} <= set(report)


def test_generic_csv_options_train_on_arise_and_evaluate_on_its_test_file(tmp_path):
    fields = ["--headline-field", "Title", "--teaser-field", "Excerpt", "--label-field", "Category"]
    _train(tmp_path, str(SHARED / "arise_tv_news" / "train.csv"), *fields)
    result = CliRunner().invoke(
        main,
        [
            "evaluate",
            str(SHARED / "arise_tv_news" / "test.csv"),
            *fields,
            "--json",
            "--model",
            str(tmp_path / "current"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["n"] == 828

"""Streamed training: the data read twice in batches, the features on disk, the same model as in memory."""

import functools
import json
import random
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest

from classifier import settings as defaults
from classifier.errors import DataError
from classifier.model.features import FeatureSettings
from classifier.streaming import held_until_streaming, train_streamed
from classifier.training import TrainingSettings, train
from classifier.workflows import DataRequest, load_data, read_batches, train_model

TOPICS = {
    "finance": "bank rates stocks market inflation bond shares profit",
    "sport": "club cup striker coach league match goal season",
    "politics": "minister parliament vote election budget party senate law",
}
COMMON = ["new", "says", "after", "report", "over", "year", "first", "big"]


def _write(path: Path, rows: int, seed: int, repeats: int = 0) -> Path:
    """``rows`` generated headlines in HuffPost's shape, the last ``repeats`` copying earlier ones."""
    rng = random.Random(seed)
    lines = []
    for _ in range(rows - repeats):
        topic = rng.choice(sorted(TOPICS))
        words = rng.sample(TOPICS[topic].split(), 3) + rng.sample(COMMON, 2)
        rng.shuffle(words)
        lines.append(json.dumps({"headline": " ".join(words), "short_description": "", "category": topic}))
    lines += [lines[rng.randrange(len(lines))] for _ in range(repeats)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def small_batches(monkeypatch):
    """Batches of 97 rows, so that a test's few hundred rows make several batches and files."""
    monkeypatch.setattr(defaults, "STREAM_BATCH_ROWS", 97)
    import classifier.inputs.datasets as datasets

    monkeypatch.setattr(datasets, "STREAM_BATCH_ROWS", 97)


def _streamed(request: DataRequest, settings: TrainingSettings, step=None):
    again = functools.partial(read_batches, request)  # a new report of bad rows each time
    return train_streamed(again(), again, settings, step=step)


def _steps(record: list):
    @contextmanager
    def step(description, total=None):
        record.append((description, total))
        yield lambda: None

    return step


SETTINGS = TrainingSettings(solver="sgd", features=FeatureSettings(min_df=2))


def test_streamed_training_builds_the_in_memory_models_features_split_and_choice_of_c(
    tmp_path, small_batches
):
    request = DataRequest(
        (
            f"huffpost:{_write(tmp_path / 'a.jsonl', 400, 1, repeats=30)}",
            f"huffpost:{_write(tmp_path / 'b.jsonl', 300, 2)}",
        )
    )
    streamed, sources = _streamed(request, SETTINGS)
    data, _ = load_data(request)
    held = train(data, SETTINGS)
    features = [result.model.pipeline.named_steps["features"] for result in (streamed, held)]
    assert list(features[0].get_feature_names_out()) == list(features[1].get_feature_names_out())
    probe = held.validation_data
    rows = np.array([[h, t] for h, t in zip(probe.headlines, probe.teasers, strict=True)], dtype=object)
    assert (features[0].transform(rows) != features[1].transform(rows)).nnz == 0
    assert streamed.validation_data.headlines == held.validation_data.headlines
    assert streamed.train_rows == held.train_rows == 700 - len(probe)
    # The same notes: source weights, duplicates folded, and C chosen on the same sampled rows.
    assert streamed.notes == held.notes
    assert any("exact duplicate" in note for note in streamed.notes)
    assert streamed.settings.C == held.settings.C
    assert [source.rows for source in sources] == [400, 300]
    assert streamed.model.labels == held.model.labels == tuple(sorted(TOPICS))
    assert (
        streamed.validation.accuracy > 0.9
        and abs(streamed.validation.accuracy - held.validation.accuracy) < 0.05
    )
    scores = streamed.model.scores(["bank rates and stocks"], [""])
    assert np.isclose(scores.sum(), 1.0) and streamed.model.labels[scores.argmax()] == "finance"


def test_progress_has_a_total_for_building_features_and_for_every_pass(tmp_path, small_batches):
    request = DataRequest((f"huffpost:{_write(tmp_path / 'a.jsonl', 500, 3)}",))
    steps = []
    _streamed(request, SETTINGS, _steps(steps))
    totals = dict(steps)
    assert totals["Counting the n-grams of 450 training rows"] == 6  # batches of 97 rows
    assert totals["Building the features of 450 rows"] == 6
    passes = (1 + defaults.SGD_CALIBRATION_FOLDS) * defaults.SGD_EPOCHS
    assert totals["Fitting the classifier (sgd)"] == passes


def test_a_file_that_changes_between_the_passes_is_an_error(tmp_path, small_batches):
    path = _write(tmp_path / "a.jsonl", 300, 4)
    request = DataRequest((f"huffpost:{path}",))

    def changed_again():
        _write(path, 300, 5)  # other rows: the labels counted no longer match
        return read_batches(request)

    with pytest.raises(DataError, match="changed while training read it"):
        train_streamed(read_batches(request), changed_again, SETTINGS, step=_steps([]))


def test_a_file_rewritten_with_the_same_labels_is_caught_by_its_checksum(tmp_path, small_batches):
    path = _write(tmp_path / "a.jsonl", 300, 4)
    request = DataRequest((f"huffpost:{path}",))

    def changed_again():
        lines = path.read_text(encoding="utf-8").splitlines()
        lines[5] = lines[5].replace('"headline": "', '"headline": "edited ')
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return read_batches(request)

    with pytest.raises(DataError, match=r"a\.jsonl changed while training"):
        train_streamed(read_batches(request), changed_again, SETTINGS, step=_steps([]))


def test_one_label_is_refused_before_any_feature_is_built(tmp_path, small_batches):
    path = tmp_path / "one.jsonl"
    path.write_text(
        "".join(json.dumps({"headline": f"bank {i}", "category": "finance"}) + "\n" for i in range(50))
    )
    request = DataRequest((f"huffpost:{path}",))
    with pytest.raises(DataError, match="at least two different labels"):
        _streamed(request, SETTINGS)


@pytest.mark.parametrize(
    ("solver", "rows", "streams"),
    [("sgd", 10, True), ("svm", 1000, False), ("auto", 250, True), ("auto", 150, False)],
)
def test_the_job_streams_with_sgd_and_auto_above_the_threshold(monkeypatch, tmp_path, solver, rows, streams):
    monkeypatch.setattr(defaults, "SGD_ABOVE_ROWS", 200)
    request = DataRequest((f"huffpost:{_write(tmp_path / 'a.jsonl', rows, 6)}",))
    batches = read_batches(request)
    held, streamed = held_until_streaming(batches, TrainingSettings(solver=solver), in_memory=False)
    assert streamed == streams
    assert sum(len(batch) for batch in held) + sum(len(batch) for batch in batches) == rows


@pytest.mark.parametrize(
    "settings",
    [
        TrainingSettings(solver="sgd", multilabel=True),
        TrainingSettings(solver="sgd", features=FeatureSettings(char_ngrams=(2, 4))),
    ],
)
def test_what_cannot_stream_is_held_in_memory(tmp_path, settings):
    request = DataRequest((f"huffpost:{_write(tmp_path / 'a.jsonl', 50, 7)}",))
    batches = read_batches(request)
    assert held_until_streaming(batches, settings, in_memory=False)[1] is False
    batches = read_batches(request)
    assert held_until_streaming(batches, TrainingSettings(solver="sgd"), in_memory=True)[1] is False


def test_the_job_streams_without_a_progress_reporter_and_counts_bad_rows_once(tmp_path, small_batches):
    path = _write(tmp_path / "a.jsonl", 300, 8)
    with path.open("a", encoding="utf-8") as lines:
        lines.write("{not json\n" * 3)
    request = DataRequest((f"huffpost:{path}",), max_bad_rows="5")  # 3 bad rows, read three times
    outcome = train_model(request, SETTINGS, models_dir=tmp_path / "models", promote_to_current=False)
    assert outcome.manifest.training["streamed"] and outcome.report.bad == 3
    assert outcome.manifest.training["rejected_rows"] == 3


def test_a_batch_with_no_row_to_fit_is_passed_over(tmp_path, small_batches):
    # The same file twice: every row of the second copy folds into the first, a whole batch of copies.
    path = _write(tmp_path / "a.jsonl", 200, 9)
    request = DataRequest((f"huffpost:{path}", f"huffpost:{path}"))
    settings = TrainingSettings(solver="sgd", validation_fraction=0.0, source_weighting="rows")
    result, _ = _streamed(request, settings)
    assert result.train_rows == 400 and result.validation is None
    assert any(note.startswith("200 exact duplicate") for note in result.notes)

"""Training weighs its sources: each source the same in total by default, or each row the same."""

import json

import numpy as np
import pytest

from classifier.inputs.datasets import UNKNOWN_SOURCE, LabeledData, SourceSummary, iter_labeled_data
from classifier.inputs.records import ReadOptions, ReadReport
from classifier.inputs.sources import DataSource
from classifier.inputs.weights import training_rows
from classifier.training import TrainingSettings, train


def _write(path, rows):
    path.write_text("".join(json.dumps({"headline": h, "label": label}) + "\n" for h, label in rows))
    return DataSource(None, str(path))


@pytest.fixture
def two_sources(tmp_path):
    """A big archive where the 'alpha report' headlines are A, and a small one where the same are B."""
    big = _write(
        tmp_path / "big.jsonl",
        [(f"alpha report {i % 7}", "A") for i in range(200)]
        + [(f"beta story {i % 7}", "B") for i in range(100)],
    )
    small = _write(tmp_path / "small.jsonl", [(f"alpha report {i % 7}", "B") for i in range(30)])
    return LabeledData.from_batches(iter_labeled_data([big, small], ReadOptions(), ReadReport()))


def test_reading_remembers_each_rows_source_through_subsets_and_joins(two_sources):
    assert two_sources.row_sources == [0] * 300 + [1] * 30
    picked = two_sources.subset([0, 299, 300])
    assert picked.row_sources == [0, 0, 1] and picked.sources == two_sources.sources
    joined = LabeledData.joined([picked, two_sources.subset([329])])
    assert joined.row_sources == [0, 0, 1, 3]
    assert [s.source for s in joined.sources] == [s.source for s in two_sources.sources] * 2
    unknown = LabeledData(["x"], [""], [("A",)])
    assert LabeledData.joined([picked, unknown]).row_sources == [0, 0, 1, UNKNOWN_SOURCE]
    assert LabeledData.joined([unknown, unknown]).row_sources == []


def test_equal_weighting_gives_each_source_the_same_total_and_rows_a_mean_of_one(two_sources):
    _, weights, note = training_rows(two_sources, "equal")
    sources = np.array(two_sources.row_sources)
    assert weights.mean() == pytest.approx(1.0)
    assert weights[sources == 0].sum() == pytest.approx(weights[sources == 1].sum())
    assert weights[0] == pytest.approx(330 / 2 / 300) and weights[-1] == pytest.approx(330 / 2 / 30)
    big, small = (source.source for source in two_sources.sources)
    assert note == f"sources weighed equally; one row of each counts: {big} 0.55, {small} 5.5"


def test_a_source_without_training_rows_weighs_nothing_and_the_others_as_before(two_sources, tmp_path):
    # A source whose rows were all held out, or all dropped by its label map, sits between two others.
    empty = LabeledData(sources=[two_sources.sources[0]])
    data = LabeledData.joined([two_sources.subset(range(300)), empty, two_sources.subset(range(300, 330))])
    assert sorted(set(data.row_sources)) == [0, 4]  # three sources in between have no rows
    weights, note = training_rows(data, "equal")[1:]
    assert np.isfinite(weights).all() and weights.mean() == pytest.approx(1.0)
    assert weights[0] == pytest.approx(330 / 2 / 300) and weights[-1] == pytest.approx(330 / 2 / 30)
    assert note.count(", ") == 1  # the two sources with rows


def test_one_source_or_row_weighting_leaves_the_fit_unweighted(two_sources):
    assert training_rows(two_sources, "rows")[1:] == (None, None)
    assert training_rows(two_sources.subset(range(300)), "equal")[1:] == (None, None)
    assert training_rows(LabeledData(["x", "y"], ["", ""], [("A",), ("B",)]), "equal")[1:] == (None, None)


def test_corrections_weigh_their_own_weight_after_the_weighted_sources(two_sources):
    corrections = LabeledData(["alpha fixed"], [""], [("A",)])
    rows, weights, _ = training_rows(two_sources, "equal", corrections, 5.0)
    assert len(rows) == 331 and rows.headlines[-1] == "alpha fixed"
    assert weights[-1] == 5.0 and weights[:-1].sum() == pytest.approx(330)
    rows, weights, _ = training_rows(two_sources, "rows", corrections, 1.0)
    assert weights is None and len(rows) == 331
    with pytest.raises(ValueError, match="above 0"):
        training_rows(two_sources, "rows", corrections, 0.0)
    with pytest.raises(ValueError, match="unknown source weighting 'most'"):
        training_rows(two_sources, "most")


def test_a_correction_counts_its_weight_in_rows_of_data_when_adopted_rows_join(two_sources):
    corrections = LabeledData(["alpha fixed"], [""], [("A",)])
    adopted = LabeledData(
        ["adopted one", "adopted two"],
        ["", ""],
        [("B",), ("B",)],
        row_sources=[0, 0],
        sources=[SourceSummary("adapted: archive", "", None, None)],
    )
    rows, weights, _ = training_rows(two_sources, "equal", corrections, 5.0, adopted)
    assert rows.headlines[-3:] == ["adopted one", "adopted two", "alpha fixed"]
    data_weights, adopted_weights = weights[:330], weights[330:332]
    assert adopted_weights.sum() == pytest.approx(data_weights[:300].sum())  # one more source
    assert data_weights.mean() < 1 and weights[-1] == pytest.approx(5.0 * data_weights.mean())


@pytest.mark.parametrize(("weighting", "answer"), [("rows", "A"), ("equal", "B")])
def test_the_weighting_decides_whom_the_model_believes(two_sources, weighting, answer):
    # 200 rows of one archive say these headlines are A, 30 of another say B: by rows A wins;
    # by source the small archive's voice counts as much as the big one's, and B wins.
    settings = TrainingSettings(
        validation_fraction=0.0, class_weight=None, naive_bayes=False, source_weighting=weighting
    )
    result = train(two_sources, settings)
    assert result.model.predict(["alpha report 3"], [""])[0].labels[0].label == answer
    assert result.settings.source_weighting == weighting
    assert any(note.startswith("sources weighed equally") for note in result.notes) == (weighting == "equal")

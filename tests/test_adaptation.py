"""Adapting to an archive without labels (train --adapt): sampling it, adopting the sure answers,
training again, and the command's errors."""

from __future__ import annotations

import hashlib
import json
from contextlib import nullcontext
from dataclasses import replace

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import FIXTURES, tiny_data

from classifier.adaptation import Adaptation, adopted_rows, archive_sample, train_adapted
from classifier.cli import main
from classifier.errors import DataError
from classifier.inputs.datasets import LabeledData, SourceSummary
from classifier.inputs.weights import training_rows
from classifier.model.features import FeatureSettings
from classifier.persistence import read_manifest
from classifier.training import TrainingSettings, train

SETTINGS = TrainingSettings(features=FeatureSettings(min_df=1), validation_fraction=0.25, naive_bayes=False)
# An outlet's house words: "quidditch" and "galleon" never occur in the training rows; the archive
# writes them next to words the model is sure of.
ARCHIVE = [
    ("Striker scores twice as quidditch club wins cup final", "Quidditch fans celebrated."),
    ("Goalkeeper saves three penalties in quidditch shootout", ""),
    ("Quidditch team qualifies for World Cup", "The national quidditch side is through."),
    ("Coach sacked after five quidditch defeats", ""),
    ("Central bank raises galleon interest rates again", "The galleon fell."),
    ("Galleon weakens as trade deficit widens", "Galleon traders sold."),
    ("Stocks slide as galleon prices jump", ""),
    ("Parliament passes budget after marathon debate", "The coalition won the vote."),
]


def _batches(rows: int, size: int) -> list[LabeledData]:
    texts = [f"headline {i}" for i in range(rows)]
    return [
        LabeledData(
            headlines=texts[i : i + size],
            teasers=[""] * len(texts[i : i + size]),
            labels=[("x",)] * len(texts[i : i + size]),
        )
        for i in range(0, rows, size)
    ]


def _archive(rows=ARCHIVE) -> LabeledData:
    return LabeledData(headlines=[h for h, _ in rows], teasers=[t for _, t in rows], labels=[()] * len(rows))


def test_a_small_archive_is_kept_whole_in_order_without_its_labels():
    sample, read = archive_sample(_batches(7, 3), rows=10)
    assert read == 7 and sample.headlines == [f"headline {i}" for i in range(7)]
    assert sample.labels == [()] * 7


def test_a_big_archive_is_sampled_uniformly_in_reading_order_and_the_same_each_time():
    sample, read = archive_sample(_batches(5000, 700), rows=1000, seed=3)
    numbers = [int(text.split()[1]) for text in sample.headlines]
    assert read == 5000 and len(numbers) == 1000 and numbers == sorted(set(numbers))
    assert 400 < sum(n < 2500 for n in numbers) < 600  # both halves of the archive, about equally
    assert archive_sample(_batches(5000, 700), rows=1000, seed=3)[0].headlines == sample.headlines
    assert archive_sample(_batches(5000, 700), rows=1000, seed=4)[0].headlines != sample.headlines


def test_only_answers_at_least_the_minimum_score_are_adopted_with_their_label(tiny_model):
    archive = _archive([*ARCHIVE, ("Unheard of words only", "")])
    scores = tiny_model.scores(archive.headlines, archive.teasers)
    least = float(np.median(scores.max(axis=1)))
    adopted = adopted_rows(tiny_model, archive, least, "adapted: archive.jsonl")
    sure = np.flatnonzero(scores.max(axis=1) >= least)
    assert 0 < len(sure) < len(archive)
    assert adopted.headlines == [archive.headlines[i] for i in sure]
    assert adopted.labels == [(tiny_model.labels[scores[i].argmax()],) for i in sure]
    assert adopted.row_sources == [0] * len(sure) and adopted.sources[0].rows == len(sure)
    assert not len(adopted_rows(tiny_model, archive, 1.0, "none"))


def test_adopted_rows_weigh_as_one_more_source():
    data = tiny_data()
    data.row_sources = [0] * 24 + [1] * 12
    data.sources = [SourceSummary(name, name, None, None) for name in ("a.jsonl", "b.jsonl")]
    adopted = LabeledData(
        headlines=["a", "b", "c"],
        teasers=[""] * 3,
        labels=[("sport",)] * 3,
        row_sources=[0] * 3,
        sources=[SourceSummary("adapted: c.jsonl", "", None, None)],
    )
    joined, weights, note = training_rows(data, "equal", adopted=adopted)
    assert "adapted: c.jsonl 4.33" in note
    assert len(joined) == 39 and joined.headlines[-3:] == ["a", "b", "c"]
    totals = [weights[:24].sum(), weights[24:36].sum(), weights[36:].sum()]
    assert totals == pytest.approx([13.0, 13.0, 13.0]) and weights.mean() == pytest.approx(1.0)


def _two_sources() -> LabeledData:
    data = tiny_data()
    data.row_sources = [index % 2 for index in range(len(data))]
    data.sources = [SourceSummary(name, name, None, None) for name in ("a.jsonl", "b.jsonl")]
    return data


class _Steps:
    """A step reporter that records each step's description and its number of parts."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, int | None]] = []

    def __call__(self, description, total=None):
        self.seen.append((description, total))
        return nullcontext(lambda: None)


def test_training_again_with_the_archive_learns_its_words_and_validates_as_without_it():
    settings = replace(SETTINGS, naive_bayes=None)  # the first fit chooses; the second must not
    plain = train(_two_sources(), settings)
    archive = _archive(ARCHIVE * 3)
    adaptation = Adaptation(["archive.jsonl"], [""], len(archive), len(archive), 0.5)
    steps = _Steps()
    adapted = train_adapted(_two_sources(), archive, adaptation, settings, step=steps)
    assert adapted.validation_data.headlines == plain.validation_data.headlines
    assert adapted.validation_rows == plain.validation_rows
    assert (adapted.settings.C, adapted.settings.naive_bayes) == (
        plain.settings.C,
        plain.settings.naive_bayes,
    )
    choosing = [description for description, _ in steps.seen if description.startswith("Choosing C")]
    fits = [total for description, total in steps.seen if description.startswith("Fitting")]
    assert len(choosing) == 1 and fits[1] == fits[0] // 2  # no second choice of C, nor of NB scaling
    assert sum(adaptation.adopted.values()) > 0
    assert set(adaptation.adopted) <= {"sport", "finance", "politics"}
    assert adapted.notes[-1].startswith("adapted to archive.jsonl: of 24 archive rows ")
    assert f"the first fit chose C={plain.settings.C:g}" in adapted.notes
    # Words only the archive has now carry its topics; the plain model never saw them.
    [sport] = adapted.model.predict(["quidditch quidditch"])
    [finance] = adapted.model.predict(["galleon galleon"])
    assert (sport.label, finance.label) == ("sport", "finance")
    assert plain.model.transform(["quidditch galleon"]).nnz == 0


def test_archive_rows_the_labelled_data_holds_are_never_adopted():
    data = tiny_data()
    own = LabeledData(  # DATA's texts, white space and case aside
        headlines=[f"  {h.upper()} " for h in data.headlines], teasers=data.teasers, labels=[()] * len(data)
    )
    gate = LabeledData(
        headlines=["Quidditch team qualifies for World Cup"],
        teasers=["The national quidditch side is through."],
        labels=[("sport",)],
    )
    archive = LabeledData.joined([own, _archive()])
    adaptation = Adaptation(["archive.jsonl"], [""], len(archive), len(archive), 0.5)
    result = train_adapted(data, archive, adaptation, SETTINGS, held_out=gate)
    # The 36 rows of DATA (validation rows among them) are left out, and so is the gate's row: the
    # archive's unlabelled rows are the 7 others.
    assert adaptation.rows_known == 37 and adaptation.rows_answered == len(_archive()) - 1
    assert ", 37 of them already labelled," in result.notes[-1]


def test_an_archive_that_is_all_labelled_already_leaves_the_first_fit():
    data = tiny_data()
    archive = LabeledData(headlines=data.headlines, teasers=data.teasers, labels=[()] * len(data))
    adaptation = Adaptation(["archive.jsonl"], [""], 36, 36, 0.5)
    result = train_adapted(data, archive, adaptation, SETTINGS)
    assert adaptation.rows_answered == 0 and adaptation.adopted == {}
    assert result.notes[-1].endswith(
        "every one of 36 archive rows is already labelled, so the model is the first fit"
    )


def test_an_archive_with_no_sure_answer_leaves_the_first_fit_and_says_so():
    adaptation = Adaptation(["archive.jsonl"], [""], 8, 8, 1.0)
    result = train_adapted(tiny_data(), _archive(), adaptation, SETTINGS)
    assert adaptation.adopted == {}
    assert result.notes[-1] == (
        "adapted to archive.jsonl: of 8 archive rows none was answered with at least 1, "
        "so the model is the first fit"
    )


@pytest.mark.parametrize(
    ("settings", "archive", "message"),
    [
        (TrainingSettings(multilabel=True), _archive(), "single-label models only"),
        (SETTINGS, _archive([]), "no rows were read from the archive"),
    ],
)
def test_what_cannot_adapt_is_refused(settings, archive, message):
    with pytest.raises(DataError, match=message):
        train_adapted(tiny_data(), archive, Adaptation(["a.jsonl"], [""], 0, 0, 0.9), settings)


def _run(*arguments):
    return CliRunner().invoke(main, [str(argument) for argument in arguments])


def _archive_file(path, rows=ARCHIVE * 3, bad_lines=0):
    # The archive's own labels, if it has any, are not read: these are not the taxonomy's.
    lines = [json.dumps({"headline": h, "teaser": t, "label": "??"}) for h, t in rows] + ["{"] * bad_lines
    path.write_text("".join(line + "\n" for line in lines))
    return path


def test_train_adapt_records_the_archive_in_the_manifest(tmp_path):
    archive = _archive_file(tmp_path / "archive.jsonl", bad_lines=1)
    out = tmp_path / "model"
    result = _run(
        "train",
        FIXTURES / "tiny_train.jsonl",
        "--taxonomy",
        "default",
        "--out",
        out,
        "--min-df",
        "1",
        "--validation-fraction",
        "0.25",
        "--adapt",
        archive,
        "--adapt-min-score",
        "0.5",
        "--no-report",
        "--max-bad-rows",
        "5",
    )
    assert result.exit_code == 0, result.output
    adapted = read_manifest(out).training["adapted"]
    assert adapted["archive"] == [str(archive)] and adapted["rows_read"] == adapted["rows_answered"] == 24
    assert adapted["rows_sampled"] == 24 and adapted["rows_known"] == 0
    assert adapted["sha256"] == [hashlib.sha256(archive.read_bytes()).hexdigest()]
    assert adapted["min_score"] == 0.5 and 0 < adapted["rows_adopted"] == sum(adapted["adopted"].values())
    assert "adapted to " in result.output
    assert "1 of 25 rows rejected" in result.output  # the archive's read report is printed too


def _arise(folder, train_rows, test_rows):
    folder.mkdir()
    for name, rows in (("train.csv", train_rows), ("test.csv", test_rows)):
        sections = ["sports", "business"] * len(rows)
        lines = [f'"{h}","{t}",{c}\n' for (h, t), c in zip(rows, sections, strict=False)]
        (folder / name).write_text("Title,Excerpt,Category\n" + "".join(lines))
    return f"arise:{folder}"


def test_the_training_datas_split_is_not_the_archives_and_corrected_rows_are_left_out(tmp_path, publish):
    # A correction of ARCHIVE[0]; DATA's arise rows (its train split) hold ARCHIVE[1:].
    corrections = tmp_path / "corrections.jsonl"
    row = {"headline": ARCHIVE[0][0], "teaser": ARCHIVE[0][1], "labels": ["finance"]}
    corrections.write_text(json.dumps(row) + "\n")
    db = tmp_path / "feedback.db"
    assert (
        _run("feedback", "import", corrections, "--model", publish("m1"), "--feedback-db", db).exit_code == 0
    )
    data = _arise(tmp_path / "data", ARCHIVE[1:] * 2, [("Senate rejects voting reform bill", "")])
    later = [(f"{headline}, again", teaser) for headline, teaser in ARCHIVE]
    archive = _arise(tmp_path / "archive", ARCHIVE, later)  # both files are read
    out = tmp_path / "model"
    result = _run(
        "train", data, FIXTURES / "tiny_train.jsonl", "--split", "train", "--taxonomy", "default",
        "--out", out, "--min-df", "1", "--no-report", "--adapt", archive,
        "--adapt-min-score", "0.5", "--feedback", "--feedback-db", db,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    adapted = read_manifest(out).training["adapted"]
    assert adapted["rows_read"] == 16 and adapted["rows_known"] == len(ARCHIVE)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--adapt-min-score", "0.5"], "--adapt-min-score is for adapting to an archive"),
        (["--adapt", "{tmp}/missing.jsonl"], "missing.jsonl: no such file or directory"),
        (["--adapt", "{data}", "--multilabel"], "single-label models only"),
        (["--adapt", "{data}", "--adapt-min-score", "0"], "0<x<=1"),
        (["--adapt", "{data}", "--adapt-min-score", "nan"], "'nan' is not a finite number"),
        (["--promote-if-better", "{data}", "--promote-margin", "nan"], "'nan' is not a finite number"),
        (["--headline-weight", "inf"], "'inf' is not a finite number"),
    ],
)
def test_train_adapt_mistakes_are_one_line_errors(tmp_path, extra, message):
    data = FIXTURES / "tiny_train.jsonl"
    extra = [part.format(tmp=tmp_path, data=data) for part in extra]
    result = _run("train", data, "--out", tmp_path / "model", "--min-df", "1", *extra)
    assert result.exit_code != 0 and message in result.output
    assert "Traceback" not in result.output and not (tmp_path / "model").exists()

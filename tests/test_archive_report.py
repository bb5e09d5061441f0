"""``tag --report``: the counts it reads back, adjusted shares, drift, the model's validation counts,
the CLI with every output format, engine, --workers, --resume and --slim, and the page in Chromium.

The browser test leaves a screenshot in ``tests/artifacts/report_archive.png`` for a person to look at.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import Crash, crash_after_commits, tagging_job
from test_report import _open, browser  # noqa: F401 - the browser fixture, shared with the evaluation report

from classifier.cli import main
from classifier.errors import ModelError
from classifier.model.topic_model import LabelScore, Prediction
from classifier.persistence import (
    VALIDATION_FILE,
    file_sha256,
    read_manifest,
    read_validation_counts,
    save_model,
)
from classifier.report.figures import MISSING_MATPLOTLIB
from classifier.report.tally import month_of, tally_output
from classifier.shares import (
    adjusted_shares,
    answer_rates,
    drift_distance,
    multilabel_shares,
    single_label_shares,
)
from classifier.tagging.job import tag_archive
from classifier.tagging.outputs import output_spec
from classifier.validation_counts import ValidationCounts, count_validation, score_histogram

FIXTURES = Path(__file__).parent / "fixtures"
# A dated archive: five rows in March 2019, three in April, one without a date.
DATED = [
    ("Parliament passes the budget after a long night", "2019-03-02"),
    ("Minister resigns over election scandal", "2019-03-05T10:00:00Z"),
    ("Striker scores twice as club wins the cup", "2019-03-09"),
    ("Central bank raises interest rates", "2019-03-15"),
    ("Stocks rally as inflation cools", "2019-03-30 23:59:00"),
    ("Goalkeeper saves a late penalty", "2019-04-01"),
    ("Senate rejects the tax reform bill", "2019-04-11"),
    ("Bank shares slide on rate fears", "2019-04-20"),
    ("Coach sacked after a losing run", ""),
]


def _answer(label: str | None, score: float = 0.9) -> Prediction:
    return Prediction(label, score, (LabelScore(label, score),) if label else (), label is None)


# -- the numbers ------------------------------------------------------------------------------------------


def test_single_label_adjustment_recovers_shares_that_raw_counts_get_wrong():
    # politics is answered finance 30% of the time; finance is always right; nobody abstains.
    rates = np.array([[0.7, 0.3, 0.0], [0.0, 1.0, 0.0]])
    true = np.array([0.8, 0.2])
    observed = rates.T @ true  # answers: 56% politics, 44% finance
    assert observed[:2] == pytest.approx([0.56, 0.44])
    assert single_label_shares(rates, observed) == pytest.approx(true, abs=1e-6)


def test_single_label_shares_stay_non_negative_and_sum_to_one():
    rates = np.array([[0.9, 0.1, 0.0], [0.1, 0.9, 0.0]])
    shares = single_label_shares(rates, np.array([1.0, 0.0, 0.0]))  # more politics than rates allow
    assert shares == pytest.approx([1.0, 0.0], abs=1e-6) and shares.sum() == pytest.approx(1.0)


def test_multilabel_adjustment_is_forman_s_formula_clipped():
    tpr, fpr = np.array([0.8, 0.8, 0.3]), np.array([0.1, 0.1, 0.3])
    observed = np.array([0.3 * 0.8 + 0.7 * 0.1, 0.05, 0.4])
    # (0.31 - 0.1) / 0.7 = 0.3; under the false positive rate: 0; a label not told apart: as observed.
    assert multilabel_shares(tpr, fpr, observed) == pytest.approx([0.3, 0.0, 0.4])


def test_bootstrap_intervals_hold_the_estimate_and_narrow_with_more_validation_rows():
    def counts(scale: int) -> ValidationCounts:
        confusion = np.array([[7, 3, 0], [0, 10, 0]]) * scale
        return ValidationCounts(("politics", "finance"), False, 20 * scale, np.ones(20), confusion=confusion)

    answers = np.array([560, 440, 0])
    small, large = adjusted_shares(counts(1), answers, 1000), adjusted_shares(counts(50), answers, 1000)
    assert large.adjusted == pytest.approx([0.8, 0.2], abs=0.01)  # 1,000 validation rows: as measured
    # 20 rows and 5 pseudo-rows per label: politics is answered right (7 + 5) / 15 of the time.
    assert small.adjusted == pytest.approx([0.56 / 0.8, 1 - 0.56 / 0.8], abs=1e-6)
    assert small.raw == pytest.approx([0.56, 0.44])
    assert np.all(small.low <= small.adjusted + 1e-9) and np.all(small.adjusted <= small.high + 1e-9)
    assert (large.high - large.low)[0] < (small.high - small.low)[0]


def test_a_label_seen_on_two_validation_rows_does_not_absorb_another_s_answers():
    # Two ENVIRONMENT rows, both answered POLITICS: taken at their word, every POLITICS answer could
    # be an ENVIRONMENT row. With five pseudo-rows answered right, POLITICS keeps its answers.
    confusion = np.array([[100, 0, 0], [2, 0, 0]])
    assert answer_rates(confusion)[1].tolist() == pytest.approx([2 / 7, 5 / 7, 0])
    counts = ValidationCounts(("politics", "environment"), False, 102, np.ones(20), confusion=confusion)
    shares = adjusted_shares(counts, np.array([900, 100, 0]), 1000, resamples=0)
    assert shares.adjusted == pytest.approx([0.9 - 0.1 * 2 / 5, 0.1 * 7 / 5], abs=1e-6)


def test_drift_distance_is_zero_for_the_same_shape_and_one_for_disjoint_histograms():
    assert drift_distance(np.array([1, 2, 3]), np.array([10, 20, 30])) == pytest.approx(0.0, abs=1e-9)
    assert drift_distance(np.array([5, 0]), np.array([0, 5])) == pytest.approx(1.0)
    assert drift_distance(np.array([0, 0]), np.array([1, 1])) is None


def test_months_come_from_iso_dates_and_date_values():
    assert month_of("2019-03-05T10:00:00Z") == "2019-03" and month_of(" 2018-12-31") == "2018-12"
    assert month_of(datetime(2020, 2, 29, 12)) == "2020-02"
    assert [month_of(v) for v in ("2019-13-01", "Mon, 26 May 2018", "", None, 1558000000)] == [None] * 5


def test_scores_fall_in_equal_bins_and_a_score_of_one_in_the_last():
    assert score_histogram(np.array([0.0, 0.049, 0.05, 0.999, 1.0])).tolist() == [2, 1] + [0] * 17 + [2]


def test_validation_counts_count_answers_and_leave_out_unknown_labels():
    counts = count_validation(
        ["finance", "politics"],
        False,
        [("politics",), ("politics",), ("finance",), ("weather",)],
        [_answer("politics", 0.9), _answer("finance", 0.6), _answer(None, 0.3), _answer("finance", 0.5)],
    )
    assert counts.confusion.tolist() == [[0, 0, 1], [1, 1, 0]]  # columns: finance, politics, abstained
    assert counts.rows == 3 and counts.scores.sum() == 3
    assert ValidationCounts.from_dict(json.loads(json.dumps(counts.to_dict()))).confusion.tolist() == (
        counts.confusion.tolist()
    )


def test_multilabel_validation_counts_are_per_label_listing_rates():
    counts = count_validation(
        ["finance", "politics"],
        True,
        [("finance", "politics"), ("politics",), ()],
        [
            Prediction("finance", 0.8, (LabelScore("finance", 0.8),), False),
            Prediction("politics", 0.7, (LabelScore("politics", 0.7), LabelScore("finance", 0.4)), False),
            Prediction(None, 0.2, (), True),
        ],
    )
    # finance: 1 of 1 rows with it listed it, 1 of 2 rows without it listed it; politics: 1 of 2, 0 of 1.
    assert counts.listed.tolist() == [[1, 1, 1, 2], [1, 2, 0, 1]]


def test_counts_of_the_wrong_shape_are_refused():
    counts = count_validation(["a", "b"], False, [("a",)], [_answer("a")]).to_dict()
    counts["confusion"] = [[1, 0]]
    with pytest.raises(ValueError, match="do not fit"):
        ValidationCounts.from_dict(counts)


# -- the model directory ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A model trained by the CLI on the tiny set with a validation split of a third of each topic."""
    out = tmp_path_factory.mktemp("archive-model") / "model"
    result = CliRunner().invoke(
        main,
        [
            *["train", str(FIXTURES / "tiny_train.jsonl"), "--out", str(out), "--no-promote", "--no-report"],
            *["--validation-fraction", "0.34", "--min-df", "1", "--models-dir", str(out.parent)],
        ],
    )
    assert result.exit_code == 0, result.output
    return out


def test_training_keeps_the_validation_counts_checksummed_in_the_manifest(trained):
    manifest = read_manifest(trained)
    assert manifest.validation_sha256 == file_sha256(trained / VALIDATION_FILE)
    counts = ValidationCounts.from_dict(read_validation_counts(trained, manifest))
    assert list(counts.labels) == manifest.labels
    assert counts.confusion.sum() == counts.rows == manifest.training["validation_rows"] == 12
    assert counts.scores.sum() == 12


def test_changed_validation_counts_are_refused(tmp_path, trained):
    copy = tmp_path / "model"
    copy.mkdir()
    for file in trained.iterdir():
        (copy / file.name).write_bytes(file.read_bytes())
    (copy / VALIDATION_FILE).write_text(json.dumps({"version": 1}), encoding="utf-8")
    with pytest.raises(ModelError, match="checksum mismatch"):
        read_validation_counts(copy, read_manifest(copy))


def test_a_model_without_counts_keeps_the_manifest_it_always_had(tagging_model_dir):
    text = (tagging_model_dir / "manifest.json").read_text(encoding="utf-8")
    assert "validation_sha256" not in text
    assert read_validation_counts(tagging_model_dir, read_manifest(tagging_model_dir)) is None


# -- tag --report -------------------------------------------------------------------------------------------


@pytest.fixture
def dated(tmp_path):
    path = tmp_path / "dated.jsonl"
    rows = [
        {"id": f"d{n}", "headline": headline, "teaser": "", "published": day}
        for n, (headline, day) in enumerate(DATED, 1)
    ]
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def _save_with_counts(model, model_dir: Path, counts: ValidationCounts) -> None:
    """``model`` saved with hand-made validation counts."""
    save_model(
        model,
        model_dir,
        model_id=model_dir.name,
        taxonomy=None,
        hyperparameters={},
        sources=[],
        training={},
        validation_metrics=None,
        validation_counts=counts.to_dict(),
    )


def _tag(*args: str):
    return CliRunner().invoke(main, ["tag", *args, "--id-field", "id", "--workers", "1", "-q"])


def _tag_to(source: Path, out: Path, model_dir: Path, *args: str):
    """``tag SOURCE -o OUT --model MODEL_DIR ARGS``."""
    return _tag(str(source), "-o", str(out), "--model", str(model_dir), *args)


def _dated_report(source: Path, out: Path, model_dir: Path, report: Path, *args: str):
    """:func:`_tag_to` with a report by month of the dated archive's ``published`` field."""
    return _tag_to(source, out, model_dir, "--date-field", "published", "--report", str(report), *args)


def _table(report: Path, heading: str) -> list[list[str]]:
    """The cells of the table under ``heading`` of a report, read from its HTML."""
    html = report.read_text(encoding="utf-8")
    section = html[html.index(f">{heading}</h2>") :]
    table = section[section.index("<table>") : section.index("</table>")]
    rows = [row for row in table.split("<tr>")[2:]]
    return [[cell.split(">", 1)[1] for cell in row.split("</td>")[:-1]] for row in rows]


def test_the_report_counts_every_row_by_topic_and_month(tmp_path, trained, dated):
    out, report = tmp_path / "tagged.jsonl", tmp_path / "archive.html"
    result = _dated_report(dated, out, trained, report)
    assert result.exit_code == 0, result.output
    assert f"wrote {report} (9 rows)" in result.stderr
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    months = _table(report, "Topics by month")
    assert [(m[0], int(m[1])) for m in months] == [("2019-03", 5), ("2019-04", 3)]
    assert "1 rows had no usable date" in report.read_text(encoding="utf-8")
    shares = _table(report, "Topic shares")
    raw = {row[0]: float(row[1]) for row in shares}
    for label in raw:
        expected = 100 * sum(r["label"] == label for r in rows) / len(rows)
        assert raw[label] == pytest.approx(expected, abs=0.05)
    assert all(float(row[2]) >= 0 for row in shares)  # adjusted shares, with intervals
    assert sum(float(row[2]) for row in shares) == pytest.approx(100, abs=0.3)


@pytest.mark.parametrize("name", ["tagged.jsonl.gz", "tagged.csv.zst", "tagged.csv", "tagged"])
def test_every_output_format_reads_back_to_the_same_counts(tmp_path, trained, dated, name):
    reference = tmp_path / "reference.jsonl"
    assert _tag_to(dated, reference, trained).exit_code == 0
    out = tmp_path / name
    assert _tag_to(dated, out, trained).exit_code == 0
    labels = read_manifest(trained).labels
    expected = tally_output(reference, output_spec(reference), labels, False, "published")
    got = tally_output(out, output_spec(out), labels, False, "published")
    assert got.answers.tolist() == expected.answers.tolist() and got.rows == 9
    assert got.scores.tolist() == expected.scores.tolist()
    assert {m: c.tolist() for m, c in got.months.items()} == {
        m: c.tolist() for m, c in expected.months.items()
    }
    assert got.undated == expected.undated == 1


def test_a_resumed_run_reports_the_whole_output(tmp_path, trained, dated, monkeypatch):
    out, reference = tmp_path / "tagged.jsonl", tmp_path / "reference.jsonl"
    whole = _tag_to(dated, reference, trained, "--report", str(tmp_path / "a.html"))
    assert whole.exit_code == 0
    with monkeypatch.context() as patch:
        crash_after_commits(patch, 2)
        with pytest.raises(Crash):
            tag_archive(tagging_job([dated], out, trained, chunk_size=2))
    report = tmp_path / "b.html"
    # --date-field was not given to the interrupted run: full rows do not depend on it.
    resumed = _dated_report(dated, out, trained, report, "--chunk-size", "2", "--resume")
    assert resumed.exit_code == 0, resumed.output
    assert "(9 rows)" in resumed.stderr
    assert [row[:2] for row in _table(report, "Topics by month")] == [["2019-03", "5"], ["2019-04", "3"]]
    assert _table(report, "Topic shares") == _table(tmp_path / "a.html", "Topic shares")


def test_slim_rows_keep_the_date_for_the_months(tmp_path, trained, dated):
    out, report = tmp_path / "slim.csv", tmp_path / "slim.html"
    result = _tag_to(
        dated, out, trained, "--slim", "--date-field", "published", "--workers", "2", "--report", str(report)
    )
    assert result.exit_code == 0, result.output
    assert out.read_text().splitlines()[0] == "id,headline,date,label,score,labels,abstained"
    assert [row[:2] for row in _table(report, "Topics by month")] == [["2019-03", "5"], ["2019-04", "3"]]


def test_a_preset_s_own_date_field_gives_the_months_of_full_rows_and_slim_rows_need_it_named(
    tmp_path, trained
):
    news = f"huffpost:{Path(__file__).parent / 'data' / 'presets' / 'huffpost' / 'news.jsonl'}"
    full, slim = tmp_path / "full.html", tmp_path / "slim.html"
    assert (
        _tag(news, "-o", str(tmp_path / "f.jsonl"), "--model", str(trained), "--report", str(full)).exit_code
        == 0
    )
    assert [row[:2] for row in _table(full, "Topics by month")] == [["2018-03", "1"], ["2019-11", "2"]]
    result = _tag(
        news, "-o", str(tmp_path / "s.jsonl"), "--model", str(trained), "--slim", "--report", str(slim)
    )
    assert result.exit_code == 0, result.output
    assert "date" not in json.loads((tmp_path / "s.jsonl").read_text().splitlines()[0])
    assert "Topics by month" not in slim.read_text(encoding="utf-8")


def test_the_dask_engine_s_output_gets_the_same_report(tmp_path, trained, dated):
    local, dask = tmp_path / "local.html", tmp_path / "dask.html"
    common = ["--date-field", "published"]
    assert _tag_to(dated, tmp_path / "l", trained, *common, "--report", str(local)).exit_code == 0
    result = _tag_to(dated, tmp_path / "d", trained, *common, "--engine", "dask", "--report", str(dask))
    assert result.exit_code == 0, result.output
    for heading in ("Topic shares", "Topics by month"):
        assert _table(dask, heading) == _table(local, heading)


def test_a_model_without_validation_counts_gets_raw_shares_and_one_line_saying_why(
    tmp_path, tagging_model_dir, dated
):
    report = tmp_path / "raw.html"
    result = _tag_to(dated, tmp_path / "t.jsonl", tagging_model_dir, "--report", str(report))
    assert result.exit_code == 0, result.output
    lines = [line for line in result.stderr.splitlines() if "raw counts" in line]
    assert len(lines) == 1 and "has no validation.json" in lines[0]
    assert "looks unlike" not in result.stderr
    assert all(len(row) == 2 for row in _table(report, "Topic shares"))  # topic and raw share only
    assert "not adjusted" in report.read_text(encoding="utf-8")
    assert "Topics by month" not in report.read_text(encoding="utf-8")  # no date field asked for


@pytest.mark.parametrize("validation_bin, warned", [(19, False), (0, True)])
def test_drift_is_warned_about_on_stderr_and_in_the_report(
    tmp_path, tiny_model, dated, validation_bin, warned
):
    model_dir = tmp_path / "model"
    confusion = np.eye(len(tiny_model.labels), len(tiny_model.labels) + 1, dtype=int) * 10
    scores = np.zeros(20, dtype=int)
    scores[validation_bin] = 30
    counts = ValidationCounts(tuple(tiny_model.labels), False, 30, scores, confusion=confusion)
    _save_with_counts(tiny_model, model_dir, counts)
    out, report = tmp_path / "t.jsonl", tmp_path / "r.html"
    result = _tag_to(dated, out, model_dir, "--report", str(report))
    assert result.exit_code == 0, result.output
    tops = [json.loads(line)["score"] for line in out.read_text().splitlines()]
    assert drift_distance(score_histogram(np.array(tops)), scores) > 0.1 or not warned
    assert ("this archive looks unlike the training data" in result.stderr) is warned
    assert ("looks unlike the training data" in report.read_text(encoding="utf-8")) is warned


def test_without_matplotlib_tag_report_stops_before_tagging(tmp_path, trained, dated, monkeypatch):
    for name in [name for name in sys.modules if name == "matplotlib" or name.startswith("matplotlib.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib raises ImportError
    out = tmp_path / "t.jsonl"
    result = _tag_to(dated, out, trained, "--report", str(tmp_path / "r.html"))
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [f"Error: {MISSING_MATPLOTLIB}"] and not out.exists()


def test_a_model_trained_without_a_validation_split_says_so(tmp_path, dated):
    out = tmp_path / "model"
    trained = CliRunner().invoke(
        main,
        [
            *["train", str(FIXTURES / "tiny_train.jsonl"), "--out", str(out), "--no-promote"],
            *["--validation-fraction", "0", "--min-df", "1", "--models-dir", str(tmp_path)],
        ],
    )
    assert trained.exit_code == 0, trained.output
    assert not (out / VALIDATION_FILE).exists()
    result = _tag_to(dated, tmp_path / "t.jsonl", out, "--report", str(tmp_path / "r.html"))
    assert result.exit_code == 0, result.output
    assert "it was trained without a validation split" in result.stderr


def test_a_report_that_cannot_be_written_fails_before_tagging(tmp_path, trained, dated):
    out = tmp_path / "t.jsonl"
    result = _tag_to(dated, out, trained, "--report", str(tmp_path / "no" / "r.html"))
    assert result.exit_code == 1
    assert "its folder does not exist" in result.output and not out.exists()


# -- the page in headless Chromium --------------------------------------------------------------------------


def test_the_archive_report_opens_offline_without_console_errors(browser, tmp_path, trained, dated):  # noqa: F811
    report = tmp_path / "archive.html"
    result = _dated_report(dated, tmp_path / "t.jsonl", trained, report)
    assert result.exit_code == 0, result.output
    page, messages, requests = _open(browser, report, "report_archive.png")
    assert requests == [report.as_uri()] and messages == []
    assert page.locator("svg").count() == 3  # shares, scores, months
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366


def test_a_multilabel_archive_report_adjusts_each_label(tmp_path, tiny_multilabel_model, dated):
    labels = tiny_multilabel_model.labels
    listed = np.array([[8, 10, 2, 20]] * len(labels))
    model_dir = tmp_path / "multi"
    counts = ValidationCounts(tuple(labels), True, 30, np.ones(20, dtype=int), listed=listed)
    _save_with_counts(tiny_multilabel_model, model_dir, counts)
    for name in ("m.jsonl", "m.csv"):
        report = tmp_path / f"{name}.html"
        result = _tag_to(dated, tmp_path / name, model_dir, "--report", str(report))
        assert result.exit_code == 0, result.output
        rows = [json.loads(line) for line in (tmp_path / "m.jsonl").read_text().splitlines()]
        for label, raw, adjusted, _ in _table(report, "Topic shares"):
            share = sum(any(item["label"] == label for item in r["labels"]) for r in rows) / len(rows)
            assert float(raw) == pytest.approx(100 * share, abs=0.05)
            # With the five pseudo-rows, tpr (8 + 5) / (10 + 5) and fpr 2 / (20 + 5): (q - fpr) / (tpr - fpr).
            tpr, fpr = 13 / 15, 2 / 25
            assert float(adjusted) == pytest.approx(
                100 * min(max((share - fpr) / (tpr - fpr), 0), 1), abs=0.05
            )

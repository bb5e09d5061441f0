"""Evaluation reports: their numbers, the page in headless Chromium, escaping, and train's report.html.

The browser tests leave screenshots in ``tests/artifacts/report_*.png`` for a person to look at.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import save_bare

from classifier.cli import main
from classifier.persistence import REPORT_FILE, file_sha256, load_model, read_manifest
from classifier.report.figures import MISSING_MATPLOTLIB
from classifier.report.numbers import (
    ABSTAINED,
    NO_LABEL,
    confusion,
    coverage_curve,
    reliability,
    threshold_curves,
    truth_matrix,
)

FIXTURES = Path(__file__).parent / "fixtures"
TINY = str(FIXTURES / "tiny_train.jsonl")
ARTIFACTS = Path(__file__).parent / "artifacts"
CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
SCRIPT_HEADLINE = "<script>window.injected = 1</script> Striker scores twice in cup final"
ROWS = [
    # The script row is a sports headline labelled politics, so it shows up among the worst confusions.
    {"headline": SCRIPT_HEADLINE, "teaser": "Fans <b>cheered</b> & sang.", "label": "politics"},
    {"headline": "Central bank raises interest rates", "teaser": "Shares fell.", "label": "finance"},
    {"headline": "Parliament passes the budget", "teaser": "The vote was close.", "label": "politics"},
    {"headline": "Goalkeeper saves a late penalty", "teaser": "The derby ended level.", "label": "sport"},
    {"headline": "Stocks rally as inflation cools", "teaser": "Investors bought banks.", "label": "finance"},
    {"headline": "Minister resigns over election scandal", "teaser": "", "label": "politics"},
]


# -- the numbers ------------------------------------------------------------------------------------------


def test_ece_of_a_known_case():
    # Ten scores of 0.9 of which 8 are right (gap 0.1), ten of 0.3 of which 3 are (gap 0): ECE 0.05.
    confidence = np.array([0.9] * 10 + [0.3] * 10)
    correct = np.array([1] * 8 + [0] * 2 + [1] * 3 + [0] * 7)
    bins = reliability(confidence, correct)
    assert bins.ece == pytest.approx(0.05)
    assert bins.counts.tolist() == [0, 0, 0, 10, 0, 0, 0, 0, 0, 10]
    assert bins.accuracy[9] == pytest.approx(0.8) and bins.confidence[3] == pytest.approx(0.3)
    assert np.isnan(bins.accuracy[0])


def test_a_score_of_one_falls_in_the_last_bin_and_perfect_calibration_has_no_error():
    bins = reliability(np.array([1.0, 1.0, 0.05, 0.05]), np.array([1, 1, 0, 0]))
    assert bins.counts[-1] == 2 and bins.counts[0] == 2
    assert bins.ece == pytest.approx(0.025)  # half the scores: mean 0.05, none right
    assert reliability(np.array([1.0, 0.0]), np.array([1, 0])).ece == 0.0


def test_coverage_curve_answers_everything_at_zero_and_less_as_the_threshold_rises():
    top = np.array([0.95, 0.9, 0.8, 0.6, 0.4, 0.35])
    correct = np.array([1, 1, 1, 0, 1, 0])
    curve = coverage_curve(top, correct)
    assert curve.thresholds[0] == 0.0 and curve.thresholds[-1] == 1.0
    assert curve.coverage[0] == 1.0 and curve.accuracy[0] == pytest.approx(4 / 6)
    assert np.all(np.diff(curve.coverage) <= 0)
    assert curve.coverage[-1] == 0.0 and np.isnan(curve.accuracy[-1])
    at = {
        round(t, 2): (c, a) for t, c, a in zip(curve.thresholds, curve.coverage, curve.accuracy, strict=True)
    }
    assert at[0.7] == (0.5, 1.0)  # three rows answered, all right
    assert at[0.5][0] == pytest.approx(4 / 6) and at[0.5][1] == pytest.approx(3 / 4)
    assert curve.trade_coverage[-1] == 1.0 and curve.trade_accuracy[0] == 1.0
    # With many rows the trade-off starts at 1% of them, past the noise of the first few.
    many = coverage_curve(np.linspace(1, 0, 1000), np.arange(1000) % 2)
    assert many.trade_coverage[0] == 0.01 and many.trade_accuracy[0] == 0.5


def test_confusion_rows_are_normalised_by_each_true_topic_and_worst_examples_come_most_confident_first():
    labels = ("finance", "politics", "sport")
    truth = [("politics",), ("politics",), ("politics",), ("politics",), ("sport",), ("finance",), ("other",)]
    answers = [("politics",), ("sport",), ("sport",), (), ("sport",), ("finance",), ("sport",)]
    scores = np.array(
        [[0.1, 0.8, 0.1], [0.1, 0.2, 0.7], [0.0, 0.1, 0.9], [0.3, 0.3, 0.4], [0, 0, 1], [1, 0, 0], [0, 0, 1]]
    )
    matrix = confusion(truth, answers, scores, labels, multilabel=False)
    assert matrix.rows == labels and matrix.columns == (*labels, ABSTAINED)
    politics = matrix.rows.index("politics")
    assert matrix.counts[politics].tolist() == [0, 1, 2, 1]
    assert matrix.normalised[politics].tolist() == [0, 0.25, 0.5, 0.25]
    assert np.allclose(matrix.normalised.sum(axis=1), 1.0)  # the unknown "other" row is left out
    [worst] = matrix.worst
    assert (worst.truth, worst.predicted, worst.count, worst.share) == ("politics", "sport", 2, 0.5)
    assert worst.examples == (2, 1)  # sport scored 0.9, then 0.7


def test_multilabel_confusion_puts_a_missed_label_under_the_wrong_ones_or_none():
    labels = ("finance", "politics", "sport")
    truth = [("politics", "finance"), ("sport",), ("finance",)]
    answers = [("politics", "sport"), (), ("finance",)]
    scores = np.array([[0.2, 0.9, 0.6], [0.1, 0.1, 0.3], [0.9, 0.0, 0.0]])
    matrix = confusion(truth, answers, scores, labels, multilabel=True)
    assert matrix.columns == (*labels, NO_LABEL)
    cell = dict(zip(matrix.columns, matrix.counts[matrix.rows.index("finance")].tolist(), strict=True))
    assert cell == {"finance": 1, "politics": 0, "sport": 1, NO_LABEL: 0}
    assert matrix.counts[matrix.rows.index("sport")].tolist() == [0, 0, 0, 1]
    assert [(p.truth, p.predicted) for p in matrix.worst] == [("finance", "sport")]


def test_rows_whose_labels_the_model_does_not_know_leave_an_empty_matrix():
    matrix = confusion(
        [("weather",)], [("sport",)], np.array([[0.0, 1.0]]), ("finance", "sport"), multilabel=False
    )
    assert matrix.rows == () and matrix.counts.shape == (0, 0) and matrix.worst == ()


def test_a_big_confusion_matrix_is_cut_to_the_labels_with_the_most_mistakes():
    labels = tuple(f"l{n:02d}" for n in range(30))
    truth = [(label,) for label in labels for _ in range(3)]
    # l05 and l07 are answered l00 twice each; every other row is right.
    answers = [("l00",) if t[0] in ("l05", "l07") and n % 3 else t for n, t in enumerate(truth)]
    scores = np.eye(30)[[labels.index(a[0]) for a in answers]]
    shown = confusion(truth, answers, scores, labels, multilabel=False).focus(4)
    # The two labels with mistakes, then the first of the labels without (in label order).
    assert shown.rows == ("l00", "l01", "l05", "l07")
    assert shown.columns == shown.rows  # nothing abstained
    assert shown.counts[2].tolist() == [2, 0, 1, 0]
    assert shown.normalised[2].tolist() == pytest.approx([2 / 3, 0, 1 / 3, 0])


def test_threshold_curves_give_each_label_its_f1_at_each_threshold():
    labels = ("a", "b")
    scores = np.array([[0.9, 0.6], [0.7, 0.2], [0.4, 0.45], [0.35, 0.3]])
    truth = truth_matrix([("a", "b"), ("a",), ("b",), ()], labels)
    curves = {c.label: c for c in threshold_curves(scores, truth, labels, np.array([0.5, 0.35]))}
    grid = list(curves["b"].grid.round(2))
    # b at 0.5: listed for row 0 (0.6) and row 2 (its top label): both right, so F1 1.
    assert curves["b"].f1[grid.index(0.5)] == pytest.approx(1.0)
    # b at 0.25: rows 0, 2, 3 listed, 2 right of 2 true: F1 2*2/(3+2) = 0.8.
    assert curves["b"].f1[grid.index(0.25)] == pytest.approx(0.8)
    assert curves["b"].chosen == 0.35 and curves["a"].positives == 2


# -- the report from the command line ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def evaluation_rows(tmp_path_factory):
    path = tmp_path_factory.mktemp("report-data") / "rows.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in ROWS), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def multilabel_model_dir(tmp_path_factory, tiny_multilabel_model):
    return save_bare(tiny_multilabel_model, tmp_path_factory.mktemp("report-model") / "multi", "tiny-multi")


def _evaluate(model_dir, data, *extra):
    result = CliRunner().invoke(main, ["evaluate", str(data), "--model", str(model_dir), *extra])
    assert result.exit_code == 0, result.output
    return result


def test_evaluate_report_escapes_headlines_and_keeps_the_json_output(
    tagging_model_dir, evaluation_rows, tmp_path
):
    report = tmp_path / "report.html"
    with_report = _evaluate(tagging_model_dir, evaluation_rows, "--json", "--report", str(report))
    without = _evaluate(tagging_model_dir, evaluation_rows, "--json")
    assert json.loads(with_report.stdout) == json.loads(without.stdout)
    html = report.read_text(encoding="utf-8")
    assert "&lt;script&gt;window.injected = 1&lt;/script&gt; Striker scores twice" in html
    assert "Fans &lt;b&gt;cheered&lt;/b&gt; &amp; sang." in html
    assert "<script" not in html and "<b>" not in html
    for section in ("confusion-matrix", "per-label-scores", "reliability-diagram", "coverage-curve"):
        assert f'aria-labelledby="{section}-title"' in html
    assert "threshold-curves" not in html  # a single-label model has no per-label thresholds
    assert "politics → sport" in html


def test_evaluate_report_into_a_missing_folder_fails_in_one_line(
    tagging_model_dir, evaluation_rows, tmp_path
):
    result = CliRunner().invoke(
        main,
        [
            "evaluate",
            str(evaluation_rows),
            "--model",
            str(tagging_model_dir),
            "--report",
            str(tmp_path / "no/r.html"),
        ],
    )
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        f"Error: {tmp_path / 'no/r.html'}: cannot write the report: its folder does not exist"
    ]


def test_evaluate_report_without_matplotlib_says_what_to_install(
    tagging_model_dir, evaluation_rows, tmp_path, monkeypatch
):
    for name in [name for name in sys.modules if name == "matplotlib" or name.startswith("matplotlib.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib raises ImportError
    report = tmp_path / "report.html"
    result = CliRunner().invoke(
        main, ["evaluate", str(evaluation_rows), "--model", str(tagging_model_dir), "--report", str(report)]
    )
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [f"Error: {MISSING_MATPLOTLIB}"]
    assert not report.exists()


# -- train's report.html ------------------------------------------------------------------------------------


def _train(tmp_path, *extra):
    out = tmp_path / "model"
    args = ["train", TINY, "--out", str(out), "--no-promote", "--min-df", "1", "--models-dir", str(tmp_path)]
    result = CliRunner().invoke(main, [*args, *extra])
    assert result.exit_code == 0, result.output
    return out, result


def test_train_writes_the_validation_report_with_its_checksum_and_the_model_still_loads(tmp_path):
    out, _ = _train(tmp_path, "--validation-fraction", "0.25")
    manifest = read_manifest(out)
    assert manifest.report_sha256 == file_sha256(out / REPORT_FILE)
    html = (out / REPORT_FILE).read_text(encoding="utf-8")
    assert "validation report" in html and "9 rows held out from 36" in html
    load_model(out)


def test_train_writes_no_report_without_a_validation_split_or_with_no_report(tmp_path):
    for name, extra in (("none", ["--validation-fraction", "0"]), ("off", ["--no-report"])):
        out, _ = _train(tmp_path / name, *extra)
        assert not (out / REPORT_FILE).exists()
        assert "report_sha256" not in json.loads((out / "manifest.json").read_text())  # the old shape
        load_model(out)


def test_train_without_matplotlib_saves_the_model_and_says_why_there_is_no_report(tmp_path, monkeypatch):
    for name in [name for name in sys.modules if name == "matplotlib" or name.startswith("matplotlib.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    out, result = _train(tmp_path, "--validation-fraction", "0.25")
    assert not (out / REPORT_FILE).exists()
    assert "no report.html in the model directory: matplotlib is missing" in result.stderr
    assert "headline-tagger[report]" in result.stderr
    load_model(out)


# -- the page in headless Chromium --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists() and os.environ.get("CI") != "true":
        pytest.skip("chromium is not installed (.ci/run installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield launched
        launched.close()


def _open(browser, report: Path, screenshot: str):
    """Open ``report`` at laptop width; return the page, its console messages and every request."""
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    messages, requests = [], []
    page.on("console", lambda message: messages.append(f"{message.type}: {message.text}"))
    page.on("pageerror", lambda error: messages.append(f"pageerror: {error}"))
    page.on("request", lambda request: requests.append(request.url))
    page.goto(report.as_uri())
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / screenshot), full_page=True)
    return page, messages, requests


def test_single_label_report_opens_offline_without_console_errors(
    browser, tagging_model_dir, evaluation_rows, tmp_path
):
    report = tmp_path / "single.html"
    _evaluate(tagging_model_dir, evaluation_rows, "--report", str(report))
    page, messages, requests = _open(browser, report, "report_single_label.png")
    assert requests == [report.as_uri()]  # the file itself and nothing else: no CDN, no font, no image
    assert messages == []
    assert page.evaluate("window.injected") is None
    assert SCRIPT_HEADLINE in page.locator(".headline").all_text_contents()
    assert page.locator("svg").count() == 4
    # Laptop width: no figure is wider than the page.
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366


def test_multilabel_report_has_threshold_curves(browser, multilabel_model_dir, tmp_path):
    data = tmp_path / "multi.jsonl"
    rows = [
        {"headline": "Finance minister cuts taxes in budget", "teaser": "", "label": ["politics", "finance"]},
        {"headline": "Club fined over share deal", "teaser": "Stock fell.", "label": ["sport", "finance"]},
        {"headline": "Striker scores in the derby", "teaser": "", "label": ["sport"]},
        {"headline": "Senate rejects reform bill", "teaser": "", "label": ["politics"]},
        {"headline": "Bank shares slide on rate fears", "teaser": "", "label": ["finance"]},
    ]
    data.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    report = tmp_path / "multi.html"
    _evaluate(multilabel_model_dir, data, "--report", str(report))
    page, messages, requests = _open(browser, report, "report_multilabel.png")
    assert requests == [report.as_uri()] and messages == []
    curves = page.locator("#thresholds + p + .figure svg")
    assert curves.count() == 1
    titles = curves.locator("text").all_text_contents()
    for label, count in (("finance", 3), ("politics", 2), ("sport", 2)):
        assert f"{label} (n={count})" in titles
    assert page.locator("th", has_text="threshold").count() == 1

"""``models compare --report``: the page of two models side by side, end to end and in headless Chromium.

The browser test leaves ``tests/artifacts/report_comparison.png`` for a person to look at.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from test_report import SCRIPT_HEADLINE, TINY, _open, browser  # noqa: F401 - browser is a fixture

from classifier.cli import main
from classifier.persistence import read_manifest
from classifier.report import comparison as comparison_page
from classifier.report.differences import DIFFERENCE_LABELS, chosen_labels, f1_difference_figure
from classifier.report.figures import MISSING_MATPLOTLIB

TRAIN = ["--min-df", "1", "--validation-fraction", "0"]


@pytest.fixture(scope="module")
def two_models(tmp_path_factory):
    """A models folder with a model that never says sport (A) and one trained on the tiny set (B, current),
    and the tiny set plus a sport headline that is markup, to compare them on."""
    folder = tmp_path_factory.mktemp("compare")
    rows = [json.loads(line) for line in Path(TINY).read_text(encoding="utf-8").splitlines()]
    no_sport = folder / "no_sport.jsonl"
    no_sport.write_text(
        "".join(json.dumps(row | {"label": row["label"].replace("sport", "finance")}) + "\n" for row in rows)
    )
    data = folder / "data.jsonl"
    extra = {"headline": SCRIPT_HEADLINE, "teaser": "Fans <b>cheered</b> & sang.", "label": "sport"}
    data.write_text("".join(json.dumps(row) + "\n" for row in [*rows, extra]), encoding="utf-8")
    models = folder / "models"
    ids = []
    for source in (no_sport, TINY):
        result = CliRunner().invoke(main, ["train", str(source), "--models-dir", str(models), *TRAIN])
        assert result.exit_code == 0, result.output
        ids.append(read_manifest(models / "current").model_id)
    return models, ids[0], ids[1], data


def _compare(two_models, *extra):
    models, weaker, _, data = two_models
    command = ["models", "compare", weaker, "current", str(data), "--models-dir", str(models)]
    return CliRunner().invoke(main, [*command, "--resamples", "200", *extra])


def test_compare_report_shows_both_models_their_differences_and_the_rows_they_disagree_on(
    two_models, tmp_path
):
    _, weaker, better, _ = two_models
    report = tmp_path / "compare.html"

    with_report = _compare(two_models, "--json", "--report", str(report))
    without = _compare(two_models, "--json")

    assert with_report.exit_code == 0, with_report.output
    assert json.loads(with_report.stdout) == json.loads(without.stdout)  # --json is unchanged
    assert " ".join(with_report.stderr.split()) == f"wrote {report}"
    html = report.read_text(encoding="utf-8")
    assert f"Model {weaker} (A) against {better} (B) on 37 rows" in html
    summary = re.search(r"<tr><td>accuracy</td>(.*?)</tr>", html).group(1)
    cells = re.findall(r"<td[^>]*>([^<]*)</td>", summary)
    assert cells[:3] == [f"{24 / 37:.4f}", "1.0000", f"{13 / 37:+.4f}"]
    assert cells[3].startswith("[+") and cells[4] == "B better"
    # A never learnt sport: its 13 sport rows are counted as mistakes, outside its confusion matrix.
    assert "13 rows have a true label this model does not know (sport)" in html
    for figure in ("confusion-a", "confusion-b", "f1-differences"):
        assert f'aria-labelledby="{figure}-title"' in html
    disagreements = html[html.index('id="disagreements"') :]
    assert disagreements.count('<td class="headline-cell">') == 13
    assert "The first 13 of 13" in disagreements
    # Headlines are text, never markup.
    assert "&lt;script&gt;window.injected = 1&lt;/script&gt; Striker" in html
    assert "<script" not in html and "<b>" not in html


def test_compare_report_lists_a_bounded_number_of_disagreements(two_models, tmp_path, monkeypatch):
    monkeypatch.setattr(comparison_page, "REPORT_DISAGREEMENTS", 4)
    report, rows = tmp_path / "compare.html", tmp_path / "rows.jsonl"
    result = _compare(two_models, "--report", str(report), "--disagreements", str(rows))
    assert result.exit_code == 0, result.output
    html = report.read_text(encoding="utf-8")
    assert html.count('<td class="headline-cell">') == 4 and "The first 4 of 13" in html
    assert len(rows.read_text(encoding="utf-8").splitlines()) == 13  # the file keeps every one


def test_compare_report_refuses_a_missing_folder_and_a_missing_matplotlib_in_one_line(
    two_models, tmp_path, monkeypatch
):
    missing = tmp_path / "no" / "compare.html"
    result = _compare(two_models, "--report", str(missing))
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        f"Error: {missing}: cannot write the report: its folder does not exist"
    ]

    for name in [name for name in sys.modules if name == "matplotlib" or name.startswith("matplotlib.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    result = _compare(two_models, "--report", str(tmp_path / "compare.html"))
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [f"Error: {MISSING_MATPLOTLIB}"]
    assert not (tmp_path / "compare.html").exists()


def _per_label(differences):
    return {
        f"label{number:02d}": {"support": 100 - number, "f1_difference": float(difference)}
        for number, difference in enumerate(differences)
    }


def test_the_difference_chart_keeps_the_labels_that_moved_most_of_a_reuters_sized_model():
    differences = np.linspace(-0.3, 0.5, 90)
    per_label = _per_label(differences)

    names = chosen_labels(per_label)

    assert len(names) == DIFFERENCE_LABELS
    moved = sorted(per_label, key=lambda name: -abs(per_label[name]["f1_difference"]))[:DIFFERENCE_LABELS]
    assert set(names) == set(moved)
    shown = [per_label[name]["f1_difference"] for name in names]
    assert shown == sorted(shown, reverse=True)  # the largest gain of B on top
    svg = f1_difference_figure(per_label, names, "old", "new")
    ticks = re.findall(r"label\d\d \(n=\d+\)", svg)
    assert sorted(set(ticks)) == sorted(f"{name} (n={per_label[name]['support']})" for name in names)


def test_the_difference_chart_of_a_few_labels_draws_them_all():
    per_label = _per_label([0.25, -0.1, 0.0])
    assert chosen_labels(per_label) == ["label00", "label02", "label01"]


def test_compare_report_opens_offline_without_console_errors(browser, two_models, tmp_path):  # noqa: F811
    report = tmp_path / "compare.html"
    assert _compare(two_models, "--report", str(report)).exit_code == 0
    page, messages, requests = _open(browser, report, "report_comparison.png")
    assert requests == [report.as_uri()]  # the file itself and nothing else
    assert messages == []
    assert page.evaluate("window.injected") is None
    assert page.locator("svg").count() == 3
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366
    bars = page.locator("#per-label ~ .figure svg text").all_text_contents()
    assert "+1.000" in bars and "sport (n=13)" in bars

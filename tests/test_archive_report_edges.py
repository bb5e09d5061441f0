"""``tag --report`` on outputs at the edges: a CSV whose first record has no date, an output with no
row at all (every row rejected), and an output damaged after it was written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_archive_report import _dated_report, _tag_to, trained  # noqa: F401 - the trained fixture

from classifier.errors import DataError
from classifier.persistence import read_manifest
from classifier.report.tally import tally_output
from classifier.tagging.outputs import output_spec


def _archive(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def test_a_csv_output_whose_first_record_has_no_date_reports_every_row_undated(tmp_path, trained):  # noqa: F811
    source = _archive(
        tmp_path / "a.jsonl",
        [
            {"id": "u1", "headline": "Parliament passes the budget"},
            {"id": "d1", "headline": "Striker scores twice", "published": "2019-03-09"},
        ],
    )
    out, report = tmp_path / "tagged.csv", tmp_path / "archive.html"
    result = _dated_report(source, out, trained, report)
    assert result.exit_code == 0, result.output
    # The CSV has the first record's columns, so the second row's date is not in the file.
    assert "published" not in out.read_text(encoding="utf-8").splitlines()[0]
    assert "2 rows had no usable date" in report.read_text(encoding="utf-8")


@pytest.mark.parametrize("name", ["tagged.csv", "tagged.csv.gz", "tagged.jsonl", "tagged"])
def test_an_output_with_every_row_rejected_reports_zero_rows(tmp_path, trained, name):  # noqa: F811
    source = _archive(tmp_path / "bad.jsonl", [{"id": "x", "teaser": "no headline"}])
    out, report = tmp_path / name, tmp_path / "archive.html"
    result = _tag_to(source, out, trained, "--max-bad-rows", "100%", "--report", str(report))
    assert result.exit_code == 0, result.output
    assert f"wrote {report} (0 rows)" in result.stderr


def test_an_output_damaged_after_tagging_is_a_data_error_naming_it(tmp_path, trained):  # noqa: F811
    out = tmp_path / "tagged.jsonl"
    out.write_text('{"label": "politics", "score": 0.9, "abstained": false}\n{"label": \n', encoding="utf-8")
    with pytest.raises(DataError, match=r"tagged\.jsonl: cannot read the tagged output back"):
        tally_output(out, output_spec(out), read_manifest(trained).labels, False, None)

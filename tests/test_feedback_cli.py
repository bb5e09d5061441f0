"""headline-tagger feedback import / export / stats, on a real model and a real store."""

from __future__ import annotations

import csv
import io
import json

from click.testing import CliRunner

from classifier.cli import main

ROWS = [
    {"headline": "Parliament passes budget after marathon debate", "labels": ["politics"], "id": 7},
    {
        "headline": "Striker scores twice in derby win",
        "teaser": "The home side stayed top.",
        "labels": ["sport"],
    },
    {"headline": "Parliament passes budget after marathon debate", "labels": ["politics", "sport"]},
    {"headline": "", "labels": ["politics"]},
    {"headline": "Central bank raises rates", "labels": ["weather"]},
    {"headline": "Central bank raises rates", "labels": []},
]


def _run(*arguments: str):
    return CliRunner().invoke(main, [str(argument) for argument in arguments], catch_exceptions=False)


def test_import_stores_the_good_rows_reports_the_bad_and_stats_sum_them_up(tmp_path, publish):
    model = publish("m1")
    source = tmp_path / "corrections.jsonl"
    source.write_text("".join(json.dumps(row) + "\n" for row in ROWS) + "not json\n")
    db = tmp_path / "feedback.db"
    result = _run("feedback", "import", source, "--model", model, "--feedback-db", db)
    assert result.exit_code == 0, result.output
    assert "imported 3 corrections" in result.output and "4 bad rows" in result.output
    assert f"{source}:4: headline: must not be empty" in result.stderr
    assert "unknown label 'weather'" in result.stderr
    assert f"{source}:6: labels: must be a non-empty list of labels" in result.stderr
    assert f"{source}:7: malformed JSON" in result.stderr

    exported = _run("feedback", "export", "--feedback-db", db)
    rows = [json.loads(line) for line in exported.output.splitlines()]
    assert [(r["headline"][:10], r["labels"], r["item_id"], r["source"]) for r in rows] == [
        ("Parliament", ["politics"], "7", "import"),
        ("Striker sc", ["sport"], None, "import"),
        ("Parliament", ["politics", "sport"], None, "import"),
    ]
    assert rows[0]["superseded_by"] == rows[2]["id"] and rows[0]["model"] == "m1"
    assert rows[0]["predicted"] == ["politics"] and rows[0]["kind"] == "accepted"
    assert rows[2]["kind"] == "added"

    stats = json.loads(_run("feedback", "stats", "--json", "--feedback-db", db).output)
    assert stats["corrections"] == 2  # the first Parliament correction is superseded
    assert stats["labels"] == {"sport": 2, "politics": 1}
    text = _run("feedback", "stats", "--feedback-db", db).output
    assert "2 current corrections" in text and "model m1: 2 corrections" in text


def test_export_as_csv_to_a_file(tmp_path, publish):
    model = publish("m1")
    source = tmp_path / "corrections.jsonl"
    source.write_text(json.dumps(ROWS[1]) + "\n")
    db = tmp_path / "feedback.db"
    assert _run("feedback", "import", source, "--model", model, "--feedback-db", db).exit_code == 0
    out = tmp_path / "out.csv"
    assert _run("feedback", "export", "--format", "csv", "-o", out, "--feedback-db", db).exit_code == 0
    (row,) = csv.DictReader(io.StringIO(out.read_text()))
    assert row["headline"] == ROWS[1]["headline"] and row["labels"] == "sport" and row["superseded_by"] == ""
    stdout = _run("feedback", "export", "--format", "csv", "--feedback-db", db).output
    assert stdout == out.read_text()
    unwritable = tmp_path / "missing" / "out.csv"
    result = _run("feedback", "export", "-o", unwritable, "--feedback-db", db)
    assert result.exit_code == 1 and f"Error: {unwritable}: cannot write" in result.output
    assert not unwritable.parent.exists()


def test_a_file_without_a_good_row_and_a_bad_store_are_one_line_errors(tmp_path, publish):
    model = publish("m1")
    source = tmp_path / "bad.jsonl"
    source.write_text(json.dumps(ROWS[3]) + "\n")
    result = _run("feedback", "import", source, "--model", model, "--feedback-db", tmp_path / "feedback.db")
    assert result.exit_code == 1 and "no correction to import (1 bad rows)" in result.output
    corrupt = tmp_path / "corrupt.db"
    corrupt.write_bytes(b"no database here" * 200)
    result = _run("feedback", "stats", "--feedback-db", corrupt)
    assert result.exit_code == 1
    reason = "cannot open the corrections store: it is not a corrections store, or it is corrupt"
    assert result.output.strip().splitlines() == [f"Error: {corrupt}: {reason}"]

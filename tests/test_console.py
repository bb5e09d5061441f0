"""The command line's progress on a terminal: what a user watching it sees."""

import io
import json

import pytest
from rich.console import Console

from classifier.cli import console
from classifier.workflows import DataRequest


@pytest.fixture
def terminal(monkeypatch):
    """stderr as a terminal whose output the test reads."""
    screen = io.StringIO()
    monkeypatch.setattr(console, "stderr", Console(file=screen, force_terminal=True, width=160))
    return screen


def _data(path, rows):
    path.write_text("".join(json.dumps({"headline": f"row {i}", "label": "x"}) + "\n" for i in range(rows)))
    return DataRequest(arguments=(str(path),))


def test_reading_shows_a_bar_with_the_time_left_when_the_rows_can_be_estimated(terminal, tmp_path):
    with console.reading_progress("Reading training data", _data(tmp_path / "a.jsonl", 5000)) as count:
        for _ in range(4000):
            count()
    screen = terminal.getvalue()
    assert "4,000 of about 5,000 rows" in screen and "ETA" in screen


def test_reading_counts_past_an_estimate_that_fell_short(terminal, tmp_path):
    with console.reading_progress("Reading", _data(tmp_path / "a.jsonl", 2000)) as count:
        for _ in range(4000):
            count()
    assert "4,000 of about 4,000 rows" in terminal.getvalue()


def test_reading_what_cannot_be_estimated_shows_a_count_without_an_eta(terminal, tmp_path):
    path = tmp_path / "a.jsonl.xz"  # the rows of an xz file are not told cheaply
    path.write_bytes(b"not read")
    with console.reading_progress("Reading", DataRequest(arguments=(str(path),))) as count:
        for _ in range(2000):
            count()
    screen = terminal.getvalue()
    assert "2000/?" in screen and "about" not in screen and "ETA" not in screen


def test_quiet_reading_shows_nothing_and_does_not_look_at_the_data(terminal, tmp_path, monkeypatch):
    def looked(*arguments):
        raise AssertionError("the data was looked at")

    monkeypatch.setattr(console, "estimated_rows", looked)
    with console.reading_progress("Reading", _data(tmp_path / "a.jsonl", 10), quiet=True) as count:
        count()
    assert terminal.getvalue() == ""

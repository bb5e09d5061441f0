"""Tagging JSON lines by raw blocks writes exactly the bytes of tagging record by record."""

from __future__ import annotations

import codecs
import gzip
import json
from pathlib import Path

import pytest
from conftest import TAGGING_DATA, Crash, crash_after_commits, tagging_job

import classifier.tagging.job
import classifier.tagging.lines
from classifier.errors import DataError
from classifier.tagging.job import tag_archive


def _item(number: int, headline: str | None = None) -> bytes:
    headline = headline or f"Minister resigns over election scandal {number}"
    return json.dumps(
        {"id": f"t{number}", "headline": headline, "teaser": "A vote — late at night."}
    ).encode()


def tricky_archive() -> bytes:
    """Every line ending, a byte-order mark, blank and bad lines, non-ASCII text, no final newline."""
    lines = [
        codecs.BOM_UTF8 + _item(1) + b"\r\n",
        _item(2, "Striker scores twice as club wins the cup final") + b"\r",
        b"   \n",
        b"\n",
        _item(3, "Central bank raises interest rates \xe2\x80\x94 again") + b"\n",
        b"not json at all\r\n",
        b'{"id": "t4", "headline": "caf\xe9 owner"}\n',  # Latin-1: undecodable
        b'{"id": "t5", "headline": ""}\n',
        b"[1, 2]\n",
        *(_item(n) + b"\n" for n in range(6, 30)),
        _item(30, "Goalkeeper saves penalty in derby"),
    ]
    return b"".join(lines)


@pytest.fixture
def tiny_blocks(monkeypatch):
    """Blocks of at most 16 bytes: every line is cut across reads, every block boundary is tried."""
    monkeypatch.setattr(classifier.tagging.job, "_BLOCK_BYTES", (16, 16))


def _outputs(out: Path) -> tuple[bytes, bytes]:
    return out.read_bytes(), Path(f"{out}.rejects.jsonl").read_bytes()


@pytest.mark.parametrize("name", ["out.jsonl", "out.jsonl.gz", "out.csv", "out.csv.zst"])
@pytest.mark.parametrize("chunk_size", [1, 4, 100])
def test_raw_blocks_write_the_bytes_of_records_for_every_line_ending_and_output(
    tmp_path, tagging_model_dir, tiny_blocks, monkeypatch, name, chunk_size
):
    source = tmp_path / "tricky.jsonl.gz"
    source.write_bytes(gzip.compress(tricky_archive()))
    by_lines = tmp_path / "lines" / name
    by_lines.parent.mkdir()
    summary = tag_archive(tagging_job([source], by_lines, tagging_model_dir, chunk_size=chunk_size))
    with monkeypatch.context() as patch:
        patch.setattr(classifier.tagging.job, "json_lines_inputs", lambda sources, options: None)
        reference = tmp_path / name
        expected = tag_archive(tagging_job([source], reference, tagging_model_dir, chunk_size=chunk_size))
    assert _outputs(by_lines) == _outputs(reference)
    assert (summary.rows_read, summary.rows_tagged, summary.rows_rejected) == (32, 28, 4)
    assert (summary.labels, summary.abstained) == (expected.labels, expected.abstained)
    rejected = [json.loads(line)["line"] for line in summary.rejects.read_text().splitlines()]
    assert rejected == [6, 7, 8, 9]


def test_two_workers_on_raw_blocks_write_the_bytes_of_one(tmp_path, tagging_model_dir, tiny_blocks):
    source = tmp_path / "tricky.jsonl"
    source.write_bytes(tricky_archive())
    one, two = tmp_path / "one.csv.gz", tmp_path / "two.csv.gz"
    tag_archive(tagging_job([source], one, tagging_model_dir, chunk_size=3))
    tag_archive(tagging_job([source], two, tagging_model_dir, chunk_size=3, workers=2))
    assert _outputs(two) == _outputs(one)


def test_an_empty_file_among_the_inputs_is_a_clear_error(tmp_path, tagging_model_dir):
    (tmp_path / "a.jsonl").write_bytes((TAGGING_DATA / "archive.jsonl").read_bytes())
    (tmp_path / "b.jsonl").write_text("\n  \n")
    with pytest.raises(DataError, match=r"b\.jsonl is empty"):
        tag_archive(tagging_job([tmp_path / "*.jsonl"], tmp_path / "out.jsonl", tagging_model_dir))


@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_a_resumed_run_starts_at_the_checkpoint_s_byte_without_parsing_what_came_before(
    tmp_path, tagging_model_dir, monkeypatch, tiny_blocks, suffix
):
    data = tricky_archive()
    source = tmp_path / f"tricky.jsonl{suffix}"
    source.write_bytes(gzip.compress(data) if suffix else data)
    reference = tmp_path / "reference.jsonl.gz"
    tag_archive(tagging_job([source], reference, tagging_model_dir, chunk_size=4))
    out = tmp_path / "tagged.jsonl.gz"
    with monkeypatch.context() as patch:
        crash_after_commits(patch, 5)
        with pytest.raises(Crash):
            tag_archive(tagging_job([source], out, tagging_model_dir, chunk_size=4))
    checkpoint = json.loads((tmp_path / "tagged.jsonl.gz.partial" / "checkpoint.json").read_text())
    position = checkpoint["committed"]["position"]
    assert position == {"file": 0, "offset": data.index(_item(22)) + len(_item(22)) + 1, "line": 26}
    parsed = []
    real_row = classifier.tagging.lines.jsonl_row
    monkeypatch.setattr(
        classifier.tagging.lines, "jsonl_row", lambda *args: parsed.append(args[1]) or real_row(*args)
    )
    summary = tag_archive(tagging_job([source], out, tagging_model_dir, chunk_size=4, resume=True))
    assert parsed == list(range(27, 35))  # after line 26, where the fifth chunk ends
    assert _outputs(out) == _outputs(reference)
    assert (summary.rows_read, summary.rows_tagged, summary.rows_rejected, summary.resumed_rows) == (
        32,
        28,
        4,
        20,
    )

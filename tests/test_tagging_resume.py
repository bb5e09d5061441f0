"""Nothing lost, nothing twice: a killed tagging run resumes into the bytes of an uninterrupted one."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from conftest import REPO, TAGGING_DATA, Crash, crash_after_commits, tagging_job

from classifier.errors import OutputError
from classifier.tagging.job import tag_archive
from classifier.tagging.store import CHECKPOINT_FILE

DATA = TAGGING_DATA


@pytest.fixture
def model_dir(tagging_model_dir):
    return tagging_model_dir


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    """A 100,000-row archive of the hand-written items, with a bad row every 10,000 rows."""
    lines = (DATA / "archive.jsonl").read_text().splitlines()
    items = [item for line in lines if line.startswith("{") and (item := json.loads(line))["headline"]]
    path = tmp_path_factory.mktemp("resume-archive") / "archive.jsonl"
    with open(path, "w", encoding="utf-8") as out:
        for number in range(100_000):
            if number % 10_000 == 9_999:
                out.write("{broken\n")
                continue
            item = items[number % len(items)]
            out.write(json.dumps({**item, "id": f"r{number}"}) + "\n")
    return path


job = tagging_job


def checkpoint(output: Path) -> dict | None:
    try:
        return json.loads((Path(f"{output}.partial") / CHECKPOINT_FILE).read_text())
    except (OSError, ValueError):
        return None


def test_a_run_killed_with_sigkill_resumes_into_identical_bytes(tmp_path, model_dir, archive):
    reference = tmp_path / "reference.jsonl.gz"
    tag_archive(job([archive], reference, model_dir, chunk_size=500))
    out = tmp_path / "tagged.jsonl.gz"
    command = [str(REPO / ".venv" / "bin" / "headline-tagger"), "tag", str(archive), "-o", str(out)]
    options = ["--model", str(model_dir), "--id-field", "id", "--max-bad-rows", "100", "--chunk-size", "500"]
    process = subprocess.Popen([*command, *options, "--workers", "2", "-q"], start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while (state := checkpoint(out)) is None or state["committed"]["chunks"] < 40:
            assert process.poll() is None, "the run ended before it could be killed"
            assert time.monotonic() < deadline
            time.sleep(0.01)
    finally:
        os.killpg(process.pid, signal.SIGKILL)  # the command and its worker processes
        process.wait()
    killed_at = checkpoint(out)["committed"]
    assert not out.exists() and not killed_at["complete"] and killed_at["rows"] < 100_000

    summary = tag_archive(job([archive], out, model_dir, chunk_size=500, resume=True, workers=2))

    assert summary.resumed_rows >= killed_at["rows"] > 0
    assert out.read_bytes() == reference.read_bytes()
    assert Path(f"{out}.rejects.jsonl").read_bytes() == Path(f"{reference}.rejects.jsonl").read_bytes()
    assert summary.rows_tagged == 99_990 and summary.rows_rejected == 10
    assert not Path(f"{out}.partial").exists()


@pytest.mark.parametrize("name", ["tagged.jsonl.zst", "tagged.csv", "tagged"])
def test_a_run_that_died_after_some_commits_resumes_identically_in_every_format(
    tmp_path, model_dir, monkeypatch, name
):
    source = DATA / "archive.jsonl"
    reference = tmp_path / "reference" / name
    tag_archive(job([source], reference, model_dir, chunk_size=2))
    out = tmp_path / name
    with monkeypatch.context() as patch:
        crash_after_commits(patch, 2)
        with pytest.raises(Crash):
            tag_archive(job([source], out, model_dir, chunk_size=2))
    assert checkpoint(out)["committed"]["chunks"] == 2
    summary = tag_archive(job([source], out, model_dir, chunk_size=2, resume=True))
    assert summary.resumed_rows == 4 and summary.rows_tagged == 6
    assert _contents(out) == _contents(reference)


def _contents(path: Path) -> dict[str, bytes]:
    files = sorted(path.iterdir()) if path.is_dir() else [path, Path(f"{path}.rejects.jsonl")]
    return {file.name.replace("reference", ""): file.read_bytes() for file in files}


@pytest.mark.parametrize("step", ["_concatenate", "rmtree"])
def test_a_run_that_died_while_publishing_its_output_resumes_identically(
    tmp_path, model_dir, monkeypatch, step
):
    import classifier.tagging.store

    reference = tmp_path / "reference.jsonl"
    tag_archive(job([DATA / "archive.jsonl"], reference, model_dir, chunk_size=2))
    out = tmp_path / "tagged.jsonl"
    real = (
        getattr(classifier.tagging.store, step)
        if step == "_concatenate"
        else classifier.tagging.store.shutil.rmtree
    )
    calls = []

    def dies_on_the_output(*args, **kwargs):
        calls.append(args)
        if len(calls) == 2 or step == "rmtree":  # concatenate: the rejects file is written, OUT is not
            raise Crash
        return real(*args, **kwargs)

    with monkeypatch.context() as patch:
        if step == "_concatenate":
            patch.setattr(classifier.tagging.store, "_concatenate", dies_on_the_output)
        else:
            patch.setattr(classifier.tagging.store.shutil, "rmtree", dies_on_the_output)
        with pytest.raises(Crash):
            tag_archive(job([DATA / "archive.jsonl"], out, model_dir, chunk_size=2))
    assert checkpoint(out)["committed"]["complete"]
    summary = tag_archive(job([DATA / "archive.jsonl"], out, model_dir, chunk_size=2, resume=True))
    assert out.read_bytes() == reference.read_bytes()
    assert (summary.rows_read, summary.rows_tagged, summary.rows_rejected) == (8, 6, 2)


def test_an_interrupted_run_needs_resume_or_overwrite(tmp_path, model_dir, monkeypatch):
    out = tmp_path / "tagged.jsonl"
    with monkeypatch.context() as patch:
        crash_after_commits(patch, 1)
        with pytest.raises(Crash):
            tag_archive(job([DATA / "archive.jsonl"], out, model_dir, chunk_size=2))
    with pytest.raises(OutputError, match="holds an interrupted run; pass --resume"):
        tag_archive(job([DATA / "archive.jsonl"], out, model_dir, chunk_size=2))
    summary = tag_archive(job([DATA / "archive.jsonl"], out, model_dir, chunk_size=2, overwrite=True))
    assert summary.resumed_rows == 0 and summary.rows_tagged == 6


def test_resume_refuses_a_run_started_with_other_options_or_inputs(tmp_path, model_dir, monkeypatch):
    source = tmp_path / "archive.jsonl"
    source.write_bytes((DATA / "archive.jsonl").read_bytes())
    out = tmp_path / "tagged.jsonl"
    with monkeypatch.context() as patch:
        crash_after_commits(patch, 1)
        with pytest.raises(Crash):
            tag_archive(job([source], out, model_dir, chunk_size=2))
    with pytest.raises(OutputError, match="other options"):
        tag_archive(job([source], out, model_dir, chunk_size=3, resume=True))
    with source.open("a") as append:
        append.write('{"id": "n8", "headline": "Late addition"}\n')
    with pytest.raises(OutputError, match="other inputs"):
        tag_archive(job([source], out, model_dir, chunk_size=2, resume=True))


def test_an_output_inside_an_input_folder_is_refused_before_anything_is_written(tmp_path, model_dir):
    folder = tmp_path / "archive"
    folder.mkdir()
    (folder / "a.jsonl").write_bytes((DATA / "archive.jsonl").read_bytes())
    for out in (folder / "tagged.jsonl", folder / "deeper" / "tagged.jsonl"):
        with pytest.raises(OutputError, match="inside the input folder"):
            tag_archive(job([folder], out, model_dir, chunk_size=2))
    assert sorted(p.name for p in folder.iterdir()) == ["a.jsonl"]
    tag_archive(job([folder], tmp_path / "tagged.jsonl", model_dir, chunk_size=2))  # beside it is fine


def test_resume_without_an_interrupted_run_tags_afresh_but_never_redoes_a_finished_one(tmp_path, model_dir):
    out = tmp_path / "tagged.jsonl"
    summary = tag_archive(job([DATA / "archive.jsonl"], out, model_dir, resume=True))
    assert summary.rows_tagged == 6 and summary.resumed_rows == 0
    with pytest.raises(OutputError, match="nothing to resume"):
        tag_archive(job([DATA / "archive.jsonl"], out, model_dir, resume=True))


def test_parts_written_after_the_last_checkpoint_are_written_again(tmp_path, model_dir, monkeypatch):
    reference = tmp_path / "reference.jsonl"
    tag_archive(job([DATA / "archive.jsonl"], reference, model_dir, chunk_size=2))
    out = tmp_path / "tagged.jsonl"
    with monkeypatch.context() as patch:
        crash_after_commits(patch, 1)
        with pytest.raises(Crash):
            tag_archive(job([DATA / "archive.jsonl"], out, model_dir, chunk_size=2))
    parts = Path(f"{out}.partial") / "parts"
    (parts / "part-00000001.jsonl").write_text("half a part, never committed")
    (parts / ".part-00000002.jsonl.tmp").write_text("a temporary file of the killed run")
    tag_archive(job([DATA / "archive.jsonl"], out, model_dir, chunk_size=2, resume=True))
    assert out.read_bytes() == reference.read_bytes()


def test_a_run_that_died_after_its_last_chunk_tags_and_rejects_nothing_twice(
    tmp_path, model_dir, monkeypatch
):
    source = tmp_path / "archive.jsonl"
    lines = [json.dumps({"id": f"g{n}", "headline": "Senate passes the budget"}) for n in range(3)]
    source.write_text("\n".join([*lines[:2], "{broken", lines[2], "{broken too"]) + "\n")
    reference = tmp_path / "reference.jsonl"
    tag_archive(job([source], reference, model_dir, chunk_size=2))
    out = tmp_path / "tagged.jsonl"
    with monkeypatch.context() as patch:
        crash_after_commits(patch, 2)  # both chunks (g0 g1, and g2 with line 3) committed, the finish not
        with pytest.raises(Crash):
            tag_archive(job([source], out, model_dir, chunk_size=2))
    summary = tag_archive(job([source], out, model_dir, chunk_size=2, resume=True))
    assert (summary.rows_tagged, summary.resumed_rows, summary.rows_rejected) == (3, 3, 2)
    assert out.read_bytes() == reference.read_bytes()
    rejects = Path(f"{out}.rejects.jsonl").read_text().splitlines()
    assert [json.loads(line)["line"] for line in rejects] == [3, 5]
    assert Path(f"{reference}.rejects.jsonl").read_text().splitlines() == rejects

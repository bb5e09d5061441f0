"""The Dask engine: a real scheduler and two worker processes on 127.0.0.1, reading their own partitions,
give the local engine's rows, rejected rows and summary, after a crash and a killed worker too."""

from __future__ import annotations

import gzip
import json
import os
import shutil
import signal
import subprocess
import threading
import time
from dataclasses import replace
from pathlib import Path

import pyarrow
import pyarrow.parquet
import pytest
from conftest import REPO, TAGGING_DATA, Crash, crash_after_commits, free_port, tagging_job
from test_spans import csv_file, json_lines

from classifier import settings
from classifier.errors import DataError, OutputError, TooManyBadRows
from classifier.inputs.records import ReadOptions
from classifier.persistence import load_model
from classifier.tagging import job as job_module
from classifier.tagging.job import tag_archive
from classifier.tagging.partitions import tag_partition
from classifier.tagging.store import Staging

DATA = TAGGING_DATA
DASK = REPO / ".venv" / "bin" / "dask"


@pytest.fixture
def model_dir(tagging_model_dir):
    return tagging_model_dir


@pytest.fixture(scope="module")
def scheduler(tmp_path_factory):
    """A cluster for the module (see :func:`cluster`)."""
    yield from cluster(tmp_path_factory.mktemp("dask-cluster"))


def cluster(folder: Path):
    """``dask scheduler`` and two single-threaded ``dask worker`` processes on 127.0.0.1.

    Yields the scheduler's address once both workers have joined; stops all
    three (SIGTERM, then SIGKILL) at the end.
    """
    address = f"tcp://127.0.0.1:{free_port()}"
    loopback = ["--host", "127.0.0.1", "--no-dashboard", "--dashboard-address", "127.0.0.1:0"]
    port = address.rsplit(":", 1)[1]
    commands = [[str(DASK), "scheduler", "--port", port, *loopback]]
    for n in (1, 2):
        where = ["--local-directory", str(folder / f"worker-{n}"), "--name", f"worker-{n}"]
        commands.append([str(DASK), "worker", address, "--nthreads", "1", *loopback, *where])
    processes = []
    with open(folder / "cluster.log", "wb") as log:
        try:
            for command in commands:
                processes.append(subprocess.Popen(command, stdout=log, stderr=log, start_new_session=True))
            _wait_for_workers(address, 2, processes, folder / "cluster.log")
            yield address
        finally:
            for process in processes:
                os.killpg(process.pid, signal.SIGTERM)
            for process in processes:
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait()


def _wait_for_workers(address: str, count: int, processes: list, log: Path) -> None:
    """Ask the scheduler, from another interpreter to keep this one clean, until ``count`` workers joined."""
    code = (
        "import sys; from distributed import Client; "
        f"c = Client({address!r}, timeout='60s'); c.wait_for_workers({count}, timeout=60); c.close()"
    )
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if any(process.poll() is not None for process in processes):
            raise AssertionError(f"a Dask process exited:\n{log.read_text(errors='replace')}")
        result = subprocess.run([str(REPO / ".venv" / "bin" / "python"), "-c", code], capture_output=True)
        if result.returncode == 0:
            return
        time.sleep(0.5)
    raise AssertionError(f"the Dask workers did not join:\n{log.read_text(errors='replace')}")


def job(output: Path, model_dir: Path, **options):
    return tagging_job(
        [DATA / "archive.jsonl"], output, model_dir, chunk_size=2, max_bad_rows="10", **options
    )


@pytest.fixture(autouse=True)
def small_spans(monkeypatch):
    """Spans of a few hundred bytes and rows, so that the tests' small files are cut into several."""
    monkeypatch.setattr(settings, "TAG_SPAN_BYTES", 600)
    monkeypatch.setattr(settings, "TAG_SPAN_ROWS", 10)


@pytest.fixture
def inputs(tmp_path, monkeypatch):
    """A mix of inputs, named relative to the working directory (the workers have another)."""
    folder = tmp_path / "in"
    folder.mkdir()
    json_lines(folder / "a.jsonl", 120)
    (folder / "b.jsonl.gz").write_bytes(gzip.compress(json_lines(tmp_path / "b.jsonl", 80).read_bytes()))
    csv_file(folder / "c.csv", 90)
    csv_file(folder / "d.csv", 60, quoted_line_break=True)
    ids = [f"p{n}" for n in range(45)]
    table = pyarrow.table({"id": ids, "headline": [f"Storm closes roads {n}" for n in range(45)]})
    pyarrow.parquet.write_table(table, folder / "e.parquet", row_group_size=10)
    monkeypatch.chdir(tmp_path)
    return [
        "in/a.jsonl",
        "in/b.jsonl.gz",
        "in/c.csv",
        "in/d.csv",
        "in/e.parquet",
        f"huffpost:{REPO / 'tests' / 'data' / 'presets' / 'huffpost' / 'news.jsonl'}",
    ]


def mixed_job(inputs, output: Path, model_dir: Path, **options):
    return tagging_job(inputs, output, model_dir, chunk_size=7, max_bad_rows="1000", **options)


def rows(folder: Path) -> list[dict]:
    return pyarrow.parquet.read_table(folder).to_pylist()


def test_a_real_cluster_tags_a_mix_of_files_into_the_local_engine_s_rows_rejects_and_summary(
    tmp_path, model_dir, scheduler, inputs
):
    local = tag_archive(mixed_job(inputs, tmp_path / "local", model_dir))
    distributed = tag_archive(
        mixed_job(inputs, tmp_path / "dask", model_dir, engine="dask", scheduler=scheduler)
    )
    assert rows(tmp_path / "dask") == rows(tmp_path / "local")
    assert len(rows(tmp_path / "local")) == local.rows_tagged > 300
    assert distributed.rejects.read_bytes() == local.rejects.read_bytes()
    rejected = [json.loads(line) for line in distributed.rejects.read_text().splitlines()]
    assert {bad["file"] for bad in rejected} >= {"in/a.jsonl", "in/b.jsonl.gz", "in/c.csv", "in/d.csv"}
    for field in ("rows_read", "rows_tagged", "rows_rejected", "skipped", "labels", "abstained"):
        assert getattr(distributed, field) == getattr(local, field), field
    # More parts than inputs: the plain JSON lines, the CSV without quoted line breaks and the Parquet
    # file were cut into spans, each read by a worker.
    assert len(list((tmp_path / "dask").iterdir())) > 12


def test_slim_rows_name_the_inputs_as_given_and_the_bad_row_limit_stops_alike(
    tmp_path, model_dir, scheduler, inputs
):
    # Without an id field, a slim row's id is FILE:LINE, the file named as the inputs name it.
    unnamed = {"slim": True, "options": ReadOptions(label_field=None)}
    tag_archive(mixed_job(inputs[:3], tmp_path / "local", model_dir, **unnamed))
    tag_archive(
        mixed_job(inputs[:3], tmp_path / "dask", model_dir, engine="dask", scheduler=scheduler, **unnamed)
    )
    assert rows(tmp_path / "dask") == rows(tmp_path / "local")
    assert {"in/a.jsonl:1", "in/c.csv:2"} <= {row["id"] for row in rows(tmp_path / "dask")}
    errors = []
    for name, engine in (("local-limit", "local"), ("dask-limit", "dask")):
        strict = mixed_job(inputs[:3], tmp_path / name, model_dir, engine=engine, scheduler=scheduler)
        with pytest.raises(TooManyBadRows) as error:
            tag_archive(replace(strict, max_bad_rows="25"))
        errors.append(str(error.value))
    assert errors[0] == errors[1]
    assert errors[0].startswith("26 of ")


def test_a_worker_s_error_names_the_file_as_the_inputs_name_it(tmp_path, model_dir, scheduler, inputs):
    Path("in/x.csv").write_text("id,title\n1,A headline\n")
    with pytest.raises(
        DataError, match=r"^in/x.csv: no headline column 'headline'; the columns are 'id', 'title'$"
    ):
        tag_archive(mixed_job(["in/x.csv"], tmp_path / "dask", model_dir, engine="dask", scheduler=scheduler))
    assert not (tmp_path / "dask.partial").exists()


def test_a_crashed_dask_run_resumes_into_the_uninterrupted_run_s_rows(
    tmp_path, model_dir, scheduler, inputs, monkeypatch
):
    whole = tag_archive(mixed_job(inputs, tmp_path / "whole", model_dir, engine="dask", scheduler=scheduler))
    target = tmp_path / "resumed"
    with monkeypatch.context() as crashing:
        crash_after_commits(crashing, 3)
        with pytest.raises(Crash):
            tag_archive(mixed_job(inputs, target, model_dir, engine="dask", scheduler=scheduler))
    assert (tmp_path / "resumed.partial" / "plan.json").exists()
    resumed = tag_archive(
        mixed_job(inputs, target, model_dir, engine="dask", scheduler=scheduler, resume=True)
    )
    assert rows(target) == rows(tmp_path / "whole")
    assert resumed.rejects.read_bytes() == whole.rejects.read_bytes()
    assert (resumed.rows_tagged, resumed.rows_rejected, resumed.labels) == (
        whole.rows_tagged,
        whole.rows_rejected,
        whole.labels,
    )
    assert 0 < resumed.resumed_rows < resumed.rows_tagged


def test_a_worker_killed_mid_run_has_its_task_run_again_and_the_output_is_complete(
    tmp_path, tmp_path_factory, model_dir, monkeypatch
):
    from distributed import Client

    monkeypatch.setattr(settings, "TAG_SPAN_BYTES", 60_000)
    archive = json_lines(tmp_path / "big.jsonl", 12_000)
    local = tag_archive(
        tagging_job([archive], tmp_path / "local", model_dir, chunk_size=50, max_bad_rows="100%")
    )
    dask_job = tagging_job([archive], tmp_path / "dask", model_dir, chunk_size=50, max_bad_rows="100%")
    outcome: dict = {}

    def tag(address: str) -> None:
        try:
            outcome["summary"] = tag_archive(replace(dask_job, engine="dask", scheduler=address))
        except BaseException as error:  # re-raised by the test's own thread
            outcome["error"] = error

    for address in cluster(tmp_path_factory.mktemp("dask-cluster-to-kill")):
        run = threading.Thread(target=tag, args=(address,))
        with Client(address, timeout="30s") as client:
            run.start()
            victim = _busy_worker_pid(client, tmp_path / "dask.partial" / "parts")
            os.kill(victim, signal.SIGKILL)
            run.join(timeout=300)
    if "error" in outcome:
        raise outcome["error"]
    assert outcome["summary"].rows_tagged == local.rows_tagged
    assert rows(tmp_path / "dask") == rows(tmp_path / "local")


def _busy_worker_pid(client, parts: Path) -> int:
    """The process id of a worker that is tagging a partition, once some part has been written."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if parts.exists() and any(parts.iterdir()):
            busy = [address for address, keys in client.processing().items() if keys]
            if busy:
                return client.run(os.getpid, workers=busy[:1])[busy[0]]
        time.sleep(0.01)
    raise AssertionError("no worker was seen tagging")


def test_without_a_scheduler_the_dask_engine_starts_a_local_cluster(tmp_path, model_dir):
    local = tag_archive(job(tmp_path / "local", model_dir))
    tag_archive(job(tmp_path / "dask", model_dir, engine="dask", workers=2))
    assert rows(tmp_path / "dask") == rows(tmp_path / "local")
    assert local.rows_tagged == 6


def test_the_dask_engine_writes_parquet_folders_only(tmp_path, model_dir):
    with pytest.raises(ValueError, match="folder of Parquet parts"):
        tag_archive(job(tmp_path / "tagged.jsonl", model_dir, engine="dask"))


def test_parts_a_stale_task_of_another_run_writes_late_are_not_published(tmp_path, model_dir, monkeypatch):
    # On a remote scheduler a failed run's tasks keep running after its client closed, and may write
    # into the staging folder of the next run on the same output: its finish must publish its own parts.
    local = tag_archive(job(tmp_path / "local", model_dir))
    foreign = sorted((tmp_path / "local").iterdir())
    model = load_model(model_dir)[0]
    started: dict = {}
    real_tag_partitions, finish, replace_folder = (
        job_module.tag_partitions,
        Staging.finish,
        Staging._replace_folder,
    )

    def tag_partitions(plan, reading, *args, **options):
        started.update(plan=plan, reading=reading)
        real_tag_partitions(plan, reading, *args, **options)

    def stale_task() -> None:
        """The first partition's task of a run with another plan (one record a part) and nonce."""
        other = replace(started["reading"], chunk_size=1, run="0bad0bad0bad0bad")
        tag_partition(model, (started["plan"][0], other))

    def finish_after_stale_writes(staging: Staging, *args) -> None:
        stale_task()
        for n, part in enumerate(foreign):  # as an earlier version's task, and another run's, name them
            shutil.copy(part, staging.parts / f"part-{n:08d}-{n + 5:08d}.parquet")
            shutil.copy(part, staging.parts / f"part-{n:08d}-{n:08d}-0bad0bad.parquet")
        finish(staging, *args)

    def replace_folder_after_a_stale_task(staging: Staging, parts: Path) -> None:
        with pytest.raises(OutputError):  # the parts were moved: it can write nothing to be published
            stale_task()
        replace_folder(staging, parts)

    monkeypatch.setattr(job_module, "tag_partitions", tag_partitions)
    monkeypatch.setattr(Staging, "finish", finish_after_stale_writes)
    monkeypatch.setattr(Staging, "_replace_folder", replace_folder_after_a_stale_task)
    tag_archive(job(tmp_path / "dask", model_dir, engine="dask", workers=1))
    assert rows(tmp_path / "dask") == rows(tmp_path / "local")
    assert local.rows_tagged == 6


def test_a_run_started_before_runs_had_a_nonce_is_not_resumed(tmp_path, model_dir, monkeypatch):
    with monkeypatch.context() as crashing:
        crash_after_commits(crashing, 1)
        with pytest.raises(Crash):
            tag_archive(job(tmp_path / "dask", model_dir, engine="dask", workers=1))
    plan_file = tmp_path / "dask.partial" / "plan.json"
    plan = json.loads(plan_file.read_text())
    del plan["run"]
    plan_file.write_text(json.dumps(plan))
    with pytest.raises(
        OutputError, match="started by an earlier version of headline-tagger; pass --overwrite"
    ):
        tag_archive(job(tmp_path / "dask", model_dir, engine="dask", workers=1, resume=True))

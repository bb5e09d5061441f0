"""The Dask engine: a real scheduler and two worker processes on 127.0.0.1 give the local engine's output."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pyarrow.parquet
import pytest
from conftest import REPO, TAGGING_DATA, free_port, tagging_job

from classifier.tagging.job import tag_archive

DATA = TAGGING_DATA
DASK = REPO / ".venv" / "bin" / "dask"


@pytest.fixture
def model_dir(tagging_model_dir):
    return tagging_model_dir


@pytest.fixture(scope="module")
def scheduler(tmp_path_factory):
    """``dask scheduler`` and two single-threaded ``dask worker`` processes on 127.0.0.1.

    Yields the scheduler's address once both workers have joined; stops all
    three (SIGTERM, then SIGKILL) at the end.
    """
    folder = tmp_path_factory.mktemp("dask-cluster")
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


def _parts(folder: Path) -> dict[str, bytes]:
    return {part.name: part.read_bytes() for part in sorted(folder.iterdir())}


def test_a_real_cluster_writes_the_local_engine_s_parts_rejects_and_summary(tmp_path, model_dir, scheduler):
    local = tag_archive(job(tmp_path / "local", model_dir))
    distributed = tag_archive(job(tmp_path / "dask", model_dir, engine="dask", scheduler=scheduler))
    assert _parts(tmp_path / "dask") == _parts(tmp_path / "local")
    assert len(_parts(tmp_path / "dask")) == 3
    assert pyarrow.parquet.read_table(tmp_path / "dask").to_pylist() == (
        pyarrow.parquet.read_table(tmp_path / "local").to_pylist()
    )
    assert distributed.rejects.read_bytes() == local.rejects.read_bytes()
    assert [json.loads(line)["line"] for line in distributed.rejects.read_text().splitlines()] == [4, 5]
    assert (distributed.rows_read, distributed.rows_tagged, distributed.labels) == (
        local.rows_read,
        local.rows_tagged,
        local.labels,
    )


def test_without_a_scheduler_the_dask_engine_starts_a_local_cluster(tmp_path, model_dir):
    local = tag_archive(job(tmp_path / "local", model_dir))
    tag_archive(job(tmp_path / "dask", model_dir, engine="dask", workers=2))
    assert _parts(tmp_path / "dask") == _parts(tmp_path / "local")
    assert local.rows_tagged == 6


def test_the_dask_engine_writes_parquet_folders_only(tmp_path, model_dir):
    with pytest.raises(ValueError, match="folder of Parquet parts"):
        tag_archive(job(tmp_path / "tagged.jsonl", model_dir, engine="dask"))

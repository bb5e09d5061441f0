"""A real Dask cluster for the benchmarks: ``dask scheduler`` and single-threaded ``dask worker`` processes.

Everything listens on 127.0.0.1 only. :func:`dask_cluster` yields the scheduler's
address and the processes (for their memory and CPU time), and stops them all at the end.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psutil

DASK = Path(sys.executable).with_name("dask")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def dask_cluster(
    folder: Path, workers: int = 2, env: dict[str, str] | None = None
) -> Iterator[tuple[str, list[psutil.Process]]]:
    """A scheduler and ``workers`` worker processes (one thread each), logging to ``folder``.

    ``env`` is their environment (``PYTHONPATH`` set to another tree runs that tree's code).
    """
    folder.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    loopback = ["--host", "127.0.0.1", "--no-dashboard", "--dashboard-address", "127.0.0.1:0"]
    commands = [[str(DASK), "scheduler", "--port", str(port), *loopback]]
    for n in range(workers):
        where = ["--local-directory", str(folder / f"worker-{n}"), "--name", f"worker-{n}"]
        commands.append([str(DASK), "worker", address, "--nthreads", "1", *loopback, *where])
    processes: list[subprocess.Popen] = []
    with open(folder / "cluster.log", "ab") as log:
        try:
            for command in commands:
                processes.append(
                    subprocess.Popen(command, stdout=log, stderr=log, start_new_session=True, env=env)
                )
            _wait_for_workers(address, workers)
            yield address, [psutil.Process(process.pid) for process in processes]
        finally:
            for process in processes:
                os.killpg(process.pid, signal.SIGTERM)
            for process in processes:
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait()


def _wait_for_workers(address: str, count: int) -> None:
    from distributed import Client

    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError, TimeoutError), Client(address, timeout="10s") as client:
            client.wait_for_workers(count, timeout=60)
            return
        time.sleep(0.5)
    raise SystemExit(f"the Dask workers did not join {address}")

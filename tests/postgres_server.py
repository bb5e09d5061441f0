"""A throwaway PostgreSQL server for the tests: Debian's binaries, a fresh cluster, loopback only.

The server runs as the ``postgres`` system user when the tests run as root
(``initdb`` refuses root), in a folder of its own under the system's temporary
directory (pytest's are private to the user that runs the tests), and listens
on 127.0.0.1 with trust authentication; it is stopped and removed at the end.
"""

from __future__ import annotations

import getpass
import glob
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

__all__ = ["PostgresServer", "server_binaries"]


def server_binaries() -> Path | None:
    """The newest ``/usr/lib/postgresql/*/bin`` that has the server, or None."""
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/postgres"), key=lambda p: int(Path(p).parts[-3].split(".")[0])
    )
    return Path(found[-1]).parent if found else None


class PostgresServer:
    """A cluster in a temporary folder, started on ``port``; ``url(database)`` to reach it."""

    def __init__(self, binaries: Path, port: int) -> None:
        self.binaries, self.port = binaries, port
        self.folder = Path(tempfile.mkdtemp(prefix="headline-tagger-postgres-"))
        self.data = self.folder / "data"
        as_root = os.geteuid() == 0
        self._as_user = ["runuser", "-u", "postgres", "--"] if as_root else []
        self.user = "postgres" if as_root else getpass.getuser()
        if as_root:
            shutil.chown(self.folder, "postgres", "postgres")

    def start(self) -> None:
        self._run("initdb", "-D", self.data, "-A", "trust", "-U", self.user, "--no-sync", "-E", "UTF8")
        options = f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.folder} -c fsync=off"
        self._run("pg_ctl", "-D", self.data, "-o", options, "-l", self.folder / "server.log", "-w", "start")

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", self.data, "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{database}"

    def log(self) -> str:
        path = self.folder / "server.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def _run(self, program: str, *arguments: object) -> None:
        command = [*self._as_user, str(self.binaries / program), *map(str, arguments)]
        subprocess.run(command, check=True, capture_output=True, text=True, timeout=120)

"""What the HTTP benchmarks share: the starter model and corpus, and a gunicorn master's workers and memory.

``bench/service.py`` (throughput and latency against a bare Flask app) and
``bench/soak.py`` (a fixed rate for minutes, with reloads) both serve the
starter model and send its headlines.
"""

from __future__ import annotations

import json
from pathlib import Path

__all__ = ["rollup", "starter_rows", "train_starter", "workers_of"]


def starter_rows() -> list[dict]:
    """The rows of the bundled starter corpus (headline, teaser, labels)."""
    from classifier.workflows import STARTER_CORPUS

    return [json.loads(line) for line in STARTER_CORPUS.read_text(encoding="utf-8").splitlines()]


def train_starter(models_dir: Path) -> None:
    """Train the starter model with the default settings into ``models_dir`` (and point ``current`` at it)."""
    from classifier.training import TrainingSettings
    from classifier.workflows import DataRequest, train_model

    train_model(DataRequest(starter=True, taxonomy="default"), TrainingSettings(), models_dir=models_dir)


def workers_of(master: int) -> list[str]:
    """The process ids of a gunicorn master's workers (its children)."""
    return Path(f"/proc/{master}/task/{master}/children").read_text().split()


def rollup(pid: int | str) -> dict[str, float]:
    """RSS and PSS (shared pages split between the processes that share them) of ``pid``, in MiB."""
    lines = Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]
    fields = dict(line.split(":", 1) for line in lines)
    return {key.lower(): int(fields[key].split()[0]) / 1024 for key in ("Rss", "Pss")}

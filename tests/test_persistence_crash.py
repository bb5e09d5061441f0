"""A training run killed at any moment (SIGKILL) never leaves a broken model behind.

Real `headline-tagger train` processes are killed at staggered moments while they
read, fit, save and promote; after each kill, `models/current` must still load and
every visible model directory must be complete.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from classifier.persistence import load_model

EXECUTABLE = str(Path(sys.executable).with_name("headline-tagger"))


def _train(models: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [EXECUTABLE, "train", "--starter", "--taxonomy", "default", "--models-dir", str(models)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _assert_consistent(models: Path) -> str:
    _, manifest = load_model(models / "current")
    for directory in models.iterdir():
        if directory.name.startswith(".") or directory.name == "current" or not directory.is_dir():
            continue  # a save in progress, the link, the history of changes
        load_model(directory)  # every visible model directory is complete
    return manifest.model_id


@pytest.fixture(scope="module")
def trained():
    """A models folder with one model, and how long a whole training run takes here."""
    with tempfile.TemporaryDirectory() as folder:
        models = Path(folder)
        started = time.monotonic()
        assert _train(models).wait(timeout=120) == 0
        yield models, time.monotonic() - started


@pytest.mark.parametrize("fraction", [0.75, 0.85, 0.92, 0.98])
def test_killed_training_leaves_current_loadable(trained, fraction):
    models, duration = trained
    before = _assert_consistent(models)
    process = _train(models)
    time.sleep(duration * fraction)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    after = _assert_consistent(models)
    if process.returncode != -signal.SIGKILL:  # it finished first: the new model is current
        assert after != before

"""The core is a plain library; every command is documented."""

import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from classifier.cli import main

REPO = Path(__file__).resolve().parents[1]
CORE_MODULES = [
    "classifier.inputs.readers",
    "classifier.inputs.presets",
    "classifier.inputs.textio",
    "classifier.inputs.records",
    "classifier.taxonomy",
    "classifier.model.calibration",
    "classifier.model.features",
    "classifier.model.topic_model",
    "classifier.training",
    "classifier.evaluation",
    "classifier.persistence",
    "classifier.inputs.datasets",
    "classifier.workflows",
    "classifier.tagging.job",
    "classifier.tagging.outputs",
    "classifier.tagging.store",
    "classifier.tagging.workers",
    "classifier.tagging.eta",
]


def test_core_imports_neither_flask_nor_click():
    code = (
        f"import sys; import {', '.join(CORE_MODULES)}; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in {'flask', 'click'}))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_every_command_is_documented_in_the_readme():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for name in main.commands:
        assert f"headline-tagger {name}" in readme, f"README does not document `headline-tagger {name}`"


def test_every_command_has_help():
    runner = CliRunner()
    for name, command in main.commands.items():
        result = runner.invoke(main, [name, "--help"])
        assert result.exit_code == 0
        first_line = " ".join(command.help.split("\n")[0].split())
        assert first_line and first_line in " ".join(result.output.split())


def test_ci_runs_the_readme_test_command():
    readme_lines = (REPO / "README.md").read_text(encoding="utf-8").splitlines()
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8").strip().splitlines()[-1]
    assert ci in [line.strip() for line in readme_lines[:12]]


def test_code_is_lint_clean_and_formatted():
    for command in (["check", "."], ["format", "--check", "."]):
        result = subprocess.run(
            [sys.executable, "-m", "ruff", *command], cwd=REPO, capture_output=True, text=True, check=False
        )
        assert result.returncode == 0, result.stdout + result.stderr

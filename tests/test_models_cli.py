"""``headline-tagger models`` and ``train --promote-if-better``: exit codes, messages, and effects."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from classifier.cli import main
from classifier.persistence import read_manifest
from classifier.registry import read_history

TINY = Path(__file__).parent / "fixtures" / "tiny_train.jsonl"
TRAIN = ["--min-df", "1", "--validation-fraction", "0"]


@pytest.fixture
def runner():
    return CliRunner()


@pytest.fixture
def no_sport(tmp_path):
    """The tiny set with every sport row labelled finance: a model of it tags sport as finance."""
    rows = [json.loads(line) for line in TINY.read_text(encoding="utf-8").splitlines()]
    path = tmp_path / "no_sport.jsonl"
    path.write_text(
        "".join(json.dumps(row | {"label": row["label"].replace("sport", "finance")}) + "\n" for row in rows)
    )
    return path


def _train(runner, models, data, *options):
    result = runner.invoke(main, ["train", str(data), "--models-dir", str(models), *TRAIN, *options])
    assert result.exit_code == 0, result.output
    return result.output


def _current(models):
    return read_manifest(models / "current").model_id


def test_promote_if_better_promotes_when_there_is_no_current_model(runner, tmp_path):
    output = _train(runner, tmp_path / "models", TINY, "--promote-if-better", str(TINY))
    assert "promoted: there is no current model to compare with" in output
    [change] = read_history(tmp_path / "models").changes
    assert (change.action, change.previous, change.comparison) == ("train", None, None)


def test_promote_if_better_promotes_a_better_model_and_records_the_comparison(runner, tmp_path, no_sport):
    models = tmp_path / "models"
    _train(runner, models, no_sport)
    weaker = _current(models)

    output = _train(runner, models, TINY, "--promote-if-better", str(TINY))

    assert "promoted: macro-F1 at least the current one's plus the margin 0," in output
    assert _current(models) != weaker
    last = read_history(models).changes[-1]
    assert (last.action, last.previous, last.to) == ("train", weaker, _current(models))
    assert last.comparison["rows"] == 36 and last.comparison["promoted"] is True
    assert last.comparison["macro_f1"]["b"] == 1.0 > last.comparison["macro_f1"]["a"]


def test_promote_if_better_refuses_under_the_margin_and_says_why(runner, tmp_path):
    models = tmp_path / "models"
    _train(runner, models, TINY)
    current = _current(models)

    output = _train(runner, models, TINY, "--promote-if-better", str(TINY), "--promote-margin", "0.5")

    failures = [line for line in output.splitlines() if line.startswith("not promoted:")]
    assert failures == [
        "not promoted: macro-F1 1.0000 is below the current model's 1.0000 plus the margin 0.5"
    ]
    assert _current(models) == current
    assert len(read_history(models).changes) == 1
    saved = output.splitlines()[-1]
    assert saved.startswith(f"saved to {models}/") and "now" not in saved


def test_promote_if_better_refuses_a_topics_recall_drop(runner, tmp_path, no_sport):
    models = tmp_path / "models"
    _train(runner, models, TINY)
    current = _current(models)

    # A margin of -1 lets any macro-F1 through: only the recall rule can refuse.
    output = _train(runner, models, no_sport, "--promote-if-better", str(TINY), "--promote-margin", "-1")

    failures = [line for line in output.splitlines() if line.startswith("not promoted:")]
    assert failures == [
        "not promoted: recall of sport drops 100.0 points (1.000 -> 0.000 on 12 rows), more than 2"
    ]
    assert _current(models) == current


def test_promote_if_better_and_no_promote_contradict(runner, tmp_path):
    result = runner.invoke(main, ["train", str(TINY), "--promote-if-better", str(TINY), "--no-promote"])
    assert result.exit_code == 2 and "contradict" in result.output


def test_compare_names_the_rows_where_the_models_disagree(runner, tmp_path, no_sport):
    models = tmp_path / "models"
    _train(runner, models, no_sport)
    sloppy = _current(models)
    _train(runner, models, TINY)
    rows = tmp_path / "disagreements.jsonl"

    compare = ["models", "compare", sloppy, "current", str(TINY), "--models-dir", str(models)]
    result = runner.invoke(main, [*compare, "--json", "--disagreements", str(rows), "--resamples", "200"])

    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert (summary["a"], summary["b"]) == (sloppy, _current(models))  # "current" named by its model
    assert (summary["accuracy"]["a"], summary["accuracy"]["b"]) == (pytest.approx(24 / 36), 1.0)
    assert summary["accuracy"]["difference"] == pytest.approx(12 / 36)
    assert summary["disagreements"]["rows"] == summary["disagreements"]["b_right"] == 12
    assert len(summary["disagreements"]["examples"]) == 5
    written = [json.loads(line) for line in rows.read_text(encoding="utf-8").splitlines()]
    assert len(written) == 12
    assert {(tuple(row["labels"]), tuple(row["a"]), row["right"]) for row in written} == {
        (("sport",), ("finance",), "b")
    }

    text = runner.invoke(main, compare)
    assert text.exit_code == 0, text.output
    assert "12 rows disagree: A right 0, B right 12, neither 0" in text.output
    assert "truth sport, A finance, B sport" in text.output


def test_list_promote_history_and_rollback_through_the_command_line(runner, publish, tmp_path):
    models = str(tmp_path / "models")
    publish("m1")
    publish("m2", promote_it=False)

    assert runner.invoke(main, ["models", "promote", "m2", "--models-dir", models]).exit_code == 0
    listed = json.loads(runner.invoke(main, ["models", "list", "--models-dir", models, "--json"]).output)
    assert [(entry["id"], entry["current"]) for entry in listed] == [("m1", False), ("m2", True)]
    text = runner.invoke(main, ["models", "list", "--models-dir", models]).output
    header, first, second = text.splitlines()
    assert header.split()[:2] == ["id", "created"]
    assert (first.split()[0], second.split()[:2]) == ("m1", ["*", "m2"])

    rolled = runner.invoke(main, ["models", "rollback", "--models-dir", models])
    assert rolled.exit_code == 0 and "-> m1 (was m2)" in rolled.output
    history = json.loads(runner.invoke(main, ["models", "history", "--models-dir", models, "--json"]).output)
    assert [(change["action"], change["from"], change["to"]) for change in history] == [
        ("promote", "m1", "m2"),
        ("rollback", "m2", "m1"),
    ]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["models", "promote", "nope"], "no such model directory"),
        (["models", "rollback"], "no promotion to roll back"),
        (["models", "compare", "m1", "nope", str(TINY)], "no such model directory"),
        (["models", "compare", "m1", "m1", "missing.jsonl"], "missing.jsonl"),
    ],
)
def test_bad_input_is_one_line_and_a_non_zero_exit(runner, publish, tmp_path, arguments, message):
    publish("m1")
    result = runner.invoke(main, [*arguments, "--models-dir", str(tmp_path / "models")])
    assert result.exit_code == 1
    assert message in result.output and len(result.output.strip().splitlines()) == 1


def test_history_shows_the_comparison_behind_a_promotion_and_warns_of_a_torn_line(runner, tmp_path, no_sport):
    models = tmp_path / "models"
    _train(runner, models, no_sport)
    _train(runner, models, TINY, "--promote-if-better", str(TINY))
    with open(models / "history.jsonl", "ab") as history:
        history.write(b'{"time": "2026')  # a crash mid-write

    result = runner.invoke(main, ["models", "history", "--models-dir", str(models)])

    assert result.exit_code == 0, result.output
    first, second = result.stdout.splitlines()
    assert first.split()[2:5] == ["train", "none", "->"]
    assert second.endswith("on 36 rows, margin 0)") and " train " in second
    assert result.stderr.startswith(f"warning: {models}/history.jsonl:3: skipped an unreadable line")


def test_the_registry_commands_never_load_scikit_learn(publish, tmp_path):
    """list, history, promote and rollback read manifests and links only: no model is unpickled."""
    publish("m1")
    publish("m2", promote_it=False)
    models = str(tmp_path / "models")
    calls = [["list"], ["promote", "m2"], ["rollback"], ["history"]]
    code = "\n".join(
        [
            "import sys",
            "from classifier.cli import main",
            *(
                f"main(['models', *{call!r}, '--models-dir', {models!r}], standalone_mode=False)"
                for call in calls
            ),
            "print(sorted(m for m in ('sklearn', 'joblib', 'numpy') if m in sys.modules))",
        ]
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.splitlines()[-1] == "[]"
    assert [change.action for change in read_history(tmp_path / "models").changes] == ["promote", "rollback"]


def test_rows_rejected_from_the_held_out_data_are_reported(runner, tmp_path):
    held_out = tmp_path / "held_out.jsonl"
    held_out.write_text(TINY.read_text(encoding="utf-8") + '{"teaser": "no headline", "label": "sport"}\n')
    gate = ["--max-bad-rows", "1", "--promote-if-better", str(held_out)]
    result = runner.invoke(main, ["train", str(TINY), "--models-dir", str(tmp_path / "m"), *TRAIN, *gate])
    assert result.exit_code == 0, result.output
    assert "warning:" in result.stderr and f"{held_out}:37" in result.stderr

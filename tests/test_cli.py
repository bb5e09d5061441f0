"""The headline-tagger command: exit codes, messages, and effects checked through the Python API."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import TAGGING_DATA

from classifier.cli import main
from classifier.persistence import load_model

FIXTURES = Path(__file__).parent / "fixtures"
TINY = str(FIXTURES / "tiny_train.jsonl")
# What loading a model takes (about a second of imports), and Parquet (0.2 s): the main process of
# `tag` on JSON lines needs neither.
MODEL_MODULES = {"sklearn", "scipy", "joblib", "classifier.model.topic_model", "pyarrow"}


@pytest.fixture
def runner():
    return CliRunner()


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A models folder with one model trained through the CLI, promoted to current."""
    models = tmp_path_factory.mktemp("models")
    result = CliRunner().invoke(
        main, ["train", TINY, "--models-dir", str(models), "--validation-fraction", "0.25", "--min-df", "1"]
    )
    assert result.exit_code == 0, result.output
    return models


def test_train_saves_promotes_and_prints_validation_metrics(trained, runner):
    current = trained / "current"
    assert current.is_symlink()
    _, manifest = load_model(current)
    assert manifest.labels == ["finance", "politics", "sport"]
    assert manifest.sources[0]["rows"] == 36 and len(manifest.sources[0]["sha256"]) == 64
    assert manifest.training["validation_rows"] == 9
    assert "macro_f1" in manifest.validation_metrics


def test_predict_json_equals_the_python_api(trained, runner):
    current = trained / "current"
    result = runner.invoke(
        main,
        [
            "predict",
            "Central bank raises rates",
            "--teaser",
            "Stocks fell.",
            "--model",
            str(current),
            "--json",
            "--explain",
        ],
    )
    assert result.exit_code == 0, result.output
    printed = json.loads(result.output)
    model, manifest = load_model(current)
    expected = model.predict(["Central bank raises rates"], ["Stocks fell."], explain=True)[0].to_dict()
    assert printed == {"model": manifest.model_id, **expected}
    assert printed["label"] == "finance"


def test_predict_reads_json_lines_from_stdin_in_order(trained, runner):
    lines = [{"headline": "Striker scores twice"}, {"headline": "Senate rejects bill", "teaser": "A vote."}]
    stdin = "\n".join(json.dumps(line) for line in lines) + "\n"
    result = runner.invoke(main, ["predict", "--model", str(trained / "current")], input=stdin)
    assert result.exit_code == 0, result.output
    assert [json.loads(line)["label"] for line in result.output.splitlines()] == ["sport", "politics"]


def test_predict_stdin_bad_line_keeps_its_place_and_fails_at_the_end(trained, runner):
    stdin = '{"headline": "Striker scores"}\nnot json\n{"headline": ""}\n{"headline": "Stocks slide"}\n'
    result = runner.invoke(main, ["predict", "--model", str(trained / "current")], input=stdin)
    assert result.exit_code == 1
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert rows[0]["label"] == "sport" and rows[3]["label"] == "finance"
    assert rows[1] == {"error": "line 2: invalid JSON: Expecting value"}
    assert rows[2] == {"error": "line 3: 'headline' must be a non-empty string"}
    assert "2 input line(s) were invalid" in result.stderr


# JSON lines that the service and predict's stdin must both accept or both refuse: the same core rules.
ITEMS = [
    {"headline": "Stocks slide"},
    {"headline": "Stocks slide", "teaser": None},
    {"headline": "Stocks slide", "teaser": ""},
    {"headline": "Stocks slide", "teaser": 5},
    {"headline": ""},
    {"headline": " \u3000\t"},
    {"headline": 5},
    {"headline": None},
    {"teaser": "no headline"},
    {"headline": "Stocks \ud800 slide"},
    {"headline": "Stocks slide", "teaser": "a \udc00"},
    {"headline": "Börsen fallen: 北京"},
]


@pytest.mark.parametrize("item", ITEMS, ids=[json.dumps(item) for item in ITEMS])
def test_predict_stdin_accepts_a_headline_exactly_when_the_service_does(trained, runner, item):
    from service.errors import Problem
    from service.schemas import Limits, parse_tag_request

    line = json.dumps(item)
    try:
        parse_tag_request(line.encode(), Limits(max_items=10, max_field_chars=100))
        served = True
    except Problem:
        served = False
    result = runner.invoke(main, ["predict", "--model", str(trained / "current")], input=line + "\n")
    assert (result.exit_code == 0) is served
    assert ("error" not in json.loads(result.stdout)) is served


def test_predict_stdin_names_a_teaser_that_is_not_valid_unicode(trained, runner):
    stdin = '{"headline": "Striker scores", "teaser": "\\udc00"}\n'
    stdin += '{"headline": "Stocks slide", "teaser": null}\n'
    result = runner.invoke(main, ["predict", "--model", str(trained / "current")], input=stdin)
    assert result.exit_code == 1
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert rows[0] == {"error": "line 1: 'teaser' must be valid Unicode text (no unpaired surrogate)"}
    assert rows[1]["label"] == "finance"


def test_predict_text_output_with_explanations(trained, runner):
    result = runner.invoke(
        main,
        ["predict", "Central bank raises interest rates", "--explain", "--model", str(trained / "current")],
    )
    assert result.exit_code == 0
    assert result.output.splitlines()[1].strip().startswith("finance")
    assert "why finance:" in result.output


def test_predict_can_abstain(trained, runner):
    result = runner.invoke(
        main,
        ["predict", "Striker scores", "--abstain-below", "1", "--json", "--model", str(trained / "current")],
    )
    assert json.loads(result.output)["abstained"] is True


def test_evaluate_json_prints_the_metrics(trained, runner):
    result = runner.invoke(main, ["evaluate", TINY, "--model", str(trained / "current"), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["n"] == 36
    assert {"accuracy", "macro_f1", "micro_f1", "per_label", "confusion"} <= set(report)
    assert report["accuracy"] > 0.8


def test_evaluate_table_output(trained, runner):
    result = runner.invoke(main, ["evaluate", TINY, "--model", str(trained / "current")])
    assert result.exit_code == 0
    assert "macro avg" in result.output and "accuracy" in result.output


def test_missing_model_is_a_clear_error(runner, tmp_path):
    result = runner.invoke(main, ["predict", "Stocks rally", "--model", str(tmp_path / "none")])
    assert result.exit_code == 1
    assert "no such model directory" in result.output
    assert "Traceback" not in result.output


def test_model_defaults_to_the_environment_variable(trained, runner):
    result = runner.invoke(
        main, ["predict", "Stocks rally", "--json"], env={"HEADLINE_TAGGER_MODEL": str(trained / "current")}
    )
    assert result.exit_code == 0 and json.loads(result.output)["label"]


def _made_with_another_scikit_learn(trained, tmp_path) -> Path:
    copy = tmp_path / "copy"
    copy.mkdir()
    for file in (trained / "current").iterdir():
        (copy / file.name).write_bytes(file.read_bytes())
    manifest = json.loads((copy / "manifest.json").read_text())
    manifest["versions"]["scikit_learn"] = "0.24.2"
    (copy / "manifest.json").write_text(json.dumps(manifest))
    return copy


def test_allow_version_mismatch_loads_a_model_of_another_scikit_learn(trained, runner, tmp_path):
    model = str(_made_with_another_scikit_learn(trained, tmp_path))
    refused = runner.invoke(main, ["predict", "Stocks rally", "--model", model])
    assert refused.exit_code == 1 and "made with scikit-learn 0.24.2" in refused.output
    allowed = runner.invoke(main, ["predict", "Stocks rally", "--model", model, "--allow-version-mismatch"])
    assert allowed.exit_code == 0, allowed.output


@pytest.mark.parametrize("options", [[], ["--allow-version-mismatch"]])
def test_info_reads_the_manifest_of_any_scikit_learn_version(trained, runner, tmp_path, options):
    """info never loads the pickle, so the flag has nothing to allow: still accepted, not advertised."""
    model = str(_made_with_another_scikit_learn(trained, tmp_path))
    result = runner.invoke(main, ["info", "--model", model, *options])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["versions"]["scikit_learn"] == "0.24.2"
    assert "--allow-version-mismatch" not in runner.invoke(main, ["info", "--help"]).output


def test_tampered_model_is_refused_by_the_cli(trained, runner, tmp_path):
    copy = tmp_path / "copy"
    copy.mkdir()
    for file in (trained / "current").iterdir():
        (copy / file.name).write_bytes(file.read_bytes())
    (copy / "model.joblib").write_bytes((copy / "model.joblib").read_bytes()[:-10])
    result = runner.invoke(main, ["predict", "Stocks rally", "--model", str(copy)])
    assert result.exit_code == 1 and "checksum mismatch" in result.output


def test_train_on_a_missing_file_fails_with_its_name(runner, tmp_path):
    result = runner.invoke(main, ["train", str(tmp_path / "nope.jsonl"), "--models-dir", str(tmp_path)])
    assert result.exit_code == 1
    assert "nope.jsonl" in result.output and "Traceback" not in result.output


def test_train_without_data_is_a_usage_error(runner, tmp_path):
    result = runner.invoke(main, ["train", "--models-dir", str(tmp_path)])
    assert result.exit_code == 2
    assert "name at least one DATA" in result.output


def test_train_fails_when_too_many_rows_are_bad(runner, tmp_path):
    data = tmp_path / "bad.jsonl"
    good = (FIXTURES / "tiny_train.jsonl").read_text()
    data.write_text(good + "{broken\n" * 3)
    result = runner.invoke(main, ["train", str(data), "--models-dir", str(tmp_path / "m")])
    assert result.exit_code == 1
    assert "3 of 39 rows rejected (limit 1%)" in result.output
    assert not (tmp_path / "m" / "current").exists()
    result = runner.invoke(
        main, ["train", str(data), "--models-dir", str(tmp_path / "m"), "--max-bad-rows", "10%"]
    )
    assert result.exit_code == 0, result.output
    assert "3 of 39 rows rejected" in result.output


def test_train_if_missing_leaves_an_existing_model_alone(trained, runner):
    before = os.readlink(trained / "current")
    result = runner.invoke(main, ["train", TINY, "--models-dir", str(trained), "--if-missing"])
    assert result.exit_code == 0
    assert os.readlink(trained / "current") == before


def test_train_no_promote_and_out(runner, tmp_path):
    out = tmp_path / "exact"
    result = runner.invoke(
        main,
        [
            "train",
            TINY,
            "--models-dir",
            str(tmp_path),
            "--out",
            str(out),
            "--no-promote",
            "--validation-fraction",
            "0",
        ],
    )
    assert result.exit_code == 0, result.output
    assert load_model(out)[1].validation_metrics is None
    assert not (tmp_path / "current").exists()


@pytest.mark.parametrize(
    ("options", "profile", "char_ngrams", "stemming"),
    [
        ([], "fast", None, True),
        (["--profile", "accurate"], "accurate", [2, 5], False),
        (["--profile", "accurate", "--char-ngrams", "none", "--stemming"], "fast", None, True),
        (["--profile", "accurate", "--char-ngrams", "none"], "custom", None, False),
        (["--char-ngrams", "3,4"], "custom", [3, 4], True),
        (["--stemming"], "fast", None, True),
        (["--no-stemming"], "custom", None, False),
    ],
)
def test_train_profile_chooses_the_features_and_the_manifest_names_it(
    runner, tmp_path, options, profile, char_ngrams, stemming
):
    out = tmp_path / "model"
    arguments = ["train", TINY, "--out", str(out), "--no-promote", "--validation-fraction", "0", *options]
    result = runner.invoke(main, arguments)
    assert result.exit_code == 0, result.output
    hyperparameters = load_model(out)[1].hyperparameters
    assert hyperparameters["profile"] == profile
    assert hyperparameters["features"]["char_ngrams"] == char_ngrams
    assert hyperparameters["features"]["stemming"] is stemming


@pytest.mark.parametrize(("option", "naive_bayes"), [("on", True), ("off", False)])
def test_train_naive_bayes_option_decides_the_classifier_and_the_manifest_says_so(
    runner, tmp_path, option, naive_bayes
):
    out = tmp_path / "model"
    arguments = ["train", TINY, "--out", str(out), "--no-promote", "--naive-bayes", option]
    assert runner.invoke(main, arguments).exit_code == 0
    model, manifest = load_model(out)
    scaled = type(model.pipeline.named_steps["classifier"].estimator).__name__ == "NaiveBayesScaledSVC"
    assert scaled is naive_bayes
    assert manifest.hyperparameters["naive_bayes"] is naive_bayes
    assert manifest.hyperparameters["calibration_folds"] == 5


def test_bad_option_values_are_rejected(runner, tmp_path):
    result = runner.invoke(main, ["train", TINY, "--word-ngrams", "2,1", "--models-dir", str(tmp_path)])
    assert result.exit_code == 2 and "MIN <= MAX" in result.output
    result = runner.invoke(main, ["train", TINY, "--max-bad-rows", "lots", "--models-dir", str(tmp_path)])
    assert result.exit_code == 1 and "neither a count" in result.output


def test_labels_lists_the_default_taxonomy(runner):
    result = runner.invoke(main, ["labels", "--json"])
    assert result.exit_code == 0
    assert [t["label"] for t in json.loads(result.output)["topics"]][:3] == ["politics", "finance", "climate"]


def test_installed_entry_point_runs():
    executable = Path(sys.executable).with_name("headline-tagger")
    result = subprocess.run([str(executable), "--help"], capture_output=True, text=True, check=False)
    assert result.returncode == 0
    for command in ("train", "evaluate", "predict", "labels", "info"):
        assert command in result.stdout


@pytest.mark.parametrize("command", ["train", "evaluate", "predict", "tag", "serve", "start"])
def test_help_of_every_command_imports_no_scikit_learn(command):
    """Option defaults come from classifier.settings, so no help (and no option parsing) waits for a model."""
    code = "\n".join(
        [
            "import sys",
            "from classifier.cli import main",
            f"main([{command!r}, '--help'], standalone_mode=False)",
            f"print(sorted(m for m in {MODEL_MODULES!r} if m in sys.modules))",
        ]
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.splitlines()[-1] == "[]"


def test_the_tag_command_leaves_scikit_learn_to_its_workers(tagging_model_dir, tmp_path):
    """Only the workers load the model: every start of `tag`, a resume above all, would pay for it."""
    out = tmp_path / "tagged.jsonl"
    args = ["tag", str(TAGGING_DATA / "archive.jsonl"), "-o", str(out), "--model", str(tagging_model_dir)]
    args += ["--id-field", "id", "--max-bad-rows", "5", "--workers", "2", "-q"]
    code = "\n".join(
        [
            "import json, sys",
            f"loaded = lambda: sorted(m for m in {MODEL_MODULES!r} if m in sys.modules)",
            "from classifier.cli import main",
            "imported = loaded()",
            f"main({args!r}, standalone_mode=False)",
            "print(json.dumps({'imported': imported, 'tagged': loaded()}))",
        ]
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.splitlines()[-1]) == {"imported": [], "tagged": []}  # after the summary
    assert len(out.read_text().splitlines()) == 6


def test_train_solver_is_recorded_in_the_manifest_and_quiet_shows_no_steps(tmp_path, runner):
    models = tmp_path / "models"
    arguments = ["train", TINY, "--models-dir", str(models), "--min-df", "1", "--solver", "sgd", "--out"]
    result = runner.invoke(main, [*arguments, str(tmp_path / "sgd"), "-q"])
    assert result.exit_code == 0, result.output
    _, manifest = load_model(tmp_path / "sgd")
    assert manifest.hyperparameters["solver"] == "sgd"
    assert manifest.training["streamed"]  # the sgd solver reads the data twice rather than holding it
    assert "Fitting" not in result.stderr
    loud = runner.invoke(main, [*arguments, str(tmp_path / "loud"), "--no-promote"])
    assert "✓ Fitting the classifier (sgd)" in loud.stderr
    in_memory = runner.invoke(main, [*arguments[:-1], "--multilabel", "--out", str(tmp_path / "multi"), "-q"])
    assert in_memory.exit_code == 0, in_memory.output
    assert not load_model(tmp_path / "multi")[1].training["streamed"]  # multi-label models are held


def test_train_with_several_sources_weighs_them_and_chooses_c_and_the_manifest_says_so(runner, tmp_path):
    out = tmp_path / "model"
    result = runner.invoke(main, ["train", TINY, "--starter", "--out", str(out), "--no-promote"])
    assert result.exit_code == 0, result.output
    assert "sources weighed equally; one row of each counts: the starter corpus" in result.output
    hyperparameters = load_model(out)[1].hyperparameters
    assert hyperparameters["source_weighting"] == "equal" and hyperparameters["C"] in (1.0, 0.3, 0.1)
    assert f"C={hyperparameters['C']:g} chosen by holding out each source in turn" in result.output
    fixed = tmp_path / "fixed"
    arguments = ["train", TINY, "--starter", "--out", str(fixed), "--no-promote", "--c", "0.5"]
    result = runner.invoke(main, [*arguments, "--source-weighting", "rows"])
    assert result.exit_code == 0, result.output
    assert "weighed equally" not in result.output and "chosen by holding out" not in result.output
    assert load_model(fixed)[1].hyperparameters | {"C": 0.5, "source_weighting": "rows"} == (
        load_model(fixed)[1].hyperparameters
    )


@pytest.mark.parametrize("value", ["0", "-1", "nan", "inf", "lots"])
def test_train_refuses_a_c_that_is_not_auto_or_a_number_above_zero(runner, tmp_path, value):
    result = runner.invoke(main, ["train", TINY, "--models-dir", str(tmp_path), "--c", value])
    assert result.exit_code == 2
    assert f"'{value}' is neither 'auto' nor a number above 0" in result.output
    assert not (tmp_path / "current").exists()

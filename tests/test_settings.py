"""classifier.settings: the one home of the defaults and of the models-folder convention."""

import subprocess
import sys
from pathlib import Path

from classifier import settings
from classifier.cli import main
from classifier.model.features import PROFILES, FeatureSettings
from classifier.tagging.job import TagJob
from classifier.training import TrainingSettings
from classifier.workflows import DataRequest
from service.config import DEFAULTS
from service.config import settings as service_settings
from service.holder import ModelHolder


def test_importing_the_settings_loads_the_standard_library_only():
    code = (
        "import sys; before = set(sys.modules); import classifier.settings; "
        "print(sorted(m for m in set(sys.modules) - before "
        "if m.split('.')[0] not in sys.stdlib_module_names and m != 'classifier.settings'))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "['classifier']"


def test_the_library_takes_its_defaults_from_the_settings():
    training = TrainingSettings()
    assert training.features == PROFILES[settings.PROFILE] and training.features.profile == settings.PROFILE
    assert (training.C, training.class_weight, training.seed) == (
        settings.C,
        settings.CLASS_WEIGHT,
        settings.SEED,
    )
    assert training.validation_fraction == settings.VALIDATION_FRACTION
    assert training.label_threshold == settings.LABEL_THRESHOLD
    assert training.abstain_threshold == settings.ABSTAIN_THRESHOLD
    assert training.naive_bayes is settings.NAIVE_BAYES_MODES[settings.NAIVE_BAYES]
    assert list(PROFILES) == list(settings.PROFILES)
    assert FeatureSettings().min_df == settings.MIN_DF and PROFILES["accurate"].char_ngrams == (2, 5)
    job = TagJob(inputs=("in.jsonl",), output=Path("out.jsonl"))
    assert job.model_dir == settings.MODEL == Path("models/current")
    assert (job.chunk_size, job.max_bad_rows, job.body) == (
        10_000,
        settings.MAX_BAD_ROWS,
        settings.REUTERS_BODY,
    )
    assert (DataRequest().max_bad_rows, DataRequest().body) == ("1%", "first-sentence")


def test_the_command_line_takes_its_defaults_from_the_settings():
    def defaults(command: str) -> dict:
        return {param.name: param.default for param in main.commands[command].params}

    train = defaults("train")
    assert train["models_dir"] == settings.MODELS_DIR
    assert (train["c_value"], train["seed"], train["profile"]) == (
        "auto" if settings.C is None else str(settings.C),
        settings.SEED,
        settings.PROFILE,
    )
    assert (train["solver"], train["source_weighting"]) == (settings.SOLVER, settings.SOURCE_WEIGHTING)
    assert train["class_weight"] == settings.CLASS_WEIGHT and train["naive_bayes"] == settings.NAIVE_BAYES
    assert train["abstain_below"] == settings.ABSTAIN_THRESHOLD
    for command in ("evaluate", "predict", "tag", "info"):
        assert defaults(command)["model_dir"] == settings.MODEL
    assert (
        defaults("serve")["port"] == settings.PORT and defaults("start")["models_dir"] == settings.MODELS_DIR
    )
    assert defaults("tag")["chunk_size"] == settings.TAG_CHUNK_SIZE


def test_the_service_finds_the_current_link_of_its_models_folder(tmp_path):
    assert DEFAULTS["MODELS_DIR"] == "models" and DEFAULTS["MODEL"] is None
    holder = ModelHolder.from_settings(service_settings(environ={}))
    assert (holder.path, holder.models_dir) == (Path("models/current"), Path("models"))
    environ = {"HEADLINE_TAGGER_MODELS_DIR": str(tmp_path)}
    holder = ModelHolder.from_settings(service_settings(environ=environ))
    assert holder.path == settings.current_link(tmp_path) == tmp_path / "current"
    holder = ModelHolder.from_settings(service_settings({"MODEL": tmp_path / "m"}, environ=environ))
    assert holder.path == tmp_path / "m"


def test_every_environment_variable_shares_the_prefix():
    assert settings.env_var("MODELS_DIR") == "HEADLINE_TAGGER_MODELS_DIR"
    envvars = [param.envvar for command in main.commands.values() for param in command.params if param.envvar]
    assert envvars and all(name.startswith(settings.ENV_PREFIX) for name in envvars)

"""Model directories: ``model.joblib`` plus ``manifest.json``, saved atomically, loaded with checks.

Saving writes into a temporary directory beside the target and renames it into
place, so a crash never leaves a half-written model; promoting a model swaps the
``current`` symlink atomically. Loading validates the manifest, verifies the
SHA-256 of ``model.joblib`` *before* unpickling it (a tampered, truncated or
swapped file is refused without running any of its code) and refuses a model
made with another scikit-learn minor version unless told otherwise.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import secrets
import shutil
import tempfile
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from classifier.atomic import fsync_folder, replace_atomically
from classifier.errors import ModelError

if TYPE_CHECKING:
    from classifier.model.topic_model import TopicModel

# scikit-learn, joblib and the model's module load inside the functions that save or load a
# model: reading a manifest (all the main process of `tag` does here) should not wait about a
# second for them.

__all__ = [
    "FORMAT_VERSION",
    "MANIFEST_FILE",
    "MODEL_FILE",
    "READABLE_FORMATS",
    "REPORT_FILE",
    "VALIDATION_FILE",
    "Manifest",
    "file_sha256",
    "load_model",
    "new_model_id",
    "promote",
    "read_manifest",
    "read_report",
    "read_validation_counts",
    "save_model",
]

MODEL_FILE = "model.joblib"
MANIFEST_FILE = "manifest.json"
REPORT_FILE = "report.html"
VALIDATION_FILE = "validation.json"
# Model files pickle the pipeline's classes by module path; the version changes whenever one of
# those paths (or the shape of what is pickled) does, so a file this code cannot read is refused with a
# clear message instead of failing to unpickle. Format 3 (stemming; the fast vectorizer's own module)
# still reads format 2: its classes can still be imported by their old paths, and a vectorizer saved
# without stemming reads as one fitted without it.
FORMAT_VERSION = 3
READABLE_FORMATS = (2, 3)


class Manifest(BaseModel):
    """What a model is, how it was made and how to check its file."""

    model_config = ConfigDict(extra="forbid")

    format_version: int = FORMAT_VERSION
    model_id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
    created: str
    versions: dict[str, str]
    labels: list[str] = Field(min_length=2)
    multilabel: bool
    thresholds: dict[str, float]
    abstain_threshold: float = Field(ge=0.0, le=1.0)
    taxonomy: str | None = None
    hyperparameters: dict[str, Any]
    sources: list[dict[str, Any]]
    training: dict[str, Any] = Field(default_factory=dict)
    validation_metrics: dict[str, Any] | None = None
    model_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    # The validation report, when training wrote one: whoever serves or shows it can check it first.
    report_sha256: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")
    # The validation split's counts (classifier/validation_counts.py), for archive reports.
    validation_sha256: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")

    @model_validator(mode="after")
    def _thresholds_match_labels(self) -> Manifest:
        if set(self.thresholds) != set(self.labels):
            raise ValueError("thresholds must name exactly the model's labels")
        if len(set(self.labels)) != len(self.labels):
            raise ValueError("labels must be unique")
        return self


def new_model_id(now: datetime | None = None) -> str:
    """A sortable, unique id such as ``20261128T051500Z-3fa2c1``."""
    now = now or datetime.now(UTC)
    return f"{now:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    import joblib
    import numpy as np
    import sklearn

    try:
        own = version("headline-tagger")
    except PackageNotFoundError:
        own = "unknown"
    return {
        "headline_tagger": own,
        "python": platform.python_version(),
        "scikit_learn": sklearn.__version__,
        "numpy": np.__version__,
        "joblib": joblib.__version__,
    }


def file_sha256(path: Path) -> str:
    """The SHA-256 of the file at ``path``, in hex, read in blocks."""
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def save_model(
    model: TopicModel,
    out_dir: Path,
    *,
    model_id: str,
    taxonomy: str | None,
    hyperparameters: dict,
    sources: list[dict],
    training: dict,
    validation_metrics: dict | None,
    report_html: str | None = None,
    validation_counts: dict | None = None,
) -> Manifest:
    """Write ``out_dir`` atomically: a temporary sibling directory, fsynced, then renamed.

    ``report_html``, the validation report, goes into :data:`REPORT_FILE`, and
    ``validation_counts`` (:meth:`~classifier.validation_counts.ValidationCounts.to_dict`) into
    :data:`VALIDATION_FILE`, each with its SHA-256 in the manifest.

    Raises
    ------
    ModelError
        If ``out_dir`` already exists and is not empty, or cannot be written.
    """
    import joblib

    out_dir = Path(out_dir)
    if out_dir.exists() and (not out_dir.is_dir() or any(out_dir.iterdir())):
        raise ModelError(f"{out_dir}: already exists; choose another --out or remove it first")
    try:
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", suffix=".partial", dir=out_dir.parent))
    except OSError as error:
        raise ModelError(f"{out_dir}: cannot create the model directory: {error.strerror}") from None
    try:
        model_path = staging / MODEL_FILE
        joblib.dump(model, model_path, compress=3)
        written = [model_path, staging / MANIFEST_FILE]
        checksums: dict[str, str] = {}
        extras = {
            "report_sha256": (REPORT_FILE, report_html),
            "validation_sha256": (
                VALIDATION_FILE,
                None if validation_counts is None else json.dumps(validation_counts),
            ),
        }
        for key, (name, text) in extras.items():
            if text is not None:
                (staging / name).write_text(text, encoding="utf-8")
                checksums[key] = file_sha256(staging / name)
                written.append(staging / name)
        manifest = Manifest(
            model_id=model_id,
            created=datetime.now(UTC).isoformat(timespec="seconds"),
            versions=_versions(),
            labels=list(model.labels),
            multilabel=model.multilabel,
            thresholds={label: float(t) for label, t in zip(model.labels, model.thresholds, strict=True)},
            abstain_threshold=model.abstain_threshold,
            taxonomy=taxonomy,
            hyperparameters=hyperparameters,
            sources=sources,
            training=training,
            validation_metrics=validation_metrics,
            model_sha256=file_sha256(model_path),
            **checksums,
        )
        # Without those files the manifest keeps the shape it always had, which older readers accept.
        text = manifest.model_dump_json(indent=2, exclude=set(extras) - set(checksums))
        (staging / MANIFEST_FILE).write_text(text + "\n", encoding="utf-8")
        for path in written:
            with open(path, "rb") as handle:
                os.fsync(handle.fileno())
        if out_dir.exists():
            out_dir.rmdir()  # empty, checked above
        os.rename(staging, out_dir)
        fsync_folder(out_dir.parent)
    except OSError as error:
        shutil.rmtree(staging, ignore_errors=True)
        raise ModelError(f"{out_dir}: cannot write the model: {error.strerror or error}") from None
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return manifest


def read_report(model_dir: Path, manifest: Manifest) -> str | None:
    """The validation report of a model directory, or None when training wrote none.

    Raises
    ------
    ModelError
        The file is missing or unreadable, or not the one the manifest's checksum names.
    """
    if manifest.report_sha256 is None:
        return None
    return _checked(Path(model_dir) / REPORT_FILE, manifest.report_sha256, "the validation report")


def read_validation_counts(model_dir: Path, manifest: Manifest) -> dict | None:
    """The validation split's counts of a model directory (:data:`VALIDATION_FILE`), or None for a
    model trained without a validation split or before models kept them.

    Raises
    ------
    ModelError
        The file is missing or unreadable, or not the one the manifest's checksum names.
    """
    if manifest.validation_sha256 is None:
        return None
    path = Path(model_dir) / VALIDATION_FILE
    text = _checked(path, manifest.validation_sha256, "the validation counts")
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise ModelError(f"{path}: unreadable validation counts: {error}") from None


def _checked(path: Path, sha256: str, what: str) -> str:
    """The text of ``path`` once its SHA-256 is ``sha256``."""
    try:
        content = path.read_bytes()
    except OSError as error:
        raise ModelError(f"{path}: cannot read {what}: {error.strerror}") from None
    if hashlib.sha256(content).hexdigest() != sha256:
        raise ModelError(f"{path}: checksum mismatch: {what} was changed or replaced; not using it")
    return content.decode("utf-8")


def promote(model_dir: Path, link: Path) -> None:
    """Point the symlink ``link`` (e.g. ``models/current``) at ``model_dir``, atomically.

    The link is relative when the model sits in the link's folder, so the models
    folder can be moved as a whole.
    """
    model_dir, link = Path(model_dir), Path(link)
    if link.exists() and not link.is_symlink():
        raise ModelError(f"{link}: exists and is not a symlink; refusing to replace it")
    target = os.path.relpath(model_dir.resolve(), link.parent.resolve())
    try:
        replace_atomically(link, partial(os.symlink, target))
    except OSError as error:
        raise ModelError(f"{link}: cannot point it at {model_dir}: {error.strerror}") from None


def read_manifest(model_dir: Path) -> Manifest:
    """Read and validate ``manifest.json`` of a model directory."""
    model_dir = Path(model_dir)
    path = model_dir / MANIFEST_FILE
    if not model_dir.is_dir():
        raise ModelError(f"{model_dir}: no such model directory (train one with `headline-tagger train`)")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelError(f"{path}: missing; {model_dir} is not a headline-tagger model") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ModelError(f"{path}: unreadable manifest: {error}") from None
    try:
        manifest = Manifest.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "(top level)"
        raise ModelError(f"{path}: invalid manifest: {where}: {first['msg']}") from None
    if manifest.format_version not in READABLE_FORMATS:
        readable = ", ".join(map(str, READABLE_FORMATS[:-1])) + f" and {READABLE_FORMATS[-1]}"
        remedy = (
            "upgrade headline-tagger to read it"
            if manifest.format_version > FORMAT_VERSION
            else "retrain the model with this version"
        )
        raise ModelError(
            f"{path}: model format {manifest.format_version} is not supported "
            f"(this headline-tagger reads formats {readable}); {remedy}"
        )
    return manifest


def _minor(version: str) -> str:
    return ".".join(version.split(".")[:2])


def load_model(model_dir: Path, *, allow_version_mismatch: bool = False) -> tuple[TopicModel, Manifest]:
    """Load a model directory after checking its manifest and checksum.

    Raises
    ------
    ModelError
        Missing or invalid manifest, checksum mismatch (tampered, truncated or
        swapped file), a scikit-learn minor version other than the one that made
        the model (unless ``allow_version_mismatch``), or a file that is not a
        headline-tagger model.
    """
    import joblib
    import numpy as np
    import sklearn

    from classifier.model.topic_model import TopicModel

    model_dir = Path(model_dir)
    manifest = read_manifest(model_dir)
    model_path = model_dir / MODEL_FILE
    try:
        actual = file_sha256(model_path)
    except OSError as error:
        raise ModelError(f"{model_path}: cannot read: {error.strerror}") from None
    if actual != manifest.model_sha256:
        raise ModelError(
            f"{model_path}: checksum mismatch (manifest says {manifest.model_sha256[:12]}…, "
            f"file is {actual[:12]}…): the file was changed, truncated or replaced; refusing to load it"
        )
    made_with = manifest.versions.get("scikit_learn", "unknown")
    if _minor(made_with) != _minor(sklearn.__version__) and not allow_version_mismatch:
        raise ModelError(
            f"{model_dir}: made with scikit-learn {made_with}, this is {sklearn.__version__}; "
            "retrain it, or pass --allow-version-mismatch to load it anyway"
        )
    try:
        model = joblib.load(model_path)
    except Exception as error:  # an unpickling failure can raise almost anything
        raise ModelError(f"{model_path}: cannot load: {type(error).__name__}: {error}") from None
    if not isinstance(model, TopicModel):
        raise ModelError(f"{model_path}: holds a {type(model).__name__}, not a headline-tagger model")
    if list(model.labels) != manifest.labels:
        raise ModelError(f"{model_path}: its labels do not match the manifest's")
    model.thresholds = np.array([manifest.thresholds[label] for label in model.labels])
    model.abstain_threshold = manifest.abstain_threshold
    return model, manifest

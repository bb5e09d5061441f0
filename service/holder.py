"""The model a running service answers with, and its atomic reload.

Requests read :attr:`ModelHolder.current` once and use that pair for the whole
request; :meth:`ModelHolder.reload` builds a new pair completely and then
replaces the old one with a single attribute assignment, so a request sees the
old model or the new one, never a mix, and a model that fails to load is never
seen at all.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from classifier.errors import DataError, ModelError
from classifier.model.topic_model import TopicModel
from classifier.persistence import MANIFEST_FILE, MODEL_FILE, REPORT_FILE, Manifest, load_model, read_report
from classifier.settings import env_var, model_path
from classifier.taxonomy import Taxonomy, load_taxonomy

__all__ = ["LoadedModel", "ModelHolder"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LoadedModel:
    """A model, its manifest, its taxonomy (``None`` when the manifest names none, or it is gone) and
    its validation report (``None`` when it has none, or it failed its checksum: the reason is in
    ``report_problem``)."""

    model: TopicModel
    manifest: Manifest
    taxonomy: Taxonomy | None
    report: str | None = None
    report_problem: str | None = None

    @classmethod
    def of(cls, model: TopicModel, manifest: Manifest, directory: Path | None = None) -> LoadedModel:
        """Pair a model with its manifest, looking up the taxonomy the manifest names and, when the
        model's ``directory`` is given, reading its report.

        The model's fast scorer is built here, before any request (and before
        gunicorn forks workers from a preloaded master).
        """
        model.prepare()
        taxonomy = None
        if manifest.taxonomy:
            try:
                taxonomy = load_taxonomy(manifest.taxonomy)
            except DataError as error:
                log.warning("model %s: no label descriptions: %s", manifest.model_id, error)
        report, problem = None, None
        if directory is not None:
            try:
                report = read_report(directory, manifest)
            except ModelError as error:  # the model still serves; its card says why there is no report
                log.warning("model %s: %s", manifest.model_id, error)
                problem = "its validation report failed its checksum or could not be read"
        return cls(model, manifest, taxonomy, report, problem)


class ModelHolder:
    """Holds the current :class:`LoadedModel` and reloads it from ``path``, inside ``models_dir`` only.

    ``after_reload`` is called after every successful reload; the gunicorn
    server sets it in each worker to pass the reload on to the other workers.
    """

    def __init__(self, path: Path, models_dir: Path) -> None:
        self.path = Path(path)
        self.models_dir = Path(models_dir)
        self.current: LoadedModel | None = None
        self.after_reload: Callable[[], None] | None = None
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Mapping[str, object]) -> ModelHolder:
        """An empty holder for the ``MODEL`` setting (default: the ``current`` link) in ``MODELS_DIR``."""
        models_dir = Path(str(settings["MODELS_DIR"]))
        return cls(model_path(settings["MODEL"], models_dir), models_dir)

    def reload(self) -> LoadedModel:
        """Load ``path`` again and swap it in; on failure keep the current model and raise.

        Raises
        ------
        ModelError
            The path leads outside the models directory, or the model does not
            load (see :func:`classifier.persistence.load_model`).
        """
        with self._lock:  # one load at a time: two would only double the memory
            directory = self._resolved()
            loaded = LoadedModel.of(*load_model(directory), directory)
            self.current = loaded
        if self.after_reload is not None:
            self.after_reload()
        return loaded

    def _resolved(self) -> Path:
        """``path`` with every symlink followed, refused unless it and its files lie inside ``models_dir``.

        The resolved directory is what gets loaded, so repointing ``current``
        between this check and the load cannot slip another directory in.
        """
        root = self.models_dir.resolve()
        target = self.path.resolve()
        # The files themselves too: a model.joblib symlinked to a file elsewhere is refused as well.
        for path, resolved in [(self.path, target)] + [
            (self.path / name, (target / name).resolve()) for name in (MODEL_FILE, MANIFEST_FILE, REPORT_FILE)
        ]:
            if not resolved.is_relative_to(root):
                raise ModelError(
                    f"{path}: leads to {resolved}, outside the models directory {root}; "
                    f"models are only loaded from there (set --models-dir or {env_var('MODELS_DIR')})"
                )
        return target

"""Topic taxonomies and the label maps that carry a dataset's own labels onto them.

A taxonomy is the list of topics a model may return (the shipped ``default`` has
twelve, each with a description and an IPTC Media Topic code). A label map turns
a source's labels (HuffPost ``BUSINESS``, AG News ``Sci/Tech``) into taxonomy
topics; a label mapped to ``null`` is dropped on purpose. Under a *strict* map a
label the map does not list at all is a data error (the row is rejected), so a
typo or a new category never slips silently into or out of training.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from classifier.errors import DataError

__all__ = ["LabelMap", "Taxonomy", "Topic", "load_label_map", "load_taxonomy", "shipped_label_maps"]

_DATA = resources.files("classifier") / "data"


class Topic(BaseModel):
    """One topic of a taxonomy."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    label: str = Field(min_length=1)
    description: str
    iptc: str | None = None


class Taxonomy(BaseModel):
    """A named, ordered list of topics."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    description: str = ""
    topics: tuple[Topic, ...] = Field(min_length=1)

    @field_validator("topics")
    @classmethod
    def _labels_are_unique(cls, topics: tuple[Topic, ...]) -> tuple[Topic, ...]:
        labels = [topic.label for topic in topics]
        if len(set(labels)) != len(labels):
            raise ValueError("topic labels must be unique")
        return topics

    @property
    def labels(self) -> tuple[str, ...]:
        """The topic labels in taxonomy order."""
        return tuple(topic.label for topic in self.topics)


class LabelMap(BaseModel):
    """Source label → taxonomy topic (``None`` drops the label)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    description: str = ""
    taxonomy: str = "default"
    strict: bool = True
    map: dict[str, str | None]

    def translate(self, labels: tuple[str, ...]) -> tuple[str, ...]:
        """Map a row's labels, keeping order and dropping duplicates and nulls.

        Raises
        ------
        KeyError
            Under a strict map, for the first label the map does not list.
        """
        mapped: list[str] = []
        for label in labels:
            if label not in self.map:
                if self.strict:
                    raise KeyError(label)
                continue
            target = self.map[label]
            if target is not None and target not in mapped:
                mapped.append(target)
        return tuple(mapped)

    def check_targets(self, taxonomy: Taxonomy) -> None:
        """Fail when the map points at a topic the taxonomy does not have."""
        unknown = sorted({t for t in self.map.values() if t is not None} - set(taxonomy.labels))
        if unknown:
            raise DataError(
                f"label map {self.name!r} maps to topics not in taxonomy {taxonomy.name!r}: "
                + ", ".join(unknown)
            )


def _read_json(path: Path | resources.abc.Traversable, what: str) -> object:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataError(f"{path}: no such {what} file") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise DataError(f"{path}: cannot read {what}: {error}") from None


def _validated(model: type[BaseModel], data: object, path: object, what: str):
    try:
        return model.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "(top level)"
        raise DataError(f"{path}: invalid {what}: {where}: {first['msg']}") from None


def load_taxonomy(name_or_path: str = "default") -> Taxonomy:
    """Load the shipped ``default`` taxonomy, or a taxonomy JSON file."""
    path = _DATA / "taxonomy.json" if name_or_path == "default" else Path(name_or_path)
    return _validated(Taxonomy, _read_json(path, "taxonomy"), path, "taxonomy")


def shipped_label_maps() -> tuple[str, ...]:
    """Names of the label maps shipped with headline-tagger."""
    return tuple(
        sorted(
            p.name.removesuffix(".json") for p in (_DATA / "label_maps").iterdir() if p.name.endswith(".json")
        )
    )


def load_label_map(name_or_path: str) -> LabelMap:
    """Load a shipped label map by name (``huffpost``) or a label-map JSON file.

    A label-map file is ``{"name": ..., "strict": true, "map": {"SOURCE": "topic" | null}}``.
    """
    if name_or_path in shipped_label_maps():
        path = _DATA / "label_maps" / f"{name_or_path}.json"
    else:
        path = Path(name_or_path)
        if not path.exists():
            raise DataError(
                f"{name_or_path}: no such label-map file, and not a shipped map "
                f"({', '.join(shipped_label_maps())})"
            )
    return _validated(LabelMap, _read_json(path, "label map"), path, "label map")

"""Labelled data for training and evaluation, gathered from one or more sources.

A source is a path read with a preset (``huffpost:news.jsonl.gz``) or with the
generic reader options. Each source's labels can be carried onto a taxonomy:
with ``taxonomy`` set, a preset source goes through the label map shipped for
that preset, and a generic source must already use the taxonomy's labels; an
explicit ``label_map`` applies to every source instead. The result keeps, per
source, what a model manifest records: rows used, rows dropped by the map, and
the SHA-256 of the data read.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from classifier.errors import DataError
from classifier.inputs.presets import PRESETS, read_preset
from classifier.inputs.readers import read_records
from classifier.inputs.records import BadRow, ReadOptions, ReadReport, Record
from classifier.inputs.sources import DataSource
from classifier.persistence import file_sha256
from classifier.settings import STREAM_BATCH_ROWS
from classifier.taxonomy import LabelMap, Taxonomy, load_label_map, shipped_label_maps

__all__ = [
    "UNKNOWN_SOURCE",
    "LabeledData",
    "SourceSummary",
    "fingerprint",
    "iter_labeled_data",
    "iter_source",
]

UNKNOWN_SOURCE = -1
"""The ``row_sources`` entry of a row whose source is not known (a correction, a row built in memory)."""


@dataclass
class SourceSummary:
    """What one source contributed (recorded in the model manifest)."""

    source: str
    path: str
    preset: str | None
    label_map: str | None
    rows: int = 0
    dropped_by_map: int = 0
    sha256: str = ""

    @property
    def name(self) -> str:
        """How messages name the source."""
        return "the starter corpus" if self.preset == "starter" else self.source


@dataclass
class LabeledData:
    """Headlines, teasers and label tuples, in read order, with per-source summaries.

    ``locations`` are the (file, line) of each row when it was read from files
    (empty for data built in memory), so that a row can be pointed back to;
    ``row_sources`` the index in ``sources`` of each row's source (empty when
    unknown), so that training can weigh the sources and hold each out.
    """

    headlines: list[str] = field(default_factory=list)
    teasers: list[str] = field(default_factory=list)
    labels: list[tuple[str, ...]] = field(default_factory=list)
    sources: list[SourceSummary] = field(default_factory=list)
    locations: list[tuple[str, int]] = field(default_factory=list)
    row_sources: list[int] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.headlines)

    def subset(self, indices: Sequence[int]) -> LabeledData:
        """The rows at ``indices`` (sources are kept as they are)."""
        return LabeledData(
            [self.headlines[i] for i in indices],
            [self.teasers[i] for i in indices],
            [self.labels[i] for i in indices],
            self.sources,
            [self.locations[i] for i in indices] if self.locations else [],
            [self.row_sources[i] for i in indices] if self.row_sources else [],
        )

    @classmethod
    def from_batches(cls, batches: Iterable[LabeledData]) -> LabeledData:
        """The rows of batches of one reading (:func:`iter_labeled_data`), in order: one list of sources."""
        data = cls()
        for batch in batches:
            for name in ("headlines", "teasers", "labels", "locations", "row_sources"):
                getattr(data, name).extend(getattr(batch, name))
            data.sources = batch.sources
        return data

    @classmethod
    def joined(cls, parts: Sequence[LabeledData]) -> LabeledData:
        """The rows of every part, in order, with their sources.

        When some part knows its rows' sources, the rows of a part that does not get the
        source :data:`UNKNOWN_SOURCE`; ``locations`` are kept only when every part has them.
        """
        data = cls()
        known = any(part.row_sources for part in parts)
        located = all(part.locations or not len(part) for part in parts)
        for part in parts:
            if known:
                offset = len(data.sources)
                data.row_sources += (
                    [offset + index for index in part.row_sources]
                    if part.row_sources
                    else [UNKNOWN_SOURCE] * len(part)
                )
            if located:
                data.locations += part.locations
            data.headlines += part.headlines
            data.teasers += part.teasers
            data.labels += part.labels
            data.sources += part.sources
        return data


def iter_source(
    source: DataSource,
    options: ReadOptions,
    report: ReadReport,
    *,
    split: str | None = None,
    body: str = "first-sentence",
) -> Iterator[Record]:
    """Records of one source, read with its preset or the generic options."""
    if source.preset is not None:
        return read_preset(source.preset, source.path, report, split=split, body=body)
    return read_records(source.path, options, report)


def _label_map_for(
    source: DataSource, label_map: LabelMap | None, taxonomy: Taxonomy | None
) -> LabelMap | None:
    if label_map is not None:
        return label_map
    if taxonomy is None:
        return None
    preset = PRESETS.get(source.preset) if source.preset is not None else None
    if source.preset is None or (preset is not None and preset.in_default_taxonomy):
        # These sources must already speak the taxonomy's labels.
        return LabelMap(
            name=f"taxonomy {taxonomy.name}",
            strict=True,
            taxonomy=taxonomy.name,
            map={label: label for label in taxonomy.labels},
        )
    if source.preset not in shipped_label_maps():
        raise DataError(
            f"no label map is shipped for preset {source.preset!r} (there are: "
            f"{', '.join(shipped_label_maps())}); pass --label-map FILE to map its labels"
        )
    return load_label_map(source.preset)


def iter_labeled_data(
    sources: Sequence[DataSource],
    options: ReadOptions,
    report: ReadReport,
    *,
    taxonomy: Taxonomy | None = None,
    label_map: LabelMap | None = None,
    split: str | None = None,
    body: str = "first-sentence",
    keep_unlabeled: bool = False,
    on_row: Callable[[], None] | None = None,
    batch_rows: int = STREAM_BATCH_ROWS,
) -> Iterator[LabeledData]:
    """Every source's rows in batches of at most ``batch_rows``, labels mapped as the module docstring says
    (:meth:`LabeledData.from_batches` joins them).

    Rows with no label left are dropped (counted in ``dropped_by_map`` when the
    map removed them) unless ``keep_unlabeled`` (multi-label training, where
    a row with no topic is a valid negative example). Every batch's ``sources`` is
    the same list of summaries, filled in as the sources are read: a source's summary
    is complete once the iterator has moved past its last row, and every one at the end.
    """
    if not sources:
        raise DataError("no data given: name at least one file or folder")
    if label_map is not None and taxonomy is not None:
        label_map.check_targets(taxonomy)
    summaries: list[SourceSummary] = []
    batch, rows = LabeledData(sources=summaries), 0
    for source in sources:
        mapping = _label_map_for(source, label_map, taxonomy)
        summary = SourceSummary(str(source), source.path, source.preset, mapping.name if mapping else None)
        summaries.append(summary)
        for record in iter_source(source, options, report, split=split, body=body):
            labels = record.labels
            if mapping is not None:
                try:
                    labels = mapping.translate(labels)
                except KeyError as error:
                    report.revoke(
                        BadRow(
                            record.source,
                            record.line,
                            f"unknown label: {error.args[0]!r} is not in label map {mapping.name!r}",
                        )
                    )
                    continue
                if record.labels and not labels:
                    summary.dropped_by_map += 1
                    continue
            if not labels and not keep_unlabeled:
                report.skip("no label")
                continue
            batch.headlines.append(record.headline)
            batch.teasers.append(record.teaser)
            batch.labels.append(labels)
            batch.locations.append((record.source, record.line))
            batch.row_sources.append(len(summaries) - 1)
            summary.rows += 1
            if on_row is not None:
                on_row()
            if len(batch) == batch_rows:
                rows += len(batch)
                yield batch
                batch = LabeledData(sources=summaries)
        summary.sha256 = fingerprint(Path(source.path))
    report.check()
    if not rows + len(batch):
        raise DataError("no labelled rows were read from " + ", ".join(str(s) for s in sources))
    if len(batch):
        yield batch


def fingerprint(path: Path) -> str:
    """SHA-256 of a file, or of a folder's files (relative name and content, in sorted order)."""
    digest = hashlib.sha256()
    if path.is_dir():
        for file in sorted(p for p in path.rglob("*") if p.is_file()):
            digest.update(str(file.relative_to(path)).encode("utf-8", "surrogateescape") + b"\0")
            digest.update(file_sha256(file).encode())
        return digest.hexdigest()
    return file_sha256(path)

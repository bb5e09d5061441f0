"""The benchmark's data: each protocol's train and test rows, read through the project's presets.

Every protocol is a fixed, seeded split of the datasets in ``../shared/data``,
read only with :mod:`classifier.inputs.presets` and mapped only with the shipped label
maps, so the benchmark sees the text exactly as ``headline-tagger train`` does.
Nothing here looks at a model: the test part of each split is never used to
choose anything.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np
from sklearn.model_selection import train_test_split

from classifier.inputs.datasets import LabeledData
from classifier.inputs.presets import read_preset
from classifier.inputs.records import ReadReport, Record
from classifier.taxonomy import load_label_map
from classifier.workflows import DataRequest, load_data

__all__ = [
    "OUTLETS",
    "OUTLET_PROTOCOLS",
    "PROTOCOLS",
    "SHARED_DATA",
    "Protocol",
    "leave_one_outlet_out",
    "starter_data",
]

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
SEED = 0


@dataclass(frozen=True)
class Protocol:
    """One benchmark task: train rows, test rows and how to score them."""

    name: str
    description: str
    train: LabeledData
    test: LabeledData
    multilabel: bool = False
    # The labels macro-F1 averages over, when not every label the model knows: a held-out outlet's.
    scored_labels: tuple[str, ...] | None = None

    @property
    def metrics(self) -> tuple[str, str]:
        """The two reported metrics: accuracy (micro-F1 when multi-label) and macro-F1."""
        return ("micro_f1", "macro_f1") if self.multilabel else ("accuracy", "macro_f1")


def _records(preset: str, path: Path, **options) -> list[Record]:
    return list(read_preset(preset, path, ReadReport(), **options))


def _labeled(records: Iterable[Record], relabel: Callable[[tuple[str, ...]], tuple[str, ...]] = tuple):
    """LabeledData of the records whose labels survive ``relabel`` (rows left with none are dropped)."""
    data = LabeledData()
    for record in records:
        labels = relabel(record.labels)
        if labels:
            data.headlines.append(record.headline)
            data.teasers.append(record.teaser)
            data.labels.append(labels)
    return data


def _stratified(data: LabeledData, name: str, description: str) -> Protocol:
    """A stratified 80/20 split of ``data`` with seed 0."""
    indices = list(range(len(data)))
    train, test = train_test_split(
        indices, test_size=0.2, random_state=SEED, stratify=[labels[0] for labels in data.labels]
    )
    return Protocol(name, description, data.subset(sorted(train)), data.subset(sorted(test)))


def huffpost(mapped: bool) -> Protocol:
    """Train on HuffPost rows dated 2018, test on rows dated 2019 (raw or default-taxonomy labels)."""
    records = _records("huffpost", SHARED_DATA / "huffpost" / "news_category_2018_2019.jsonl.gz")
    relabel = load_label_map("huffpost").translate if mapped else tuple
    by_year = {
        year: _labeled((r for r in records if (r.date or "").startswith(year)), relabel)
        for year in ("2018", "2019")
    }
    kind = "default taxonomy" if mapped else "29 raw categories"
    return Protocol(
        "huffpost-mapped" if mapped else "huffpost-raw",
        f"HuffPost, {kind}: train 2018, test 2019",
        by_year["2018"],
        by_year["2019"],
    )


def agnews() -> Protocol:
    """AG News (the 7,600-row file): stratified 80/20, seed 0."""
    data = _labeled(_records("agnews", SHARED_DATA / "ag_news" / "test.csv"))
    return _stratified(data, "agnews", "AG News 7,600 rows, 4 classes: stratified 80/20")


def bbc() -> Protocol:
    """BBC News without exact duplicate files, headline + first paragraph: stratified 80/20, seed 0."""
    seen: set[str] = set()
    unique = []
    for record in _records("bbc", SHARED_DATA / "bbc"):
        digest = hashlib.sha256(Path(record.source).read_bytes()).hexdigest()
        if digest not in seen:
            seen.add(digest)
            unique.append(record)
    data = _labeled(unique)
    return _stratified(data, "bbc", f"BBC, {len(data):,} unique articles, 5 classes: stratified 80/20")


def reuters(body: str) -> Protocol:
    """Reuters-21578 ModApte, multi-label over the topics with at least one train and one test document.

    Documents with none of those topics are left out, as in the usual 90-topic
    ModApte setup (Yang & Liu 1999).
    """
    path = SHARED_DATA / "reuters21578"
    train, test = (_records("reuters", path, split=split, body=body) for split in ("train", "test"))
    topics = {t for r in train for t in r.labels} & {t for r in test for t in r.labels}

    def relabel(labels: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(label for label in labels if label in topics)

    text = "title + first sentence" if body == "first-sentence" else "title + whole body"
    return Protocol(
        f"reuters-{'first-sentence' if body == 'first-sentence' else 'body'}",
        f"Reuters-21578 ModApte, {len(topics)} topics, {text}",
        _labeled(train, relabel),
        _labeled(test, relabel),
        multilabel=True,
    )


# The six labelled outlets: every shared outlet whose labels map onto the default taxonomy, each read
# with its preset and mapped with its shipped label map. ARISE's two files are two sources, train
# first, as bench/feedback.py's splits were drawn (its random caps follow this order too).
OUTLETS: dict[str, DataRequest] = {
    "huffpost": DataRequest(("huffpost:" + str(SHARED_DATA / "huffpost/news_category_2018_2019.jsonl.gz"),)),
    "agnews": DataRequest(("agnews:" + str(SHARED_DATA / "ag_news/test.csv"),)),
    "bbc": DataRequest(("bbc:" + str(SHARED_DATA / "bbc"),)),
    "nyt": DataRequest(("nyt:" + str(SHARED_DATA / "nyt_articles_2017_2018"),)),
    "arise": DataRequest(
        tuple(f"arise:{SHARED_DATA / 'arise_tv_news' / name}" for name in ("train.csv", "test.csv"))
    ),
    "inshorts": DataRequest(("inshorts:" + str(SHARED_DATA / "inshorts_news"),)),
}


def cross_corpus() -> Protocol:
    """Train on HuffPost + AG News + BBC, test on NYT, all mapped to the default taxonomy."""

    def read(*names: str) -> LabeledData:
        arguments = tuple(argument for name in names for argument in OUTLETS[name].arguments)
        return load_data(DataRequest(arguments=arguments, taxonomy="default"))[0]

    return Protocol(
        "cross-corpus",
        "HuffPost + AG News + BBC -> NYT, default taxonomy",
        read("huffpost", "agnews", "bbc"),
        read("nyt"),
    )


def _outlet(name: str) -> LabeledData:
    """One outlet's rows on the default taxonomy, each text once (the first row of a repeated text wins)."""
    data = load_data(DataRequest(OUTLETS[name].arguments, taxonomy="default"))[0]
    # One outlet is one source for training's weights and held-out choice of C, however many
    # files it comes in, as it would be read from its folder (arise:FOLDER).
    data.row_sources = [0] * len(data)
    seen: set[tuple[str, str]] = set()
    unique = []
    for index, key in enumerate(zip(data.headlines, data.teasers, strict=True)):
        if key not in seen:
            seen.add(key)
            unique.append(index)
    return data.subset(unique)


def starter_data() -> LabeledData:
    """The bundled starter corpus alone: what a fresh install trains on."""
    return load_data(DataRequest(taxonomy="default", starter=True))[0]


def leave_one_outlet_out(held_out: str, cap: int | None = None, seed: int = SEED) -> Protocol:
    """Train on every other outlet (all of it, or at most ``cap`` random rows of each) plus the
    starter corpus; test on all of ``held_out``'s rows, each text once.

    Macro-F1 averages over the labels the held-out outlet has: a label it never
    uses (no climate in BBC) would score 0 whatever the model did.
    """
    rng = np.random.default_rng(seed)
    parts = []
    for name in ["starter", *(outlet for outlet in OUTLETS if outlet != held_out)]:
        if name == "starter":
            part = starter_data()
        else:
            part = _outlet(name)
            if cap is not None and len(part) > cap:
                part = part.subset(sorted(rng.choice(len(part), cap, replace=False).tolist()))
        parts.append(part)
    train = LabeledData.joined(parts)  # each row keeps its source, as `train` with several DATA does
    test = _outlet(held_out)
    each = "all rows" if cap is None else f"at most {cap:,} rows"
    return Protocol(
        f"outlet-{held_out}",
        f"every other outlet ({each} each) + the starter corpus -> {held_out}, default taxonomy",
        train,
        test,
        scored_labels=tuple(sorted({label for labels in test.labels for label in labels})),
    )


PROTOCOLS: dict[str, Callable[[], Protocol]] = {
    "huffpost-raw": lambda: huffpost(mapped=False),
    "huffpost-mapped": lambda: huffpost(mapped=True),
    "agnews": agnews,
    "bbc": bbc,
    "reuters-first-sentence": lambda: reuters("first-sentence"),
    "reuters-body": lambda: reuters("full"),
    "cross-corpus": cross_corpus,
}
# Leave one outlet out: how the default recipe does on an outlet it never saw (bench/accuracy.py --outlets).
OUTLET_PROTOCOLS: dict[str, Callable[[], Protocol]] = {
    f"outlet-{name}": partial(leave_one_outlet_out, name) for name in OUTLETS
}

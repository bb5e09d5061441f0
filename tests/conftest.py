"""Shared fixtures: tiny hand-written data and models fitted once per session."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from classifier.datasets import LabeledData
from classifier.features import FeatureSettings
from classifier.training import TrainingSettings, train

FIXTURES = Path(__file__).parent / "fixtures"
REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"


def tiny_data() -> LabeledData:
    """The 36-row, three-topic hand-written training set."""
    data = LabeledData()
    for line in (FIXTURES / "tiny_train.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        data.headlines.append(row["headline"])
        data.teasers.append(row["teaser"])
        data.labels.append((row["label"],))
    return data


@pytest.fixture
def tiny():
    """A fresh copy of the tiny training set (tests may change it)."""
    return tiny_data()


@pytest.fixture(scope="session")
def tiny_model():
    """A single-label model fitted on the tiny set (no validation split)."""
    return train(
        tiny_data(), TrainingSettings(features=FeatureSettings(min_df=1), validation_fraction=0.0)
    ).model


@pytest.fixture(scope="session")
def tiny_multilabel_model():
    """A multi-label model on the tiny set plus a few two-topic rows."""
    data = tiny_data()
    extra = [
        (
            "Finance minister unveils budget with tax cuts",
            "Markets rallied on the plan.",
            ("politics", "finance"),
        ),
        ("Club owner fined by regulator over share deal", "The stock fell.", ("sport", "finance")),
        (
            "Sports minister resigns over stadium funding",
            "Parliament demanded answers.",
            ("politics", "sport"),
        ),
    ]
    for headline, teaser, labels in extra:
        data.headlines.append(headline)
        data.teasers.append(teaser)
        data.labels.append(labels)
    return train(
        data, TrainingSettings(features=FeatureSettings(min_df=1), validation_fraction=0.0, multilabel=True)
    ).model

"""The SQLite corrections store: what it keeps, what supersedes what, and its failures."""

from __future__ import annotations

import multiprocessing
import sqlite3

import pytest

from classifier.errors import FeedbackStoreError
from classifier.feedback.store import Correction, CorrectionStore, correction_kind


def _correction(headline="Rates rise again", teaser="", labels=("finance",), **fields) -> Correction:
    return Correction(
        headline=headline, teaser=teaser, labels=tuple(labels), sender="cli", source="cli", **fields
    )


@pytest.mark.parametrize(
    ("labels", "predicted", "kind"),
    [
        (["politics"], ["politics"], "accepted"),
        (["politics", "world"], ["world", "politics"], "accepted"),
        (["politics"], ["politics", "world"], "rejected"),
        (["politics", "world"], ["politics"], "added"),
        (["sport"], ["politics"], "added"),
        (["sport"], None, "added"),
    ],
)
def test_the_kind_says_what_the_editor_did_to_the_models_tags(labels, predicted, kind):
    assert correction_kind(labels, predicted) == kind


def test_a_newer_correction_of_the_same_text_supersedes_the_older_and_nothing_is_deleted(tmp_path):
    with CorrectionStore(tmp_path / "feedback.db") as store:
        first, other = store.add([_correction(labels=["world"]), _correction(headline="Striker scores")])
        (second,) = store.add([_correction(labels=["finance", "world"], model_id="m1", predicted=("world",))])
        listed = store.page()
        assert [c.id for c in listed] == [first, other, second]
        assert listed[0].superseded_by == second and listed[1].superseded_by is None
        assert [(c.headline, c.labels) for c in store.current()] == [
            ("Striker scores", ("finance",)),
            ("Rates rise again", ("finance", "world")),
        ]
        assert store.count() == 3
    with CorrectionStore(tmp_path / "feedback.db") as reopened:  # on disk, as acknowledged
        assert [c.to_dict() for c in reopened.page()] == [c.to_dict() for c in listed]
        assert listed[2].to_dict()["kind"] == "added" and listed[2].created.endswith("+00:00")


def test_the_same_headline_with_another_teaser_is_another_text(tmp_path):
    with CorrectionStore(tmp_path / "feedback.db") as store:
        store.add([_correction(teaser="a"), _correction(teaser="b")])
        assert len(list(store.current())) == 2


def test_pages_follow_the_ids_and_the_time(tmp_path):
    with CorrectionStore(tmp_path / "feedback.db") as store:
        ids = store.add(
            [_correction(headline=f"h{n}", created=f"2026-01-0{n}T00:00:00+00:00") for n in range(1, 6)]
        )
        assert [c.id for c in store.page(limit=2)] == ids[:2]
        assert [c.id for c in store.page(after=ids[1], limit=2)] == ids[2:4]
        assert [c.id for c in store.page(since="2026-01-04")] == ids[3:]
        with pytest.raises(ValueError, match="limit"):
            store.page(limit=0)


def test_a_batch_is_stored_whole_or_not_at_all(tmp_path):
    with CorrectionStore(tmp_path / "feedback.db") as store:
        bad = _correction(headline="bad")
        bad.source = "fax"
        with pytest.raises(ValueError, match="unknown source 'fax'"):
            store.add([_correction(), bad])
        assert store.count() == 0


def test_stats_count_labels_kinds_and_each_models_agreement(tmp_path):
    with CorrectionStore(tmp_path / "feedback.db") as store:
        store.add(
            [
                _correction(headline="a", labels=["sport"], model_id="m1", predicted=("sport",)),
                _correction(headline="b", labels=["sport", "world"], model_id="m1", predicted=("sport",)),
                _correction(
                    headline="c", labels=["politics"], model_id="m2", predicted=("politics", "world")
                ),
                _correction(headline="d", labels=["politics"]),
            ]
        )
        stats = store.stats()
    assert stats["corrections"] == 4
    assert stats["labels"] == {"sport": 2, "politics": 2, "world": 1}
    assert stats["kinds"] == {"accepted": 1, "rejected": 1, "added": 2}
    assert stats["models"] == {
        "m1": {"corrections": 2, "agreement": 0.5},
        "m2": {"corrections": 1, "agreement": 0.0},
    }


def _add_many(path: str, worker: int) -> list[int]:
    ids = []
    with CorrectionStore(path) as store:
        for batch in range(20):
            ids += store.add([_correction(headline=f"w{worker} b{batch} n{n}") for n in range(10)])
    return ids


def test_processes_adding_at_once_lose_nothing(tmp_path):
    path = str(tmp_path / "feedback.db")
    CorrectionStore(path).close()
    with multiprocessing.get_context("spawn").Pool(3) as pool:
        acknowledged = [i for ids in pool.starmap(_add_many, [(path, w) for w in range(3)]) for i in ids]
    with CorrectionStore(path) as store:
        assert store.count() == len(acknowledged) == len(set(acknowledged)) == 600
        assert {c.id for c in store.page(limit=1000)} == set(acknowledged)


def test_a_missing_folder_a_corrupt_file_and_a_newer_schema_are_clear_errors(tmp_path):
    with pytest.raises(FeedbackStoreError, match=r"the folder .*missing.* does not exist"):
        CorrectionStore(tmp_path / "missing" / "feedback.db")
    corrupt = tmp_path / "corrupt.db"
    corrupt.write_bytes(b"this is no database at all, just some bytes" * 100)
    with pytest.raises(FeedbackStoreError, match="not a corrections store, or it is corrupt"):
        CorrectionStore(corrupt)
    newer = tmp_path / "newer.db"
    sqlite3.connect(newer).execute("PRAGMA user_version = 99").connection.close()
    with pytest.raises(FeedbackStoreError, match=r"newer headline-tagger.*schema 99"):
        CorrectionStore(newer)


def test_a_store_locked_by_another_process_is_a_clear_error_and_keeps_its_data(tmp_path):
    path = tmp_path / "feedback.db"
    with CorrectionStore(path) as store:
        store.add([_correction()])
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with CorrectionStore(path, timeout=0.2) as store, pytest.raises(FeedbackStoreError, match="locked"):
            store.add([_correction(headline="other")])
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    with CorrectionStore(path) as store:
        assert [c.headline for c in store.current()] == ["Rates rise again"]

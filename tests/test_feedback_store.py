"""The corrections store, in SQLite and on a real PostgreSQL server: what it keeps, and its failures."""

from __future__ import annotations

import itertools
import multiprocessing
import os
import pwd
import shutil
import sqlite3
import tempfile
import time
from pathlib import Path

import psycopg
import pytest
from conftest import free_port

from classifier.errors import FeedbackStoreError
from classifier.feedback.corrections import ReviewSample, correction_kind
from classifier.feedback.postgres_store import _WRITER_LOCK
from classifier.feedback.store import Correction, open_store


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


def test_a_newer_correction_of_the_same_text_supersedes_the_older_and_nothing_is_deleted(feedback_location):
    with open_store(feedback_location) as store:
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
    with open_store(feedback_location) as reopened:  # on disk, as acknowledged
        assert [c.to_dict() for c in reopened.page()] == [c.to_dict() for c in listed]
        assert listed[2].to_dict()["kind"] == "added" and listed[2].created.endswith("+00:00")


def test_the_same_headline_with_another_teaser_is_another_text(feedback_location):
    with open_store(feedback_location) as store:
        store.add([_correction(teaser="a"), _correction(teaser="b")])
        assert len(list(store.current())) == 2


def test_pages_follow_the_ids_and_the_time(feedback_location):
    with open_store(feedback_location) as store:
        ids = store.add(
            [_correction(headline=f"h{n}", created=f"2026-01-0{n}T00:00:00+00:00") for n in range(1, 6)]
        )
        assert [c.id for c in store.page(limit=2)] == ids[:2]
        assert [c.id for c in store.page(after=ids[1], limit=2)] == ids[2:4]
        assert [c.id for c in store.page(since="2026-01-04")] == ids[3:]
        with pytest.raises(ValueError, match="limit"):
            store.page(limit=0)


def test_a_batch_is_stored_whole_or_not_at_all(feedback_location):
    with open_store(feedback_location) as store:
        bad = _correction(headline="bad")
        bad.source = "fax"
        with pytest.raises(ValueError, match="unknown source 'fax'"):
            store.add([_correction(), bad])
        assert store.count() == 0


def test_stats_count_labels_kinds_and_each_models_agreement(feedback_location):
    with open_store(feedback_location) as store:
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


def _add_many(location: str, worker: int) -> list[int]:
    ids = []
    with open_store(location) as store:
        for batch in range(20):
            ids += store.add([_correction(headline=f"w{worker} b{batch} n{n}") for n in range(10)])
    return ids


def test_processes_adding_at_once_lose_nothing(feedback_location):
    open_store(feedback_location).close()
    with multiprocessing.get_context("spawn").Pool(3) as pool:
        batches = pool.starmap(_add_many, [(feedback_location, w) for w in range(3)])
    acknowledged = [i for ids in batches for i in ids]
    with open_store(feedback_location) as store:
        assert store.count() == len(acknowledged) == len(set(acknowledged)) == 600
        assert {c.id for c in store.page(limit=1000)} == set(acknowledged)


def _open_at(location: str, moment: float) -> str:
    time.sleep(max(0.0, moment - time.time()))
    try:
        open_store(location).close()
    except FeedbackStoreError as error:
        return str(error)
    return "opened"


def test_processes_opening_a_new_store_at_once_all_open_it(feedback_location):
    # Service workers (or hosts) starting on an empty store: one creates the schema, the others use it.
    with multiprocessing.get_context("fork").Pool(3) as pool:
        moment = time.time() + 0.3  # the workers exist by now: they all open at this instant
        assert pool.starmap(_open_at, [(feedback_location, moment)] * 3) == ["opened"] * 3


def test_processes_racing_to_create_sqlite_files_never_see_locked(tmp_path):
    # Switching a new file to WAL mode fails at once with "locked" for one of two processes
    # that both hold its shared lock; the store must wait that out as it waits for writers.
    with multiprocessing.get_context("fork").Pool(3) as pool:
        for attempt in range(40):
            location, moment = str(tmp_path / f"feedback-{attempt}.db"), time.time() + 0.05
            assert pool.starmap(_open_at, [(location, moment)] * 3) == ["opened"] * 3


def test_the_same_text_corrected_by_several_processes_at_once_leaves_exactly_one_current(feedback_location):
    open_store(feedback_location).close()
    with multiprocessing.get_context("spawn").Pool(3) as pool:
        pool.starmap(_correct_one_text, [(feedback_location, w) for w in range(3)])
    with open_store(feedback_location) as store:
        everything = store.page(limit=1000)
        (current,) = store.current()
    assert len(everything) == 60 and current.id == max(c.id for c in everything)
    # Every older correction names the one that replaced it: the next of its text, by id.
    assert all(c.superseded_by == n.id for c, n in itertools.pairwise(everything))


def _correct_one_text(location: str, worker: int) -> None:
    with open_store(location) as store:
        for n in range(20):
            store.add([_correction(labels=[("finance", "world", "politics")[worker]], item_id=str(n))])


def test_sqlite_a_missing_folder_a_corrupt_file_and_a_newer_schema_are_clear_errors(tmp_path):
    with pytest.raises(FeedbackStoreError, match=r"the folder .*missing.* does not exist"):
        open_store(tmp_path / "missing" / "feedback.db")
    corrupt = tmp_path / "corrupt.db"
    corrupt.write_bytes(b"this is no database at all, just some bytes" * 100)
    with pytest.raises(FeedbackStoreError, match="not a corrections store, or it is corrupt"):
        open_store(corrupt)
    newer = tmp_path / "newer.db"
    sqlite3.connect(newer).execute("PRAGMA user_version = 99").connection.close()
    with pytest.raises(FeedbackStoreError, match=r"newer headline-tagger.*schema 99"):
        open_store(newer)


def test_sqlite_locked_by_another_process_is_a_clear_error_and_keeps_its_data(tmp_path):
    path = tmp_path / "feedback.db"
    with open_store(path) as store:
        store.add([_correction()])
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with open_store(path, timeout=0.2) as store, pytest.raises(FeedbackStoreError, match="locked"):
            store.add([_correction(headline="other")])
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    with open_store(path) as store:
        assert [c.headline for c in store.current()] == ["Rates rise again"]


def test_postgres_a_writer_holding_the_store_too_long_is_a_clear_error_and_keeps_its_data(postgres_url):
    with open_store(postgres_url) as store:
        store.add([_correction()])
        with psycopg.connect(postgres_url) as holder:  # a transaction: the lock is held until it ends
            holder.execute("SELECT pg_advisory_xact_lock(%s)", (_WRITER_LOCK,))
            with (
                open_store(postgres_url, timeout=0.3) as waiting,
                pytest.raises(FeedbackStoreError, match="locked by another process"),
            ):
                waiting.add([_correction(headline="other")])
        assert [c.headline for c in store.current()] == ["Rates rise again"]


def test_postgres_read_only_newer_unreachable_and_foreign_databases_are_clear_errors(
    postgres_server, postgres_url
):
    with open_store(postgres_url) as store:
        store.add([_correction()])
    with psycopg.connect(postgres_server.url(), autocommit=True) as admin:
        database = postgres_url.rsplit("/", 1)[1]
        admin.execute(f'ALTER DATABASE "{database}" SET default_transaction_read_only = on')
    with open_store(postgres_url) as store:  # reading still works
        assert store.count() == 1
        with pytest.raises(FeedbackStoreError, match="read-only"):
            store.add([_correction(headline="other")])
    with psycopg.connect(postgres_url, autocommit=True) as owner:
        owner.execute("SET default_transaction_read_only = off")
        owner.execute("UPDATE headline_tagger_schema SET version = 99")
    with pytest.raises(FeedbackStoreError, match=r"newer headline-tagger.*schema 99"):
        open_store(postgres_url)
    unreachable = f"postgresql://nobody:secret@127.0.0.1:{free_port()}/feedback"
    with pytest.raises(FeedbackStoreError) as refused:
        open_store(unreachable, timeout=1)
    assert "cannot be reached" in str(refused.value) and "secret" not in str(refused.value)
    assert str(refused.value).startswith("postgresql://nobody@127.0.0.1:")


def test_postgres_a_database_with_another_corrections_table_is_refused(postgres_url):
    with psycopg.connect(postgres_url, autocommit=True) as other_app:
        other_app.execute("CREATE TABLE corrections (id serial PRIMARY KEY, note text)")
    with pytest.raises(FeedbackStoreError, match="not a corrections store"):
        open_store(postgres_url)


def test_postgres_store_reconnects_after_the_server_drops_its_connection(postgres_server, postgres_url):
    with open_store(postgres_url) as store:
        store.add([_correction()])
        with psycopg.connect(postgres_server.url(), autocommit=True) as admin:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE application_name = 'headline-tagger'"
            )
        with pytest.raises(FeedbackStoreError, match="cannot be reached"):
            store.count()
        store.add([_correction(headline="after the restart")])
        assert store.count() == 2


def _open_and_add_unprivileged(path: str, results) -> None:
    """In a forked child: drop root (the permission bits do not bind root), then open and add."""
    if os.geteuid() == 0:
        nobody = pwd.getpwnam("nobody")
        os.setgid(nobody.pw_gid)
        os.setuid(nobody.pw_uid)
    try:
        with open_store(path) as store:
            store.add([_correction(headline="other")])
        results.put("stored")
    except FeedbackStoreError as error:
        results.put(str(error))


def test_sqlite_a_read_only_store_is_a_clear_error_and_keeps_its_data():
    folder = Path(tempfile.mkdtemp())  # not pytest's: its folders are private to root
    try:
        path = folder / "feedback.db"
        with open_store(path) as store:
            store.add([_correction()])
        path.chmod(0o444)
        folder.chmod(0o555)
        context = multiprocessing.get_context("fork")
        results = context.Queue()
        child = context.Process(target=_open_and_add_unprivileged, args=(str(path), results))
        child.start()
        outcome = results.get(timeout=30)
        child.join()
        assert outcome == f"{path}: cannot open the corrections store: it is read-only"
        with open_store(path) as store:
            assert [c.headline for c in store.current()] == ["Rates rise again"]
    finally:
        folder.chmod(0o755)
        shutil.rmtree(folder)


def _sample(headline: str, uncertainty: float, model_id: str = "m1") -> ReviewSample:
    return ReviewSample(
        headline, "", model_id, "politics", 0.5, (("politics", 0.5), ("world", 0.4)), uncertainty
    )


def test_review_samples_keep_the_newest_and_list_the_most_uncertain_uncorrected_texts(feedback_location):
    with open_store(feedback_location) as store:
        store.add_samples([_sample(f"h{n}", n / 10) for n in range(6)], keep=4)  # h0 and h1 dropped
        store.add_samples([_sample("h3", 0.05, model_id="m2")], keep=10)  # newer sample of the same text
        store.add([_correction(headline="h5")])  # corrected: no longer needs review
        listed = store.uncertain_samples(limit=10)
        assert [(s.headline, s.uncertainty) for s in listed] == [("h4", 0.4), ("h2", 0.2), ("h3", 0.05)]
        assert listed[0].labels == (("politics", 0.5), ("world", 0.4)) and listed[2].model_id == "m2"
        assert listed[0].to_dict()["id"] == f"sample-{listed[0].id}"
        assert [s.headline for s in store.uncertain_samples(limit=1)] == ["h4"]


def test_a_version_1_store_is_migrated_forward_with_its_corrections(feedback_location):
    with open_store(feedback_location) as store:
        store.add([_correction()])
    # Back to version 1, as an older headline-tagger left it: no samples table.
    if feedback_location.startswith("postgresql://"):
        with psycopg.connect(feedback_location, autocommit=True) as old:
            old.execute("DROP TABLE samples")
            old.execute("UPDATE headline_tagger_schema SET version = 1")
    else:
        with sqlite3.connect(feedback_location, isolation_level=None) as old:
            old.execute("DROP TABLE samples")
            old.execute("PRAGMA user_version = 1")
    with open_store(feedback_location) as store:
        assert [c.headline for c in store.current()] == ["Rates rise again"]
        store.add_samples([_sample("h", 0.9)], keep=10)
        assert [s.headline for s in store.uncertain_samples()] == ["h"]


def test_a_url_that_does_not_parse_never_repeats_its_password():
    with pytest.raises(FeedbackStoreError) as refused:
        open_store("postgresql://tagger:se%zzcret@127.0.0.1/newsroom")
    assert "does not parse" in str(refused.value) and "zzcret" not in str(refused.value)
    assert refused.value.reason == "its URL does not parse"

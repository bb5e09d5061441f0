"""review: the most uncertain rows, spread over topics, without near-duplicates, from a bounded pool."""

import json

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import TAGGING_DATA, tiny_data

from classifier.cli import main
from classifier.inputs.records import Record
from classifier.review import select_for_review, uncertainty

# Words of two topics at once: the tiny model is unsure of these, and calls all but one politics.
AMBIGUOUS = [
    "Senate splits over bond markets",
    "Government passes bill on share prices",
    "Parliament passes bill on interest rates",
    "Coalition cuts pension fund taxes",
    "Government passes bill on bond markets",
]


def _records(headlines, teasers=None, source="archive") -> list[Record]:
    teasers = teasers or [""] * len(headlines)
    return [
        Record(h, t, source=source, line=n)
        for n, (h, t) in enumerate(zip(headlines, teasers, strict=True), start=1)
    ]


def _tiny_records() -> list[Record]:
    tiny = tiny_data()
    return _records(tiny.headlines, tiny.teasers, source="tiny")


def _margins(model, records) -> np.ndarray:
    scores = model.scores([r.headline for r in records], [r.teaser for r in records])
    top_two = np.sort(scores, axis=1)[:, -2:]
    return top_two[:, 1] - top_two[:, 0]


def test_review_picks_the_smallest_margins_over_confident_rows(tiny_model):
    records = _tiny_records() + _records(AMBIGUOUS)
    queue = select_for_review(tiny_model, records, 3, dedupe=False, spread=False)
    margins = _margins(tiny_model, records)
    expected = [records[i].headline for i in np.argsort(margins, kind="stable")[:3]]
    assert [row["headline"] for row in queue.rows] == expected
    assert set(expected) <= set(AMBIGUOUS)


def test_entropy_ranks_a_flat_distribution_over_a_peaked_one(tiny_model):
    scores = np.array([[0.34, 0.33, 0.33], [0.9, 0.05, 0.05], [0.5, 0.5, 0.0]])
    entropy = uncertainty(tiny_model, scores, "entropy", np.random.default_rng(0))
    margin = uncertainty(tiny_model, scores, "margin", np.random.default_rng(0))
    assert entropy.argmax() == 0 and entropy.argmin() == 1
    assert margin.argmax() == 2 and margin.argmin() == 1


def test_review_spreads_the_queue_over_predicted_topics(tiny_model):
    records = _tiny_records() + _records(AMBIGUOUS)
    plain = select_for_review(tiny_model, records, 3, dedupe=False, spread=False)
    spread = select_for_review(tiny_model, records, 3, spread=True)
    assert {row["label"] for row in plain.rows} == {"politics"}
    assert {row["label"] for row in spread.rows} == {"politics", "finance", "sport"}
    assert spread.rows[0]["headline"] == plain.rows[0]["headline"]  # the most uncertain leads


def test_review_drops_near_duplicates_keeping_the_most_uncertain(tiny_model):
    cities = ["Lagos", "Accra", "Nairobi", "Abuja", "Dakar", "Kano"]
    updates = [f"{city}: {AMBIGUOUS[0]}" for city in cities]  # one story, datelined six times
    records = _tiny_records() + _records([*updates, *AMBIGUOUS[1:]])

    def updates_in(queue):
        return sum(row["headline"] in updates for row in queue.rows)

    plain = select_for_review(tiny_model, records, 4, dedupe=False, spread=False)
    queue = select_for_review(tiny_model, records, 4)
    assert updates_in(plain) > 1
    assert updates_in(queue) == 1
    assert queue.duplicates >= 5
    relaxed = select_for_review(tiny_model, records, 4, similarity=1.0)
    assert updates_in(relaxed) > 1


def test_review_pool_stays_bounded_on_a_long_stream(tiny_model):
    stream = (Record(f"{AMBIGUOUS[n % 5]} {n}", source="big", line=n) for n in range(20_000))
    queue = select_for_review(tiny_model, stream, 10, pool_factor=3)
    assert queue.rows_read == 20_000
    assert queue.pool == 30
    assert len(queue.rows) == 10


def test_random_review_is_seeded(tiny_model):
    records = _tiny_records()

    def picked(seed):
        return [r["id"] for r in select_for_review(tiny_model, records, 5, strategy="random", seed=seed).rows]

    assert picked(1) == picked(1)
    assert picked(1) != picked(2)


def test_review_command_writes_n_rows_with_their_fields(tagging_model_dir, tmp_path):
    output = tmp_path / "queue.jsonl"
    arguments = [str(TAGGING_DATA / "archive.jsonl"), "--model", str(tagging_model_dir), "--id-field", "id"]
    result = CliRunner().invoke(
        main, ["review", *arguments, "--max-bad-rows", "5", "--n", "4", "-o", str(output)]
    )
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in output.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 4
    assert list(rows[0]) == ["id", "headline", "teaser", "label", "score", "labels", "abstained"]
    assert {row["id"] for row in rows} <= {"n1", "n2", "n3", "n5", "n6", "n7"}
    assert "read 6 rows" in result.stderr and "picked 4 (margin)" in result.stderr
    to_stdout = CliRunner().invoke(main, ["review", *arguments, "--max-bad-rows", "5", "--n", "4"])
    assert [json.loads(line) for line in to_stdout.stdout.splitlines()] == rows


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["missing.jsonl"], "missing.jsonl: no such file or directory"),
        (["empty.jsonl"], "empty.jsonl"),
        (["archive.jsonl", "--model", "no-model"], "no-model"),
    ],
)
def test_review_bad_input_is_one_line_and_exit_1(tagging_model_dir, tmp_path, arguments, message):
    (tmp_path / "empty.jsonl").touch()
    (tmp_path / "archive.jsonl").write_text('{"headline": "Minister resigns"}\n', encoding="utf-8")
    arguments = [str(tmp_path / arguments[0]), *arguments[1:]]
    result = CliRunner().invoke(main, ["review", "--model", str(tagging_model_dir), *arguments])
    assert result.exit_code == 1, result.output
    assert message in result.output and len(result.output.strip().splitlines()) == 1


def test_word_for_word_repeats_cannot_crowd_the_pool(tiny_model):
    repeats = [AMBIGUOUS[0], AMBIGUOUS[0].upper(), f"  {AMBIGUOUS[0]} "] * 20
    records = _records([*repeats, *AMBIGUOUS[1:]]) + _tiny_records()
    queue = select_for_review(tiny_model, records, 3, pool_factor=1)
    assert len(queue.rows) == 3
    assert sum(row["headline"].strip().casefold() == AMBIGUOUS[0].casefold() for row in queue.rows) == 1
    assert queue.duplicates == 59


def test_multilabel_margin_is_the_distance_to_the_nearest_threshold(tiny_multilabel_model):
    thresholds = tiny_multilabel_model.thresholds
    near = np.clip(thresholds + np.array([0.02, -0.6, -0.6][: len(thresholds)]), 0, 1)
    far = np.clip(thresholds + 0.45 * np.where(thresholds < 0.5, 1, -1), 0, 1)
    values = uncertainty(tiny_multilabel_model, np.vstack([far, near]), "margin", np.random.default_rng(0))
    assert values[1] > values[0]
    assert values[1] == pytest.approx(0.98)


def test_review_command_spreads_only_with_spread(tagging_model_dir, tmp_path):
    archive = tmp_path / "archive.jsonl"
    rows = [*AMBIGUOUS, "Striker scores twice as club wins the cup final", "Central bank raises rates"]
    archive.write_text("".join(json.dumps({"headline": h}) + "\n" for h in rows), encoding="utf-8")
    arguments = ["review", str(archive), "--model", str(tagging_model_dir), "--n", "3"]
    spread, plain = (CliRunner().invoke(main, [*arguments, *extra]) for extra in (["--spread"], []))
    assert spread.exit_code == plain.exit_code == 0, spread.output + plain.output
    labels = [
        {json.loads(line)["label"] for line in result.stdout.splitlines()} for result in (spread, plain)
    ]
    assert labels == [{"politics", "finance", "sport"}, {"politics"}]

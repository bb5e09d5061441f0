"""The readers on the real datasets in ../shared/data give the counts its README publishes.

Skipped as a whole where that folder is absent (it is never part of the repository).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from classifier.inputs.presets import read_preset
from classifier.inputs.readers import read_records
from classifier.inputs.records import BadRowLimit, ReadOptions, ReadReport

SHARED = Path(__file__).parents[1].parent / "shared" / "data"

pytestmark = [
    pytest.mark.shared_data,
    pytest.mark.skipif(not SHARED.is_dir(), reason=f"{SHARED} is absent"),
]


def label_counts(records) -> Counter:
    """How many records carry each label."""
    return Counter(label for record in records for label in record.labels)


def test_huffpost():
    report = ReadReport(limit=BadRowLimit.parse("0"))
    records = list(read_preset("huffpost", SHARED / "huffpost" / "news_category_2018_2019.jsonl.gz", report))
    assert (len(records), report.bad) == (7938, 0)
    assert Counter(record.date[:4] for record in records) == {"2018": 5933, "2019": 2005}
    assert len(label_counts(records)) == 29


def test_agnews():
    report = ReadReport(limit=BadRowLimit.parse("0"))
    records = list(read_preset("agnews", SHARED / "ag_news", report))
    assert len(records) == 7600
    assert label_counts(records) == {"World": 1900, "Sports": 1900, "Business": 1900, "Sci/Tech": 1900}
    assert not any(" #39;" in r.headline + r.teaser or "&lt;" in r.headline + r.teaser for r in records)


def test_bbc():
    report = ReadReport(limit=BadRowLimit.parse("0"))
    records = list(read_preset("bbc", SHARED / "bbc", report))
    assert label_counts(records) == {
        "business": 510,
        "entertainment": 386,
        "politics": 417,
        "sport": 511,
        "tech": 401,
    }
    assert any(record.id == "sport/199.txt" for record in records)  # the Latin-1 file


@pytest.mark.parametrize(
    ("split", "in_split", "with_topics", "untitled", "untitled_with_topics"),
    # Published: ModApte train 9,603 (7,775 with a topic), test 3,299 (3,019). Measured here:
    # documents without TITLE (TEXT TYPE="UNPROC") in the split, and how many of them have topics.
    [("train", 9603, 7775, 54, 47), ("test", 3299, 3019, 14, 14)],
)
def test_reuters_modapte(split, in_split, with_topics, untitled, untitled_with_topics):
    report = ReadReport(limit=BadRowLimit.parse("0"))
    records = list(read_preset("reuters", SHARED / "reuters21578", report, split=split))
    assert report.skipped["no TITLE"] == untitled
    assert len(records) == in_split - untitled
    assert sum(1 for record in records if record.labels) == with_topics - untitled_with_topics
    assert report.skipped[f"not in ModApte {split} split"] == 21578 - in_split
    assert all(record.headline and record.date for record in records)


def test_nyt():
    report = ReadReport(limit=BadRowLimit.parse("0"))
    records = list(read_preset("nyt", SHARED / "nyt_articles_2017_2018", report))
    assert report.skipped["headline is the placeholder 'Unknown'"] == 732
    assert len(records) == 9335 - 732
    assert label_counts(records)["Climate"] > 0
    assert all(record.teaser for record in records)


def test_inshorts_with_generic_csv_options():
    options = ReadOptions(
        headline_field="news_headline", teaser_field="news_article", label_field="news_category"
    )
    report = ReadReport(limit=BadRowLimit.parse("0"))
    records = list(read_records(SHARED / "inshorts_news", options, report))
    assert len(records) == 10557
    assert len(label_counts(records)) == 7


@pytest.mark.parametrize(("name", "rows", "untitled"), [("train.csv", 4686, 1), ("test.csv", 828, 0)])
def test_arise_with_generic_csv_options(name, rows, untitled):
    options = ReadOptions(headline_field="Title", teaser_field="Excerpt", label_field="Category")
    report = ReadReport(limit=BadRowLimit.parse("1%"))
    records = list(read_records(SHARED / "arise_tv_news" / name, options, report))
    # Measured: one train row has an empty Title, and is rejected as missing its headline.
    assert (len(records), report.bad_reasons["missing headline"], report.bad) == (
        rows - untitled,
        untitled,
        untitled,
    )
    assert set(label_counts(records)) == {"health", "business", "politics", "entertainment", "sports", "tech"}


def test_the_inshorts_preset_counts_each_story_once_per_category():
    report = ReadReport(limit=BadRowLimit.parse("0"))
    records = list(read_preset("inshorts", SHARED / "inshorts_news", report))
    # Measured: the data README's 4,612 unique (headline, summary) pairs, 216 of them filed under
    # more than one category, make 4,768 (pair, category) rows.
    assert (len(records), sum(report.skipped.values())) == (4768, 10557 - 4768)
    assert label_counts(records)["automobile"] == 170


def test_the_arise_preset_skips_the_exact_repeats_of_the_train_file():
    report = ReadReport(limit=BadRowLimit.parse("1%"))
    train = list(read_preset("arise", SHARED / "arise_tv_news", report, split="train"))
    # Measured: the data README's 7 exact duplicates, and one more pair equal once white space is
    # collapsed; the one untitled row is rejected.
    assert (len(train), report.bad, sum(report.skipped.values())) == (4686 - 1 - 8, 1, 8)


def test_cnbc_empty_rows_are_rejected_as_missing_headlines():
    options = ReadOptions(headline_field="Headlines", teaser_field="Description", label_field=None)
    report = ReadReport(limit=BadRowLimit.parse("10%"))
    records = list(read_records(SHARED / "financial_news_headlines" / "cnbc_headlines.csv", options, report))
    assert (len(records), report.bad, report.bad_reasons["missing headline"]) == (2800, 280, 280)
    assert all(record.teaser for record in records)


def test_guardian_without_teaser_or_label():
    options = ReadOptions(headline_field="Headlines", teaser_field=None, label_field=None, date_field="Time")
    report = ReadReport(limit=BadRowLimit.parse("0"))
    records = list(
        read_records(SHARED / "financial_news_headlines" / "guardian_headlines.csv", options, report)
    )
    assert len(records) == 17800
    assert not any("\n" in record.headline for record in records)

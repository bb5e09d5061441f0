"""The dataset presets, each on a tiny hand-written file in its published format."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import pytest

from classifier.errors import DataError
from classifier.inputs.presets import PRESETS, read_preset
from classifier.inputs.records import BadRowLimit, ReadReport, Record
from classifier.inputs.reuters import first_sentence
from classifier.inputs.sources import DataSource, parse_data_argument

DATA = Path(__file__).parent / "data" / "presets"


def read(name: str, path: Path, report: ReadReport | None = None, **options) -> list[Record]:
    """All records of ``path`` read with the preset ``name``."""
    return list(read_preset(name, path, report if report is not None else ReadReport(), **options))


# --- HuffPost -----------------------------------------------------------------------------------


def test_huffpost_maps_its_fields():
    records = read("huffpost", DATA / "huffpost" / "news.jsonl")
    assert [(r.headline, r.teaser, r.labels, r.date) for r in records] == [
        (
            "Town Hall Roof Repaired Before Winter",
            "Crews finished the work a week early.",
            ("U.S. NEWS",),
            "2019-11-30",
        ),
        ("River Otters Return To The Valley", "", ("ENVIRONMENT",), "2019-11-29"),
        ("Comedian Starts A Podcast", 'The first guest is "a surprise."', ("COMEDY",), "2018-03-01"),
    ]
    assert records[0].id == "https://www.example.com/entry/town-hall-roof_n_1"
    assert records[0].fields["authors"] == "A. Writer"


def test_huffpost_reads_a_gzipped_file_and_a_folder(tmp_path):
    packed = tmp_path / "news.jsonl.gz"
    packed.write_bytes(gzip.compress((DATA / "huffpost" / "news.jsonl").read_bytes()))
    assert len(read("huffpost", packed)) == 3
    assert len(read("huffpost", tmp_path)) == 3


# --- AG News ------------------------------------------------------------------------------------


def test_agnews_names_classes_and_cleans_the_crawl_quirks():
    report = ReadReport(limit=BadRowLimit.parse("100%"))
    records = read("agnews", DATA / "agnews" / "test.csv", report)
    assert [(r.labels, r.headline, r.teaser) for r in records] == [
        (("Business",), "Shop owner's profits rise", "Sales grew in the second quarter, the owner said."),
        (("World",), "Talks resume today", 'Envoys met for $5 coffee & talks, "fine" they said.'),
        (("Sports",), 'Keeper saves "two" penalties', "The match ended 1-0 & fans cheered."),
        (("Sci/Tech",), "New chip is 3\u20145 times faster", "A lab says so."),
    ]
    assert records[0].fields == {
        "1": "3",
        "2": "Shop owner #39;s profits rise",
        "3": "Sales grew in the second\\quarter, the owner said.",
    }
    assert [str(row) for row in report.examples] == [
        f"{DATA / 'agnews' / 'test.csv'}:5: unknown class: '7' is not one of 1, 2, 3, 4"
    ]


def test_agnews_reads_the_csv_files_of_its_folder():
    assert len(read("agnews", DATA / "agnews", ReadReport(limit=BadRowLimit.parse("100%")))) == 4


# --- BBC ----------------------------------------------------------------------------------------


def test_bbc_reads_class_folders_and_the_latin1_file():
    records = read("bbc", DATA / "bbc")
    assert [(r.labels, r.id, r.headline, r.teaser) for r in records] == [
        (
            ("business",),
            "business/001.txt",
            "Bakery chain sales climb",
            "A bakery chain said sales rose 5% in the last year.",
        ),
        (("sport",), "sport/199.txt", "Club signs young striker", "The club paid \u00a31m for the striker."),
        (("tech",), "tech/001.txt", "Robots learn to sort post", "Engineers taught robots to sort letters."),
    ]


# --- Reuters-21578 ------------------------------------------------------------------------------


def test_reuters_reads_every_titled_document_and_skips_those_without_title():
    report = ReadReport()
    records = read("reuters", DATA / "reuters", report)
    assert [r.id for r in records] == ["1", "2", "3", "4", "6", "7", "8"]
    assert (report.accepted, report.bad, dict(report.skipped)) == (7, 0, {"no TITLE": 1})


def test_reuters_document_fields():
    first = read("reuters", DATA / "reuters")[0]
    assert first.headline == "<ACME> SEES HIGHER U.S. WHEAT EXPORTS"
    assert (
        first.teaser
        == "Acme Grain Corp. said U.S. wheat exports will rise this season, helped by a weaker dollar."
    )
    assert (first.labels, first.id, first.date, first.line) == (
        ("grain", "wheat"),
        "1",
        "1-MAR-1987 10:00:00.01",
        2,
    )
    assert first.source == str(DATA / "reuters" / "reut2-000.sgm")
    assert (first.fields["LEWISSPLIT"], first.fields["TOPICS"], first.fields["type"]) == (
        "TRAIN",
        "YES",
        "NORMAL",
    )


def test_reuters_full_body_drops_control_characters_and_the_trailer():
    records = {r.id: r for r in read("reuters", DATA / "reuters", body="full")}
    assert records["1"].teaser == (
        "Acme Grain Corp. said U.S. wheat exports will rise this season, helped by a weaker dollar. "
        "It gave no figures. The company said demand from Asia was strong."
    )
    assert records["2"].teaser == "City Bank said it opened a branch in Ohio."
    assert records["6"].teaser == ""


def test_reuters_modapte_train_split_keeps_documents_without_topics():
    report = ReadReport()
    records = read("reuters", DATA / "reuters", report, split="train")
    assert [(r.id, r.labels) for r in records] == [("1", ("grain", "wheat")), ("2", ())]
    assert dict(report.skipped) == {"not in ModApte train split": 5, "no TITLE": 1}


def test_reuters_modapte_test_split_reads_the_latin1_file():
    report = ReadReport()
    records = read("reuters", DATA / "reuters", report, split="test")
    assert [(r.id, r.labels) for r in records] == [("4", ("earn",)), ("7", ("money-fx", "dlr"))]
    assert records[1].teaser == "The Swiss franc firmed against the dollar in Z\u00fcrich, dealers said."
    assert dict(report.skipped) == {"not in ModApte test split": 6}


def test_reuters_reads_one_file_compressed(tmp_path):
    packed = tmp_path / "reut2-001.sgm.gz"
    packed.write_bytes(gzip.compress((DATA / "reuters" / "reut2-001.sgm").read_bytes()))
    assert [r.id for r in read("reuters", packed)] == ["7", "8"]


def test_reuters_rejects_an_unterminated_document(tmp_path):
    text = (DATA / "reuters" / "reut2-001.sgm").read_bytes()
    (tmp_path / "reut2-001.sgm").write_bytes(text[: text.rindex(b"</REUTERS>")])
    report = ReadReport(limit=BadRowLimit.parse("100%"))
    assert [r.id for r in read("reuters", tmp_path, report)] == ["7"]
    assert [(row.line, row.reason) for row in report.examples] == [
        (21, "unterminated document: the file ends before </REUTERS>")
    ]


@pytest.mark.parametrize(
    ("options", "message"),
    [({"split": "dev"}, "unknown Reuters split 'dev'"), ({"body": "lead"}, "unknown Reuters body 'lead'")],
)
def test_reuters_rejects_unknown_options(options, message):
    with pytest.raises(DataError, match=message):
        read_preset("reuters", DATA / "reuters", ReadReport(), **options)


def test_reuters_folder_without_sgm_files_is_a_data_error(tmp_path):
    with pytest.raises(DataError, match=r"has no Reuters-21578 \.sgm files"):
        read_preset("reuters", tmp_path, ReadReport())


def test_an_empty_reuters_file_is_a_data_error(tmp_path):
    (tmp_path / "reut2-000.sgm").write_text('<!DOCTYPE lewis SYSTEM "lewis.dtd">\n')
    with pytest.raises(DataError, match=r"reut2-000\.sgm is empty"):
        read("reuters", tmp_path)


@pytest.mark.parametrize(
    ("text", "sentence"),
    [
        (
            "Mr. Smith met U.S. officials in Feb. 1987. They agreed.",
            "Mr. Smith met U.S. officials in Feb. 1987.",
        ),
        ("Acme Corp. said profit rose. Shares fell.", "Acme Corp. said profit rose."),
        ("Prices rose 1.5 pct in May.\n    The index fell.", "Prices rose 1.5 pct in May."),
        ("Shr 10 cts vs eight cts\n    Net 1.2 mln", "Shr 10 cts vs eight cts"),
        ('He said "we will act." Then he left.', 'He said "we will act."'),
        ("no full stop at all", "no full stop at all"),
    ],
)
def test_first_sentence(text, sentence):
    assert first_sentence(text) == sentence


# --- NYT ----------------------------------------------------------------------------------------


def test_nyt_reads_articles_files_by_column_name_and_skips_unknown_headlines():
    report = ReadReport()
    records = read("nyt", DATA / "nyt", report)
    assert [(r.headline, r.teaser, r.labels, r.id, r.date) for r in records] == [
        (
            "Bridges Get a Second Look",
            "An abstract about bridges.",
            ("Metro",),
            "id001",
            "2017-01-02 10:00:00",
        ),
        (
            "Snow, and Then More Snow",
            "Forecasters expect another storm.",
            ("National",),
            "id002",
            "2017-01-03 11:00:00",
        ),
        ("Sea Ice Hits a Low", "Scientists measured the ice.", ("Climate",), "id101", "2018-01-05 09:00:00"),
    ]
    assert dict(report.skipped) == {"headline is the placeholder 'Unknown'": 1}
    assert (report.accepted, report.bad) == (3, 0)


def test_nyt_reads_one_file():
    assert [r.id for r in read("nyt", DATA / "nyt" / "ArticlesJan2018.csv")] == ["id101"]


def test_nyt_folder_without_articles_files_is_a_data_error(tmp_path):
    shutil.copy(DATA / "nyt" / "CommentsJan2017.csv", tmp_path)
    with pytest.raises(DataError, match="has no csv files matching 'Articles\\*'"):
        read_preset("nyt", tmp_path, ReadReport())


# --- Inshorts and ARISE ---------------------------------------------------------------------------


def test_inshorts_reads_its_files_and_skips_a_story_repeated_in_the_same_category():
    report = ReadReport()
    records = read("inshorts", DATA / "inshorts", report)
    assert [(r.headline, r.labels) for r in records] == [
        ("Rover finds layered rock on crater floor", ("science",)),
        ("Striker signs three-year deal", ("sports",)),
        ("Striker signs three-year deal", ("world",)),  # cross-listed: once per category
        ("Carmaker unveils electric hatchback", ("automobile",)),
    ]
    assert records[0].teaser == 'The rover drilled a "layered" sample, scientists said.'
    assert report.skipped == {"repeats an earlier row (same headline, teaser and label)": 1}


def test_arise_reads_both_files_or_one_split_and_skips_exact_repeats():
    report = ReadReport()
    assert [r.headline for r in read("arise", DATA / "arise", report)] == [
        "Clinic opens in Kano",
        "Senate passes electoral bill",
        "Naira slips against the dollar",
    ]
    assert sum(report.skipped.values()) == 1
    assert [r.labels for r in read("arise", DATA / "arise", split="train")] == [("politics",), ("business",)]
    assert [r.teaser for r in read("arise", DATA / "arise", split="test")] == [
        "The state-run clinic will offer free maternal care."
    ]


# --- the registry and data arguments ------------------------------------------------------------


def test_presets_are_registered():
    assert sorted(PRESETS) == ["agnews", "arise", "bbc", "huffpost", "inshorts", "nyt", "reuters", "starter"]


def test_an_unknown_preset_lists_the_presets():
    with pytest.raises(DataError, match="unknown preset 'guardian'; the presets are huffpost, agnews, bbc"):
        read_preset("guardian", DATA, ReadReport())


def test_a_split_for_a_preset_without_splits_is_a_data_error():
    with pytest.raises(
        DataError, match=r"^preset 'huffpost' has no splits; --split is for reuters and arise$"
    ):
        read_preset("huffpost", DATA / "huffpost", ReadReport(), split="train")


def test_a_missing_preset_path_is_a_data_error(tmp_path):
    for name in PRESETS:
        with pytest.raises(DataError, match="no such file or directory"):
            read_preset(name, tmp_path / "missing", ReadReport())


@pytest.mark.parametrize(
    ("argument", "source"),
    [
        ("huffpost:/x/y.jsonl.gz", DataSource("huffpost", "/x/y.jsonl.gz")),
        ("Reuters:data/reuters21578", DataSource("reuters", "data/reuters21578")),
        ("nyt:a:b.csv", DataSource("nyt", "a:b.csv")),
        ("/x/y.jsonl.gz", DataSource(None, "/x/y.jsonl.gz")),
        ("notes:file.csv", DataSource(None, "notes:file.csv")),
        ("C:\\data\\news.csv", DataSource(None, "C:\\data\\news.csv")),
    ],
)
def test_parse_data_argument(argument, source):
    assert parse_data_argument(argument) == source


def test_a_preset_without_a_path_is_a_data_error():
    with pytest.raises(DataError, match="give a path after 'bbc'"):
        parse_data_argument("bbc:")


def test_a_data_source_prints_as_its_argument():
    assert str(DataSource("bbc", "data/bbc")) == "bbc:data/bbc"
    assert str(DataSource(None, "news.csv")) == "news.csv"

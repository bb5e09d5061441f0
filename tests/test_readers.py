"""The generic readers: every format and compression, bad rows, and bad input files."""

from __future__ import annotations

import bz2
import gzip
import lzma
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import zstandard
from hypothesis import given, settings
from hypothesis import strategies as st

from classifier.errors import DataError, TooManyBadRows
from classifier.inputs.cleaning import collapse_whitespace
from classifier.inputs.readers import read_records
from classifier.inputs.records import BadRow, BadRowLimit, ReadOptions, ReadReport, Record
from classifier.inputs.textio import detect_format, strip_compression

DATA = Path(__file__).parent / "data" / "generic"

COMPRESSORS = {
    ".gz": gzip.compress,
    ".bz2": bz2.compress,
    ".xz": lzma.compress,
    ".zst": zstandard.ZstdCompressor().compress,
}


def read(path, report=None, **options) -> list[Record]:
    """All records of ``path`` read with ``ReadOptions(**options)``."""
    return list(read_records(path, ReadOptions(**options), report if report is not None else ReadReport()))


def compressed_copy(source: Path, folder: Path, suffix: str) -> Path:
    """A copy of ``source`` in ``folder`` compressed by ``suffix``."""
    target = folder / (source.name + suffix)
    target.write_bytes(COMPRESSORS[suffix](source.read_bytes()))
    return target


# --- format detection ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("news.jsonl", "jsonl"),
        ("news.ndjson", "jsonl"),
        ("news.json", "jsonl"),
        ("news.csv", "csv"),
        ("news.tsv", "tsv"),
        ("news.tab", "tsv"),
        ("news.parquet", "parquet"),
        ("news.pq", "parquet"),
        ("news.jsonl.gz", "jsonl"),
        ("NEWS.CSV.ZST", "csv"),
        ("news.tsv.bz2", "tsv"),
        ("news.ndjson.xz", "jsonl"),
    ],
)
def test_detect_format_reads_the_name_after_the_compression_suffix(tmp_path, name, fmt):
    (tmp_path / name).write_bytes(b"")
    assert detect_format(tmp_path / name) == fmt


def test_detect_format_of_folders(tmp_path):
    assert detect_format(DATA / "folder") == "folder"
    assert detect_format(DATA / "many") == "csv"
    (tmp_path / "a.csv").write_text("x")
    (tmp_path / "b.jsonl").write_text("x")
    with pytest.raises(DataError, match="several formats"):
        detect_format(tmp_path)


def test_detect_format_rejects_an_unknown_suffix(tmp_path):
    (tmp_path / "news.xlsx").write_bytes(b"")
    with pytest.raises(DataError, match=r"news\.xlsx: unknown data format"):
        detect_format(tmp_path / "news.xlsx")


def test_strip_compression():
    assert strip_compression("a.jsonl.gz") == ("a.jsonl", ".gz")
    assert strip_compression("a.csv") == ("a.csv", None)


# --- each format --------------------------------------------------------------------------------


def test_jsonl_reads_text_list_and_number_labels_with_ids_dates_and_lines():
    records = read(DATA / "news.jsonl", id_field="id", date_field="date")
    source = str(DATA / "news.jsonl")
    assert records[0] == Record(
        headline="Council approves new cycle lanes",
        teaser="The vote was close.",
        labels=("local",),
        id="a1",
        date="2024-03-01",
        fields=records[0].fields,
        source=source,
        line=1,
    )
    assert records[0].fields["headline"] == "Council  approves\tnew cycle lanes"
    assert (records[1].labels, records[1].teaser, records[1].line) == (
        ("science", "climate"),
        "Satellite data show a faster retreat.",
        3,
    )
    assert (records[2].labels, records[2].teaser, records[2].id, records[2].date) == (("7",), "", "3", None)


def test_csv_with_header_reads_multiline_fields_and_json_list_labels():
    report = ReadReport()
    records = read(DATA / "news.csv", report, id_field="id", date_field="date")
    assert [(r.line, r.id, r.headline, r.teaser, r.labels) for r in records] == [
        (2, "b1", "Harbour reopens after storm", "Ferries run again from Monday.", ("travel",)),
        (4, "b2", "Budget passes first reading", "Opposition abstains.", ("politics", "economy")),
        (5, "b3", "Museum adds a wing", "", ("culture",)),
    ]
    assert records[0].fields == {
        "id": "b1",
        "headline": "Harbour reopens after storm",
        "teaser": "Ferries run again\nfrom Monday.",
        "label": "travel",
        "date": "2024-04-01",
    }
    assert (report.accepted, report.bad) == (3, 0)


def test_tsv_reads_tabs_and_quoted_fields():
    records = read(DATA / "news.tsv", label_delimiter="|")
    assert [(r.headline, r.labels) for r in records] == [
        ("Rain expected at the weekend", ("weather",)),
        ("Quoted, with tab inside", ("weather", "local")),
    ]


def test_csv_without_header_names_columns_by_position():
    records = read(DATA / "noheader.csv", header=False, headline_field="2", teaser_field="3", label_field="1")
    assert [(r.line, r.headline, r.teaser, r.labels) for r in records] == [
        (1, "Runner breaks record", "A new best time.", ("sport",)),
        (2, "Phone maker cuts prices", "Older models are cheaper.", ("tech",)),
    ]
    assert records[0].fields == {"1": "sport", "2": "Runner breaks record", "3": "A new best time."}


def test_label_delimiter_splits_and_drops_empty_labels():
    records = read(DATA / "delimited.csv", label_delimiter="|", teaser_field=None)
    assert [r.labels for r in records] == [("transport", "labour"), ("food", "local")]


def test_unlabelled_reading_ignores_labels():
    records = read(DATA / "news.jsonl", label_field=None)
    assert [r.labels for r in records] == [(), (), ()]


def test_parquet_reads_list_and_number_labels(tmp_path):
    table = pa.table(
        {
            "headline": ["Ferry  timetable changes", "Library extends hours", "Zoo welcomes a panda"],
            "teaser": ["From May.", None, "It arrived by plane."],
            "label": [["travel"], ["culture", "local"], []],
            "id": [10, 11, 12],
        }
    )
    pq.write_table(table, tmp_path / "news.parquet", row_group_size=2)
    records = read(tmp_path / "news.parquet", id_field="id")
    assert [(r.line, r.headline, r.teaser, r.labels, r.id) for r in records] == [
        (1, "Ferry timetable changes", "From May.", ("travel",), "10"),
        (2, "Library extends hours", "", ("culture", "local"), "11"),
        (3, "Zoo welcomes a panda", "It arrived by plane.", (), "12"),
    ]
    pq.write_table(pa.table({"headline": ["A"], "label": [3]}), tmp_path / "numbers.pq")
    assert read(tmp_path / "numbers.pq")[0].labels == ("3",)


def test_folder_labels_by_sub_folder_and_decodes_latin1(tmp_path):
    folder = tmp_path / "folder"
    shutil.copytree(DATA / "folder", folder)
    (folder / "tech" / ".DS_Store").write_bytes(b"\x00\x01")
    report = ReadReport()
    records = read(folder, report)
    assert [(r.labels, r.id, r.line) for r in records] == [
        (("sport",), "sport/001.txt", 1),
        (("tech",), "tech/001.txt", 1),
        (("tech",), "tech/002.txt", 3),
    ]
    assert [(r.headline, r.teaser) for r in records] == [
        ("Club fined £50,000 by league", "The fine follows crowd trouble."),
        ("Chip maker opens a new plant", "The factory will employ four hundred people."),
        ("Robot vacuum learns the stairs", "No blank line before this paragraph."),
    ]
    blank = str(folder / "tech" / "003.txt")
    assert report.examples == [BadRow(blank, 1, "missing headline: the file has no text")]


def test_folder_of_data_files_reads_each_in_name_order():
    records = read(DATA / "many")
    assert [(Path(r.source).name, r.headline) for r in records] == [
        ("part-10.csv", "Second file row"),
        ("part-2.csv", "First file row"),
    ]
    assert [r.headline for r in read(DATA / "many", format="csv")] == ["Second file row", "First file row"]


@pytest.mark.parametrize("suffix", sorted(COMPRESSORS))
@pytest.mark.parametrize("name", ["news.jsonl", "news.csv", "news.tsv"])
def test_every_compression_reads_like_the_plain_file(tmp_path, suffix, name):
    options = {"label_delimiter": "|"}
    plain = [(r.headline, r.teaser, r.labels, r.line) for r in read(DATA / name, **options)]
    packed = read(compressed_copy(DATA / name, tmp_path, suffix), **options)
    assert [(r.headline, r.teaser, r.labels, r.line) for r in packed] == plain


def test_zstd_reads_every_frame_of_a_multi_frame_file(tmp_path):
    compress = zstandard.ZstdCompressor().compress
    lines = (DATA / "news.jsonl").read_bytes().splitlines(keepends=True)
    path = tmp_path / "news.jsonl.zst"
    path.write_bytes(b"".join(compress(line) for line in lines))
    assert len(read(path)) == 3


def test_reading_streams_rows_one_at_a_time(tmp_path):
    path = tmp_path / "news.jsonl"
    path.write_text('{"headline": "First", "label": "a"}\nnot json\n')
    report = ReadReport()
    records = read_records(path, ReadOptions(), report)
    assert next(records).headline == "First"
    assert report.bad == 0
    assert list(records) == []
    assert report.bad == 1


# --- bad rows -----------------------------------------------------------------------------------


def test_bad_json_lines_are_rejected_with_file_line_and_reason():
    report = ReadReport(limit=BadRowLimit.parse("100%"))
    records = read(DATA / "bad.jsonl", report)
    source = str(DATA / "bad.jsonl")
    assert [r.headline for r in records] == ["Good first row", "Good last row"]
    assert [(row.line, row.reason) for row in report.examples] == [
        (2, "malformed JSON: Expecting ',' delimiter at column 41"),
        (3, "not a JSON object: the line holds a JSON array"),
        (4, "missing headline: field 'headline' is absent"),
        (5, "missing headline: field 'headline' is empty"),
        (6, "bad headline: field 'headline' holds int, not text"),
        (7, "missing label: field 'label' is absent"),
        (8, "bad label: field 'label' holds bool, not text or a number"),
    ]
    assert {row.source for row in report.examples} == {source}
    assert (report.accepted, report.bad, report.bad_reasons["missing headline"]) == (2, 7, 2)


def test_bad_csv_rows_are_rejected_with_file_line_and_reason():
    report = ReadReport(limit=BadRowLimit.parse("100%"))
    records = read(DATA / "bad.csv", report)
    assert [r.headline for r in records] == ["Good first row", "Good last row"]
    assert [str(row) for row in report.examples] == [
        f"{DATA / 'bad.csv'}:3: wrong number of columns: expected 3, got 4",
        f"{DATA / 'bad.csv'}:4: missing headline: field 'headline' is empty",
        f"{DATA / 'bad.csv'}:5: missing label: field 'label' is empty",
        f"{DATA / 'bad.csv'}:6: bad label: field 'label' looks like a JSON list but is not: Expecting value",
    ]


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("news.jsonl", b'{"headline": "Good", "label": "a"}\n{"headline": "Caf\xe9 opens", "label": "a"}\n'),
        ("news.csv", b"headline,label\nGood,a\nCaf\xe9 opens,a\n"),
    ],
)
def test_undecodable_bytes_reject_only_their_row(tmp_path, name, content):
    (tmp_path / name).write_bytes(content)
    report = ReadReport(limit=BadRowLimit.parse("100%"))
    assert [r.headline for r in read(tmp_path / name, report)] == ["Good"]
    assert [row.reason.split(":")[0] for row in report.examples] == ["undecodable bytes"]
    assert report.examples[0].line == (2 if name.endswith("jsonl") else 3)


def test_a_fractional_limit_is_checked_after_reading():
    report = ReadReport(limit=BadRowLimit.parse("50%"))
    read(DATA / "bad.jsonl", report)
    with pytest.raises(TooManyBadRows, match="7 of 9 rows rejected"):
        report.check()


def test_an_absolute_limit_stops_reading_at_once():
    report = ReadReport(limit=BadRowLimit.parse("2"))
    with pytest.raises(TooManyBadRows, match="3 of 4 rows rejected"):
        read(DATA / "bad.jsonl", report)


# --- bad input files ----------------------------------------------------------------------------


def test_a_missing_file_is_a_data_error(tmp_path):
    missing = tmp_path / "nope.jsonl"
    with pytest.raises(DataError, match=f"^{re.escape(str(missing))}: no such file or directory$"):
        read_records(missing, ReadOptions(), ReadReport())


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("empty.jsonl", b""),
        ("blank.jsonl", b"\n  \n"),
        ("header-only.csv", b"headline,label\n"),
        ("empty.csv", b""),
        ("empty.jsonl.gz", gzip.compress(b"")),
    ],
)
def test_an_empty_file_is_a_data_error(tmp_path, name, content):
    (tmp_path / name).write_bytes(content)
    with pytest.raises(DataError, match=f"{re.escape(name)} is empty"):
        read(tmp_path / name)


def test_an_empty_folder_is_a_data_error(tmp_path):
    (tmp_path / "sport").mkdir()
    with pytest.raises(DataError, match="is empty"):
        read(tmp_path)


@pytest.mark.parametrize(
    ("suffix", "content"),
    [
        (".gz", b"this is not gzip data"),
        (".gz", gzip.compress(b'{"headline": "x", "label": "a"}\n' * 50)[:40]),
        (".bz2", b"this is not bzip2 data"),
        (".xz", b"this is not xz data"),
        (".zst", b"this is not zstd data"),
    ],
)
def test_a_corrupt_compressed_file_is_a_data_error_naming_it(tmp_path, suffix, content):
    path = tmp_path / f"news.jsonl{suffix}"
    path.write_bytes(content)
    with pytest.raises(DataError, match=rf"news\.jsonl\{suffix}: cannot read"):
        read(path)


def test_an_unknown_headline_column_names_the_columns_that_exist():
    with pytest.raises(DataError, match=r"no headline column 'title'; the columns are 'id', 'headline'"):
        read(DATA / "news.csv", headline_field="title")


def test_an_absent_label_column_is_a_data_error():
    with pytest.raises(DataError, match=r"no label column 'category'"):
        read(DATA / "news.csv", label_field="category")


def test_an_unknown_format_is_a_data_error():
    with pytest.raises(DataError, match="unknown format 'xml'; known formats: jsonl, csv"):
        read(DATA / "news.csv", format="xml")


def test_the_folder_format_needs_a_folder():
    with pytest.raises(DataError, match="needs a folder"):
        read(DATA / "news.csv", format="folder")


def test_a_folder_without_files_of_the_format_is_a_data_error():
    with pytest.raises(DataError, match="has no parquet files"):
        read(DATA / "many", format="parquet")


def test_a_broken_parquet_file_is_a_data_error(tmp_path):
    (tmp_path / "news.parquet").write_bytes(b"PAR1 but not really")
    with pytest.raises(DataError, match=r"news\.parquet: not a readable Parquet file"):
        read(tmp_path / "news.parquet")


def test_a_compressed_parquet_file_is_a_data_error(tmp_path):
    (tmp_path / "news.parquet.gz").write_bytes(gzip.compress(b"PAR1"))
    with pytest.raises(DataError, match="cannot be read compressed"):
        read(tmp_path / "news.parquet.gz")


def test_the_readers_import_neither_flask_nor_click():
    code = (
        "import sys, classifier.inputs.readers, classifier.inputs.presets, classifier.inputs.textio; "
        "print(sorted({'flask', 'click'} & set(sys.modules)))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


# Mostly ASCII, with every kind of white space str.split knows, so both routes of the function run.
_SPACED_TEXT = st.text(
    alphabet=st.sampled_from([*"ab.  ", *"\t\n\r\x0b\x0c\x1c\x1f", "\u00a0", "\u2003", "é"]),
    max_size=40,
)


@given(_SPACED_TEXT)
@settings(max_examples=500, deadline=None)
def test_collapsing_white_space_equals_splitting_and_joining(text):
    assert collapse_whitespace(text) == " ".join(text.split())


def test_every_white_space_character_but_the_space_is_unprintable():
    # What collapse_whitespace's quick route relies on: a printable text has no white space but spaces.
    printable_spaces = [hex(c) for c in range(0x110000) if chr(c).isspace() and chr(c).isprintable()]
    assert printable_spaces == ["0x20"]

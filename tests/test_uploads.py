"""Reading an upload's bytes gives the records reading the same file from disk gives, and the same errors."""

from __future__ import annotations

import pytest

from classifier.errors import DataError
from classifier.inputs.readers import read_records
from classifier.inputs.records import ReadOptions, ReadReport, TooManyBadRows
from classifier.inputs.uploads import TooManyUploadRows, upload_records

UNLABELLED = ReadOptions(label_field=None)
FILES = {
    # A byte-order mark, a quoted field over two lines, a blank line, white space to clean.
    "desk.csv": b'\xef\xbb\xbfheadline,teaser\nStriker scores,"Fans sang,\nloudly."\n\n'
    b"  Bank  raises rates ,\n",
    "desk.tsv": b"headline\tteaser\nStriker scores\tFans sang.\n",
    "desk.jsonl": b'{"headline": "Striker scores", "teaser": "Fans sang."}\n\n'
    b'{"headline": "Bank raises rates"}\n',
}


@pytest.mark.parametrize("name", sorted(FILES))
def test_an_upload_reads_as_the_same_file_on_disk(tmp_path, name):
    path = tmp_path / name
    path.write_bytes(FILES[name])
    from_disk = list(read_records(path, UNLABELLED, ReadReport()))

    uploaded = upload_records(FILES[name], name, UNLABELLED, ReadReport(), max_rows=10)

    assert [(r.headline, r.teaser, r.line, dict(r.fields)) for r in uploaded] == [
        (r.headline, r.teaser, r.line, dict(r.fields)) for r in from_disk
    ]
    assert all(r.source == name for r in uploaded)


def test_the_format_can_be_named_when_the_file_name_does_not_say_it():
    records = upload_records(
        FILES["desk.jsonl"],
        "export",
        ReadOptions(format="jsonl", label_field=None),
        ReadReport(),
        max_rows=10,
    )
    assert [r.headline for r in records] == ["Striker scores", "Bank raises rates"]


def test_rows_over_the_limit_count_rejected_rows_too():
    text = b'{"headline": "a"}\n{"headline": "b"}\nnot json\n'
    with pytest.raises(TooManyUploadRows, match=r"x\.jsonl has more than 2 rows"):
        upload_records(text, "x.jsonl", UNLABELLED, ReadReport(), max_rows=2)
    # Under the row limit, one bad row in three is over the default 1% of bad rows.
    with pytest.raises(TooManyBadRows, match="1 of 3 rows rejected"):
        upload_records(text, "x.jsonl", UNLABELLED, ReadReport(), max_rows=3)


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"", "empty.jsonl", r"empty\.jsonl is empty: it has no rows"),
        (b"headline\n", "header.csv", r"header\.csv is empty: it has no rows"),
        (b"x\n", "rows.parquet", r"rows\.parquet: cannot tell the format from the name"),
        (b"x\n", "rows.jsonl.zst", r"rows\.jsonl\.zst: compressed files cannot be uploaded"),
    ],
)
def test_files_that_cannot_be_read_say_why(data, name, message):
    with pytest.raises(DataError, match=message):
        upload_records(data, name, UNLABELLED, ReadReport(), max_rows=10)

"""Hostile and malformed input never crashes a reader: bad rows are rejected with a reason.

Property-based (hypothesis) over arbitrary bytes in every generic format, plus
hand-picked nasties: deep nesting, NUL bytes, huge fields, unbalanced quotes,
emoji and right-to-left text.
"""

from __future__ import annotations

import gzip
import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from classifier.errors import DataError
from classifier.inputs.formats import jsonl_row
from classifier.inputs.readers import read_records
from classifier.inputs.records import BadRow, BadRowLimit, ReadOptions, ReadReport, Row
from classifier.inputs.textio import has_undecodable

FORMATS = ["jsonl", "csv", "tsv"]


def _read(path: Path, options: ReadOptions | None = None):
    report = ReadReport(limit=BadRowLimit.parse("100%"))
    records = list(read_records(path, options or ReadOptions(), report))
    return records, report


def _assert_clean(records, report):
    assert report.accepted == len(records)
    for record in records:
        assert isinstance(record.headline, str) and record.headline.strip()
        assert not any("\udc80" <= ch <= "\udcff" for ch in record.headline + record.teaser)
    for example in report.examples:
        assert example.line >= 1 and example.reason


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.binary(max_size=2000), fmt=st.sampled_from(FORMATS))
def test_arbitrary_bytes_never_crash_a_reader(data, fmt):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"input.{fmt}"
        path.write_bytes(data)
        try:
            records, report = _read(path)
        except DataError as error:  # empty input, or a header that lacks the headline column
            assert str(path) in str(error)
            return
        _assert_clean(records, report)


@settings(max_examples=100, deadline=None)
@given(
    rows=st.lists(
        st.fixed_dictionaries(
            {
                "headline": st.one_of(st.text(), st.integers(), st.none(), st.lists(st.text())),
                "teaser": st.one_of(st.text(), st.integers(), st.none()),
                "label": st.one_of(st.text(), st.lists(st.text()), st.integers(), st.none(), st.booleans()),
            }
        ),
        min_size=1,
        max_size=20,
    )
)
def test_json_lines_with_wrong_types_are_rejected_not_crashed(rows):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "input.jsonl"
        path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
        records, report = _read(path)
        _assert_clean(records, report)
        assert report.accepted + report.bad == len(rows)


@settings(max_examples=60, deadline=None)
@given(data=st.binary(min_size=1, max_size=500))
def test_a_corrupt_gzip_is_a_clear_error(data):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "input.jsonl.gz"
        path.write_bytes(b"\x1f\x8b\x08\x00" + data)
        try:
            records, report = _read(path)
        except DataError as error:
            assert str(path) in str(error)
        else:
            _assert_clean(records, report)


_JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=8,
)
_JSON_PIECES = st.sampled_from(
    ["{", "}", "[", "]", '"', ":", ",", " ", "\t", "\u3000", "\x1c", "\ufeff", "\\", "\x00", "1", "é", "null"]
)
# What the fast parser (msgspec) refuses or reads its own way: it must still read as json.loads reads it.
_JSON_EDGE_VALUES = st.sampled_from(
    [
        *[
            "NaN",
            "-Infinity",
            "1e400",
            "-1e-400",
            '"\\ud800"',
            '"\\udc00x"',
            '"\\ud83d\\ude00"',
            "-0",
            "1.5E-7",
        ],
        *["123456789012345678901234567890", "1.0", "true", "null", '"\x7f\u2028"', "[]", "{}"],
    ]
)
_EDGE_OBJECTS = st.lists(st.tuples(st.text(max_size=3), _JSON_EDGE_VALUES), max_size=4).map(
    lambda pairs: ("{" + ", ".join(f"{json.dumps(key)}: {value}" for key, value in pairs) + "}").encode()
)
_LINES = st.one_of(
    _JSON_VALUES.map(lambda value: json.dumps(value, ensure_ascii=False).encode()),
    _JSON_VALUES.map(lambda value: json.dumps(value, separators=(",", ":")).encode()),
    st.lists(_JSON_PIECES, max_size=12).map(lambda pieces: "".join(pieces).encode()),
    st.binary(max_size=60),
    _EDGE_OBJECTS,
)


def _expected_row(text: str) -> Row | BadRow | None:
    """What a JSON line means: None when blank, a row for an object, else a bad row with json's reason."""
    if not text.strip():
        return None
    if has_undecodable(text):
        return BadRow("f", 7, "undecodable bytes: the line is not valid UTF-8")
    try:
        value = json.loads(text.rstrip("\r\n"))
    except json.JSONDecodeError as exc:
        return BadRow("f", 7, f"malformed JSON: {exc.msg} at column {exc.colno}")
    return Row("f", 7, value) if isinstance(value, dict) else BadRow("f", 7, "not a JSON object")


@settings(max_examples=400, deadline=None)
@given(line=_LINES, end=st.sampled_from([b"", b"\n", b"\r\n", b"\r"]))
def test_a_json_line_parses_alike_from_bytes_and_from_text(line, end):
    raw = line.replace(b"\n", b"").replace(b"\r", b"") + end
    text = raw.decode("utf-8", "surrogateescape")
    from_text, from_bytes, expected = jsonl_row("f", 7, text), jsonl_row("f", 7, raw), _expected_row(text)
    assert repr(from_bytes) == repr(from_text)
    if isinstance(expected, BadRow) and expected.reason == "not a JSON object":
        assert isinstance(from_text, BadRow) and from_text.reason.startswith("not a JSON object: ")
    else:
        assert repr(from_text) == repr(expected)


def test_deeply_nested_json_is_rejected(tmp_path):
    path = tmp_path / "deep.jsonl"
    path.write_text("[" * 100_000 + "]" * 100_000 + "\n" + '{"headline": "ok", "label": "x"}\n')
    records, report = _read(path)
    assert [r.headline for r in records] == ["ok"]
    assert report.examples[0].reason == "malformed JSON: nested too deeply to parse"


def test_nul_bytes_are_rejected_with_their_line(tmp_path):
    path = tmp_path / "nul.jsonl"
    path.write_bytes(b'{"headline": "a\x00b", "label": "x"}\n\x00\x00\n{"headline": "ok", "label": "y"}\n')
    records, report = _read(path)
    assert [r.headline for r in records] == ["ok"]
    assert [e.line for e in report.examples] == [1, 2]


def test_huge_csv_field_is_rejected_and_the_next_row_still_read(tmp_path):
    path = tmp_path / "big.csv"
    path.write_text('headline,teaser,label\n"' + "a" * 200_000 + '",x,y\nok,x,y\n')
    records, report = _read(path)
    assert [r.headline for r in records] == ["ok"]
    assert "field larger than field limit" in report.examples[0].reason


def test_unbalanced_csv_quote_is_rejected(tmp_path):
    path = tmp_path / "quote.csv"
    path.write_text('headline,teaser,label\n"oops,x,y\nok,x,y\n')
    records, report = _read(path)
    assert records == [] and report.bad == 1
    assert report.examples[0].line == 2


@pytest.mark.parametrize(
    "headline",
    [
        "x" * 10_000,
        "Floods hit Dhaka 🌧️🌊",
        "الانتخابات البرلمانية تبدأ اليوم",
        "בחירות לכנסת",
        "  spaced\tout\n ",
    ],
)
def test_long_emoji_and_right_to_left_headlines_are_kept(tmp_path, headline):
    path = tmp_path / "ok.jsonl"
    path.write_text(json.dumps({"headline": headline, "label": "x"}) + "\n", encoding="utf-8")
    records, _ = _read(path)
    assert records[0].headline == " ".join(headline.split())


def test_gzip_with_a_truncated_tail_keeps_what_it_read_or_fails_clearly(tmp_path):
    path = tmp_path / "cut.jsonl.gz"
    body = "".join(json.dumps({"headline": f"h{i}", "label": "x"}) + "\n" for i in range(2000))
    path.write_bytes(gzip.compress(body.encode())[:-30])
    with pytest.raises(DataError, match=str(path)):
        _read(path)

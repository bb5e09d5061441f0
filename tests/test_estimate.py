"""The row estimate behind the ETAs of reading and ``tag``: cheap facts only, None when unknown."""

import bz2
import gzip
import json

import pyarrow
import pyarrow.parquet

from classifier.inputs.estimate import estimated_rows
from classifier.inputs.records import ReadOptions
from classifier.inputs.sources import DataSource

OPTIONS = ReadOptions(label_field=None)


def _lines(count: int) -> bytes:
    return "".join(json.dumps({"headline": f"Headline number {i}"}) + "\n" for i in range(count)).encode()


def test_a_small_plain_file_is_counted_exactly(tmp_path):
    (tmp_path / "a.jsonl").write_bytes(_lines(250))
    assert estimated_rows([DataSource(None, str(tmp_path / "a.jsonl"))], OPTIONS) == 250


def test_a_large_gzip_file_is_estimated_from_its_recorded_size_and_first_mebibyte(tmp_path):
    path = tmp_path / "a.jsonl.gz"
    path.write_bytes(gzip.compress(_lines(60_000)))  # about 2.4 MB uncompressed: sampled, not counted
    estimate = estimated_rows([DataSource(None, str(path))], OPTIONS)
    assert estimate is not None and abs(estimate - 60_000) < 600


def test_sources_add_up_and_parquet_folders_and_presets_count(tmp_path):
    (tmp_path / "a.jsonl").write_bytes(_lines(10))
    pyarrow.parquet.write_table(pyarrow.table({"headline": ["x"] * 7}), tmp_path / "b.parquet")
    for label, files in (("sport", 2), ("politics", 3)):
        (tmp_path / "bbc" / label).mkdir(parents=True)
        for i in range(files):
            (tmp_path / "bbc" / label / f"{i}.txt").write_text("Title\n\nBody.\n")
    sources = [
        DataSource(None, str(tmp_path / "a.jsonl")),
        DataSource(None, str(tmp_path / "b.parquet")),
        DataSource("bbc", str(tmp_path / "bbc")),
    ]
    assert estimated_rows(sources, OPTIONS) == 10 + 7 + 5


def test_anything_it_cannot_tell_cheaply_makes_the_total_unknown(tmp_path):
    (tmp_path / "a.jsonl").write_bytes(_lines(10))
    (tmp_path / "b.jsonl.bz2").write_bytes(bz2.compress(_lines(10)))
    known = DataSource(None, str(tmp_path / "a.jsonl"))
    assert estimated_rows([known, DataSource(None, str(tmp_path / "b.jsonl.bz2"))], OPTIONS) is None
    assert estimated_rows([known, DataSource(None, str(tmp_path / "missing.jsonl"))], OPTIONS) is None


def test_a_preset_source_is_estimated_in_its_presets_format_and_files(tmp_path):
    (tmp_path / "nyt").mkdir()
    (tmp_path / "nyt" / "ArticlesJan2017.csv").write_text("headline,newDesk\na,b\nc,d\n")
    (tmp_path / "nyt" / "CommentsJan2017.csv").write_text("commentBody\n" + "x\n" * 50)
    assert estimated_rows([DataSource("nyt", str(tmp_path / "nyt"))], OPTIONS) == 3  # the header counts


def test_a_reuters_source_makes_the_total_unknown(tmp_path):
    (tmp_path / "reut2-000.sgm").write_text('<REUTERS NEWID="1">\n<TITLE>A</TITLE>\n</REUTERS>\n')
    assert estimated_rows([DataSource("reuters", str(tmp_path))], OPTIONS) is None

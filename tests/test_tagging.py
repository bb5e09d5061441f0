"""Archive tagging: every input format, every output format, order, rejects, and clear errors."""

from __future__ import annotations

import bz2
import csv
import errno
import gzip
import json
import lzma
import subprocess
from pathlib import Path

import numpy as np
import pyarrow
import pyarrow.parquet
import pytest
import zstandard
from click.testing import CliRunner
from conftest import TAGGING_DATA, tagging_job

from classifier.cli import main
from classifier.errors import DataError, ModelError, OutputError, TooManyBadRows
from classifier.inputs.records import ReadOptions
from classifier.inputs.textio import open_text, strip_compression
from classifier.model.topic_model import LabelScore, Prediction
from classifier.tagging.job import tag_archive
from classifier.tagging.outputs import OutputSpec, encode_rows

DATA = TAGGING_DATA
GOOD_IDS = ["n1", "n2", "n3", "n5", "n6", "n7"]


@pytest.fixture
def model_dir(tagging_model_dir):
    return tagging_model_dir


def tag(inputs, output: Path, model_dir: Path, **options):
    """Run a tagging job with the fixtures' field names; ten bad rows are tolerated."""
    return tag_archive(tagging_job(inputs, output, model_dir, **{"max_bad_rows": "10", **options}))


def read_rows(path: Path) -> list[dict]:
    """The rows of a JSON lines (maybe compressed), CSV or Parquet output."""
    if path.is_dir():
        return pyarrow.parquet.read_table(path).to_pylist()
    with open_text(path, newline="") as stream:
        if Path(strip_compression(path.name)[0]).suffix == ".csv":
            return list(csv.DictReader(stream))
        return [json.loads(line) for line in stream]


def expected_predictions(model, headlines, teasers) -> list[dict]:
    return [prediction.to_dict() for prediction in model.predict(headlines, teasers)]


def good_items() -> list[dict]:
    items = [json.loads(line) for line in (DATA / "archive.jsonl").read_text().splitlines() if "{" in line]
    return [item for item in items if item["id"] in GOOD_IDS]


def test_jsonl_output_keeps_every_field_in_input_order_and_adds_the_prediction(
    tmp_path, model_dir, tiny_model
):
    out = tmp_path / "tagged.jsonl"
    summary = tag([DATA / "archive.jsonl"], out, model_dir)
    rows = read_rows(out)
    items = good_items()
    predictions = expected_predictions(
        tiny_model, [i["headline"] for i in items], [i["teaser"] for i in items]
    )
    assert rows == [{**item, **prediction} for item, prediction in zip(items, predictions, strict=True)]
    assert list(rows[0]) == ["id", "headline", "teaser", "desk", "label", "score", "labels", "abstained"]
    assert out.read_text().splitlines() == [json.dumps(row) for row in rows]  # json.dumps' own spelling
    assert [row["label"] for row in rows] == ["politics", "sport", "finance", "politics", "finance", "sport"]
    assert (summary.rows_read, summary.rows_tagged, summary.rows_rejected) == (8, 6, 2)
    assert summary.labels == {"politics": 2, "sport": 2, "finance": 2}
    assert not Path(f"{out}.partial").exists()


def test_bad_rows_go_to_the_rejects_file_with_file_line_and_reason(tmp_path, model_dir):
    out = tmp_path / "tagged.jsonl"
    summary = tag([DATA / "archive.jsonl"], out, model_dir)
    rejects = [json.loads(line) for line in summary.rejects.read_text().splitlines()]
    assert summary.rejects == tmp_path / "tagged.jsonl.rejects.jsonl"
    assert [(r["file"], r["line"]) for r in rejects] == [
        (str(DATA / "archive.jsonl"), 4),
        (str(DATA / "archive.jsonl"), 5),
    ]
    assert rejects[0]["reason"].startswith("malformed JSON")
    assert rejects[1]["reason"] == "missing headline: field 'headline' is empty"


def _variants(folder: Path) -> dict[str, Path]:
    """The archive in every input format and compression the readers support."""
    text = (DATA / "archive.jsonl").read_bytes()
    table = (DATA / "archive.csv").read_text()
    variants = {
        "archive.jsonl": text,
        "archive.jsonl.gz": gzip.compress(text),
        "archive.jsonl.bz2": bz2.compress(text),
        "archive.jsonl.xz": lzma.compress(text),
        "archive.jsonl.zst": zstandard.ZstdCompressor().compress(text),
        "archive.csv": table.encode(),
        "archive.csv.gz": gzip.compress(table.encode()),
        "archive.tsv": table.replace(",", "\t").encode(),
    }
    paths = {}
    for name, data in variants.items():
        paths[name] = folder / name
        paths[name].write_bytes(data)
    rows = list(csv.DictReader(table.splitlines()))
    paths["archive.parquet"] = folder / "archive.parquet"
    pyarrow.parquet.write_table(pyarrow.Table.from_pylist(rows), paths["archive.parquet"])
    return paths


def test_every_input_format_and_compression_tags_the_same_rows(tmp_path, model_dir):
    (tmp_path / "in").mkdir()
    results = {}
    for name, path in _variants(tmp_path / "in").items():
        out = tmp_path / f"{name}.out.jsonl"
        tag([path], out, model_dir, slim=True)
        results[name] = [(row["id"], row["label"], row["score"]) for row in read_rows(out)]
    reference = results["archive.jsonl"]
    assert [row[0] for row in reference] == GOOD_IDS
    assert all(rows == reference for rows in results.values()), results


def test_output_formats_and_compressions_hold_the_same_predictions(tmp_path, model_dir):
    reference = read_rows(_tagged(tmp_path, model_dir, "ref.jsonl"))
    for name in ("out.jsonl.gz", "out.jsonl.zst", "out.ndjson"):
        assert read_rows(_tagged(tmp_path, model_dir, name)) == reference
    parquet = read_rows(_tagged(tmp_path, model_dir, "out.parquet"))
    assert parquet == reference
    table = read_rows(_tagged(tmp_path, model_dir, "out.csv.gz"))
    assert [row["id"] for row in table] == GOOD_IDS
    first, want = table[0], reference[0]
    assert first["labels"] == "|".join(f"{item['label']}:{item['score']}" for item in want["labels"])
    assert (first["label"], float(first["score"]), first["abstained"]) == (
        want["label"],
        want["score"],
        "false",
    )


def _tagged(tmp_path: Path, model_dir: Path, name: str, **options) -> Path:
    out = tmp_path / name
    tag([DATA / "archive.jsonl"], out, model_dir, **{"chunk_size": 4, **options})
    return out


def test_compressed_output_parts_concatenate_into_one_valid_file(tmp_path, model_dir):
    out = _tagged(tmp_path, model_dir, "out.jsonl.gz")
    assert gzip.decompress(out.read_bytes()).decode().count("\n") == 6  # two gzip members, one stream


def test_parquet_output_is_a_folder_with_one_part_per_chunk(tmp_path, model_dir):
    out = _tagged(tmp_path, model_dir, "out")
    assert sorted(path.name for path in out.iterdir()) == ["part-00000000.parquet", "part-00000001.parquet"]
    schema = pyarrow.parquet.read_schema(out / "part-00000000.parquet")
    assert schema.field("labels").type == pyarrow.list_(
        pyarrow.struct([("label", pyarrow.string()), ("score", pyarrow.float64())])
    )


def test_slim_rows_have_only_the_id_headline_and_prediction(tmp_path, model_dir):
    rows = read_rows(_tagged(tmp_path, model_dir, "slim.jsonl", slim=True))
    assert list(rows[0]) == ["id", "headline", "label", "score", "labels", "abstained"]
    assert rows[0]["id"] == "n1"


def test_slim_rows_without_an_id_field_are_named_by_file_and_line(tmp_path, model_dir):
    out = tmp_path / "slim.jsonl"
    tag([DATA / "archive.jsonl"], out, model_dir, slim=True, options=ReadOptions(label_field=None))
    assert read_rows(out)[-1]["id"] == f"{DATA / 'archive.jsonl'}:8"


def test_an_input_field_named_like_a_prediction_key_is_kept_as_input_field(tmp_path, model_dir):
    source = tmp_path / "labelled.jsonl"
    source.write_text('{"id": "x", "headline": "Senate rejects the bill", "label": "politics", "score": 3}\n')
    rows = read_rows(_run_one(source, tmp_path / "out.jsonl", model_dir))
    assert rows[0]["input_label"] == "politics" and rows[0]["input_score"] == 3
    assert rows[0]["label"] == "politics" and isinstance(rows[0]["score"], float)


def _run_one(source: Path, out: Path, model_dir: Path) -> Path:
    tag([source], out, model_dir)
    return out


def test_two_workers_write_exactly_the_bytes_of_one(tmp_path, model_dir):
    one = _tagged(tmp_path, model_dir, "one.jsonl.gz", chunk_size=2)
    two = tmp_path / "two.jsonl.gz"
    tag([DATA / "archive.jsonl"], two, model_dir, chunk_size=2, workers=2)
    assert two.read_bytes() == one.read_bytes()


def test_globs_and_folders_are_read_in_sorted_order(tmp_path, model_dir):
    folder = tmp_path / "archive"
    folder.mkdir()
    lines = (DATA / "archive.jsonl").read_text().splitlines(keepends=True)
    (folder / "b.jsonl").write_text("".join(lines[:3]))
    (folder / "a.jsonl").write_text("".join(lines[5:]))
    by_glob = [
        row["id"] for row in read_rows(_run_one(folder / "*.jsonl", tmp_path / "glob.jsonl", model_dir))
    ]
    by_folder = [row["id"] for row in read_rows(_run_one(folder, tmp_path / "folder.jsonl", model_dir))]
    assert by_glob == by_folder == ["n5", "n6", "n7", "n1", "n2", "n3"]


def test_too_many_bad_rows_fail_the_run_and_publish_nothing(tmp_path, model_dir):
    out = tmp_path / "tagged.jsonl"
    with pytest.raises(TooManyBadRows, match="2 of 8 rows rejected"):
        tag([DATA / "archive.jsonl"], out, model_dir, max_bad_rows="10%")
    assert not out.exists()


def test_an_empty_input_file_is_a_clear_error_and_leaves_nothing_behind(tmp_path, model_dir):
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    out = tmp_path / "tagged.jsonl"
    with pytest.raises(DataError, match=r"empty\.jsonl is empty"):
        tag([empty], out, model_dir)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["empty.jsonl"]


@pytest.mark.parametrize("missing", ["nowhere.jsonl", "nowhere/*.jsonl"])
def test_a_missing_input_is_a_clear_error(tmp_path, model_dir, missing):
    with pytest.raises(DataError, match="nowhere"):
        tag([tmp_path / missing], tmp_path / "tagged.jsonl", model_dir)
    assert list(tmp_path.iterdir()) == []


def test_an_existing_output_is_only_replaced_with_overwrite(tmp_path, model_dir):
    out = tmp_path / "tagged.jsonl"
    out.write_text("precious\n")
    with pytest.raises(OutputError, match="exists; pass --overwrite"):
        tag([DATA / "archive.jsonl"], out, model_dir)
    assert out.read_text() == "precious\n"
    tag([DATA / "archive.jsonl"], out, model_dir, overwrite=True)
    assert len(read_rows(out)) == 6


def test_an_output_under_a_file_is_a_clear_error_and_the_input_is_untouched(tmp_path, model_dir):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    source = tmp_path / "archive.jsonl"
    source.write_bytes((DATA / "archive.jsonl").read_bytes())
    with pytest.raises(OutputError, match="cannot create the output folder"):
        tag([source], blocker / "tagged.jsonl", model_dir)
    assert source.read_bytes() == (DATA / "archive.jsonl").read_bytes()


@pytest.fixture
def full_disk(tmp_path, monkeypatch):
    """A 64 KiB tmpfs to write to (root can mount one); else fsync fails with ENOSPC, as on a full disk."""
    mount = tmp_path / "small-disk"
    mount.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)], capture_output=True, check=False
    )
    if mounted.returncode != 0:
        import classifier.tagging.store

        real_fsync = classifier.tagging.store.os.fsync
        calls = []

        def fsync(descriptor):
            calls.append(descriptor)
            if len(calls) > 6:
                raise OSError(errno.ENOSPC, "No space left on device")
            real_fsync(descriptor)

        monkeypatch.setattr(classifier.tagging.store.os, "fsync", fsync)
    yield mount
    if mounted.returncode == 0:
        subprocess.run(["umount", str(mount)], check=True)


def test_a_full_disk_is_a_clear_error_and_the_input_is_untouched(tmp_path, model_dir, full_disk):
    source = tmp_path / "big.jsonl"
    item = good_items()[0]
    source.write_text("".join(json.dumps({**item, "id": f"r{n}"}) + "\n" for n in range(3000)))
    before = source.read_bytes()
    with pytest.raises(OutputError, match="No space left on device"):
        tag([source], full_disk / "tagged.jsonl", model_dir, chunk_size=500)
    assert source.read_bytes() == before
    assert not (full_disk / "tagged.jsonl").exists()


def test_the_tag_command_prints_a_summary_and_turns_errors_into_messages(tmp_path, model_dir):
    runner = CliRunner()
    out = tmp_path / "tagged.jsonl"
    args = ["tag", str(DATA / "archive.jsonl"), "--output", str(out), "--model", str(model_dir)]
    result = runner.invoke(main, [*args, "--id-field", "id", "--max-bad-rows", "5", "--workers", "1"])
    assert result.exit_code == 0, result.output
    assert "read 8 rows: 6 tagged, 2 rejected" in result.output
    assert "labels: politics 2  sport 2  finance 2" in result.output
    assert len(read_rows(out)) == 6
    again = runner.invoke(main, [*args, "--workers", "1"])
    assert again.exit_code == 1 and "exists; pass --overwrite" in again.output
    both = runner.invoke(main, [*args, "--resume", "--overwrite"])
    assert both.exit_code == 2 and "exclude each other" in both.output


@pytest.mark.parametrize("workers", [1, 2])
def test_a_tampered_model_is_refused_before_anything_is_written(tmp_path, model_dir, workers):
    tampered = tmp_path / "model"
    tampered.mkdir()
    for file in model_dir.iterdir():
        (tampered / file.name).write_bytes(file.read_bytes())
    with open(tampered / "model.joblib", "ab") as model_file:
        model_file.write(b"\0")
    out = tmp_path / "tagged.jsonl"
    with pytest.raises(ModelError, match="checksum mismatch"):
        tag([DATA / "archive.jsonl"], out, tampered, workers=workers)
    assert not out.exists() and not Path(f"{out}.partial").exists()


def test_chunk_size_changes_the_parts_but_never_a_row(tmp_path, model_dir):
    outputs = [_tagged(tmp_path, model_dir, f"chunks-{size}.jsonl", chunk_size=size) for size in (1, 3, 100)]
    assert outputs[0].read_bytes() == outputs[1].read_bytes() == outputs[2].read_bytes()


@pytest.mark.parametrize(
    "prediction",
    [
        Prediction("politics", 0.8376951234, (LabelScore("politics", 0.8376951234),), False),
        Prediction(None, 0.2, (), True),
        Prediction("world", 1.0, (LabelScore("world", 1.0), LabelScore('a "quoted" ünïcode', 1e-07)), False),
        Prediction("x", np.float64(0.5), (LabelScore("x", np.float64(2 / 3)),), False),
        Prediction("x", 0.5, (LabelScore("y", 0.5),), False),
        Prediction("ünïcode \u2019", 1.23e-05, (LabelScore("ünïcode \u2019", 1.23e-05),), False),
        Prediction("x", 0.5, (LabelScore("x", 0.5),), True),
    ],
)
def test_a_prediction_is_written_as_json_dumps_writes_its_dict(prediction):
    (row,) = encode_rows([{"id": "n1"}], [prediction], OutputSpec("jsonl"), columns=())
    assert row == json.dumps({"id": "n1", **prediction.to_dict()}) + "\n"

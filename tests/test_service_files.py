"""``POST /v1/files``: an uploaded file tagged through the real Flask app, its downloads read back, and
every way a file can be refused."""

from __future__ import annotations

import csv
import io
import json

import pytest
from click.testing import CliRunner
from conftest import problem

from classifier.cli import main
from service import create_app

CSV_TEXT = (
    "ref,title,summary\n"
    "a1,Striker scores twice in the cup final,The derby ended 2-1.\n"
    'a2,"Central bank raises interest rates, again",Shares fell.\n'
    "a3,Parliament passes the budget,\n"
)
JSONL_ROWS = [
    {"headline": "Goalkeeper saves a late penalty", "teaser": "The derby ended level.", "label": "sport"},
    {"headline": "Stocks rally as inflation cools", "desk": "markets"},
    {"headline": "Minister resigns over election scandal"},
]
JSONL_TEXT = "".join(json.dumps(row) + "\n" for row in JSONL_ROWS)
FIELDS = {"headline_field": "title", "teaser_field": "summary", "id_field": "ref"}


@pytest.fixture
def app(service_env, publish, tmp_path):
    publish("tiny-a")
    return create_app({"MODELS_DIR": tmp_path / "models", "FEEDBACK_DB": tmp_path / "feedback.db"})


def _post(client, text: str | bytes, name: str, *, headers=None, **form):
    data = text.encode("utf-8") if isinstance(text, str) else text
    body = {"file": (io.BytesIO(data), name), **form}
    return client.post("/v1/files", data=body, content_type="multipart/form-data", headers=headers or {})


def test_a_csv_upload_is_tagged_row_by_row_with_the_named_fields(app):
    response = _post(app.test_client(), CSV_TEXT, "desk.csv", **FIELDS)
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert (body["model"], body["file"], body["rows"], body["rejected_rows"]) == ("tiny-a", "desk.csv", 3, 0)
    assert [(row["line"], row["id"], row["label"]) for row in body["results"]] == [
        (2, "a1", "sport"),
        (3, "a2", "finance"),
        (4, "a3", "politics"),
    ]
    assert body["results"][1]["headline"] == "Central bank raises interest rates, again"
    assert body["results"][0]["teaser"] == "The derby ended 2-1." and body["results"][2]["teaser"] == ""
    assert body["results"][0]["labels"][0] == {"label": "sport", "score": body["results"][0]["score"]}


def test_downloads_are_the_files_the_tag_command_writes(app, tmp_path):
    source = tmp_path / "desk.jsonl"
    source.write_text(JSONL_TEXT, encoding="utf-8")
    model = tmp_path / "models" / "current"
    client = app.test_client()
    for media, suffix in (("text/csv", "csv"), ("application/x-ndjson", "jsonl")):
        response = _post(client, JSONL_TEXT, "desk.jsonl", headers={"Accept": media})
        assert response.status_code == 200 and response.mimetype == media
        assert response.headers["Content-Disposition"] == (
            f"attachment; filename=\"desk-tagged.{suffix}\"; filename*=UTF-8''desk-tagged.{suffix}"
        )
        written = tmp_path / f"tagged.{suffix}"
        result = CliRunner().invoke(main, ["tag", str(source), "--model", str(model), "-o", str(written)])
        assert result.exit_code == 0, result.output
        assert response.get_data() == written.read_bytes()
    rows = list(
        csv.DictReader(io.StringIO(_post(client, JSONL_TEXT, "d.jsonl", headers={"Accept": "text/csv"}).text))
    )
    # The labelled row keeps its own label beside the model's, as `tag` keeps it.
    assert (rows[0]["headline"], rows[0]["input_label"], rows[0]["label"]) == (
        "Goalkeeper saves a late penalty",
        "sport",
        "sport",
    )
    assert rows[0]["labels"].startswith("sport:")


def test_a_few_bad_rows_are_left_out_and_listed(app):
    good = "".join(json.dumps({"headline": f"Striker scores goal number {n}"}) + "\n" for n in range(150))
    response = _post(app.test_client(), good + "{not json\n", "many.jsonl")
    body = response.get_json()
    assert response.status_code == 200 and (body["rows"], body["rejected_rows"]) == (150, 1)
    assert body["rejected"] == [
        {
            "line": 151,
            "reason": "malformed JSON: Expecting property name enclosed in double quotes at column 2",
        }
    ]


@pytest.mark.parametrize(
    ("text", "name", "form", "status", "detail"),
    [
        (
            CSV_TEXT,
            "desk.csv",
            {},
            422,
            "desk.csv: no headline column 'headline'; the columns are 'ref', 'title', 'summary'",
        ),
        (
            CSV_TEXT,
            "desk.txt",
            {},
            422,
            "desk.txt: cannot tell the format from the name; upload a .csv, .tsv or .jsonl file",
        ),
        (
            CSV_TEXT,
            "desk.csv.gz",
            {},
            422,
            "desk.csv.gz: compressed files cannot be uploaded; upload the plain file",
        ),
        ("", "empty.csv", {}, 422, "empty.csv is empty: it has no rows"),
        (b"\xff\xfeheadline\n\xe9t\xe9\n", "latin.jsonl", {}, 422, "2 of 2 rows rejected (limit 1%)"),
        (
            '{"title": "x"}\n',
            "rows.jsonl",
            {},
            422,
            "rows.jsonl:1: missing headline: field 'headline' is absent",
        ),
        (CSV_TEXT, "desk.csv", {"format": "parquet"}, 422, None),
        (CSV_TEXT, "desk.csv", {"headline_field": "x" * 201}, 422, None),
    ],
)
def test_a_file_that_cannot_be_read_is_a_422_with_the_readers_message(app, text, name, form, status, detail):
    body = problem(_post(app.test_client(), text, name, **form), status)
    if detail is None:
        assert body["errors"][0]["field"] in form
    else:
        assert detail in body["detail"]


def test_limits_of_bytes_and_rows_are_413s_that_say_which(service_env, publish, tmp_path):
    publish("tiny-a")
    config = {"MODELS_DIR": tmp_path / "models", "MAX_UPLOAD_BYTES": 1000, "MAX_UPLOAD_ROWS": 2}
    client = create_app(config).test_client()
    body = problem(_post(client, JSONL_TEXT, "three.jsonl"), 413)
    assert body["detail"] == "three.jsonl has more than 2 rows, the most an upload may have"
    big = "".join(json.dumps({"headline": "Striker scores " * 4}) + "\n" for _ in range(20))
    assert (
        problem(_post(client, big, "big.jsonl"), 413)["detail"]
        == "The upload is over the limit of 1,000 bytes."
    )
    # Two rows fit both limits.
    assert _post(client, "".join(JSONL_TEXT.splitlines(keepends=True)[:2]), "two.jsonl").status_code == 200


def test_the_upload_must_be_a_form_with_a_file(app):
    client = app.test_client()
    assert problem(client.post("/v1/files", json={"headline": "x"}), 415)["detail"].startswith(
        "Send the file"
    )
    body = problem(client.post("/v1/files", data={"format": "csv"}, content_type="multipart/form-data"), 422)
    assert body["errors"][0]["field"] == "file"


def test_uploads_need_an_api_key_when_keys_are_set_and_are_counted_in_the_metrics(
    service_env, publish, tmp_path
):
    publish("tiny-a")
    client = create_app({"MODELS_DIR": tmp_path / "models", "API_KEYS": ("desk:k1",)}).test_client()
    assert problem(_post(client, JSONL_TEXT, "desk.jsonl"), 401)
    response = _post(client, JSONL_TEXT, "desk.jsonl", headers={"Authorization": "Bearer k1"})
    assert response.status_code == 200
    metrics = client.get("/metrics").get_data(as_text=True)
    assert "headline_tagger_items_tagged_total 3.0" in metrics
    assert 'headline_tagger_requests_total{endpoint="/v1/files",method="POST",status="200"} 1.0' in metrics


def test_a_file_named_in_any_script_is_read_by_its_suffix_and_downloaded_under_its_name(app):
    client = app.test_client()
    response = _post(client, JSONL_TEXT, "新闻.jsonl")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert (response.get_json()["file"], response.get_json()["rows"]) == ("新闻.jsonl", 3)
    download = _post(client, JSONL_TEXT, "新闻.jsonl", headers={"Accept": "text/csv"})
    assert download.status_code == 200
    assert download.headers["Content-Disposition"] == (
        "attachment; filename=\"upload-tagged.csv\"; filename*=UTF-8''%E6%96%B0%E9%97%BB-tagged.csv"
    )


def test_a_field_over_the_services_field_limit_is_a_413_naming_its_line(service_env, publish, tmp_path):
    publish("tiny-a")
    app = create_app({"MODELS_DIR": tmp_path / "models", "MAX_FIELD_CHARS": 100})
    text = JSONL_TEXT + json.dumps({"headline": "Minister " * 20}) + "\n"
    response = _post(app.test_client(), text, "long.jsonl")
    assert problem(response, 413)["detail"] == "long.jsonl, line 4: the headline is over 100 characters"

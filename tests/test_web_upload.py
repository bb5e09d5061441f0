"""The tagging page's file upload in headless Chromium against the live service: upload, see the rows,
download them as CSV and JSON lines and read the files back, and see why a bad file is refused.

The run leaves a screenshot in ``tests/artifacts/web_upload.png``.
"""

from __future__ import annotations

import csv
import io
import json

from test_web_page import ARTIFACTS, browser  # noqa: F401 - browser is a fixture; importing skips without chromium

ROWS = [
    {
        "ref": "n1",
        "title": "Record heat scorches southern Europe as wildfires spread",
        "summary": "46C in Sicily.",
    },
    {"ref": "n2", "title": "Central bank holds rates as inflation cools", "summary": ""},
    {"ref": "n3", "title": "<script>window.injected = 1</script> Parliament passes budget", "summary": ""},
    {"ref": "n4", "title": "Striker's late goal sends club into cup final", "summary": "Fans sang."},
]


def _csv(rows) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def _page(browser, live_service):  # noqa: F811
    page = browser.new_page(viewport={"width": 1000, "height": 1000}, accept_downloads=True)
    problems, dialogs = [], []
    page.on("console", lambda message: message.type == "error" and problems.append(message.text))
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("dialog", lambda dialog: dialogs.append(dialog.message))
    page.goto(live_service.url + "/")
    return page, problems, dialogs


def test_a_person_uploads_a_csv_sees_its_rows_and_downloads_them_tagged(browser, live_service):  # noqa: F811
    page, problems, dialogs = _page(browser, live_service)
    assert "10,000 rows and 10 MiB" in page.text_content("#file-section .hint")
    page.set_input_files("#file", files=[{"name": "desk.csv", "mimeType": "text/csv", "buffer": _csv(ROWS)}])
    page.click("#file-section summary")
    page.fill("#headline-field", "title")
    page.fill("#teaser-field", "summary")
    page.fill("#id-field", "ref")
    page.click("#file-button")
    page.wait_for_selector("#file-table tbody tr >> nth=3")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "web_upload.png"), full_page=True)

    cells = [row.locator("td").all_text_contents() for row in page.locator("#file-table tbody tr").all()]
    assert [row[0] for row in cells] == ["2", "3", "4", "5"]
    assert cells[0][1] == ROWS[0]["title"] + ROWS[0]["summary"]
    assert cells[2][1] == ROWS[2]["title"]  # markup shown as text, never run
    assert page.evaluate("window.injected") is None and not dialogs
    assert cells[0][2].split(", ")[0] == "climate" and cells[3][2].split(", ")[0] == "sport"
    assert "4 rows of desk.csv tagged by model" in page.text_content("#file-status")

    with page.expect_download() as caught:
        page.click("#download-csv")
    assert caught.value.suggested_filename == "desk-tagged.csv"
    with open(caught.value.path(), encoding="utf-8", newline="") as stream:
        written = list(csv.DictReader(stream))
    assert [row["ref"] for row in written] == ["n1", "n2", "n3", "n4"]
    assert [row["label"] for row in written] == [row[2].split(", ")[0] for row in cells]
    assert written[0]["summary"] == ROWS[0]["summary"]

    with page.expect_download() as caught:
        page.click("#download-jsonl")
    assert caught.value.suggested_filename == "desk-tagged.jsonl"
    with open(caught.value.path(), encoding="utf-8") as lines:
        tagged = [json.loads(line) for line in lines]
    assert [(row["title"], row["label"]) for row in tagged] == [
        (source["title"], row["label"]) for source, row in zip(ROWS, written, strict=True)
    ]
    assert not problems, problems


def test_a_file_that_cannot_be_read_says_why_on_the_page(browser, live_service):  # noqa: F811
    page, problems, _ = _page(browser, live_service)
    page.set_input_files("#file", files=[{"name": "desk.csv", "mimeType": "text/csv", "buffer": _csv(ROWS)}])
    page.click("#file-button")  # the default field names: this file has no headline column
    page.wait_for_selector("#file-status.error")
    assert page.text_content("#file-status") == (
        "desk.csv: no headline column 'headline'; the columns are 'ref', 'title', 'summary'"
    )
    assert page.locator("#file-results").is_hidden()
    page.set_input_files("#file", files=[{"name": "notes.txt", "mimeType": "text/plain", "buffer": b"x\n"}])
    page.click("#file-button")
    page.locator("#file-status", has_text="notes.txt").wait_for()
    assert "cannot tell the format from the name" in page.text_content("#file-status")
    # Browsers log a failed fetch's status to the console; nothing else may be there.
    assert all("422" in problem for problem in problems), problems

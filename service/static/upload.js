// The tagging page's file upload: send the chosen file to POST /v1/files, show each row's topics in a
// table, and download the tagged rows as CSV or JSON lines (the same file sent again, with an Accept
// header, so the download is exactly what `headline-tagger tag` writes). Text goes in through
// textContent only.
"use strict";

const upload = { file: null, fields: {}, link: null }; // the file last tagged, its field names, the last download

function fileStatus(text, isError) {
  showStatus(document.getElementById("file-status"), text, isError);
}

function uploadRequest(accept) {
  const form = new FormData();
  form.append("file", upload.file);
  for (const [name, value] of Object.entries(upload.fields)) if (value) form.append(name, value);
  // No Content-Type: the browser writes multipart/form-data with its boundary.
  return fetch("/v1/files", { method: "POST", headers: { ...keyHeaders(), Accept: accept }, body: form });
}

// The answer's problem detail as a status line; a 401 shows the API key field.
async function showProblem(response) {
  if (response.status === 401) document.getElementById("key-row").hidden = false;
  const body = await readAnswer(response);
  fileStatus(body.detail || `The service answered ${response.status}.`, true);
}

function fileRow(row) {
  const tr = element("tr");
  const text = element("td");
  text.appendChild(element("span", "", row.headline));
  if (row.teaser) text.appendChild(element("span", "teaser", row.teaser));
  const topics = row.abstained ? "(none: under the model's bar)" : row.labels.map((item) => item.label).join(", ");
  tr.append(element("td", "number", String(row.line)), text, element("td", "", topics), element("td", "number", row.score.toFixed(2)));
  return tr;
}

async function tagFile(event) {
  event.preventDefault();
  const chosen = document.getElementById("file").files;
  if (!chosen.length) return fileStatus("Choose a file first.", true);
  upload.file = chosen[0];
  upload.fields = {
    headline_field: document.getElementById("headline-field").value.trim(),
    teaser_field: document.getElementById("teaser-field").value.trim(),
    id_field: document.getElementById("id-field").value.trim(),
  };
  const results = document.getElementById("file-results");
  const button = document.getElementById("file-button");
  button.disabled = true;
  fileStatus("Tagging…");
  try {
    const response = await uploadRequest("application/json");
    if (!response.ok) {
      results.hidden = true;
      return await showProblem(response);
    }
    const body = await response.json();
    document.querySelector("#file-table tbody").replaceChildren(...body.results.map(fileRow));
    results.hidden = false;
    const rejected = body.rejected.map((row) => `line ${row.line}: ${row.reason}`).join("; ");
    fileStatus(
      `${body.rows.toLocaleString("en")} rows of ${body.file} tagged by model ${body.model}.` +
        (body.rejected_rows ? ` ${body.rejected_rows} rejected (${rejected}).` : ""),
    );
  } catch (error) {
    fileStatus(`The service could not be reached: ${error.message}`, true);
  } finally {
    button.disabled = false;
  }
}

// The file name the service gives the download, from Content-Disposition.
function downloadName(response, fallback) {
  const match = /filename="([^"]+)"/.exec(response.headers.get("Content-Disposition") || "");
  return match ? match[1] : fallback;
}

async function download(accept, suffix) {
  if (!upload.file) return;
  fileStatus("Preparing the download…");
  try {
    const response = await uploadRequest(accept);
    if (!response.ok) return await showProblem(response);
    if (upload.link) URL.revokeObjectURL(upload.link);
    upload.link = URL.createObjectURL(await response.blob());
    const anchor = element("a");
    anchor.href = upload.link;
    anchor.download = downloadName(response, `tagged.${suffix}`);
    document.body.appendChild(anchor);
    anchor.click();
    anchor.remove();
    fileStatus(`Downloaded ${anchor.download}.`);
  } catch (error) {
    fileStatus(`The service could not be reached: ${error.message}`, true);
  }
}

document.addEventListener("DOMContentLoaded", () => {
  document.getElementById("file-form").addEventListener("submit", tagFile);
  document.getElementById("download-csv").addEventListener("click", () => download("text/csv", "csv"));
  document.getElementById("download-jsonl").addEventListener("click", () => download("application/x-ndjson", "jsonl"));
});

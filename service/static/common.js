// What the tagging page and the review page share: building elements, the API key, status lines,
// the served model's topics and saving a correction. Text goes in through textContent only.
"use strict";

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

// The API key's header when the person gave one; none otherwise.
function keyHeaders() {
  const key = document.getElementById("api-key").value.trim();
  return key ? { Authorization: `Bearer ${key}` } : {};
}

// The headers of a JSON request, with the API key when the person gave one.
function apiHeaders() {
  return { "Content-Type": "application/json", ...keyHeaders() };
}

function showStatus(node, text, isError) {
  node.textContent = text;
  node.classList.toggle("error", Boolean(isError));
}

// The served model's topics, in its order; none when they cannot be read (no key yet, say).
async function servedLabels() {
  try {
    const response = await fetch("/v1/labels", { headers: apiHeaders() });
    if (response.status === 401) document.getElementById("key-row").hidden = false;
    if (!response.ok) return [];
    return (await response.json()).labels.map((topic) => topic.label);
  } catch (error) {
    return [];
  }
}

// The answer's JSON; a body that is not JSON (a proxy's error page, gunicorn's own 4xx) as a detail
// that gives the status, so that it is not taken for a network failure.
async function readAnswer(response) {
  try {
    return await response.json();
  } catch (error) {
    return { detail: `the service answered ${response.status}.` };
  }
}

// POST one correction (source web): { ok, id, text } with the text to show, the service's reason when
// it is not saved. A 401 shows the API key field.
async function sendCorrection(correction) {
  const body = JSON.stringify({ ...correction, source: "web" });
  try {
    const response = await fetch("/v1/feedback", { method: "POST", headers: apiHeaders(), body });
    const answer = await readAnswer(response);
    if (!response.ok) {
      if (response.status === 401) document.getElementById("key-row").hidden = false;
      return { ok: false, text: `Not saved: ${answer.detail || `the service answered ${response.status}.`}` };
    }
    const id = answer.ids[0];
    return { ok: true, id, text: `Saved as correction ${id}: ${correction.labels.join(", ")}.` };
  } catch (error) {
    return { ok: false, text: `Not saved: the service could not be reached (${error.message}).` };
  }
}

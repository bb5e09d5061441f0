// The review page: a queue file that `headline-tagger review` wrote is read in the browser (it never
// leaves it but for the corrections saved), or the recent uncertain requests the service kept are
// fetched; then the rows are shown one at a time with the model's guess.
// Keys 1-9 tick a topic, Enter saves the ticked topics through /v1/feedback and moves on, the arrow
// keys move; every control is also a real button or checkbox.
"use strict";

const review = { rows: [], at: 0, labels: [], picks: new Map(), saved: new Map() };

// The rows of a JSON-lines queue, and why each bad line was skipped ("line 4: no headline").
function parseQueue(text) {
  const rows = [], skipped = [];
  text.split("\n").forEach((line, index) => {
    if (!line.trim()) return;
    let row;
    try {
      row = JSON.parse(line);
    } catch (error) {
      return skipped.push(`line ${index + 1}: not JSON`);
    }
    if (!row || typeof row.headline !== "string" || !row.headline.trim()) {
      return skipped.push(`line ${index + 1}: no headline`);
    }
    // `labels` as `predict --json` writes it ([{label, score}]) or as plain names.
    const guess = (Array.isArray(row.labels) ? row.labels : row.label ? [row.label] : [])
      .map((topic) => (typeof topic === "string" ? { label: topic } : topic))
      .filter((topic) => topic && typeof topic.label === "string");
    rows.push({ headline: row.headline, teaser: typeof row.teaser === "string" ? row.teaser : "", id: row.id, guess });
  });
  return { rows, skipped };
}

function ticked(index) {
  if (!review.picks.has(index)) {
    const guessed = review.rows[index].guess.map((topic) => topic.label);
    review.picks.set(index, new Set(guessed.filter((label) => review.labels.includes(label))));
  }
  return review.picks.get(index);
}

function show() {
  const row = review.rows[review.at];
  const picks = ticked(review.at);
  const done = review.saved.size;
  document.getElementById("position").textContent =
    `Headline ${review.at + 1} of ${review.rows.length} · ${done} saved`;
  document.getElementById("headline").textContent = row.headline;
  document.getElementById("teaser").textContent = row.teaser;
  const guess = row.guess.map((topic) => (typeof topic.score === "number" ? `${topic.label} ${topic.score.toFixed(2)}` : topic.label));
  document.getElementById("guess").textContent = `Model's guess: ${guess.join(", ") || "no topic"}`;
  const choices = document.getElementById("choices");
  choices.replaceChildren(...review.labels.map((label, index) => {
    const choice = element("label", "choice");
    const box = document.createElement("input");
    box.type = "checkbox";
    box.value = label;
    box.checked = picks.has(label);
    box.addEventListener("change", () => (box.checked ? picks.add(label) : picks.delete(label)));
    choice.append(box, document.createTextNode(index < 9 ? `${index + 1} ${label}` : label));
    return choice;
  }));
  const saved = review.saved.get(review.at);
  showStatus(document.getElementById("saved"), saved ? saved.text : "");
  document.getElementById("previous").disabled = review.at === 0;
  document.getElementById("next").disabled = review.at === review.rows.length - 1;
}

function move(step) {
  const to = review.at + step;
  if (to < 0 || to >= review.rows.length) return;
  review.at = to;
  show();
}

function toggle(number) {
  const label = review.labels[number - 1];
  if (!label) return;
  const picks = ticked(review.at);
  picks.has(label) ? picks.delete(label) : picks.add(label);
  // The checkbox itself, not the whole row again, so the keyboard focus stays where it was.
  const box = [...document.querySelectorAll("#choices input")].find((input) => input.value === label);
  box.checked = picks.has(label);
}

async function save() {
  // Enter reaches here while a save is on its way too; the disabled button says one is.
  if (document.getElementById("save").disabled) return;
  const index = review.at;
  const row = review.rows[index];
  const labels = review.labels.filter((label) => ticked(index).has(label));
  const status = document.getElementById("saved");
  if (!labels.length) return showStatus(status, "Pick at least one topic.", true);
  const button = document.getElementById("save");
  button.disabled = true;
  showStatus(status, "Saving…");
  const correction = { headline: row.headline, labels };
  if (row.teaser) correction.teaser = row.teaser;
  if (typeof row.id === "string" || Number.isInteger(row.id)) correction.id = row.id;
  const saved = await sendCorrection(correction);
  button.disabled = false;
  if (!saved.ok) return showStatus(status, saved.text, true);
  review.saved.set(index, saved);
  showStatus(document.getElementById("status"), `Headline ${index + 1}: ${saved.text}`);
  if (review.at === index && index < review.rows.length - 1) move(1);
  else show();
}

// Start reviewing `rows` (parsed queue rows) from `origin`, with a note of what was skipped.
async function begin(rows, skipped, origin) {
  const status = document.getElementById("status");
  review.labels = await servedLabels();
  if (!review.labels.length) return showStatus(status, "The service's topics cannot be read; give the API key, then try again.", true);
  if (!rows.length) return showStatus(status, `${origin} holds no headline to review${skipped.length ? ` (${skipped.join("; ")})` : ""}.`, true);
  Object.assign(review, { rows, at: 0, picks: new Map(), saved: new Map() });
  const note = skipped.length ? `; skipped ${skipped.length} bad line${skipped.length === 1 ? "" : "s"} (${skipped.slice(0, 3).join("; ")})` : "";
  showStatus(status, `${rows.length} headline${rows.length === 1 ? "" : "s"} from ${origin}${note}.`, skipped.length > 0);
  document.getElementById("review").hidden = false;
  show();
  document.getElementById("save").focus();
}

async function load(event) {
  const [file] = event.target.files;
  if (!file) return;
  const { rows, skipped } = parseQueue(await file.text());
  await begin(rows, skipped, file.name);
}

// The most uncertain requests the service kept (GET /v1/review/queue), as queue rows.
async function loadRecent() {
  const status = document.getElementById("status");
  try {
    const response = await fetch("/v1/review/queue?limit=200", { headers: apiHeaders() });
    const answer = await readAnswer(response);
    if (response.status === 401) document.getElementById("key-row").hidden = false;
    if (!response.ok) return showStatus(status, `Cannot load them: ${answer.detail || `the service answered ${response.status}.`}`, true);
    if (!answer.sampling && !answer.rows.length) return showStatus(status, "The service keeps no requests for review: its operator has not turned request sampling on.", true);
    const { rows, skipped } = parseQueue(answer.rows.map((row) => JSON.stringify(row)).join("\n"));
    await begin(rows, skipped, "the recent requests");
  } catch (error) {
    showStatus(status, `Cannot load them: the service could not be reached (${error.message}).`, true);
  }
}

// The review keys, except while typing in a text field; Enter on a button is the button's own.
function onKey(event) {
  if (document.getElementById("review").hidden || event.altKey || event.ctrlKey || event.metaKey) return;
  const target = event.target;
  if (target.tagName === "TEXTAREA" || (target.tagName === "INPUT" && target.type !== "checkbox")) return;
  if (/^[1-9]$/.test(event.key)) toggle(Number(event.key));
  else if (event.key === "ArrowRight") move(1);
  else if (event.key === "ArrowLeft") move(-1);
  else if (event.key === "Enter" && target.tagName !== "BUTTON") save();
  else return;
  event.preventDefault();
}

document.addEventListener("DOMContentLoaded", () => {
  document.getElementById("queue").addEventListener("change", load);
  document.getElementById("recent").addEventListener("click", loadRecent);
  document.getElementById("previous").addEventListener("click", () => move(-1));
  document.getElementById("next").addEventListener("click", () => move(1));
  document.getElementById("save").addEventListener("click", save);
  document.addEventListener("keydown", onKey);
});

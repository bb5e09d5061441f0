// The tagging page: read pasted lines, POST them to /v1/tag with explain=true, show topics as bars
// and mark the words that drove the top topic; each card's "Correct" control sends the topics an
// editor picks to /v1/feedback. Every piece of text goes into the page through textContent or
// createTextNode, never innerHTML, so a headline can never become markup.
"use strict";

const page = { model: null, labels: [] }; // the model that tagged the cards, and its topics

const WORD = /^[\p{L}\p{M}\p{N}_]{2,}$/u; // scikit-learn's default token: two or more word characters
const SPLIT = /([\p{L}\p{M}\p{N}_]+)/u;

function parseLines(text) {
  return text.split("\n").map((line) => line.trim()).filter(Boolean).map((line, index) => {
    const tab = line.indexOf("\t");
    const bar = line.indexOf(" | ");
    const cut = tab >= 0 ? tab : bar;
    const width = tab >= 0 ? 1 : 3;
    return cut < 0
      ? { id: index, headline: line }
      : { id: index, headline: line.slice(0, cut).trim(), teaser: line.slice(cut + width).trim() };
  });
}

// Word -> strongest weight, for the words of the n-grams found in one field.
function wordWeights(contributions, fields) {
  const weights = new Map();
  for (const { ngram, field, weight } of contributions) {
    if (!fields.includes(field)) continue;
    for (const word of ngram.split(" ")) weights.set(word, Math.max(weights.get(word) || 0, weight));
  }
  return weights;
}

// The text with each word that drove the topic in a <mark>; the stronger half in a darker one.
function highlighted(tag, className, text, weights, label) {
  const node = element(tag, className);
  const strongest = Math.max(0, ...weights.values());
  for (const part of text.split(SPLIT)) {
    const weight = WORD.test(part) ? weights.get(part.toLowerCase()) : undefined;
    if (weight === undefined) {
      node.appendChild(document.createTextNode(part));
    } else {
      const mark = element("mark", weight >= strongest / 2 ? "strong" : "", part);
      mark.title = `${label} +${weight.toFixed(2)}`;
      node.appendChild(mark);
    }
  }
  return node;
}

// Save the topics ticked in a card's panel, and say how it went under them.
async function saveCorrection(item, panel) {
  // Enter on a topic reaches here while a save is on its way too; the disabled button says one is.
  if (panel.querySelector(".save").disabled) return;
  const status = panel.querySelector(".correction-status");
  const labels = [...panel.querySelectorAll("input:checked")].map((box) => box.value);
  if (!labels.length) return showStatus(status, "Pick at least one topic.", true);
  const button = panel.querySelector(".save");
  button.disabled = true;
  showStatus(status, "Saving…");
  const correction = { headline: item.headline, labels, model: page.model };
  if (item.teaser) correction.teaser = item.teaser;
  const saved = await sendCorrection(correction);
  showStatus(status, saved.text, !saved.ok);
  button.disabled = false;
}

// The "Correct" button and its panel: a checkbox per topic (the model's picks ticked), and Save.
// Checkboxes and buttons are native controls, so Tab, Space and Enter work; Enter on a checkbox saves.
function correctionControl(item, result, index) {
  const wrapper = element("div", "correct");
  const toggle = element("button", "correct-toggle", "Correct");
  toggle.type = "button";
  toggle.setAttribute("aria-expanded", "false");
  const panel = element("fieldset", "correction");
  panel.id = `correction-${index}`;
  panel.hidden = true;
  toggle.setAttribute("aria-controls", panel.id);
  panel.appendChild(element("legend", "", "The right topics for this headline"));
  const picked = new Set(result.labels.map((topic) => topic.label));
  const choices = element("div", "choices");
  for (const label of page.labels) {
    const choice = element("label", "choice");
    const box = document.createElement("input");
    box.type = "checkbox";
    box.value = label;
    box.checked = picked.has(label);
    choice.append(box, document.createTextNode(label));
    choices.appendChild(choice);
  }
  panel.appendChild(choices);
  const save = element("button", "save", "Save correction");
  save.type = "button";
  const status = element("p", "correction-status");
  status.setAttribute("role", "status");
  status.setAttribute("aria-live", "polite");
  panel.append(save, status);
  toggle.addEventListener("click", () => {
    panel.hidden = !panel.hidden;
    toggle.setAttribute("aria-expanded", String(!panel.hidden));
    if (!panel.hidden) panel.querySelector("input").focus();
  });
  save.addEventListener("click", () => saveCorrection(item, panel));
  choices.addEventListener("keydown", (event) => {
    if (event.key === "Enter") {
      event.preventDefault();
      saveCorrection(item, panel);
    }
  });
  wrapper.append(toggle, panel);
  return wrapper;
}

function renderResult(item, result, index) {
  const card = element("li", "result");
  const top = result.label;
  const why = (top && result.explanations && result.explanations[top]) || [];
  card.appendChild(highlighted("p", "headline", item.headline, wordWeights(why, ["headline", "headline+teaser"]), top));
  if (item.teaser) {
    card.appendChild(highlighted("p", "teaser", item.teaser, wordWeights(why, ["teaser", "headline+teaser"]), top));
  }
  if (result.abstained) {
    card.appendChild(element("p", "abstained", `No topic: the best score, ${result.score.toFixed(2)}, is under the model's bar.`));
    if (page.labels.length) card.appendChild(correctionControl(item, result, index));
    return card;
  }
  const topics = element("div", "topics");
  for (const { label, score } of result.labels) {
    const row = element("div", "topic");
    row.appendChild(element("span", "name", label));
    const bar = element("div", "bar");
    const fill = element("div", "fill");
    fill.style.width = `${Math.round(score * 100)}%`;
    bar.appendChild(fill);
    row.appendChild(bar);
    row.appendChild(element("span", "score", score.toFixed(2)));
    topics.appendChild(row);
  }
  card.appendChild(topics);
  const words = why.filter((c) => c.field !== "chars").slice(0, 6);
  if (words.length) {
    card.appendChild(element("p", "why", `Why ${top}: ` + words.map((c) => `${c.ngram} +${c.weight.toFixed(2)}`).join(", ")));
  }
  if (page.labels.length) card.appendChild(correctionControl(item, result, index));
  return card;
}

function setStatus(text, isError) {
  showStatus(document.getElementById("status"), text, isError);
}

async function tag(event) {
  event.preventDefault();
  const items = parseLines(document.getElementById("headlines").value);
  const results = document.getElementById("results");
  if (!items.length) return setStatus("Paste at least one headline.", true);
  const headers = apiHeaders();
  const button = document.getElementById("tag-button");
  button.disabled = true;
  setStatus("Tagging…");
  try {
    const response = await fetch("/v1/tag", {
      method: "POST", headers, body: JSON.stringify({ items, explain: true, top_k: 3 }),
    });
    const body = await response.json();
    if (!response.ok) {
      if (response.status === 401) document.getElementById("key-row").hidden = false;
      return setStatus(body.detail || `The service answered ${response.status}.`, true);
    }
    page.model = body.model;
    page.labels = await servedLabels();
    results.replaceChildren(...body.results.map((result, index) => renderResult(items[index], result, index)));
    setStatus(`${items.length} headline${items.length === 1 ? "" : "s"} tagged by model ${body.model}.`);
  } catch (error) {
    setStatus(`The service could not be reached: ${error.message}`, true);
  } finally {
    button.disabled = false;
  }
}

document.addEventListener("DOMContentLoaded", () => {
  document.getElementById("tag-form").addEventListener("submit", tag);
});

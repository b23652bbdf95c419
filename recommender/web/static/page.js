// The page's behaviour: the API key (this tab only), fetching server-rendered fragments with it,
// the seller's form, copying the buyer email, and the library's filters. Plain JS, no build step.
"use strict";

const KEY = "recommender.apiKey";
const LIBRARY = "recommender.library";
const MAX_PROBLEMS = 10;
const $ = (selector) => document.querySelector(selector);

class PageError extends Error {}

function authHeaders() {
  const key = sessionStorage.getItem(KEY);
  return key ? { Authorization: `Bearer ${key}` } : {};
}

function showError(message) {
  const box = $("#page-error");
  box.textContent = message;
  box.hidden = !message;
}

async function messageOf(response) {
  try {
    const { error } = await response.json();
    const hint = error.details && error.details.hint ? ` ${error.details.hint}` : "";
    return `${error.message}.${hint}`;
  } catch {
    return `The server answered ${response.status}; try again.`;
  }
}

// The URL with the library chosen in the page's address (?library=) or on the key form (keys with several).
function withLibrary(url) {
  const library = new URLSearchParams(window.location.search).get("library") || sessionStorage.getItem(LIBRARY);
  if (!library) return url;
  const full = new URL(url, window.location.origin);
  full.searchParams.set("library", library);
  return full.pathname + full.search;
}

// GET or POST a fragment with the key; on 401 ask for a key again.
async function fetchHtml(url, options = {}) {
  const headers = { ...(options.headers || {}), ...authHeaders() };
  const response = await fetch(withLibrary(url), { ...options, headers });
  if (response.status === 401) {
    sessionStorage.removeItem(KEY);
    askForKey();
    throw new PageError(await messageOf(response));
  }
  if (!response.ok) throw new PageError(await messageOf(response));
  return response.text();
}

async function load(target, url, options) {
  target.setAttribute("aria-busy", "true");
  try {
    target.innerHTML = await fetchHtml(url, options);
    showError("");
    return true;
  } catch (error) {
    showError(error instanceof PageError ? error.message : `Could not reach the server: ${error.message}`);
    return false;
  } finally {
    target.setAttribute("aria-busy", "false");
  }
}

// Move the keyboard focus to a new result's heading and bring it to the top of the screen.
function focusOn(heading) {
  heading.focus({ preventScroll: true });
  heading.scrollIntoView({ block: "start" });
}

function askForKey() {
  $("#key-panel").hidden = false;
  $("#forget-key").hidden = true;
  $("#api-key").focus();
}

function setUpKey(start) {
  const required = document.body.dataset.keysRequired === "true";
  $("#key-form").addEventListener("submit", (event) => {
    event.preventDefault();
    sessionStorage.setItem(KEY, $("#api-key").value.trim());
    const library = $("#library-name").value.trim();
    if (library) sessionStorage.setItem(LIBRARY, library);
    else sessionStorage.removeItem(LIBRARY);
    $("#api-key").value = "";
    $("#key-panel").hidden = true;
    $("#forget-key").hidden = false;
    start();
  });
  $("#forget-key").addEventListener("click", () => {
    sessionStorage.removeItem(KEY);
    sessionStorage.removeItem(LIBRARY);
    window.location.reload();
  });
  if (required && !sessionStorage.getItem(KEY)) {
    askForKey();
  } else {
    $("#forget-key").hidden = !required;
    start();
  }
}

// ---- the seller's page ----

function addProblem() {
  const list = $("#problems");
  const n = list.children.length + 1;
  if (n > MAX_PROBLEMS) return;
  const item = document.createElement("li");
  item.innerHTML = `<label for="problem-${n}">Problem ${n}</label><textarea id="problem-${n}" name="problems" rows="2"></textarea>`;
  list.append(item);
  item.querySelector("textarea").focus();
  $("#add-problem").disabled = n >= MAX_PROBLEMS;
}

function lines(text) {
  return [...new Set(text.split(/[\n,]+/).map((s) => s.trim()).filter(Boolean))];
}

function markSent(ids) {
  const box = $("#already-sent");
  box.value = lines([box.value, ...ids].join("\n")).join("\n");
}

function requestBody(form) {
  const data = new FormData(form);
  const number = (name) => (data.get(name) ? Number(data.get(name)) : null);
  const body = {
    problems: data.getAll("problems").map((p) => p.trim()).filter(Boolean),
    stage: data.get("stage") || null,
    roles: data.getAll("roles"),
    industry: data.get("industry") || null,
    already_sent: lines(data.get("already_sent") || ""),
    max_items: number("max_items") || 5,
    reading_budget_minutes: number("reading_budget_minutes"),
  };
  if (data.get("buyer_only")) body.audience = "buyer";
  return body;
}

async function recommend(event) {
  event.preventDefault();
  const body = requestBody(event.target);
  if (!body.problems.length) {
    showError("Write at least one of the buyer's problems.");
    $("#problem-1").focus();
    return;
  }
  const button = $("#recommend");
  button.disabled = true;
  button.textContent = "Finding the right content…";
  const result = $("#result");
  const done = await load(result, "/ui/recommend", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  button.disabled = false;
  button.textContent = "Recommend";
  if (done) focusOn($("#result-heading"));
}

async function copyNote(button) {
  const text = document.getElementById(button.dataset.copy).value;
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    const area = document.getElementById(button.dataset.copy);
    area.select();
    document.execCommand("copy");
  }
  const ids = JSON.parse(button.closest("[data-sent]").dataset.sent);
  markSent(ids);
  $("#copy-status").textContent = ids.length
    ? `Copied. Marked as sent for your next request: ${ids.join(", ")}.`
    : "Copied. No item in it to mark as sent.";
}

function startSeller() {
  load($("#library-items"), "/ui/sent-options");
}

function setUpSeller() {
  $("#add-problem").addEventListener("click", addProblem);
  $("#ask-form").addEventListener("submit", recommend);
  $("#ask-form").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) $("#ask-form").requestSubmit();
  });
  $("#sent-add").addEventListener("click", () => {
    const pick = $("#sent-pick");
    if (pick.value.trim()) markSent([pick.value.trim()]);
    pick.value = "";
    pick.focus();
  });
  $("#result").addEventListener("click", (event) => {
    const button = event.target.closest("[data-copy]");
    if (button) copyNote(button);
  });
  setUpKey(startSeller);
}

// ---- the library page ----

function filterQuery(offset = 0) {
  const params = new URLSearchParams();
  for (const [name, value] of new FormData($("#library-filters"))) if (value) params.append(name, value);
  params.set("limit", "50");
  params.set("offset", String(offset));
  return params.toString();
}

async function showItems(offset = 0) {
  await load($("#library-items"), `/ui/library/items?${filterQuery(offset)}`);
}

async function showItem(id) {
  if (await load($("#item-detail"), `/ui/library/items/${encodeURIComponent(id)}`)) focusOn($("#detail-heading"));
}

async function showAudit() {
  const section = $("#audit");
  try {
    $("#audit-frame").srcdoc = await fetchHtml("/ui/audit");
    section.hidden = false;
    focusOn($("#audit-heading"));
  } catch (error) {
    showError(error.message);
  }
}

async function startLibrary() {
  if (await load($("#library-filters"), "/ui/library/filters")) showItems();
}

function setUpLibrary() {
  const filters = $("#library-filters");
  filters.addEventListener("submit", (event) => {
    event.preventDefault();
    showItems();
  });
  filters.addEventListener("change", () => showItems());
  filters.addEventListener("click", (event) => {
    if (event.target.id === "open-audit") showAudit();
  });
  $("#library-items").addEventListener("click", (event) => {
    const item = event.target.closest("[data-item]");
    if (item) showItem(item.dataset.item);
    const page = event.target.closest("[data-offset]");
    if (page) showItems(Number(page.dataset.offset));
  });
  setUpKey(startLibrary);
}

document.addEventListener("DOMContentLoaded", () => {
  if (document.body.dataset.page === "seller") setUpSeller();
  if (document.body.dataset.page === "library") setUpLibrary();
});

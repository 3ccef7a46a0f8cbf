// The scope of the next question: documents, level and status, chosen above the question box.
// Each question carries a copy of it, so an answer always says what it was limited to.

import { docs } from "./library.js";
import { $, LEVELS, VALIDITY, bookTitle, docPlace, el, rangeText, standingBadges } from "./util.js";

const EMPTY = { doc_ids: [], level: "", status: "" };
let current = structuredClone(EMPTY);

/** A copy of the scope, for a question to carry. */
export function snapshot() {
  return structuredClone(current);
}

/** Replace the scope (missing fields are unlimited) and show it. */
export function set(next) {
  current = Object.assign(structuredClone(EMPTY), next);
  render();
}

/** The scope as the API's filters, or undefined when nothing is limited. */
export function filters(scope) {
  const f = {};
  if (scope && scope.doc_ids && scope.doc_ids.length) f.doc_ids = scope.doc_ids;
  if (scope && scope.level) f.level = scope.level;
  if (scope && scope.status) f.status = scope.status;
  return Object.keys(f).length ? f : undefined;
}

/** The scope in words (只看正式文件 · 只看省级 · 《…》), or "" for everything. */
export function describe(scope) {
  if (!scope) return "";
  const parts = [];
  if (scope.status === "final") parts.push("只看正式文件");
  else if (VALIDITY[scope.status]) parts.push("只看" + VALIDITY[scope.status]);
  if (scope.level) parts.push("只看" + LEVELS[scope.level]);
  const ids = scope.doc_ids || [];
  if (ids.length === 1) {
    const d = docs.byId.get(ids[0]);
    parts.push(d ? bookTitle(d.title) : "1 份文件");
  } else if (ids.length > 1) {
    parts.push(ids.length + " 份文件");
  }
  return parts.join(" · ");
}

/** Show the scope in its controls (and the document choices from the document list). */
export function render() {
  const ids = current.doc_ids;
  const one = ids.length === 1 && docs.byId.get(ids[0]);
  $("scope-docs-summary").textContent = ids.length === 0 ? "全部文件" : one ? one.title : "已选 " + ids.length + " 份文件";
  $("scope-level").value = current.level;
  $("scope-status").value = current.status;
  const limited = Boolean(filters(current));
  $("scope-clear").hidden = !limited;
  $("scope").classList.toggle("limited", limited);
  const list = $("scope-doc-list");
  list.replaceChildren();
  for (const d of docs.list) {
    const li = el("li");
    const label = el("label", "scope-doc");
    const box = el("input");
    box.type = "checkbox";
    box.value = d.doc_id;
    box.checked = ids.includes(d.doc_id);
    box.addEventListener("change", () => {
      current.doc_ids = [...list.querySelectorAll("input:checked")].map((x) => x.value);
      render();
      list.querySelector('input[value="' + CSS.escape(d.doc_id) + '"]').focus();
    });
    const text = el("span", "scope-doc-text");
    text.append(rangeText("span", "scope-doc-title", d.title));
    const sub = el("span", "scope-doc-meta", docPlace(d));
    sub.append(...standingBadges(d));
    text.append(sub);
    label.append(box, text);
    li.append(label);
    list.append(li);
  }
}

export function init() {
  $("scope-level").addEventListener("change", (ev) => { current.level = ev.target.value; render(); });
  $("scope-status").addEventListener("change", (ev) => { current.status = ev.target.value; render(); });
  $("scope-clear").addEventListener("click", () => {
    set({});
    $("question").focus();
  });
  $("scope-docs-all").addEventListener("click", () => {
    current.doc_ids = [];
    render();
    $("scope-docs").open = false;
    $("scope-docs-summary").focus();
  });
  document.addEventListener("click", (ev) => {
    if (!ev.target.closest("#scope-docs")) $("scope-docs").open = false;
  });
  $("scope-docs").addEventListener("keydown", (ev) => {
    if (ev.key === "Escape" && $("scope-docs").open) {
      ev.stopPropagation();
      $("scope-docs").open = false;
      $("scope-docs-summary").focus();
    }
  });
}

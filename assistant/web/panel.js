// The clause panel (a side panel on wide screens, a bottom sheet on phones) and the
// citation previews shown on hover and focus of a [n] marker.

import { getJSON } from "./api.js";
import {
  $, bookTitle, docMetaNode, docPlace, el, joinPath, rangeText, renderHighlighted, renderQuoted,
  standingBadges, textAfterHeading,
} from "./util.js";

let openChunk = null;
let opener = null; // the control that opened the panel gets the focus back on close

/** Is the panel shown as a sheet over the page (a narrow screen)? */
function isSheet() {
  return window.matchMedia("(max-width: 900px)").matches;
}

export function closePanel() {
  if ($("panel").hidden) return;
  $("panel").hidden = true;
  $("panel-backdrop").hidden = true;
  $("layout").classList.remove("with-panel");
  openChunk = null;
  document.querySelectorAll(".cite.active, .source.active").forEach((b) => b.classList.remove("active"));
  if (opener && opener.isConnected) opener.focus();
  opener = null;
}

function clauseBox(clause, kind, label) {
  const box = el(kind === "current" ? "article" : "button", "ctx " + kind);
  if (kind !== "current") {
    box.type = "button";
    box.addEventListener("click", () => openClause(clause.chunk_id, null, null));
  }
  const head = el("div", "ctx-label");
  const heading = clause.section_path[clause.section_path.length - 1] || clause.label;
  if (kind === "current") {
    head.append(el("span", "nowrap", label)); // the breadcrumb above already names the section
  } else {
    head.append(el("span", "ctx-path", heading));
    head.append(el("span", "nowrap", label));
  }
  box.append(head);
  const text = el("div", "ctx-text");
  // A neighbour's heading is in its label: its text starts after it.
  if (kind !== "current") text.textContent = textAfterHeading(clause, heading);
  box.append(text);
  return { box, text };
}

/** Unit names kept whole on a line (县科技局 never wraps as 县 / 科技局). */
function unitList(units) {
  const span = el("span", "unit-list");
  units.forEach((u, i) => {
    if (i) span.append(document.createTextNode("、"));
    span.append(el("span", "nowrap", u));
  });
  return span;
}

/**
 * Open a clause with its neighbours; from gets the focus back on close. marks says what to
 * highlight: a citation's quotes (the spans of the clause its answer quotes), else the answer's
 * sentences found in the clause, else, for a citation, the whole clause; nothing without marks.
 */
export async function openClause(chunkId, marks, from) {
  openChunk = chunkId;
  if (from) opener = from;
  const panel = $("panel");
  const wasHidden = panel.hidden;
  panel.hidden = false;
  $("panel-backdrop").hidden = !isSheet();
  $("layout").classList.add("with-panel");
  const body = $("panel-body");
  body.replaceChildren(el("p", "panel-empty", "正在载入条款…"));
  let data;
  try {
    data = await getJSON("/api/chunks/" + encodeURIComponent(chunkId));
  } catch (err) {
    body.replaceChildren(el("p", "error-text", "无法载入条款：" + err.message));
    const retry = el("button", "button button-secondary button-small", "重试");
    retry.type = "button";
    retry.addEventListener("click", () => openClause(chunkId, marks, null));
    body.append(retry);
    return;
  }
  if (openChunk !== chunkId) return; // another clause was opened meanwhile
  const { clause, document: doc, previous, next } = data;
  $("panel-title").replaceChildren(...rangeText("span", "", bookTitle(doc.title)).childNodes);
  const meta = $("panel-meta");
  meta.replaceChildren();
  const place = docPlace(doc);
  if (place) meta.append(el("span", "", place));
  const details = docMetaNode("span", "", doc, false);
  if (details.textContent) meta.append(details);
  meta.append(...standingBadges(doc));

  const path = $("panel-path");
  path.replaceChildren();
  for (const part of clause.section_path) path.append(el("li", "", part));

  body.replaceChildren();
  if (previous) body.append(clauseBox(previous, "neighbour", "上一条").box);
  const cur = clauseBox(clause, "current", "引用条款");
  markClause(cur.text, clause.text, marks);
  if (clause.responsible_units && clause.responsible_units.length) {
    const units = el("div", "units");
    units.append(el("strong", "", "责任单位："), unitList(clause.responsible_units));
    if (clause.lead_units && clause.lead_units.length) {
      const lead = el("span", "lead");
      lead.append(el("strong", "", "牵头："), unitList(clause.lead_units));
      units.append(document.createTextNode("　"), lead);
    }
    cur.box.append(units);
  }
  body.append(cur.box);
  if (next) body.append(clauseBox(next, "neighbour", "下一条").box);
  cur.box.scrollIntoView({ block: "nearest" });
  document.querySelectorAll(".tree-item.active").forEach((b) => b.classList.remove("active"));
  document.querySelectorAll('.tree-item[data-chunk="' + CSS.escape(chunkId) + '"]')
    .forEach((b) => b.classList.add("active"));
  // The reader's focus follows what they asked to see (a tree keeps its own focus).
  if (from && !from.closest(".tree")) $("panel-title").focus({ preventScroll: wasHidden });
}

function markClause(container, text, marks) {
  const { quotes = [], sentences = [], cited = false } = marks || {};
  if (renderQuoted(container, text, quotes)) return;
  container.replaceChildren();
  if (renderHighlighted(container, text, sentences)) return;
  container.replaceChildren();
  if (cited) container.append(el("mark", "", text));
  else container.textContent = text;
}

// --- citation previews --------------------------------------------------------------------

let previewFor = null;

/** Show the preview of citation c (with its document summary doc) next to button. */
export function showPreview(button, c, doc) {
  const box = $("cite-preview");
  box.replaceChildren();
  const head = el("div", "preview-head");
  head.append(rangeText("span", "preview-title", bookTitle((doc && doc.title) || c.doc_title)));
  head.append(...standingBadges(doc, c));
  box.append(head);
  const metaParts = [docPlace(doc), doc && doc.issuer].filter(Boolean);
  if (metaParts.length) box.append(el("div", "preview-meta", metaParts.join(" · ")));
  if (c.section_path && c.section_path.length) box.append(el("div", "preview-path", joinPath(c.section_path)));
  const text = String(c.text || "").replace(/\s+/g, " ");
  if (text) box.append(el("div", "preview-text", text.length > 120 ? text.slice(0, 120) + "…" : text));
  box.hidden = false;
  previewFor = button;
  const r = button.getBoundingClientRect();
  const w = Math.min(360, window.innerWidth - 16);
  box.style.width = w + "px";
  const left = Math.max(8, Math.min(r.left + r.width / 2 - w / 2, window.innerWidth - w - 8));
  box.style.left = left + "px";
  const h = box.offsetHeight;
  const below = r.bottom + 8 + h < window.innerHeight;
  box.style.top = (below ? r.bottom + 8 : Math.max(8, r.top - h - 8)) + "px";
}

export function hidePreview(button) {
  if (button && previewFor !== button) return;
  $("cite-preview").hidden = true;
  previewFor = null;
}

/** Wire hover and focus of a citation button to the preview; getInfo() → [citation, doc]. */
export function attachPreview(button, getInfo) {
  const show = () => {
    const info = getInfo();
    if (info) showPreview(button, info[0], info[1]);
  };
  button.setAttribute("aria-describedby", "cite-preview");
  button.addEventListener("mouseenter", show);
  button.addEventListener("focus", show);
  button.addEventListener("mouseleave", () => hidePreview(button));
  button.addEventListener("blur", () => hidePreview(button));
}

export function initPanel() {
  $("panel-close").addEventListener("click", closePanel);
  $("panel-backdrop").addEventListener("click", closePanel);
  document.addEventListener("keydown", (ev) => {
    if (ev.key !== "Escape") return;
    if (!$("cite-preview").hidden) { hidePreview(null); return; }
    if (!$("panel").hidden && !document.querySelector("dialog[open]")) closePanel();
  });
  // Scrolling moves the marker away from its preview (but focusing a marker scrolls it into view).
  $("conversation").addEventListener("scroll", () => {
    if (previewFor && previewFor !== document.activeElement) hidePreview(null);
  }, { passive: true });
  window.addEventListener("resize", () => {
    if (!$("panel").hidden) $("panel-backdrop").hidden = !isSheet();
  });
}

// The 扶持措施 view: the support measures of the indexed documents as a table that filters,
// sorts and exports, each opening its clause in the side panel with its sentence marked; and
// the company self-check, which groups the measures by what a profile decides of their
// conditions. Every value is inserted as text, never as HTML.

import { ApiError, apiFetch, getJSON } from "./api.js";
import { openClause } from "./panel.js";
import { $, el } from "./util.js";

const NOT_STATED = "文件未载明";
const state = { rows: [], apart: [], sort: null, dir: 1, loaded: false };

function query(format) {
  const p = new URLSearchParams();
  const add = (key, id, scale = 1) => {
    const v = $(id).value.trim();
    if (v) p.set(key, scale === 1 ? v : String(Number(v) * scale));
  };
  add("place", "m-place"); add("kind", "m-kind"); add("unit", "m-unit"); add("q", "m-q");
  add("min_yuan", "m-min", 10000); add("max_yuan", "m-max", 10000);
  if (format) p.set("format", format);
  const s = p.toString();
  return "/api/measures" + (s ? "?" + s : "");
}

function figures(m) {
  const parts = m.amounts.map((a) => a.text + (a.basis ? "（" + a.basis + "）" : ""))
    .concat(m.rates.map((r) => r.text + (r.basis ? "（" + r.basis + "）" : "")));
  return parts.length ? parts.join("；") : NOT_STATED;
}

function cell(text, className) {
  const td = el("td", className || "", text || NOT_STATED);
  if (!text) td.classList.add("not-stated");
  return td;
}

function openButton(m) {
  const b = el("button", "button button-secondary button-small", "查看原文");
  b.type = "button";
  b.setAttribute("aria-label", "查看原文：" + m.label);
  b.addEventListener("click", () => openClause(m.chunk_id, { quotes: [m.span], sentences: [m.span.text] }, b));
  return b;
}

function renderRows() {
  const rows = state.rows.slice();
  if (state.sort) {
    const key = state.sort;
    const value = (m) => key === "units" ? (m.units[0] || "") : (m[key] ?? (key === "top_yuan" ? -1 : ""));
    rows.sort((a, b) => {
      const x = value(a), y = value(b);
      return (typeof x === "number" ? x - y : String(x).localeCompare(String(y), "zh-CN")) * state.dir;
    });
  }
  const body = $("m-rows");
  body.replaceChildren();
  for (const m of rows) {
    const tr = el("tr");
    tr.dataset.id = m.id;
    tr.append(cell(m.kind), cell(m.beneficiary), cell(figures(m) === NOT_STATED ? "" : figures(m), "num"),
      cell(m.conditions.join("；")), cell(m.units.join("、")));
    const doc = el("td");
    doc.append(el("span", "m-title", m.title), el("span", "m-status", m.status_label));
    tr.append(doc);
    const open = el("td");
    open.append(openButton(m));
    tr.append(open);
    body.append(tr);
  }
  for (const th of document.querySelectorAll("#m-table th[aria-sort]")) {
    const key = th.querySelector(".sort").dataset.key;
    th.setAttribute("aria-sort", key === state.sort ? (state.dir > 0 ? "ascending" : "descending") : "none");
  }
}

function renderApart() {
  const box = $("m-apart");
  box.hidden = state.apart.length === 0;
  $("m-apart-title").textContent = "出自已失效、已被替代或征求意见稿文件的措施（" + state.apart.length + "项）";
  const list = $("m-apart-list");
  list.replaceChildren();
  for (const m of state.apart) {
    const li = el("li", "", m.kind + "：" + figures(m) + "　" + m.title + "【" + m.status_label + "】 ");
    li.append(openButton(m));
    list.append(li);
  }
}

async function load() {
  $("m-count").textContent = "正在载入…";
  try {
    const data = await getJSON(query());
    state.rows = data.measures;
    state.apart = data.not_current;
    state.loaded = true;
    $("m-count").textContent = "共" + data.count + "项现行措施" +
      (data.not_current_count ? "，另有" + data.not_current_count + "项出自未生效或已失效文件（列在表后）" : "") +
      "（" + data.as_of + "）";
    renderRows();
    renderApart();
  } catch (err) {
    $("m-count").textContent = "无法载入扶持措施：" + (err instanceof ApiError ? err.message : String(err));
  }
}

async function download(format) {
  try {
    const res = await apiFetch(query(format));
    const blob = await res.blob();
    const name = (/filename="([^"]+)"/.exec(res.headers.get("Content-Disposition") || "") || [])[1]
      || "measures." + format;
    const a = el("a");
    a.href = URL.createObjectURL(blob);
    a.download = name;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 1000);
  } catch (err) {
    $("m-count").textContent = "导出失败：" + err.message;
  }
}

function profile() {
  const num = (id, scale = 1) => { const v = $(id).value.trim(); return v === "" ? null : Number(v) * scale; };
  return {
    place: $("p-place").value.trim() || null,
    industries: $("p-industries").value.split(/[\s,，、]+/).filter(Boolean),
    size: $("p-size").value || null,
    revenue_yuan: num("p-revenue", 10000),
    rd_spend_yuan: num("p-rd", 10000),
    rd_ratio: num("p-ratio", 0.01),
    certifications: [...document.querySelectorAll(".p-certs input:checked")].map((c) => c.value),
    founded: $("p-founded").value || null,
  };
}

const MARKS = { met: "✓ 满足", unknown: "？需核实", not_met: "✗ 不满足" };

async function selfCheck(ev) {
  ev.preventDefault();
  const out = $("p-results");
  out.replaceChildren(el("p", "", "正在对照条件…"));
  let data;
  try {
    data = await (await apiFetch("/api/measures/match", {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ profile: profile() }),
    })).json();
  } catch (err) {
    out.replaceChildren(el("p", "error-text", "自查失败：" + err.message));
    $("announcer").textContent = "自查失败：" + err.message;
    return;
  }
  out.replaceChildren();
  for (const group of data.groups) {
    const section = el("section", "match-group match-" + group.key);
    section.append(el("h3", "", group.label + "（" + group.count + "项）"));
    const list = el("ul");
    for (const m of group.measures) {
      const li = el("li", "match-item");
      const head = el("p", "match-head", m.kind + "：" + figures(m));
      head.append(el("span", "m-title", "　" + m.label));
      li.append(head);
      const checks = el("ul", "checks");
      for (const c of m.checks) {
        const item = el("li", "check check-" + c.result, MARKS[c.result] + "　" + c.condition + "　—　" + c.reason);
        checks.append(item);
      }
      li.append(checks, openButton(m));
      list.append(li);
    }
    section.append(list);
    out.append(section);
  }
  // One short sentence for a screen reader (the page's one live region), not the whole list.
  $("announcer").textContent = "自查完成：" + data.groups.map((g) => g.label + g.count + "项").join("，");
}

/** Show the view (the table is loaded the first time). */
export function showMeasures() {
  if (!state.loaded) load();
}

/** Wire the filters, the sort buttons, the exports and the self-check form. */
export function initMeasures() {
  $("m-filters").addEventListener("submit", (ev) => { ev.preventDefault(); load(); });
  for (const b of document.querySelectorAll("#m-table .sort")) {
    b.addEventListener("click", () => {
      if (state.sort === b.dataset.key) state.dir = -state.dir;
      else { state.sort = b.dataset.key; state.dir = b.dataset.key === "top_yuan" ? -1 : 1; }
      renderRows();
    });
  }
  $("m-export-csv").addEventListener("click", () => download("csv"));
  $("m-export-xlsx").addEventListener("click", () => download("xlsx"));
  $("p-form").addEventListener("submit", selfCheck);
}

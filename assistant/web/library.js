// 文件库: the indexed documents with search, each document's clause tree (an ARIA tree with
// one tab stop, moved through with the arrow keys), uploads, and deleting or replacing uploads.

import { apiFetch, getJSON, setFileTypes, setSummary, waitForJob } from "./api.js";
import { openClause } from "./panel.js";
import {
  $, bookTitle, docMetaNode, el, foldDigits, levelBadge, rangeText, standingBadges,
} from "./util.js";

export const docs = { list: [], byId: new Map(), uploads: new Set(), loaded: false, accept: ".txt,.md,.html,.htm,.pdf,.docx" };
let activeDoc = null;
const hooks = { changed: () => {}, askDocument: () => {}, confirm: async () => false };

/** Callbacks: changed() after the list changes, askDocument(doc), confirm(title, text). */
export function setHooks(h) { Object.assign(hooks, h); }

/** Read the document list (and which are uploads) again; throws the ApiError on failure. */
export async function loadDocuments() {
  const data = await getJSON("/api/documents");
  docs.list = data.documents;
  docs.byId = new Map(docs.list.map((d) => [d.doc_id, d]));
  docs.loaded = true;
  try {
    const uploads = await getJSON("/api/uploads");
    docs.uploads = new Set(uploads.doc_ids);
    if (uploads.suffixes && uploads.suffixes.length) {
      // The file types come from the server, which knows which readers it has.
      docs.accept = uploads.suffixes.join(",");
      $("upload-input").accept = docs.accept;
      $("upload-hint").textContent = "支持 " + setFileTypes(uploads.suffixes);
      for (const input of document.querySelectorAll("#replace-input")) input.accept = docs.accept;
    }
  } catch (_) {
    docs.uploads = new Set(); // an older server: no managing of uploads
  }
  const clauses = docs.list.reduce((sum, d) => sum + d.clauses, 0);
  setSummary("已收录 " + docs.list.length + " 份文件 · " + clauses + " 条款");
  renderDocList();
  hooks.changed();
}

function matches(d, query) {
  if (!query) return true;
  // 成府发〔２０２４〕２号 and 成府发〔2024〕2号 are one number: digits are compared folded.
  const hay = foldDigits([d.title, d.issuer, d.doc_number, d.region, d.file_name, d.date]
    .filter(Boolean).join(" ").toLowerCase());
  return foldDigits(query.toLowerCase()).split(/\s+/).filter(Boolean).every((w) => hay.includes(w));
}

function docBadges(d) {
  const badges = el("span", "badges");
  badges.append(...standingBadges(d));
  const level = levelBadge(d.level);
  if (level) badges.append(level);
  badges.append(el("span", "badge", d.clauses + " 条"));
  if (docs.uploads.has(d.doc_id)) badges.append(el("span", "badge", "上传"));
  return badges;
}

export function renderDocList() {
  const list = $("doc-list");
  const query = $("doc-search").value.trim();
  list.replaceChildren();
  let shown = 0;
  for (const d of docs.list) {
    if (!matches(d, query)) continue;
    shown++;
    const li = el("li");
    const button = el("button", "doc-item" + (d.doc_id === activeDoc ? " active" : ""));
    button.type = "button";
    button.dataset.doc = d.doc_id;
    if (d.doc_id === activeDoc) button.setAttribute("aria-current", "true");
    button.append(rangeText("span", "doc-item-title", d.title));
    const meta = docMetaNode("span", "doc-item-meta", d);
    if (meta.textContent) button.append(meta);
    button.append(docBadges(d));
    button.addEventListener("click", () => openDocument(d.doc_id));
    li.append(button);
    list.append(li);
  }
  $("doc-empty").hidden = shown > 0 || !docs.loaded;
}

// --- the clause tree ----------------------------------------------------------------------

let groupSeq = 0;

// Each node is <li role="none"> holding its treeitem and, after it, the group of its children
// (owned through aria-owns): a treeitem's name is then its own heading, not its whole branch.
function renderTree(nodes, level) {
  const ul = el("ul", level === 1 ? "tree" : "");
  ul.setAttribute("role", level === 1 ? "tree" : "group");
  for (const node of nodes) {
    const li = el("li");
    li.setAttribute("role", "none");
    const item = el("div", "tree-item" + (node.chunks.length ? "" : " heading-only"));
    item.setAttribute("role", "treeitem");
    item.setAttribute("aria-level", String(level));
    item.tabIndex = -1;
    item.append(el("span", "tree-title", node.title));
    if (node.chunks.length > 1) item.append(el("span", "tree-parts", node.chunks.length + " 段"));
    if (node.chunks.length) item.dataset.chunk = node.chunks[0].chunk_id;
    li.append(item);
    if (node.children.length) {
      const group = renderTree(node.children, level + 1);
      group.id = "tree-group-" + (++groupSeq);
      item.setAttribute("aria-owns", group.id);
      item.setAttribute("aria-expanded", "true");
      li.append(group);
    }
    ul.append(li);
  }
  return ul;
}

/** The treeitem whose group holds item, or null at the top level. */
function parentItem(item) {
  const group = item.closest('[role="group"]');
  return group ? group.previousElementSibling : null;
}

function visibleItems(tree) {
  return [...tree.querySelectorAll('[role="treeitem"]')].filter((item) => {
    for (let p = parentItem(item); p; p = parentItem(p)) {
      if (p.getAttribute("aria-expanded") === "false") return false;
    }
    return true;
  });
}

function focusItem(tree, item) {
  if (!item) return;
  for (const other of tree.querySelectorAll('[role="treeitem"][tabindex="0"]')) other.tabIndex = -1;
  item.tabIndex = 0;
  item.focus();
}

function activate(item) {
  if (item.dataset.chunk) openClause(item.dataset.chunk, null, item);
  else if (item.hasAttribute("aria-expanded")) toggle(item);
}

function toggle(item, open) {
  const next = open ?? item.getAttribute("aria-expanded") !== "true";
  item.setAttribute("aria-expanded", String(next));
}

/** Keyboard and mouse for the tree (WAI-ARIA tree view pattern). */
function wireTree(tree) {
  const first = tree.querySelector('[role="treeitem"]');
  if (first) first.tabIndex = 0;
  tree.addEventListener("click", (ev) => {
    const item = ev.target.closest('[role="treeitem"]');
    if (!item) return;
    focusItem(tree, item);
    activate(item);
  });
  tree.addEventListener("keydown", (ev) => {
    const item = ev.target.closest('[role="treeitem"]');
    if (!item) return;
    const items = visibleItems(tree);
    const at = items.indexOf(item);
    const parent = parentItem(item);
    let handled = true;
    switch (ev.key) {
      case "ArrowDown": if (at + 1 < items.length) focusItem(tree, items[at + 1]); break;
      case "ArrowUp": if (at > 0) focusItem(tree, items[at - 1]); break;
      case "Home": focusItem(tree, items[0]); break;
      case "End": focusItem(tree, items[items.length - 1]); break;
      case "ArrowRight":
        if (item.getAttribute("aria-expanded") === "false") toggle(item, true);
        else if (item.getAttribute("aria-expanded") === "true") focusItem(tree, items[at + 1]);
        break;
      case "ArrowLeft":
        if (item.getAttribute("aria-expanded") === "true") toggle(item, false);
        else if (parent) focusItem(tree, parent);
        break;
      case "Enter": case " ": activate(item); break;
      default: handled = false;
    }
    if (handled) { ev.preventDefault(); ev.stopPropagation(); }
  });
}

// --- one document -------------------------------------------------------------------------

function fileInput(id, label, onFile) {
  const wrap = el("label", "button button-secondary button-small upload-button");
  const input = el("input", "file-input");
  input.type = "file";
  input.id = id;
  input.accept = docs.accept;
  wrap.append(input, document.createTextNode(label));
  input.addEventListener("change", () => {
    const file = input.files[0];
    input.value = "";
    if (file) onFile(file);
  });
  return wrap;
}

export async function openDocument(docId) {
  activeDoc = docId;
  renderDocList();
  const box = $("doc-detail");
  box.replaceChildren(el("p", "panel-empty", "正在载入…"));
  let doc;
  try {
    doc = await getJSON("/api/documents/" + encodeURIComponent(docId));
  } catch (err) {
    box.replaceChildren(el("p", "error-text", "无法载入文件：" + err.message));
    const retry = el("button", "button button-secondary button-small", "重试");
    retry.type = "button";
    retry.addEventListener("click", () => openDocument(docId));
    box.append(retry);
    return;
  }
  if (activeDoc !== docId) return;
  box.replaceChildren();
  const title = rangeText("h2", "doc-detail-title", doc.title);
  title.tabIndex = -1;
  box.append(title);
  const meta = docMetaNode("p", "doc-detail-meta", doc);
  if (meta.textContent) box.append(meta);
  const badges = docBadges(doc);
  if (doc.file_name) badges.append(el("span", "badge", doc.file_name));
  box.append(badges);

  const actions = el("div", "doc-actions");
  const ask = el("button", "button button-small", "只问这份文件");
  ask.type = "button";
  ask.addEventListener("click", () => hooks.askDocument(doc));
  actions.append(ask);
  if (docs.uploads.has(docId)) {
    actions.append(fileInput("replace-input", "替换文件", (file) => replaceDocument(doc, file)));
    const del = el("button", "button button-danger-outline button-small", "删除");
    del.type = "button";
    del.addEventListener("click", () => deleteDocument(doc));
    actions.append(del);
  }
  box.append(actions);

  box.append(el("h3", "tree-heading", "条款结构"));
  box.append(el("p", "tree-hint", "用方向键浏览，Enter 打开条款"));
  const tree = renderTree(doc.tree, 1);
  tree.setAttribute("aria-label", "《" + doc.title + "》的条款");
  wireTree(tree);
  box.append(tree);
  // On a phone the detail is below the list: bring it into view.
  if (window.matchMedia("(max-width: 900px)").matches) box.scrollIntoView({ block: "start" });
}

// --- uploads, deletes and replacements ----------------------------------------------------

function setStatus(kind, text) {
  const status = $("upload-status");
  status.hidden = false;
  status.className = "upload-status " + kind;
  status.textContent = text;
}

// What the server is doing with an upload, from its job's progress.
const STAGES = { files: "解析", embed: "向量化" };

function progressText(file, job) {
  if (job.state === "queued") return file.name + " 已上传，排队等待索引…";
  const p = job.progress || {};
  const stage = STAGES[p.stage] || "索引";
  const count = p.total ? "（" + p.done + "/" + p.total + "）" : "";
  return "正在" + stage + " " + file.name + count + "…";
}

export async function upload(file, path = "/api/documents", verb = "收录") {
  setStatus("", "正在上传 " + file.name + "…");
  const form = new FormData();
  form.append("file", file);
  try {
    const res = await apiFetch(path, { method: "POST", body: form });
    // The server stores the file, answers 202 with a job and indexes it in the background.
    const data = await waitForJob(await res.json(), (job) => setStatus("", progressText(file, job)));
    setStatus("ok", data.status === "unchanged"
      ? file.name + " 已收录，内容未变。"
      : "已" + verb + bookTitle(data.document ? data.document.title : file.name) + "，共 " + data.clauses + " 条。");
    await loadDocuments();
    if (data.doc_id) await openDocument(data.doc_id);
    const title = document.querySelector(".doc-detail-title");
    if (title) title.focus();
  } catch (err) {
    setStatus("error", "未能" + verb + " " + file.name + "：" + err.message);
  }
}

function replaceDocument(doc, file) {
  return upload(file, "/api/documents/" + encodeURIComponent(doc.doc_id) + "/replace", "替换为");
}

async function deleteDocument(doc) {
  const ok = await hooks.confirm("删除这份文件？", bookTitle(doc.title) + " 及其 " + doc.clauses
    + " 条条款将从索引中删除，之后的回答不会再引用它。");
  if (!ok) return;
  try {
    await apiFetch("/api/documents/" + encodeURIComponent(doc.doc_id), { method: "DELETE" });
    setStatus("ok", "已删除" + bookTitle(doc.title) + "。");
    activeDoc = null;
    $("doc-detail").replaceChildren(el("div", "empty-state"));
    $("doc-detail").firstChild.append(el("p", "empty-title", "文件已删除"), el("p", "", "选择另一份文件查看条款结构。"));
    await loadDocuments();
    $("doc-search").focus();
  } catch (err) {
    setStatus("error", "未能删除：" + err.message);
  }
}

export function initLibrary() {
  $("doc-search").addEventListener("input", renderDocList);
  $("upload-input").addEventListener("change", (ev) => {
    const file = ev.target.files[0];
    ev.target.value = "";
    if (file) upload(file);
  });
}

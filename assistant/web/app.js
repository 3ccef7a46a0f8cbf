// The chat page: asks /api/ask/stream, renders [n] markers as buttons that open the cited
// clause, and browses the indexed documents. Every piece of answer or document text is
// inserted as text (textContent / text nodes), never parsed as HTML.
"use strict";

(() => {
  const KEY_STORAGE = "policy-assistant.api-key";
  const HISTORY_TURNS = 8; // the follow-up rewrite needs only the last few turns
  const RELATED_SHOWN = 4;

  const $ = (id) => document.getElementById(id);
  const state = {
    history: [],        // [{role, content}] of this conversation
    busy: false,
    docs: [],
    activeDoc: null,
    openChunk: null,    // chunk id shown in the side panel
    highlights: [],     // sentences to mark in the open clause
  };

  // --- small DOM helpers ------------------------------------------------------------------

  /** An element with a class and optional text (always set as text). */
  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  /** Text with [n] markers, as text nodes and citation buttons. */
  function renderMarked(container, text, onCite) {
    container.replaceChildren();
    const re = /\[(\d+)\]/g;
    let last = 0;
    let m;
    while ((m = re.exec(text)) !== null) {
      if (m.index > last) container.append(document.createTextNode(text.slice(last, m.index)));
      const n = Number(m[1]);
      const button = el("button", "cite", n);
      button.type = "button";
      button.dataset.n = String(n);
      button.title = "查看出处 [" + n + "]";
      button.setAttribute("aria-label", "查看出处 " + n);
      button.addEventListener("click", () => onCite(n, button));
      container.append(button);
      last = re.lastIndex;
    }
    if (last < text.length) container.append(document.createTextNode(text.slice(last)));
  }

  /** Text with the given sentences wrapped in <mark> (built from text nodes). */
  function renderHighlighted(container, text, sentences) {
    const ranges = [];
    for (const s of sentences) {
      for (const probe of [s, s.replace(/[。；;！!？?，,]+$/, "")]) {
        if (probe.length < 6) continue;
        const at = text.indexOf(probe);
        if (at >= 0) { ranges.push([at, at + probe.length]); break; }
      }
    }
    ranges.sort((a, b) => a[0] - b[0]);
    let pos = 0;
    for (const [start, end] of ranges) {
      if (start < pos) continue;
      if (start > pos) container.append(document.createTextNode(text.slice(pos, start)));
      container.append(el("mark", "", text.slice(start, end)));
      pos = end;
    }
    if (pos < text.length) container.append(document.createTextNode(text.slice(pos)));
    return ranges.length > 0;
  }

  /** The answer's sentences that carry marker n, without the markers. */
  function sentencesCiting(answerText, n) {
    const out = [];
    const re = /([^\[\]]+?)((?:\[\d+\])+)/g;
    let m;
    while ((m = re.exec(answerText)) !== null) {
      const markers = m[2].match(/\d+/g).map(Number);
      if (!markers.includes(n)) continue;
      // A segment may hold several sentences: each is tried on its own.
      for (const part of m[1].split(/(?<=[。；！？])/)) {
        const t = part.trim();
        if (t) out.push(t);
      }
    }
    return out;
  }

  function docMetaLine(d) {
    return [d.issuer, d.doc_number, d.date].filter(Boolean).join(" · ");
  }

  function statusBadge(status) {
    if (status === "draft") return el("span", "badge draft", "征求意见稿");
    if (status === "final") return el("span", "badge final", "正式文件");
    return status ? el("span", "badge", status) : null;
  }

  const LEVELS = { province: "省级", city: "市级", county: "县级" };

  function scrollToEnd() {
    const box = $("conversation");
    box.scrollTop = box.scrollHeight;
  }

  // --- API access ---------------------------------------------------------------------------

  class ApiError extends Error {
    constructor(status, message) { super(message); this.status = status; }
  }

  function authHeaders() {
    const key = localStorage.getItem(KEY_STORAGE);
    return key ? { Authorization: "Bearer " + key } : {};
  }

  async function apiFetch(path, options = {}) {
    const headers = Object.assign({}, options.headers || {}, authHeaders());
    const res = await fetch(path, Object.assign({}, options, { headers }));
    if (res.ok) return res;
    let message = res.status + " " + res.statusText;
    try {
      const body = await res.json();
      const detail = body.detail ?? (body.error && body.error.message);
      if (typeof detail === "string") message = detail;
      else if (Array.isArray(detail) && detail.length) message = detail.map((d) => d.msg).join("; ");
    } catch (_) { /* not JSON: keep the status line */ }
    if (res.status === 401) askForKey();
    throw new ApiError(res.status, message);
  }

  async function getJSON(path) {
    return (await apiFetch(path)).json();
  }

  /** POST a question and call onEvent(name, data) for each server-sent event. */
  async function streamAsk(body, onEvent) {
    const res = await apiFetch("/api/ask/stream", {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "text/event-stream" },
      body: JSON.stringify(body),
    });
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    const flush = (block) => {
      let name = "message";
      const data = [];
      for (const line of block.split("\n")) {
        if (!line || line.startsWith(":")) continue; // comments are keep-alive pings
        const colon = line.indexOf(":");
        const field = colon < 0 ? line : line.slice(0, colon);
        let value = colon < 0 ? "" : line.slice(colon + 1);
        if (value.startsWith(" ")) value = value.slice(1);
        if (field === "event") name = value;
        else if (field === "data") data.push(value);
      }
      if (data.length) onEvent(name, JSON.parse(data.join("\n")));
    };
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true }).replace(/\r\n/g, "\n");
      let cut;
      while ((cut = buffer.indexOf("\n\n")) >= 0) {
        flush(buffer.slice(0, cut));
        buffer = buffer.slice(cut + 2);
      }
    }
    if (buffer.trim()) flush(buffer);
  }

  function askForKey() {
    $("auth").hidden = false;
    $("auth-key").focus();
  }

  // --- chat -------------------------------------------------------------------------------

  function addUserMessage(text) {
    const li = el("li", "msg-user");
    li.append(el("div", "bubble", text));
    $("messages").append(li);
  }

  function addAssistantMessage() {
    const li = el("li", "msg-assistant");
    li.append(el("div", "avatar", "策"));
    const card = el("div", "answer-card card");
    const notice = el("p", "notice");
    notice.hidden = true;
    const text = el("div", "answer-text");
    const typing = el("div", "typing");
    typing.setAttribute("aria-label", "正在检索文件");
    typing.append(el("span"), el("span"), el("span"));
    text.append(typing);
    card.append(notice, text);
    li.append(card);
    $("messages").append(li);
    return { li, card, notice, text, answer: null, streamed: "" };
  }

  function openCitation(msg, n, button) {
    const citation = msg.answer && msg.answer.citations.find((c) => c.n === n);
    if (!citation) return; // the final event with the citations has not arrived yet
    document.querySelectorAll(".cite.active, .source.active").forEach((b) => b.classList.remove("active"));
    msg.card.querySelectorAll('[data-n="' + n + '"]').forEach((b) => b.classList.add("active"));
    if (button) button.classList.add("active");
    openClause(citation.chunk_id, sentencesCiting(msg.answer.answer, n));
  }

  function sourceButton(labelN, doc, path, snippet, onClick) {
    const button = el("button", "source");
    button.type = "button";
    if (labelN !== null) {
      const badge = el("span", "cite", labelN);
      button.dataset.n = String(labelN);
      button.append(badge);
    } else {
      button.append(el("span", "bullet"));
    }
    const body = el("span", "source-body");
    body.append(el("span", "source-doc", "《" + doc + "》"));
    if (path) body.append(el("span", "source-path", path));
    if (snippet) body.append(el("span", "source-snippet", snippet));
    button.append(body);
    button.addEventListener("click", onClick);
    return button;
  }

  function finishAnswer(msg, answer) {
    msg.answer = answer;
    const refused = !answer.answered;
    msg.card.classList.toggle("refused", refused);
    let shown = answer.answer;
    if (refused) {
      // The nearest clauses are listed as cards below, not as one long sentence.
      const cut = shown.indexOf("可能相关的条款");
      if (cut > 0) shown = shown.slice(0, cut).trim();
      msg.card.insertBefore(el("span", "status-chip refused", "文件中未找到答案"), msg.notice);
    }
    renderMarked(msg.text, shown, (n, b) => openCitation(msg, n, b));
    if (answer.notice) {
      msg.notice.textContent = answer.notice;
      msg.notice.hidden = false;
    }
    if (answer.citations.length) {
      const box = el("div", "sources");
      box.append(el("p", "sources-title", "来源"));
      const list = el("ul", "source-list");
      for (const c of answer.citations) {
        const li = el("li");
        li.append(sourceButton(c.n, c.doc_title, c.section_path.join(" › "), null,
          (ev) => openCitation(msg, c.n, ev.currentTarget)));
        list.append(li);
      }
      box.append(list);
      msg.card.append(box);
    } else if (refused && answer.retrieved.length) {
      const box = el("div", "sources related");
      box.append(el("p", "sources-title", "可能相关"));
      const list = el("ul", "source-list");
      for (const r of answer.retrieved.slice(0, RELATED_SHOWN)) {
        const li = el("li");
        li.append(sourceButton(null, r.doc_title, r.section_path.join(" › "), r.text.replace(/\s+/g, " "),
          () => openClause(r.chunk_id, [])));
        list.append(li);
      }
      box.append(list);
      msg.card.append(box);
    }
    const foot = el("div", "answer-foot");
    foot.append(el("span", "", "用时 " + Math.round(answer.latency_ms) + " ms"));
    if (answer.citations.length) foot.append(el("span", "", answer.citations.length + " 处引用"));
    msg.card.append(foot);
  }

  function showError(msg, message) {
    msg.text.replaceChildren(el("span", "error-text", "出错了：" + message));
  }

  async function ask(question) {
    question = question.trim();
    if (!question || state.busy) return;
    state.busy = true;
    updateSend();
    $("welcome").hidden = true;
    addUserMessage(question);
    const msg = addAssistantMessage();
    scrollToEnd();
    const body = { question, history: state.history.slice(-HISTORY_TURNS) };
    try {
      await streamAsk(body, (name, data) => {
        if (name === "delta") {
          msg.streamed += data.text;
          renderMarked(msg.text, msg.streamed, () => {});
        } else if (name === "answer") {
          finishAnswer(msg, data);
        } else if (name === "error") {
          throw new ApiError(500, data.detail || "回答失败");
        }
        scrollToEnd();
      });
      if (!msg.answer) throw new ApiError(0, "连接中断，未收到完整回答");
      state.history.push({ role: "user", content: question },
        { role: "assistant", content: msg.answer.answer });
    } catch (err) {
      showError(msg, err.message || String(err));
    } finally {
      state.busy = false;
      updateSend();
      scrollToEnd();
      $("question").focus();
    }
  }

  function updateSend() {
    $("send").disabled = state.busy || !$("question").value.trim();
  }

  function newConversation() {
    state.history = [];
    $("messages").replaceChildren();
    $("welcome").hidden = false;
    closePanel();
    $("question").focus();
  }

  // --- the side panel: a clause with the clauses around it --------------------------------

  function closePanel() {
    $("panel").hidden = true;
    $("layout").classList.remove("with-panel");
    state.openChunk = null;
    document.querySelectorAll(".cite.active, .source.active").forEach((b) => b.classList.remove("active"));
  }

  function clauseBox(clause, kind, label) {
    const box = el(kind === "current" ? "article" : "button", "ctx " + kind);
    if (kind !== "current") {
      box.type = "button";
      box.title = "打开" + label;
      box.addEventListener("click", () => openClause(clause.chunk_id, []));
    }
    const head = el("div", "ctx-label");
    if (kind === "current") {
      head.append(el("span", "", label)); // the breadcrumb above already names the section
    } else {
      head.append(el("span", "ctx-path", clause.section_path[clause.section_path.length - 1] || clause.label));
      head.append(el("span", "", label));
    }
    box.append(head);
    const text = el("div", "ctx-text");
    box.append(text);
    return { box, text };
  }

  async function openClause(chunkId, highlights) {
    state.openChunk = chunkId;
    const panel = $("panel");
    panel.hidden = false;
    $("layout").classList.add("with-panel");
    const body = $("panel-body");
    body.replaceChildren(el("p", "panel-empty", "正在载入条款…"));
    let data;
    try {
      data = await getJSON("/api/chunks/" + encodeURIComponent(chunkId));
    } catch (err) {
      body.replaceChildren(el("p", "error-text", "无法载入条款：" + err.message));
      return;
    }
    if (state.openChunk !== chunkId) return; // another clause was opened meanwhile
    const { clause, document: doc, previous, next } = data;
    $("panel-title").textContent = "《" + doc.title + "》";
    $("panel-meta").replaceChildren();
    const metaText = docMetaLine(doc);
    if (metaText) $("panel-meta").append(el("span", "", metaText));
    const badge = statusBadge(doc.status);
    if (badge) $("panel-meta").append(badge);

    const path = $("panel-path");
    path.replaceChildren();
    for (const part of clause.section_path) path.append(el("li", "", part));

    body.replaceChildren();
    if (previous) {
      const p = clauseBox(previous, "neighbour", "上一条");
      p.text.textContent = previous.text;
      body.append(p.box);
    }
    const cur = clauseBox(clause, "current", "引用条款");
    renderHighlighted(cur.text, clause.text, highlights || []);
    if (clause.responsible_units && clause.responsible_units.length) {
      const units = el("div", "units");
      units.append(el("strong", "", "责任单位："), document.createTextNode(clause.responsible_units.join("、")));
      if (clause.lead_units && clause.lead_units.length) {
        units.append(document.createTextNode("　"), el("strong", "", "牵头："),
          document.createTextNode(clause.lead_units.join("、")));
      }
      cur.box.append(units);
    }
    body.append(cur.box);
    if (next) {
      const n = clauseBox(next, "neighbour", "下一条");
      n.text.textContent = next.text;
      body.append(n.box);
    }
    cur.box.scrollIntoView({ block: "nearest" });
    document.querySelectorAll(".tree-node.active").forEach((b) => b.classList.remove("active"));
    document.querySelectorAll('.tree-node[data-chunk="' + CSS.escape(chunkId) + '"]')
      .forEach((b) => b.classList.add("active"));
  }

  // --- documents --------------------------------------------------------------------------

  async function loadDocuments() {
    const status = $("index-status");
    try {
      const data = await getJSON("/api/documents");
      state.docs = data.documents;
      const clauses = state.docs.reduce((sum, d) => sum + d.clauses, 0);
      status.textContent = "已收录 " + state.docs.length + " 份文件 · " + clauses + " 条款";
      status.className = "index-status ready";
      renderDocList();
    } catch (err) {
      status.textContent = err.status === 401 ? "需要访问密钥" : "服务不可用";
      status.className = "index-status down";
    }
  }

  function renderDocList() {
    const list = $("doc-list");
    list.replaceChildren();
    for (const d of state.docs) {
      const li = el("li");
      const button = el("button", "doc-item" + (d.doc_id === state.activeDoc ? " active" : ""));
      button.type = "button";
      button.dataset.doc = d.doc_id;
      button.append(el("span", "doc-item-title", d.title));
      const meta = docMetaLine(d);
      if (meta) button.append(el("span", "doc-item-meta", meta));
      const badges = el("span", "badges");
      const s = statusBadge(d.status);
      if (s) badges.append(s);
      if (LEVELS[d.level]) badges.append(el("span", "badge", LEVELS[d.level]));
      badges.append(el("span", "badge", d.clauses + " 条"));
      button.append(badges);
      button.addEventListener("click", () => openDocument(d.doc_id));
      li.append(button);
      list.append(li);
    }
  }

  function renderTree(nodes) {
    const ul = el("ul");
    for (const node of nodes) {
      const li = el("li");
      const button = el("button", "tree-node" + (node.chunks.length ? "" : " heading-only"), node.title);
      button.type = "button";
      if (node.chunks.length) {
        const first = node.chunks[0].chunk_id;
        button.dataset.chunk = first;
        button.addEventListener("click", () => openClause(first, []));
        if (node.chunks.length > 1) button.append(el("span", "tree-parts", node.chunks.length + " 段"));
      }
      li.append(button);
      if (node.children.length) li.append(renderTree(node.children));
      ul.append(li);
    }
    return ul;
  }

  async function openDocument(docId) {
    state.activeDoc = docId;
    renderDocList();
    const box = $("doc-detail");
    box.replaceChildren(el("p", "panel-empty", "正在载入…"));
    let doc;
    try {
      doc = await getJSON("/api/documents/" + encodeURIComponent(docId));
    } catch (err) {
      box.replaceChildren(el("p", "error-text", "无法载入文件：" + err.message));
      return;
    }
    box.replaceChildren();
    box.append(el("h2", "doc-detail-title", doc.title));
    const meta = docMetaLine(doc);
    if (meta) box.append(el("p", "doc-detail-meta", meta));
    const badges = el("div", "badges");
    const s = statusBadge(doc.status);
    if (s) badges.append(s);
    if (LEVELS[doc.level]) badges.append(el("span", "badge", LEVELS[doc.level]));
    badges.append(el("span", "badge", doc.clauses + " 条"));
    if (doc.file_name) badges.append(el("span", "badge", doc.file_name));
    box.append(badges);
    const tree = renderTree(doc.tree);
    tree.className = "tree";
    box.append(tree);
  }

  async function upload(file) {
    const status = $("upload-status");
    status.hidden = false;
    status.className = "upload-status";
    status.textContent = "正在上传并解析 " + file.name + "…";
    const form = new FormData();
    form.append("file", file);
    try {
      const res = await apiFetch("/api/documents", { method: "POST", body: form });
      const data = await res.json();
      status.className = "upload-status ok";
      status.textContent = data.status === "unchanged"
        ? file.name + " 已收录，内容未变。"
        : "已收录《" + (data.document ? data.document.title : file.name) + "》，共 " + data.clauses + " 条。";
      await loadDocuments();
      if (data.doc_id) openDocument(data.doc_id);
    } catch (err) {
      status.className = "upload-status error";
      status.textContent = "未能收录 " + file.name + "：" + err.message;
    }
  }

  // --- views and wiring -------------------------------------------------------------------

  function showView(name) {
    for (const tab of document.querySelectorAll(".tab")) {
      const on = tab.dataset.view === name;
      tab.classList.toggle("active", on);
      if (on) tab.setAttribute("aria-current", "page"); else tab.removeAttribute("aria-current");
    }
    $("view-chat").hidden = name !== "chat";
    $("view-docs").hidden = name !== "docs";
    if (name === "docs" && !state.docs.length) loadDocuments();
  }

  function init() {
    const input = $("question");
    input.addEventListener("input", () => {
      input.style.height = "auto";
      input.style.height = Math.min(input.scrollHeight, 180) + "px";
      updateSend();
    });
    input.addEventListener("keydown", (ev) => {
      if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing) {
        ev.preventDefault();
        $("composer").requestSubmit();
      }
    });
    $("composer").addEventListener("submit", (ev) => {
      ev.preventDefault();
      const q = input.value;
      if (!q.trim() || state.busy) return;
      input.value = "";
      input.style.height = "auto";
      ask(q);
    });
    for (const example of document.querySelectorAll(".example")) {
      example.addEventListener("click", () => ask(example.textContent));
    }
    $("new-chat").addEventListener("click", newConversation);
    $("panel-close").addEventListener("click", closePanel);
    document.addEventListener("keydown", (ev) => {
      if (ev.key === "Escape" && !$("panel").hidden) closePanel();
    });
    for (const tab of document.querySelectorAll(".tab")) {
      tab.addEventListener("click", () => showView(tab.dataset.view));
    }
    $("upload-input").addEventListener("change", (ev) => {
      const file = ev.target.files[0];
      if (file) upload(file);
      ev.target.value = "";
    });
    $("auth-form").addEventListener("submit", (ev) => {
      ev.preventDefault();
      localStorage.setItem(KEY_STORAGE, $("auth-key").value.trim());
      $("auth").hidden = true;
      loadDocuments();
    });
    updateSend();
    loadDocuments();
    input.focus();
  }

  init();
})();

// The chat page: asks /api/ask/stream within the chosen scope, renders [n] markers as
// buttons that open the cited clause, keeps conversations in this browser, and wires the
// views together. Every piece of answer or document text is inserted as text, never as HTML.

import * as api from "./api.js";
import * as conversations from "./conversations.js";
import { loadExamples } from "./examples.js";
import { docs, initLibrary, loadDocuments, setHooks } from "./library.js";
import { closePanel, initPanel } from "./panel.js";
import * as scope from "./scope.js";
import { initMeasures, showMeasures } from "./measures.js";
import {
  addTurnView, failView, finishView, iconButton, showTyping, showUnderstood, shownAnswer,
} from "./turns.js";
import {
  $, displayText, el, renderMarked, shortTime, textWithMarkers, withoutMarkers,
} from "./util.js";

const HISTORY_MESSAGES = 8; // the follow-up rewrite needs only the last few turns

const state = {
  conv: null,       // the conversation on screen
  pending: null,    // {controller, conv, turn, view} of the question being answered
};

function renderConversation() {
  const conv = state.conv;
  $("messages").replaceChildren();
  for (const turn of conv.turns) {
    const view = addTurnView(turn);
    if (turn.answer) finishView(view, turn.answer);
    else if (turn.error || turn.stopped) failView(view, turn, retryTurn);
    else { turn.stopped = true; failView(view, turn, retryTurn); } // cut off by a reload
  }
  $("welcome").hidden = conv.turns.length > 0;
  $("chat-title").textContent = conversations.titleOf(conv);
  renderConvList();
}

// --- asking -------------------------------------------------------------------------------

function scrollToEnd() {
  const box = $("conversation");
  box.scrollTop = box.scrollHeight;
}

function setBusy(busy) {
  $("send").hidden = busy;
  $("stop").hidden = !busy;
  updateSend();
}

function updateSend() {
  $("send").disabled = Boolean(state.pending) || !$("question").value.trim();
}

async function ask(question, turnScope) {
  question = question.trim();
  if (!question || state.pending) return;
  const conv = state.conv;
  const history = conversations.history(conv, HISTORY_MESSAGES);
  const turn = conversations.addTurn(conv, question, turnScope);
  $("welcome").hidden = true;
  const view = addTurnView(turn);
  showTyping(view);
  renderConvList();
  $("chat-title").textContent = conversations.titleOf(conv);
  scrollToEnd();
  const controller = new AbortController();
  const pending = { controller, conv, turn, view };
  state.pending = pending;
  setBusy(true);
  const body = { question };
  if (history.length) body.history = history;
  const filters = scope.filters(turnScope);
  if (filters) body.filters = filters;
  try {
    await api.streamAsk(body, (name, data) => {
      if (state.pending !== pending) return; // stopped or left: late pieces are dropped
      if (name === "understood") {
        showUnderstood(view, data.question);
      } else if (name === "delta") {
        view.streamed += data.text;
        renderMarked(view.text, displayText(view.streamed), (n) => el("span", "cite", n));
      } else if (name === "answer") {
        turn.answer = data;
        finishView(view, data);
      } else if (name === "error") {
        throw new api.ApiError("server", "回答时出错了，请重试。", 500, data.detail || "");
      }
      scrollToEnd();
    }, controller.signal);
    if (!turn.answer) throw new api.ApiError("stream", "连接中断，没有收到完整的回答。");
    $("announcer").textContent = "回答：" + withoutMarkers(displayText(shownAnswer(turn.answer)));
  } catch (err) {
    if (err.kind === "aborted") {
      turn.stopped = true;
      turn.partial = view.streamed;
    } else {
      turn.error = { kind: err.kind || "client", message: err.message || String(err) };
      $("announcer").textContent = turn.error.message;
    }
    if (view.li.isConnected) failView(view, turn, retryTurn);
  } finally {
    conversations.save();
    if (state.pending === pending) {
      state.pending = null;
      setBusy(false);
      if (view.li.isConnected) scrollToEnd();
    }
  }
}

/** Stop the answer being written: the request is aborted, the server stops with it. */
function stop() {
  if (!state.pending) return;
  state.pending.controller.abort();
  $("question").focus();
}

function retryTurn(turn) {
  if (state.pending) return;
  conversations.removeTurn(state.conv, turn);
  renderConversation();
  ask(turn.question, turn.scope);
}

// --- conversations ------------------------------------------------------------------------

function leaveCurrent() {
  // A pending answer belongs to the conversation it was asked in: stop it there.
  if (state.pending) state.pending.controller.abort();
  state.pending = null;
  setBusy(false);
  closePanel();
}

function newConversation() {
  leaveCurrent();
  state.conv = state.conv && state.conv.turns.length === 0 ? state.conv : conversations.create();
  renderConversation();
  closeSidebar();
  $("question").focus();
}

function switchTo(id) {
  if (state.conv && state.conv.id === id) { closeSidebar(); return; }
  leaveCurrent();
  conversations.activate(id);
  state.conv = conversations.active();
  renderConversation();
  closeSidebar();
  $("question").focus();
}

function renderConvList() {
  const list = $("conv-list");
  list.replaceChildren();
  for (const conv of conversations.all()) {
    // A conversation is listed once it has a question: a new one is just the empty page.
    if (!conv.turns.length) continue;
    const li = el("li", "conv" + (conv === state.conv ? " active" : ""));
    const open = el("button", "conv-open");
    open.type = "button";
    if (conv === state.conv) open.setAttribute("aria-current", "true");
    open.append(el("span", "conv-title", conversations.titleOf(conv)));
    open.append(el("span", "conv-time", (conv.turns.length ? conv.turns.length + " 问 · " : "尚未提问 · ")
      + shortTime(conv.updated)));
    open.addEventListener("click", () => switchTo(conv.id));
    const rename = iconButton("改名：" + conversations.titleOf(conv), "改名", () => renameConversation(conv));
    const del = iconButton("删除对话：" + conversations.titleOf(conv), "删除", () => deleteConversation(conv));
    rename.classList.add("conv-action");
    del.classList.add("conv-action");
    li.append(open, rename, del);
    list.append(li);
  }
}

async function renameConversation(conv) {
  const dialog = $("rename");
  $("rename-input").value = conversations.titleOf(conv);
  dialog.returnValue = "";
  dialog.showModal();
  $("rename-input").select();
  await new Promise((resolve) => dialog.addEventListener("close", resolve, { once: true }));
  if (dialog.returnValue === "ok" && $("rename-input").value.trim()) {
    conversations.rename(conv.id, $("rename-input").value);
    renderConvList();
    if (conv === state.conv) $("chat-title").textContent = conversations.titleOf(conv);
  }
}

async function deleteConversation(conv) {
  const ok = await confirmDialog("删除这个对话？", "“" + conversations.titleOf(conv) + "”将从本浏览器中删除，无法恢复。");
  if (!ok) return;
  const wasCurrent = conv === state.conv;
  if (wasCurrent) leaveCurrent();
  conversations.remove(conv.id);
  if (wasCurrent) {
    const rest = conversations.all().filter((c) => c.turns.length);
    if (rest.length) conversations.activate(rest[0].id);
    state.conv = conversations.active();
    renderConversation();
  } else {
    renderConvList();
  }
  $("new-chat").focus();
}

function openSidebar() {
  $("view-chat").classList.add("sidebar-open");
  $("sidebar-backdrop").hidden = false;
  $("sidebar-toggle").setAttribute("aria-expanded", "true");
  $("new-chat").focus();
}

function closeSidebar() {
  if (!$("view-chat").classList.contains("sidebar-open")) return;
  $("view-chat").classList.remove("sidebar-open");
  $("sidebar-backdrop").hidden = true;
  $("sidebar-toggle").setAttribute("aria-expanded", "false");
}

// --- dialogs ------------------------------------------------------------------------------

/** A yes/no question in a modal dialog; resolves true for 确定. */
function confirmDialog(title, text) {
  const dialog = $("confirm");
  $("confirm-title").textContent = title;
  $("confirm-text").textContent = text;
  dialog.returnValue = "";
  dialog.showModal();
  $("confirm-cancel").focus();
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "ok"), { once: true });
  });
}

function askForKey(hadKey) {
  const dialog = $("auth");
  api.setAuthNeeded(true);
  $("auth-error").hidden = !hadKey;
  $("auth-error").textContent = hadKey ? "保存的密钥不正确，请重新输入。" : "";
  if (!dialog.open) dialog.showModal();
  $("auth-key").focus();
}

// --- views and wiring ---------------------------------------------------------------------

function showView(name) {
  for (const tab of document.querySelectorAll(".tab")) {
    const on = tab.dataset.view === name;
    tab.classList.toggle("active", on);
    if (on) tab.setAttribute("aria-current", "page"); else tab.removeAttribute("aria-current");
  }
  $("view-chat").hidden = name !== "chat";
  $("view-docs").hidden = name !== "docs";
  $("view-measures").hidden = name !== "measures";
  if (name === "docs" && !docs.loaded) refreshDocuments();
  if (name === "measures") showMeasures();
}

async function refreshDocuments() {
  try {
    await loadDocuments();
    api.setAuthNeeded(false);
    // The examples follow the documents: drawn from what is indexed now.
    await loadExamples((question) => ask(question, scope.snapshot()));
  } catch (_) { /* the status dot and the key dialog say what is wrong */ }
}

function fitPlaceholder() {
  $("question").placeholder = window.matchMedia("(max-width: 600px)").matches
    ? "输入政策问题…" : "输入问题，例如：遂昌重点发展哪些未来产业？";
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
    if (!q.trim() || state.pending) return;
    input.value = "";
    input.style.height = "auto";
    ask(q, scope.snapshot());
  });
  $("stop").addEventListener("click", stop);
  $("new-chat").addEventListener("click", newConversation);
  $("sidebar-toggle").addEventListener("click", openSidebar);
  $("sidebar-backdrop").addEventListener("click", closeSidebar);
  document.addEventListener("keydown", (ev) => {
    if (ev.key === "Escape" && $("view-chat").classList.contains("sidebar-open")) {
      closeSidebar();
      $("sidebar-toggle").focus();
    }
  });
  for (const tab of document.querySelectorAll(".tab")) {
    tab.addEventListener("click", () => showView(tab.dataset.view));
  }
  // A copied selection keeps the markers as [n], not glued digits ("…局。1加快…").
  $("messages").addEventListener("copy", (ev) => {
    const sel = document.getSelection();
    if (!sel || sel.isCollapsed) return;
    const frag = sel.getRangeAt(0).cloneContents();
    ev.clipboardData.setData("text/plain", textWithMarkers(frag));
    ev.preventDefault();
  });
  $("auth-form").addEventListener("submit", () => {
    api.setKey($("auth-key").value.trim());
    api.setAuthNeeded(false);
    refreshDocuments();
  });
  $("auth-cancel").addEventListener("click", () => $("auth").close());
  api.on("auth", askForKey);
  api.on("status", ({ state: now, was }) => {
    if (now === "ready" && was === "down") refreshDocuments(); // back after an outage
  });
  setHooks({
    changed: () => { scope.render(); if (state.conv) renderConversationSources(); },
    askDocument: (doc) => {
      scope.set({ doc_ids: [doc.doc_id] });
      showView("chat");
      closePanel();
      input.focus();
    },
    confirm: confirmDialog,
  });
  window.matchMedia("(max-width: 600px)").addEventListener("change", fitPlaceholder);
  fitPlaceholder();
  initPanel();
  scope.init();
  initLibrary();
  initMeasures();
  state.conv = conversations.active();
  conversations.onChange(renderConvList); // another tab asked or renamed
  renderConversation();
  scope.render();
  updateSend();
  refreshDocuments();
  api.poll();
  input.focus();
}

/** Source cards read titles and places from the document list: redraw when it arrives. */
function renderConversationSources() {
  if (state.pending) return; // the answer being written is drawn when it finishes
  const top = $("conversation").scrollTop;
  renderConversation();
  $("conversation").scrollTop = top;
}

init();

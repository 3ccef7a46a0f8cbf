// Conversations kept in this browser (localStorage): each is a list of turns, a turn being
// a question, the scope it was asked in, and the finished answer, an error, or a stop.

const STORAGE = "policy-assistant.conversations.v1";
const MAX_CONVERSATIONS = 50;
const TITLE_CHARS = 28;

function uid() {
  return Date.now().toString(36) + Math.random().toString(36).slice(2, 8);
}

function load() {
  try {
    const data = JSON.parse(localStorage.getItem(STORAGE) || "null");
    if (data && Array.isArray(data.list)) return data;
  } catch (_) { /* unreadable: start afresh rather than break the page */ }
  return { list: [] };
}

// The conversation on screen is per tab (sessionStorage: it survives a reload of the tab):
// two tabs never write into one conversation, and a new tab starts a new one.
const ACTIVE = "policy-assistant.active-conversation";
const data = load();
data.active = sessionStorage.getItem(ACTIVE);

function setActive(id) {
  data.active = id;
  if (id) sessionStorage.setItem(ACTIVE, id); else sessionStorage.removeItem(ACTIVE);
}
const deleted = new Set(); // ids removed here, so a merge does not bring them back
const listeners = [];

/**
 * Take in what other tabs of this page saved: their new conversations, and newer versions of
 * shared ones (the one on screen here stays as it is: it may have an answer being written).
 * Returns whether anything changed.
 */
let seen = new Set(data.list.map((c) => c.id)); // ids in storage at the last look

function merge() {
  const stored = load().list;
  const ids = new Set(stored.map((c) => c.id));
  // Gone from storage since the last look, so deleted in another tab.
  const before = data.list.length;
  data.list = data.list.filter((c) => ids.has(c.id) || !seen.has(c.id) || c.id === data.active);
  let changed = data.list.length !== before;
  seen = ids;
  for (const theirs of stored) {
    if (deleted.has(theirs.id)) continue;
    const at = data.list.findIndex((c) => c.id === theirs.id);
    if (at < 0) {
      data.list.push(theirs);
      changed = true;
    } else if (theirs.id !== data.active && theirs.updated > data.list[at].updated) {
      data.list[at] = theirs;
      changed = true;
    }
  }
  return changed;
}

/** Forget the least recently used conversation (never the one on screen). */
function dropOldest() {
  const others = data.list.filter((c) => c.id !== data.active);
  if (!others.length) return;
  const oldest = others.reduce((a, b) => (a.updated <= b.updated ? a : b));
  data.list = data.list.filter((c) => c !== oldest);
}

/** Call fn() when another tab changed the conversations. */
export function onChange(fn) { listeners.push(fn); }

window.addEventListener("storage", (ev) => {
  if (ev.key === STORAGE && merge()) for (const fn of listeners) fn();
});

/** Write to storage; when it is full, the oldest conversations give way. */
export function save() {
  merge(); // another tab's conversations are kept, not overwritten
  data.list = data.list.filter((c) => c.turns.length || c.id === data.active);
  for (;;) {
    try {
      localStorage.setItem(STORAGE, JSON.stringify({ list: data.list }));
      seen = new Set(data.list.map((c) => c.id));
      return;
    } catch (err) {
      if (data.list.length <= 1) return; // nothing left to drop: keep it in memory only
      dropOldest();
    }
  }
}

/** All conversations, most recently used first. */
export function all() {
  return [...data.list].sort((a, b) => b.updated - a.updated);
}

export function get(id) {
  return data.list.find((c) => c.id === id) || null;
}

/** The conversation on screen (created when there is none). */
export function active() {
  return get(data.active) || create();
}

export function create() {
  const conv = { id: uid(), title: "", named: false, created: Date.now(), updated: Date.now(), turns: [] };
  data.list.unshift(conv);
  setActive(conv.id);
  while (data.list.length > MAX_CONVERSATIONS) dropOldest();
  save();
  return conv;
}

export function activate(id) {
  if (get(id)) { setActive(id); save(); }
}

export function rename(id, title) {
  const conv = get(id);
  if (!conv) return;
  conv.title = title.trim().slice(0, 60);
  conv.named = Boolean(conv.title);
  save();
}

export function remove(id) {
  deleted.add(id);
  data.list = data.list.filter((c) => c.id !== id);
  if (data.active === id) setActive(null);
  save();
}

/** A new turn in the conversation (its answer arrives later). */
export function addTurn(conv, question, scope) {
  const turn = { id: uid(), question, scope, answer: null, error: null, stopped: false, partial: "" };
  conv.turns.push(turn);
  conv.updated = Date.now();
  if (!conv.named && conv.turns.length === 1) {
    conv.title = question.length > TITLE_CHARS ? question.slice(0, TITLE_CHARS) + "…" : question;
  }
  save();
  return turn;
}

export function removeTurn(conv, turn) {
  conv.turns = conv.turns.filter((t) => t !== turn);
  save();
}

/** The earlier turns as the API's history: only finished answers (not errors or stops). */
export function history(conv, maxMessages) {
  const out = [];
  for (const t of conv.turns) {
    if (!t.answer) continue;
    out.push({ role: "user", content: t.question }, { role: "assistant", content: t.answer.answer });
  }
  return out.slice(-maxMessages);
}

export function titleOf(conv) {
  return conv.title || "新对话";
}

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
  return { active: null, list: [] };
}

const data = load();

/** Write to storage; when it is full, the oldest conversations give way. */
export function save() {
  data.list = data.list.filter((c) => c.turns.length || c.id === data.active);
  for (;;) {
    try {
      localStorage.setItem(STORAGE, JSON.stringify(data));
      return;
    } catch (err) {
      if (data.list.length <= 1) return; // nothing left to drop: keep it in memory only
      data.list.splice(data.list.length - 1, 1);
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
  if (data.list.length > MAX_CONVERSATIONS) data.list.length = MAX_CONVERSATIONS;
  data.active = conv.id;
  save();
  return conv;
}

export function activate(id) {
  if (get(id)) { data.active = id; save(); }
}

export function rename(id, title) {
  const conv = get(id);
  if (!conv) return;
  conv.title = title.trim().slice(0, 60);
  conv.named = Boolean(conv.title);
  save();
}

export function remove(id) {
  data.list = data.list.filter((c) => c.id !== id);
  if (data.active === id) data.active = null;
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

// Talking to the server: fetch with the API key, server-sent events, errors in plain Chinese,
// and the status dot in the top bar, which follows whether the server answers.

import { $ } from "./util.js";

const KEY_STORAGE = "policy-assistant.api-key";
const POLL_READY_MS = 30_000;
const POLL_DOWN_MS = 4_000;

/** A failed request; kind is network, auth, client, server, stream or aborted. */
export class ApiError extends Error {
  constructor(kind, message, status = 0, detail = "") {
    super(message);
    this.kind = kind;
    this.status = status;
    this.detail = detail;
  }
}

// The server's reasons are English; the page says what happened, and what to do, in Chinese.
let fileTypes = "txt、md、html、pdf 或 docx"; // until the server says which it reads

/** The accepted suffixes (".txt", …) as the page names them (txt、md、pdf 或 docx). */
export function setFileTypes(suffixes) {
  const names = [...new Set(suffixes.map((s) => s.replace(/^\./, "")))];
  fileTypes = names.length > 1 ? names.slice(0, -1).join("、") + " 或 " + names[names.length - 1] : names.join("");
  return fileTypes;
}

const UPLOAD_REASONS = [
  [/unsupported file type/, () => "不支持这种文件类型，请上传 " + fileTypes + " 文件。"],
  [/file is empty/, "文件是空的。"],
  [/not a PDF/, "文件内容不是 PDF（扩展名与内容不符）。"],
  [/not a Word|word\/document\.xml/, "不是有效的 Word .docx 文件。"],
  [/looks binary|NUL|decode/i, "文件不是可读的文本。"],
  [/larger than the limit/, "文件超过了大小上限。"],
  [/no text|no clauses|scanned|text layer/i, "没能从文件中读出文字（扫描件需要先做文字识别）。"],
];

/** A Chinese sentence for a server reason; the original stays available as detail. */
export function explain(detail, status) {
  for (const [re, text] of UPLOAD_REASONS) if (re.test(detail)) return typeof text === "function" ? text() : text;
  if (status === 401) return "访问密钥错误或缺失。";
  if (status === 404) return "没有找到（可能已被删除）。";
  if (status === 409) return "这份文件来自服务器的文件目录，只能删除或替换上传的文件。";
  if (status === 413) return "内容超过了大小上限。";
  if (status === 400) return "无法读取这个文件（" + detail + "）。"; // an unforeseen reason: say it
  if (status === 422) {
    if (/characters long/.test(detail)) return "问题太长了，请缩短后再问。";
    if (/empty/.test(detail)) return "问题是空的。";
    return "请求的内容不符合要求。";
  }
  if (status === 503) return "索引或模型暂时不可用，请稍后再试。";
  if (status >= 500) return "服务器出错了，请稍后再试。";
  return "请求未成功。";
}

const listeners = { auth: [], status: [] };

/** Subscribe to "auth" (a 401: the key is missing or wrong) or "status" (server up/down). */
export function on(name, fn) { listeners[name].push(fn); }
function emit(name, value) { for (const fn of listeners[name]) fn(value); }

export function getKey() { return localStorage.getItem(KEY_STORAGE) || ""; }
export function setKey(key) { localStorage.setItem(KEY_STORAGE, key); }

function authHeaders() {
  const key = getKey();
  return key ? { Authorization: "Bearer " + key } : {};
}

/** fetch with the key; resolves only for 2xx, throws an ApiError otherwise. */
export async function apiFetch(path, options = {}) {
  const headers = Object.assign({}, options.headers || {}, authHeaders());
  const asked = ++requests;
  let res;
  try {
    res = await fetch(path, Object.assign({}, options, { headers }));
  } catch (err) {
    if (err.name === "AbortError") throw new ApiError("aborted", "已停止");
    serverDown(asked);
    throw new ApiError("network", "无法连接到服务器，请确认服务正在运行。");
  }
  serverUp(asked);
  if (res.ok) return res;
  let detail = res.status + " " + res.statusText;
  try {
    const body = await res.json();
    const d = body.detail ?? (body.error && body.error.message);
    if (typeof d === "string") detail = d;
    else if (Array.isArray(d) && d.length) detail = d.map((x) => x.msg).join("; ");
  } catch (_) { /* not JSON: keep the status line */ }
  if (res.status === 401) {
    emit("auth", Boolean(getKey()));
    throw new ApiError("auth", explain(detail, 401), 401, detail);
  }
  throw new ApiError(res.status >= 500 ? "server" : "client", explain(detail, res.status), res.status, detail);
}

export async function getJSON(path, options) {
  return (await apiFetch(path, options)).json();
}

/** Follow a background job (the 202 body of an upload) until it is done; resolves with its
 * result, throws an ApiError with the job's error when it failed. onProgress(job) on each poll. */
export async function waitForJob(job, onProgress = () => {}, interval = 400) {
  for (;;) {
    if (job.state === "done") return job.result;
    if (job.state === "failed") {
      const detail = job.error || "";
      const status = /^internal error/.test(detail) ? 500 : 400;
      throw new ApiError(status >= 500 ? "server" : "client", explain(detail, status), status, detail);
    }
    onProgress(job);
    await new Promise((resolve) => setTimeout(resolve, interval));
    job = await getJSON(job.status_url, { cache: "no-store" });
  }
}

/** POST a question; onEvent(name, data) for each server-sent event. Abort with signal. */
export async function streamAsk(body, onEvent, signal) {
  const res = await apiFetch("/api/ask/stream", {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "text/event-stream" },
    body: JSON.stringify(body),
    signal,
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
  try {
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
  } catch (err) {
    if (err instanceof ApiError) throw err;
    if (err.name === "AbortError" || (signal && signal.aborted)) throw new ApiError("aborted", "已停止");
    serverDown(++requests);
    throw new ApiError("stream", "连接中断，没有收到完整的回答。");
  }
  if (buffer.trim()) flush(buffer);
}

// --- the status dot ------------------------------------------------------------------------

let serverState = "unknown";
let pollTimer = null;
let summary = "";
// Requests are numbered when sent; the dot follows the latest-sent request that has answered
// or failed, so a slow reply that left before a failure cannot paint a down server as up.
let requests = 0;
let latest = 0;

/** Whether what request number asked learned is newer than what the dot shows. */
function newest(asked) {
  if (asked < latest) return false;
  latest = asked;
  return true;
}

function paint() {
  const box = $("index-status");
  const text = {
    ready: summary || "服务正常",
    down: "服务器无法连接",
    empty: "索引为空，请上传文件",
    auth: "需要访问密钥",
    unknown: "正在连接…",
  }[serverState];
  box.textContent = text;
  box.className = "index-status " + serverState;
  box.title = serverState === "down" ? "每隔几秒自动重试连接" : "";
}

function setState(next) {
  if (next === serverState) return;
  const was = serverState;
  serverState = next;
  paint();
  schedule();
  emit("status", { state: next, was });
}

function schedule() {
  clearTimeout(pollTimer);
  pollTimer = setTimeout(poll, serverState === "down" ? POLL_DOWN_MS : POLL_READY_MS);
}

/** Ask /readyz (no key needed) and set the dot from the answer. */
export async function poll() {
  const asked = ++requests;
  try {
    const res = await fetch("/readyz", { cache: "no-store" });
    if (newest(asked)) {
      if (res.ok) setState(serverState === "auth" ? "auth" : "ready");
      else setState("empty");
    }
  } catch (_) {
    if (newest(asked)) setState("down");
  }
  schedule();
}

function serverDown(asked) { if (newest(asked)) setState("down"); }
function serverUp(asked) {
  if (newest(asked) && (serverState === "down" || serverState === "unknown")) setState("ready");
}

/** The text shown while the server is up (e.g. how many documents are indexed). */
export function setSummary(text) { summary = text; if (serverState === "ready") paint(); }
export function setAuthNeeded(needed) {
  if (needed) setState("auth");
  else if (serverState === "auth") setState("ready");
}
export function currentState() { return serverState; }

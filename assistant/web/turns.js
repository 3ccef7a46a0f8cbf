// One turn of a conversation on screen: the question's bubble and the answer's card, with
// [n] markers as buttons that open the cited clause, source cards, 复制, and the card of a
// stopped or failed answer. Every piece of answer or document text goes in as text.

import { docs } from "./library.js";
import { attachPreview, hidePreview, openClause } from "./panel.js";
import * as scope from "./scope.js";
import {
  $, bookTitle, displayText, docPlace, el, joinPath, rangeText, renderMarked, sentencesCiting,
  standingBadges, textAfterHeading,
} from "./util.js";

const RELATED_SHOWN = 4;
const UNDERSTOOD = "结合上文理解为："; // how a follow-up was taken, said above its answer

function citeButton(view, n) {
  const button = el("button", "cite", n);
  button.type = "button";
  button.dataset.n = String(n);
  button.setAttribute("aria-label", "出处 " + n);
  const c = view.answer && view.answer.citations.find((x) => x.n === n);
  const doc = c && docs.byId.get(c.doc_id);
  if (doc && doc.status === "draft") {
    // A draft is marked where it is cited, not only in the source list.
    button.classList.add("draft");
    button.setAttribute("aria-label", "出处 " + n + "（征求意见稿）");
  }
  button.addEventListener("click", () => openCitation(view, n, button));
  attachPreview(button, () => {
    const c = view.answer && view.answer.citations.find((x) => x.n === n);
    return c ? [c, docs.byId.get(c.doc_id)] : null;
  });
  return button;
}

function openCitation(view, n, button) {
  const citation = view.answer && view.answer.citations.find((c) => c.n === n);
  if (!citation) return; // the final event with the citations has not arrived yet
  hidePreview(null);
  document.querySelectorAll(".cite.active, .source.active").forEach((b) => b.classList.remove("active"));
  view.card.querySelectorAll('[data-n="' + n + '"]').forEach((b) => b.classList.add("active"));
  // The spans the answer quotes; an answer from before spans existed has its sentences.
  openClause(citation.chunk_id, { quotes: citation.quotes || [], cited: true,
    sentences: sentencesCiting(view.answer.answer, n) }, button);
}

/** A source card: number, 《title》 with its status, place and issuer, section path. */
function sourceCard(n, item, snippet, onClick) {
  const doc = docs.byId.get(item.doc_id);
  const button = el("button", "source");
  button.type = "button";
  if (n !== null) {
    button.dataset.n = String(n);
    button.append(el("span", "cite source-n", n));
  } else {
    button.append(el("span", "bullet"));
  }
  const body = el("span", "source-body");
  const head = el("span", "source-head");
  head.append(rangeText("span", "source-doc", bookTitle(doc ? doc.title : item.doc_title)));
  head.append(...standingBadges(doc, item));
  body.append(head);
  const meta = [docPlace(doc), doc && doc.issuer].filter(Boolean).join(" · ");
  if (meta) body.append(el("span", "source-meta", meta));
  if (item.section_path && item.section_path.length) body.append(el("span", "source-path", joinPath(item.section_path)));
  if (snippet) body.append(el("span", "source-snippet", snippet));
  button.append(body);
  button.addEventListener("click", onClick);
  return button;
}

/** A clause's text for a card, without the heading the card already shows as its path. */
function snippetOf(r) {
  return textAfterHeading(r, (r.section_path || []).slice(-1)[0]).replace(/\s+/g, " ").trim();
}

/** The answer as clean text with a numbered source list (what 复制 puts on the clipboard). */
function copyText(answer) {
  let text = displayText(shownAnswer(answer)).trim();
  if (answer.citations.length) {
    const lines = answer.citations.map((c) => {
      const d = docs.byId.get(c.doc_id);
      const draft = d && d.status === "draft" && !c.status_label ? "（征求意见稿）" : "";
      const status = c.status_label ? " 【" + c.status_label + "】" : "";
      return "[" + c.n + "] " + bookTitle(d ? d.title : c.doc_title) + draft + " " + c.section_path.join(" ") + status;
    });
    text += "\n\n来源：\n" + lines.join("\n");
  }
  return text;
}

export function shownAnswer(answer) {
  let shown = answer.answer;
  if (!answer.answered) {
    // The nearest clauses are listed as cards below, not as one long sentence.
    const cut = shown.indexOf("可能相关的条款");
    if (cut > 0) shown = shown.slice(0, cut).trim();
  }
  return shown;
}

async function copyToClipboard(text) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch (_) {
    const area = el("textarea", "sr-only");
    area.value = text;
    document.body.append(area);
    area.select();
    const ok = document.execCommand("copy");
    area.remove();
    return ok;
  }
}

export function iconButton(label, text, onClick) {
  const b = el("button", "foot-button", text);
  b.type = "button";
  if (label) b.setAttribute("aria-label", label);
  b.addEventListener("click", onClick);
  return b;
}

/** The user's bubble and an empty answer card for a turn; returns the view to fill. */
export function addTurnView(turn) {
  const user = el("li", "msg-user");
  user.append(el("div", "bubble", turn.question));
  const li = el("li", "msg-assistant");
  li.append(el("div", "avatar", "策"));
  const card = el("div", "answer-card card");
  const text = el("div", "answer-text");
  card.append(text);
  li.append(card);
  $("messages").append(user, li);
  return { turn, li, user, card, text, answer: null, streamed: "" };
}

export function showTyping(view) {
  const typing = el("div", "typing");
  typing.setAttribute("role", "img");
  typing.setAttribute("aria-label", "正在检索文件");
  typing.append(el("span"), el("span"), el("span"));
  view.text.replaceChildren(typing);
}

/** How a follow-up was understood, above its answer (from the stream, then the answer). */
export function showUnderstood(view, question) {
  if (!question || view.card.querySelector(".understood")) return;
  view.text.before(el("p", "understood", UNDERSTOOD + question));
}

function scopeChip(card, turnScope) {
  const text = scope.describe(turnScope);
  if (text) card.prepend(el("p", "answer-scope", "检索范围：" + text));
}

export function finishView(view, answer) {
  view.answer = answer;
  const card = view.card;
  const refused = !answer.answered;
  card.classList.toggle("refused", refused);
  if (refused) card.prepend(el("span", "status-chip refused", "文件中未找到答案"));
  scopeChip(card, view.turn.scope);
  renderMarked(view.text, displayText(shownAnswer(answer)), (n) => citeButton(view, n));
  showUnderstood(view, answer.understood);
  if (answer.notice) view.text.before(el("p", "notice", answer.notice));
  if (answer.citations.length) {
    const box = el("div", "sources");
    box.append(el("h3", "sources-title", "来源"));
    const list = el("ul", "source-list");
    for (const c of answer.citations) {
      const li = el("li");
      li.append(sourceCard(c.n, c, null, (ev) => openCitation(view, c.n, ev.currentTarget)));
      list.append(li);
    }
    box.append(list);
    card.append(box);
  } else if (refused && answer.retrieved.length) {
    const box = el("div", "sources related");
    box.append(el("h3", "sources-title", "可能相关"));
    const list = el("ul", "source-list");
    for (const r of answer.retrieved.slice(0, RELATED_SHOWN)) {
      const li = el("li");
      li.append(sourceCard(null, r, snippetOf(r),
        (ev) => openClause(r.chunk_id, null, ev.currentTarget)));
      list.append(li);
    }
    box.append(list);
    card.append(box);
  }
  const foot = el("div", "answer-foot");
  const copy = iconButton("复制回答和来源", "复制", async () => {
    const ok = await copyToClipboard(copyText(answer));
    copy.textContent = ok ? "已复制" : "复制失败";
    setTimeout(() => { copy.textContent = "复制"; }, 1600);
  });
  copy.classList.add("copy-button");
  foot.append(copy);
  if (answer.citations.length) foot.append(el("span", "foot-note", answer.citations.length + " 处引用"));
  card.append(foot);
}

/** The card of an answer that was stopped or failed, with 重新回答 (retry(turn)). */
export function failView(view, turn, retry) {
  const card = view.card;
  scopeChip(card, turn.scope);
  if (turn.stopped) {
    if (turn.partial) renderMarked(view.text, displayText(turn.partial), (n) => el("span", "cite", n));
    else view.text.replaceChildren();
    card.append(el("p", "stopped-note", "已停止回答。"));
  } else {
    view.text.replaceChildren(el("p", "error-text", turn.error.message));
  }
  const foot = el("div", "answer-foot");
  const again = iconButton(null, "重新回答", () => retry(turn));
  again.classList.add("retry-button");
  foot.append(again);
  card.append(foot);
}

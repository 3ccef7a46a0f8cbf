// Small helpers shared by the page's modules: DOM building (always as text, never HTML),
// document titles and metadata, and the [n] markers of answers.

export const $ = (id) => document.getElementById(id);

/** An element with a class and optional text (always set as text). */
export function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

// Kept whole on one line: a year range (2026—2030年) and a document number (成府发〔2024〕2号).
const UNBROKEN = /\d{2,4}\s*[—–\-~～]\s*\d{2,4}年?|[\u4e00-\u9fff]{0,10}[〔［\[(（]\s*\d{4}\s*[〕］\])）]\s*第?\s*\d{1,4}\s*号/g;
// The browser's dictionary of Chinese words (ICU), where it has one.
const WORDS = typeof Intl !== "undefined" && Intl.Segmenter
  ? new Intl.Segmenter("zh", { granularity: "word" }) : null;
const OPENING = /[《（(「『“‘〔【［\[〈]$/;

/**
 * Append text that may break only between words: a <wbr> between two words, none inside one
 * (the element is styled word-break: keep-all). Punctuation stays with the word it belongs to:
 * a closing mark with the word before it, an opening one with the word after it.
 */
function appendWords(node, text) {
  if (!WORDS) { node.append(document.createTextNode(text)); return; }
  let run = "";
  let previous = "";
  for (const { segment, isWordLike } of WORDS.segment(text)) {
    if (isWordLike && run && !OPENING.test(previous)) {
      node.append(document.createTextNode(run), document.createElement("wbr"));
      run = "";
    }
    run += segment;
    previous = segment;
  }
  if (run) node.append(document.createTextNode(run));
}

/**
 * An element for a title or a name: it wraps between words, never inside one, and keeps number
 * ranges ("2026—2030年") and document numbers whole, so no line starts with a dash or splits
 * 成府发〔2024〕2号.
 */
export function rangeText(tag, className, text) {
  const node = el(tag, ((className || "") + " phrases").trim());
  const s = String(text ?? "");
  let last = 0;
  let m;
  UNBROKEN.lastIndex = 0;
  while ((m = UNBROKEN.exec(s)) !== null) {
    if (m.index > last) appendWords(node, s.slice(last, m.index));
    node.append(el("span", "nowrap", m[0]));
    last = UNBROKEN.lastIndex;
  }
  if (last < s.length) appendWords(node, s.slice(last));
  return node;
}

/** Full-width digits as ASCII (２０２４ → 2024), so that a search finds a 文号 either way. */
export function foldDigits(text) {
  return String(text ?? "").replace(/[０-９]/g, (d) => String.fromCharCode(d.charCodeAt(0) - 0xfee0));
}

export const LEVELS = { province: "省级", city: "市级", county: "县级" };
export const STATUSES = { final: "正式文件", draft: "征求意见稿" };

/**
 * A title between 《》. Titles that already hold 《》 (a plan named inside its drafting
 * notes) get the inner marks as 〈〉, the way nested titles are written, instead of 《《…》…》.
 */
export function bookTitle(title) {
  let t = String(title || "").trim();
  if (/^《[^《》]*》$/.test(t)) t = t.slice(1, -1);
  return "《" + t.replace(/《/g, "〈").replace(/》/g, "〉") + "》";
}

/** Words joined so a line never starts with the separator: a no-break space on each side. */
export function joinPath(parts) {
  return (parts || []).filter(Boolean).join("\u00a0›\u00a0");
}

/** Issuer, 文号 and date of a document, for one meta line. */
export function docMetaLine(d) {
  return [d.issuer, d.doc_number, d.date].filter(Boolean).join(" · ");
}

/**
 * A document's place, issuer, 文号 and date as one line of text in an element: the 文号 and the
 * date are never broken across lines.
 */
export function docMetaNode(tag, className, d, withPlace = true) {
  const node = el(tag, className);
  const parts = [[withPlace ? docPlace(d) : "", false], [d.issuer, false], [d.doc_number, true],
    [d.date, true]].filter(([text]) => text);
  parts.forEach(([text, whole], i) => {
    if (i) node.append(document.createTextNode(" · "));
    node.append(whole ? el("span", "nowrap", text) : document.createTextNode(text));
  });
  return node;
}

/** Place and level of a document (浙江省 · 省级), the first thing to know about its reach. */
export function docPlace(d) {
  if (!d) return "";
  return [d.region, LEVELS[d.level]].filter(Boolean).join(" · ");
}

/** A document's status on a date, as the API names it, in the words of its badge. */
export const VALIDITY = {
  in_force: "现行有效", expired: "已失效", not_yet: "尚未施行",
  draft: "征求意见稿", superseded: "已被替代", unknown: "效力未知",
};

/** The badge of a document's status on the answer's date (现行有效（有效期至…）). */
export function validityBadge(status, label) {
  if (!VALIDITY[status]) return null;
  const badge = el("span", "badge validity " + status + (status === "draft" ? " draft" : ""),
    label || VALIDITY[status]);
  badge.dataset.status = status;
  return badge;
}

/**
 * The badges of a document's standing: 正式文件 (unless it is a draft) and its status on the
 * day, from a citation (its status) or else the document's validity.
 */
export function standingBadges(doc, citation) {
  const v = citation && citation.status
    ? { status: citation.status, label: citation.status_label }
    : doc && doc.validity ? { status: doc.validity.status, label: doc.validity.badge } : null;
  const out = [];
  if (!v || v.status !== "draft") out.push(statusBadge(doc ? doc.status : null));
  const badge = v && validityBadge(v.status, v.label);
  if (badge) out.push(badge);
  return out;
}

/** The 正式文件 / 征求意见稿 / 状态未知 badge. */
export function statusBadge(status) {
  if (status === "draft") return el("span", "badge draft", STATUSES.draft);
  if (status === "final") return el("span", "badge final", STATUSES.final);
  return el("span", "badge unknown", "状态未知");
}

/** A badge of the document's level, or null. */
export function levelBadge(level) {
  return LEVELS[level] ? el("span", "badge", LEVELS[level]) : null;
}

// --- answers and their [n] markers ------------------------------------------------------

/** Marker groups de-duplicated ([1][1][2] → [1][2]). */
export function dedupeMarkers(text) {
  return String(text).replace(/(?:\[\d+\])+/g, (group) => {
    const seen = [];
    for (const n of group.match(/\d+/g)) if (!seen.includes(n)) seen.push(n);
    return seen.map((n) => "[" + n + "]").join("");
  });
}

/**
 * The answer as shown: markers de-duplicated, and when consecutive sentences cite the same
 * sources, the markers only after the last of them (one clause quoted sentence by sentence
 * reads "…。…。…。[1]" rather than "…。[1]…。[1]…。[1]").
 */
export function displayText(text) {
  // Bodies and marker groups alternate: b0, g0, b1, g1, …, bn.
  const pieces = dedupeMarkers(text).split(/((?:\[\d+\])+)/);
  let out = "";
  for (let i = 0; i < pieces.length; i++) {
    if (i % 2 === 0) { out += pieces[i]; continue; }
    const nextBody = pieces[i + 1] || "";
    const nextGroup = pieces[i + 2];
    // Only across sentence ends on one line: a new paragraph or list item keeps its marker.
    const dropped = nextGroup === pieces[i] && /[。；！？]$/.test(pieces[i - 1])
      && nextBody.trim() !== "" && !nextBody.includes("\n");
    if (!dropped) out += pieces[i];
  }
  return out;
}

/** Text without markers (for the screen-reader announcement). */
export function withoutMarkers(text) {
  return String(text).replace(/\[\d+\]/g, "");
}

/** The answer's sentences that carry marker n, without the markers. */
export function sentencesCiting(answerText, n) {
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

// Punctuation that must not start a line (and so stays with the marker before it).
const CLOSING = /^[，。；：！？、）》」』”’,.;:!?)]{1,2}/;

/**
 * Text with [n] markers, as text nodes and the nodes makeCite(n) returns. A marker group is
 * kept on one line with the character before it and the punctuation after it: a marker never
 * starts a line, and neither does the "；" that follows it.
 */
export function renderMarked(container, text, makeCite) {
  container.replaceChildren();
  const pieces = String(text).split(/((?:\[\d+\])+)/);
  let carry = ""; // punctuation taken from the start of a piece by the group before it
  for (let i = 0; i < pieces.length; i++) {
    if (i % 2 === 0) {
      let piece = pieces[i].slice(carry.length);
      carry = "";
      const next = pieces[i + 1];
      let last = "";
      if (next && piece && !/\s$/.test(piece)) {
        last = piece.slice(-1);
        piece = piece.slice(0, -1);
      }
      if (piece) container.append(document.createTextNode(piece));
      if (next) {
        const glue = el("span", "cite-glue");
        if (last) glue.append(document.createTextNode(last));
        for (const m of next.match(/\d+/g)) glue.append(makeCite(Number(m)));
        const after = (pieces[i + 2] || "").match(CLOSING);
        if (after) {
          glue.append(document.createTextNode(after[0]));
          carry = after[0];
        }
        container.append(glue);
      }
    }
  }
}

/** Text with the given sentences wrapped in <mark> (built from text nodes). */
export function renderHighlighted(container, text, sentences) {
  const ranges = [];
  for (const s of sentences) {
    for (const probe of [s, s.replace(/[。；;！!？?，,]+$/, "")]) {
      if (probe.length < 6) continue;
      const at = text.indexOf(probe);
      if (at >= 0) { ranges.push([at, at + probe.length]); break; }
    }
  }
  return renderRanges(container, text, ranges);
}

/**
 * Text with the spans an answer quotes ({start, end, text} offsets into it) in <mark>. A span
 * whose text is not at its offsets (the clause changed since) is left out. Returns whether
 * anything was marked.
 */
export function renderQuoted(container, text, quotes) {
  const ranges = (quotes || [])
    .filter((q) => q.end > q.start && text.slice(q.start, q.end) === q.text)
    .map((q) => [q.start, q.end]);
  return renderRanges(container, text, ranges);
}

function renderRanges(container, text, ranges) {
  ranges.sort((a, b) => a[0] - b[0] || b[1] - a[1]);
  let pos = 0;
  let marked = false;
  for (const [start, end] of ranges) {
    if (end <= pos) continue; // inside a span already marked
    const from = Math.max(start, pos);
    if (from > pos) container.append(document.createTextNode(text.slice(pos, from)));
    container.append(el("mark", "", text.slice(from, end)));
    pos = end;
    marked = true;
  }
  if (pos < text.length) container.append(document.createTextNode(text.slice(pos)));
  return marked;
}

/** A clause's text without its heading line when a card already shows that heading. */
export function textAfterHeading(clause, heading) {
  const text = String(clause.text || "");
  if (!heading || !text.startsWith(heading)) return text;
  return text.slice(heading.length).replace(/^[\s。：:]+/, "");
}

/** The text of a node, with citation buttons written as [n] (for copying a selection). */
export function textWithMarkers(node) {
  if (node.nodeType === Node.TEXT_NODE) return node.nodeValue;
  if (node.nodeType !== Node.ELEMENT_NODE && node.nodeType !== Node.DOCUMENT_FRAGMENT_NODE) return "";
  if (node.classList && node.classList.contains("cite") && node.dataset.n) return "[" + node.dataset.n + "]";
  if (node.classList && node.classList.contains("copy-skip")) return "";
  let out = "";
  for (const child of node.childNodes) out += textWithMarkers(child);
  return out;
}

/** Local date and time, short. */
export function shortTime(ms) {
  const d = new Date(ms);
  const now = new Date();
  const pad = (x) => String(x).padStart(2, "0");
  const time = pad(d.getHours()) + ":" + pad(d.getMinutes());
  if (d.toDateString() === now.toDateString()) return time;
  return (d.getMonth() + 1) + "月" + d.getDate() + "日 " + time;
}

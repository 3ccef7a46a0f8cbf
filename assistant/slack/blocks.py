"""Slack rendering: escaping, question extraction, and answers and clauses as Block Kit.

Everything taken from the documents is escaped, and every Slack limit on blocks, texts and
buttons is kept (a very long answer is cut with a note saying so).
"""

from __future__ import annotations

import re

from ..language.lexicon import STATUS_LABELS
from ..language.text import book_title
from ..reading.standing import badge, status_on
from ..types import UNDERSTOOD_PREFIX, Answer, Clause, today

SHOW_CLAUSE = "show_clause"
CLAUSE_GONE_TEXT = "这条条款已不在索引中（文件可能已更新），请重新提问。"
REFUSAL_NEAREST = "可能相关的条款："

# Slack's Block Kit limits (https://docs.slack.dev/reference/block-kit/blocks).
MAX_TEXT_CHARS = 3000  # a section's or a context element's text
MAX_MESSAGE_BLOCKS = 50
MAX_MODAL_BLOCKS = 100
MAX_BUTTON_CHARS = 75
MAX_CONTEXT_ELEMENTS = 10
MAX_ACTIONS_ELEMENTS = 25
MAX_MODAL_TITLE_CHARS = 24
MAX_SOURCES = 20  # citations shown with a button; an answer rarely has more than five
MAX_FALLBACK_CHARS = 3000  # the notification text; the blocks carry the full answer
# chat.postMessage rejects blocks whose texts add up to about 12,000 characters
# (msg_blocks_too_long), although each block is within its own limit.
MAX_MESSAGE_CHARS = 11_000
CUT_NOTE = "…（内容较长，余下部分已省略）"


# --- text: escaping, question extraction, splitting ----------------------------------------


def escape(text: str) -> str:
    """``text`` escaped for Slack: ``&``, ``<`` and ``>`` become entities.

    These are Slack's only control characters; escaped, nothing in a document or an answer
    can ping a channel (``<!channel>``), mention a user (``<@U…>``) or inject a link.
    """
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def unescape(text: str) -> str:
    """The reverse of :func:`escape` (Slack sends message text escaped)."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


_SPECIAL = re.compile(r"<([^<>]*)>")


def question_text(text: str) -> str:
    """The plain question in a Slack message: mentions removed, links reduced to their label.

    ``<@BOT>`` (and any other user mention) is dropped; ``<#C…|name>`` becomes ``#name``,
    ``<url|label>`` its label; ``<!here>`` and other broadcasts are dropped. Entities are
    decoded last, so an escaped ``&lt;`` typed by the user stays a literal ``<``.
    """

    def plain(match: re.Match[str]) -> str:
        target, _, label = match.group(1).partition("|")
        if target.startswith("@"):  # <@U123> or <@U123|name>: nobody's name belongs in a question
            return ""
        if target.startswith("#"):
            return f"#{label}" if label else ""
        if target.startswith("!"):  # <!here>, <!subteam^…>, <!date^…|fallback>
            return label
        return label or target

    return unescape(" ".join(_SPECIAL.sub(plain, text or "").split()))


#: A status asked for before the question: ``--status in_force``, ``--as-of 2026-01-01``, or
#: in words, ``只看现行有效：`` (the badge's words), as the web page's scope sets it.
_OPTION = re.compile(r"^\s*--(status|as-of)(?:=|\s+)(\S+)\s*")
_IN_WORDS = re.compile(r"^\s*只看(" + "|".join(STATUS_LABELS.values()) + r")[：:，,\s]*")


def scope_of(question: str) -> tuple[str, str | None, str | None]:
    """The question without the options before it, the status it limits to and the date that
    status is read on (``--status expired --as-of 2025-01-01 问题``, ``只看现行有效：问题``)."""
    status = as_of = None
    while True:
        m = _OPTION.match(question)
        if m:
            if m.group(1) == "status":
                status = m.group(2)
            else:
                as_of = m.group(2)
            question = question[m.end():]
            continue
        m = _IN_WORDS.match(question)
        if m:
            status = next(k for k, v in STATUS_LABELS.items() if v == m.group(1))
            question = question[m.end():]
            continue
        return question.strip(), status, as_of


_BREAK_AFTER = re.compile(r"(?<=[\n。！？；!?;])")


def split_escaped(text: str, limit: int = MAX_TEXT_CHARS) -> list[str]:
    """``text`` escaped and cut into pieces of at most ``limit`` characters.

    Cuts fall after line breaks and sentence ends where possible, never inside an entity
    (the limit is checked on the escaped text, which is what Slack counts).
    """
    pieces: list[str] = []
    current = ""
    for unit in (u for u in _BREAK_AFTER.split(text) if u):
        escaped = escape(unit)
        if len(current) + len(escaped) <= limit:
            current += escaped
            continue
        if current:
            pieces.append(current)
            current = ""
        if len(escaped) <= limit:
            current = escaped
            continue
        for ch in unit:  # one sentence longer than the limit: cut between characters
            e = escape(ch)
            if len(current) + len(e) > limit:
                pieces.append(current)
                current = ""
            current += e
    if current.strip():
        pieces.append(current)
    return pieces or ["…"]


def clip(text: str, limit: int) -> str:
    """``text`` escaped and shortened to ``limit`` characters, ending in “…” when cut."""
    escaped = escape(text)
    if len(escaped) <= limit:
        return escaped
    out = ""
    for ch in text:
        e = escape(ch)
        if len(out) + len(e) > limit - 1:
            break
        out += e
    return out + "…"


# --- Block Kit ---------------------------------------------------------------------------


def _mrkdwn(text: str) -> dict:
    # verbatim: Slack must not auto-link URLs or parse @-names found in document text.
    return {"type": "mrkdwn", "text": text, "verbatim": True}


def _plain(text: str) -> dict:
    return {"type": "plain_text", "text": text, "emoji": False}


def _sources(answer: Answer) -> list[tuple[str, str, str]]:
    """(marker, label, chunk_id) of the clauses a reply lists: the citations, or for a
    refusal the nearest clauses."""
    if answer.answered:
        return [(f"[{c.n}]", c.label + (f"【{c.status_label}】" if c.status_label else ""), c.chunk_id)
                for c in answer.citations]
    return [(f"{i}.", r.clause.label, r.clause.chunk_id)
            for i, r in enumerate(answer.retrieved[:3], start=1)]


def _short_section(label: str) -> str:
    """The last part of a citation label (the clause heading), for a button."""
    return label.rsplit("》", 1)[-1].strip().split(" ")[-1] or label


def answer_text(answer: Answer) -> str:
    """The answer as plain text; for a refusal without the list of nearest clauses, which the
    blocks show with buttons."""
    text = answer.answer.strip()
    if not answer.answered and REFUSAL_NEAREST in text:
        text = text.split(REFUSAL_NEAREST, 1)[0].strip()
    return text or "（没有内容）"


def answer_blocks(answer: Answer) -> list[dict]:
    """The Block Kit blocks of a reply: answer, cited clauses, and a button per clause.

    Everything from the documents is escaped, and every Slack limit is kept: section texts of
    at most 3000 characters, at most 10 elements per context block, buttons of at most 75
    characters and at most 50 blocks (a very long answer is cut, with a note).
    """
    head: list[dict] = []
    if answer.understood:
        said = f"{UNDERSTOOD_PREFIX}{answer.understood}"
        head.append({"type": "context", "elements": [_mrkdwn(clip(said, MAX_TEXT_CHARS))]})
    if answer.notice:
        head.append({"type": "context", "elements": [_mrkdwn(clip(answer.notice, MAX_TEXT_CHARS))]})

    sources = _sources(answer)
    tail: list[dict] = []
    shown = sources[:MAX_SOURCES]
    if shown:
        lines = [_mrkdwn(clip(f"{marker} {label}", MAX_TEXT_CHARS)) for marker, label, _ in shown]
        if not answer.answered:
            lines.insert(0, _mrkdwn(escape(REFUSAL_NEAREST)))
        if len(sources) > len(shown):
            lines.append(_mrkdwn(escape(f"另有 {len(sources) - len(shown)} 条来源未列出")))
        for i in range(0, len(lines), MAX_CONTEXT_ELEMENTS):
            tail.append({"type": "context", "elements": lines[i:i + MAX_CONTEXT_ELEMENTS]})
        buttons = [
            {
                "type": "button",
                # action_id must be unique within a block; the listener matches the prefix.
                "action_id": f"{SHOW_CLAUSE}_{i}",
                "text": _plain(clip(f"{marker} 查看原文 {_short_section(label)}", MAX_BUTTON_CHARS)),
                "value": chunk_id,
            }
            for i, (marker, label, chunk_id) in enumerate(shown)
        ]
        for i in range(0, len(buttons), MAX_ACTIONS_ELEMENTS):
            tail.append({"type": "actions", "elements": buttons[i:i + MAX_ACTIONS_ELEMENTS]})

    body = _sections(split_escaped(answer_text(answer)), MAX_MESSAGE_BLOCKS - len(head) - len(tail),
                     MAX_MESSAGE_CHARS - _text_len(head + tail))
    return head + body + tail


def _text_len(blocks: list[dict]) -> int:
    total = 0
    for b in blocks:
        total += len(b.get("text", {}).get("text", ""))
        for e in b.get("elements", []):
            total += len(e["text"]["text"] if e.get("type") == "button" else e.get("text", ""))
    return total


def _sections(pieces: list[str], room: int, budget: int) -> list[dict]:
    """Section blocks for escaped ``pieces``, at most ``room`` blocks and about ``budget``
    characters; what does not fit is replaced by a note saying so."""
    note = escape(CUT_NOTE)
    budget = max(budget, MAX_TEXT_CHARS + len(note))  # room for one full section at least
    out: list[dict] = []
    used = 0
    for i, piece in enumerate(pieces):
        last = i == len(pieces) - 1
        needed_blocks = 1 if last else 2  # a piece that is not the last may need the note after it
        needed_chars = len(piece) + (0 if last else len(note))
        if len(out) + needed_blocks > room or used + needed_chars > budget:
            out.append({"type": "section", "text": _mrkdwn(note)})
            break
        out.append({"type": "section", "text": _mrkdwn(piece)})
        used += len(piece)
    return out


def fallback_text(answer: Answer) -> str:
    """The top-level ``text`` of a reply (notifications, screen readers), escaped."""
    return clip(answer_text(answer), MAX_FALLBACK_CHARS)


def clause_blocks(clause: Clause | None, limit: int = MAX_MODAL_BLOCKS,
                  chars: int = MAX_MESSAGE_CHARS) -> list[dict]:
    """Blocks showing a clause in full: document, section path, document status, text."""
    if clause is None:
        return [{"type": "section", "text": _mrkdwn(escape(CLAUSE_GONE_TEXT))}]
    heading = f"*{clip(book_title(clause.doc_title), 1000)}*\n{clip(' › '.join(clause.section_path), 1500)}"
    blocks: list[dict] = [{"type": "section", "text": _mrkdwn(heading)}]
    meta = clause.meta
    facts = []
    if meta is not None:
        facts = [x for x in (meta.issuer, meta.doc_number, meta.date_cn()) if x]
        status = status_on(meta.validity, today())
        draft = status == "draft" or meta.status == "draft"
        facts.append("征求意见稿（非正式文件）" if draft else badge(meta.validity, status))
    if facts:
        blocks.append({"type": "context", "elements": [_mrkdwn(clip(" · ".join(facts), MAX_TEXT_CHARS))]})
    return blocks + _sections(split_escaped(clause.text), limit - len(blocks), chars - _text_len(blocks))


def clause_view(clause: Clause | None) -> dict:
    """The modal that shows a cited clause in full."""
    return {
        "type": "modal",
        "title": _plain(clip("条款原文", MAX_MODAL_TITLE_CHARS)),
        "close": _plain("关闭"),
        "blocks": clause_blocks(clause),
    }

"""The Slack front end: answers in the thread where a question is asked, with citations.

A Slack Bolt app answers ``@mentions`` in channels, direct messages and the ``/policy`` slash
command with the same answers and citations as the web page. Replies are Block Kit messages:
the answer, the cited clauses, and one button per citation that opens the full clause.
Later messages in a thread are follow-up questions: the thread is the conversation history.

Socket Mode is used when ``SLACK_APP_TOKEN`` is set, HTTP mode (``/slack/events``) otherwise.
Tokens and the signing secret come from the environment only; ``ASSISTANT_SLACK_API_URL``
points the Web API client at a proxy or a local test server.
"""

from __future__ import annotations

import logging
import os
import re
import secrets
import threading
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable

from slack_bolt import App, BoltRequest, BoltResponse
from slack_bolt.adapter.starlette.handler import to_bolt_request, to_starlette_response
from slack_bolt.error import BoltError
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from .service import Assistant
from .types import Answer, Clause

log = logging.getLogger(__name__)

SLASH_COMMAND = "/policy"
EVENTS_PATH = "/slack/events"
SHOW_CLAUSE = "show_clause"

SEARCHING_TEXT = "正在查找…"
ERROR_TEXT = "抱歉，处理这个问题时出错了，请稍后再试。"
HELP_TEXT = ("请在 @我 后面写下关于政策文件的问题，或使用 /policy 问题，"
             "例如：/policy 遂昌重点发展哪些未来产业？")
TOO_LONG_TEXT = "问题太长了（{n} 字），请精简到 {limit} 字以内再问。"
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

MAX_HISTORY_TURNS = 12
MAX_THREAD_PAGES = 5


class SlackConfigError(RuntimeError):
    """The Slack bot cannot start (a token or the signing secret is missing or rejected)."""


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
        return [(f"[{c.n}]", c.label, c.chunk_id) for c in answer.citations]
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
    heading = f"*{clip('《' + clause.doc_title + '》', 1000)}*\n{clip(' › '.join(clause.section_path), 1500)}"
    blocks: list[dict] = [{"type": "section", "text": _mrkdwn(heading)}]
    meta = clause.meta
    facts = []
    if meta is not None:
        facts = [x for x in (meta.issuer, meta.doc_number, meta.date_cn()) if x]
        if meta.status == "draft":
            facts.append("征求意见稿（非正式文件）")
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


# --- bounded in-memory state ---------------------------------------------------------------


class RecentKeys:
    """A bounded set of recently seen keys (event ids, message timestamps), thread-safe."""

    def __init__(self, size: int = 4096) -> None:
        self._keys: OrderedDict[str, None] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def add(self, key: str) -> bool:
        """Remember ``key``; False when it was already seen."""
        with self._lock:
            if key in self._keys:
                return False
            self._keys[key] = None
            if len(self._keys) > self._size:
                self._keys.popitem(last=False)
            return True


class ThreadMemory:
    """The last turns of recent threads, for when the thread cannot be read from Slack."""

    def __init__(self, threads: int = 500, turns: int = MAX_HISTORY_TURNS) -> None:
        self._threads: OrderedDict[tuple[str, str], list[dict]] = OrderedDict()
        self._max_threads = threads
        self._max_turns = turns
        self._lock = threading.Lock()

    def add(self, channel: str, thread_ts: str, question: str, answer: str) -> None:
        """Record one question and its answer in a thread."""
        with self._lock:
            turns = self._threads.pop((channel, thread_ts), [])
            turns += [{"role": "user", "content": question}, {"role": "assistant", "content": answer}]
            self._threads[(channel, thread_ts)] = turns[-self._max_turns:]
            if len(self._threads) > self._max_threads:
                self._threads.popitem(last=False)

    def get(self, channel: str, thread_ts: str) -> list[dict]:
        """The remembered turns of a thread (oldest first)."""
        with self._lock:
            return list(self._threads.get((channel, thread_ts), []))


def _ts_key(ts: str) -> tuple[int, ...]:
    # Slack timestamps ("1700000000.000100") have more digits than a float keeps exactly.
    return tuple(int(p) for p in str(ts).split(".") if p.isdigit())


# --- the bot -------------------------------------------------------------------------------


class PolicyBot:
    """The Slack behaviour over one :class:`Assistant`: questions in, Block Kit answers out."""

    def __init__(self, assistant: Assistant) -> None:
        self.assistant = assistant
        self.seen = RecentKeys()
        self.memory = ThreadMemory()
        self._clauses_for: object | None = None
        self._clauses: dict[str, Clause] = {}
        self._clauses_lock = threading.Lock()

    # -- questions in threads (mentions and direct messages) --

    def on_message(self, event: dict, client: WebClient, bot_user_id: str | None,
                   bot_id: str | None) -> None:
        """Answer the question in a mention or a direct message, in its thread."""
        channel = event.get("channel", "")
        ts = event.get("ts", "")
        if is_from_bot(event, bot_user_id, bot_id):
            log.debug("ignoring a message from a bot in %s (ts=%s)", channel, ts)
            return
        if event.get("subtype") not in (None, "thread_broadcast", "file_share"):
            return  # edits, deletions, joins: not questions
        # One answer per message: the same message can arrive as two events or be redelivered.
        if not ts or not self.seen.add(f"message:{channel}:{ts}"):
            log.info("message %s in %s already handled; not answering again", ts, channel)
            return
        thread_ts = event.get("thread_ts") or ts
        try:
            question = question_text(event.get("text", ""))
            problem = self.question_problem(question)
            if problem:
                self._post(client, channel, thread_ts, escape(problem))
                return
            history = []
            if event.get("thread_ts"):
                history = self.thread_history(client, channel, thread_ts, ts, bot_user_id, bot_id,
                                              direct=is_direct(event))
            answer = self.assistant.ask(question, history=history)
            log.info("answered in %s thread %s (answered=%s, %d citations, %.0f ms)", channel,
                     thread_ts, answer.answered, len(answer.citations), answer.latency_ms)
            self._post(client, channel, thread_ts, fallback_text(answer), answer_blocks(answer))
            self.memory.add(channel, thread_ts, question, answer.answer)
        except Exception:
            log.exception("answering the message %s in %s failed", ts, channel)
            try:
                self._post(client, channel, thread_ts, escape(ERROR_TEXT))
            except Exception:
                log.exception("could not tell %s about the failure either", channel)

    def question_problem(self, question: str) -> str | None:
        """Why ``question`` cannot be asked (empty, too long), as a reply; None when it can."""
        if not question:
            return HELP_TEXT
        limit = self.assistant.settings.max_question_chars
        if len(question) > limit:
            return TOO_LONG_TEXT.format(n=len(question), limit=limit)
        return None

    @staticmethod
    def _post(client: WebClient, channel: str, thread_ts: str, text: str,
              blocks: list[dict] | None = None) -> None:
        client.chat_postMessage(
            channel=channel, thread_ts=thread_ts, text=text, blocks=blocks,
            # No link previews, no @-name parsing: the reply shows document text as it is.
            unfurl_links=False, unfurl_media=False, link_names=False, parse="none",
        )

    def thread_history(self, client: WebClient, channel: str, thread_ts: str, current_ts: str,
                       bot_user_id: str | None, bot_id: str | None, direct: bool) -> list[dict]:
        """The conversation in a thread before ``current_ts``, as ``[{role, content}]``.

        Read from Slack (``conversations.replies``) so it survives restarts and sees every
        question; when the thread cannot be read (a missing ``*:history`` scope), the turns
        this process remembers are used. In channels only messages addressed to the bot
        count as questions; people talking among themselves are not.
        """
        try:
            messages = list(_thread_messages(client, channel, thread_ts))
        except Exception as exc:  # a missing scope or a network failure: answer anyway
            reason = exc.response.get("error") if isinstance(exc, SlackApiError) else repr(exc)
            log.warning("cannot read thread %s in %s (%s); using the remembered conversation",
                        thread_ts, channel, reason)
            return self.memory.get(channel, thread_ts)[-MAX_HISTORY_TURNS:]
        turns: list[dict] = []
        current = _ts_key(current_ts)
        for m in sorted(messages, key=lambda m: _ts_key(m.get("ts", "0"))):
            if _ts_key(m.get("ts", "0")) >= current:
                continue
            text = m.get("text", "")
            ours = (bot_user_id and m.get("user") == bot_user_id) or (bot_id and m.get("bot_id") == bot_id)
            if ours:
                turns.append({"role": "assistant", "content": unescape(text)})
            elif m.get("bot_id") or m.get("subtype") == "bot_message":
                continue
            elif direct or (bot_user_id and f"<@{bot_user_id}" in text):
                q = question_text(text)
                if q:
                    turns.append({"role": "user", "content": q})
        return turns[-MAX_HISTORY_TURNS:]

    # -- the slash command --

    def on_command(self, command: dict, respond: Callable[..., object]) -> None:
        """Answer a ``/policy`` question through the command's response URL."""
        question = question_text(command.get("text", ""))
        try:
            answer = self.assistant.ask(question)
            log.info("answered %s from %s in %s (answered=%s, %.0f ms)", SLASH_COMMAND,
                     command.get("user_id"), command.get("channel_id"), answer.answered,
                     answer.latency_ms)
            # in_channel: the team sees the question and the answer, and the buttons work for all.
            sent = respond(text=fallback_text(answer), blocks=answer_blocks(answer),
                           response_type="in_channel", replace_original=False,
                           unfurl_links=False, unfurl_media=False)
            if getattr(sent, "status_code", 200) != 200:  # a response URL answers, never raises
                raise RuntimeError(f"the response URL answered {sent.status_code}: {sent.body}")
        except Exception:
            log.exception("answering %s from %s failed", SLASH_COMMAND, command.get("user_id"))
            try:
                respond(text=escape(ERROR_TEXT), response_type="ephemeral", replace_original=False)
            except Exception:
                log.exception("could not tell %s about the failure either", command.get("user_id"))

    # -- the show-clause button --

    def clause(self, chunk_id: str) -> Clause | None:
        """The indexed clause with ``chunk_id`` (None when the index no longer holds it)."""
        bm25 = self.assistant.retriever.bm25
        with self._clauses_lock:
            if self._clauses_for is not bm25:  # rebuilt after an ingest: index it again
                self._clauses = {c.chunk_id: c for c in bm25.clauses}
                self._clauses_for = bm25
            return self._clauses.get(chunk_id)

    def on_show_clause(self, body: dict, action: dict, client: WebClient) -> None:
        """Show a cited clause in full: a modal, or an ephemeral message when no modal opens."""
        chunk_id = str(action.get("value", ""))
        user = (body.get("user") or {}).get("id")
        channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id")
        try:
            clause = self.clause(chunk_id)
        except Exception:
            log.exception("looking up clause %s failed", chunk_id)
            clause = None
        if clause is None:
            log.info("clause %s asked for by %s is not in the index", chunk_id, user)
        trigger_id = body.get("trigger_id")
        if trigger_id:
            try:
                client.views_open(trigger_id=trigger_id, view=clause_view(clause))
                return
            except SlackApiError as exc:  # the trigger expires after 3 s
                log.warning("cannot open the clause modal (%s); sending it as a message instead",
                            exc.response.get("error"))
        if not (channel and user):
            log.warning("cannot show clause %s: the click carries no channel or user", chunk_id)
            return
        try:
            client.chat_postEphemeral(
                channel=channel, user=user,
                text=clip(clause.text if clause else CLAUSE_GONE_TEXT, MAX_FALLBACK_CHARS),
                blocks=clause_blocks(clause, MAX_MESSAGE_BLOCKS),
                thread_ts=(body.get("container") or {}).get("thread_ts"),
            )
        except SlackApiError as exc:
            log.warning("cannot show clause %s to %s in %s: %s", chunk_id, user, channel,
                        exc.response.get("error"))


def _thread_messages(client: WebClient, channel: str, thread_ts: str) -> Iterable[dict]:
    cursor = None
    for _ in range(MAX_THREAD_PAGES):
        resp = client.conversations_replies(channel=channel, ts=thread_ts, limit=200, cursor=cursor)
        yield from resp.get("messages") or []
        cursor = (resp.get("response_metadata") or {}).get("next_cursor")
        if not cursor:
            return


def is_from_bot(event: dict, bot_user_id: str | None, bot_id: str | None) -> bool:
    """Whether a message was sent by a bot, this one included (never answered: no loops)."""
    return bool(
        event.get("bot_id")
        or event.get("subtype") == "bot_message"
        or (bot_user_id and event.get("user") == bot_user_id)
        or (bot_id and event.get("bot_id") == bot_id)
    )


def is_direct(event: dict) -> bool:
    """Whether an event comes from a direct message with the bot."""
    return event.get("channel_type") == "im" or str(event.get("channel", "")).startswith("D")


# --- the Bolt app --------------------------------------------------------------------------


def _api_url(base_url: str | None) -> str | None:
    url = base_url or os.environ.get("ASSISTANT_SLACK_API_URL") or None
    # WebClient joins method names onto the base URL, which therefore has to end in "/".
    return url if url is None or url.endswith("/") else url + "/"


def create_app(assistant: Assistant | None = None, *, token: str | None = None,
               signing_secret: str | None = None, base_url: str | None = None,
               process_before_response: bool = False) -> App:
    """The Slack Bolt app over ``assistant`` (from the environment's settings by default).

    ``token`` defaults to ``SLACK_BOT_TOKEN``, ``signing_secret`` to ``SLACK_SIGNING_SECRET``
    and ``base_url`` to ``ASSISTANT_SLACK_API_URL`` (the Slack Web API otherwise). The token
    is checked with ``auth.test`` here, which also tells the bot its own user and bot ids.
    ``process_before_response`` answers before the HTTP response is sent (for tests and
    function-as-a-service hosts); the slash command is acknowledged first either way.
    The returned app carries its :class:`PolicyBot` as ``app.policy_bot``.
    """
    token = token or os.environ.get("SLACK_BOT_TOKEN")
    if not token:
        raise SlackConfigError("SLACK_BOT_TOKEN is not set: copy the Bot User OAuth Token "
                               "(xoxb-…) from the Slack app's OAuth & Permissions page")
    secret = signing_secret or os.environ.get("SLACK_SIGNING_SECRET")
    if not secret:
        # Socket Mode needs no signing secret; a random one makes sure that no HTTP request
        # passes verification instead of every request signed with an empty key.
        secret = secrets.token_hex(32)
        log.info("SLACK_SIGNING_SECRET is not set: HTTP requests will be rejected (Socket Mode only)")
    url = _api_url(base_url)
    # A client of our own only when the API URL is overridden: Bolt checks the token with
    # auth.test while it starts, and that call must already go to the overriding URL.
    client = {"client": WebClient(token=token, base_url=url)} if url else {"token": token}
    try:
        app = App(signing_secret=secret, name="policy-assistant",
                  process_before_response=process_before_response, **client)
    except BoltError as exc:
        raise SlackConfigError(f"Slack rejected SLACK_BOT_TOKEN: {exc}") from exc
    except OSError as exc:  # DNS, refused connection, TLS: Slack (or the proxy) is unreachable
        raise SlackConfigError(f"cannot reach the Slack Web API at {url or 'https://slack.com/api/'} "
                               f"to check SLACK_BOT_TOKEN: {exc}") from exc

    bot = PolicyBot(assistant or Assistant())
    app.policy_bot = bot  # the bot's state (seen events, thread memory), for tests and operators

    @app.middleware
    def skip_redeliveries(req: BoltRequest, body: dict, next: Callable[[], BoltResponse]):
        """Acknowledge Slack's retries and redelivered events without answering again."""
        retry = req.headers.get("x-slack-retry-num")
        if retry:
            # A retry means Slack missed our acknowledgement; the first delivery is already
            # being answered, possibly by another process, so this one only acknowledges.
            reason = (req.headers.get("x-slack-retry-reason") or ["?"])[0]
            log.info("Slack retry %s of event %s (%s): acknowledged, not answered again",
                     retry[0], body.get("event_id"), reason)
            return BoltResponse(status=200, body="")
        event_id = body.get("event_id")
        if event_id and not bot.seen.add(f"event:{event_id}"):
            log.info("event %s delivered again: acknowledged, not answered again", event_id)
            return BoltResponse(status=200, body="")
        return next()

    @app.event("app_mention")
    def on_mention(event: dict, client: WebClient, context) -> None:
        if is_direct(event):
            return  # a direct message is answered once, as a message.im event
        bot.on_message(event, client, context.bot_user_id, context.bot_id)

    @app.event("message")
    def on_message(event: dict, client: WebClient, context) -> None:
        # Only direct messages: in channels the bot answers when it is mentioned.
        if event.get("channel_type") == "im":
            bot.on_message(event, client, context.bot_user_id, context.bot_id)

    def ack_command(ack: Callable[..., object], command: dict) -> None:
        # Shown only to the user who typed the command: help, a problem, or "searching".
        ack(text=bot.question_problem(question_text(command.get("text", ""))) or SEARCHING_TEXT)

    def answer_command(command: dict, respond: Callable[..., object]) -> None:
        if not bot.question_problem(question_text(command.get("text", ""))):
            bot.on_command(command, respond)

    # Acknowledged at once (Slack's 3 s limit), answered by a lazy listener afterwards.
    app.command(SLASH_COMMAND)(ack=ack_command, lazy=[answer_command])

    @app.action(re.compile(rf"^{SHOW_CLAUSE}(_\d+)?$"))
    def on_show_clause(ack: Callable[..., object], body: dict, action: dict, client: WebClient) -> None:
        ack()
        bot.on_show_clause(body, action, client)

    return app


def events_endpoint(app: App) -> Callable[[Request], Awaitable[Response]]:
    """A Starlette/FastAPI endpoint that hands Slack's HTTP requests to ``app``.

    :func:`events_route` wraps it in a route for the main API. Signatures are verified by the app (401 on a bad or stale signature); the work runs in
    the thread pool so answering never blocks the event loop.
    """

    async def slack_events(request: Request) -> Response:
        body = await request.body()
        bolt_response = await run_in_threadpool(app.dispatch, to_bolt_request(request, body))
        return to_starlette_response(bolt_response)

    return slack_events


def events_route(app: App, path: str = EVENTS_PATH) -> Route:
    """The POST route for ``app``, to add to a Starlette or FastAPI app.

    The main API serves its web page from a mount at ``/``, which matches every path, so the
    route goes first: ``api.router.routes.insert(0, events_route(create_app(assistant)))``.
    """
    return Route(path, events_endpoint(app), methods=["POST"], include_in_schema=False)


def create_asgi_app(app: App, path: str = EVENTS_PATH) -> Starlette:
    """An ASGI app serving ``app`` at ``path`` (POST) and ``/healthz``, for HTTP mode."""

    async def healthz(_request: Request) -> Response:
        return PlainTextResponse("ok")

    return Starlette(routes=[events_route(app, path), Route("/healthz", healthz, methods=["GET"])])


def run(http: bool = False, port: int = 3000, host: str = "127.0.0.1") -> None:
    """Run the Slack bot until interrupted.

    Socket Mode when ``SLACK_APP_TOKEN`` is set and ``http`` is false; otherwise an HTTP
    server on ``host:port`` receiving events, commands and button clicks at ``/slack/events``.
    The index is loaded (and on a fresh checkout built) before the first event arrives.
    """
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app_token = os.environ.get("SLACK_APP_TOKEN")
    socket_mode = bool(app_token) and not http
    if not socket_mode and not os.environ.get("SLACK_SIGNING_SECRET"):
        raise SlackConfigError(
            "SLACK_SIGNING_SECRET is not set: HTTP mode verifies every request with it (Basic "
            "Information → App Credentials); or set SLACK_APP_TOKEN to use Socket Mode")
    if not os.environ.get("SLACK_BOT_TOKEN"):
        raise SlackConfigError("SLACK_BOT_TOKEN is not set: copy the Bot User OAuth Token "
                               "(xoxb-…) from the Slack app's OAuth & Permissions page")
    assistant = Assistant()
    log.info("loading the index (the first start indexes %s)", assistant.settings.corpus_dir)
    assistant.ensure_index()
    log.info("index ready: %d clauses", assistant.store.count())
    app = create_app(assistant)
    if socket_mode:
        from slack_bolt.adapter.socket_mode import SocketModeHandler

        log.info("connecting to Slack in Socket Mode")
        SocketModeHandler(app, app_token).start()
        return
    import uvicorn

    log.info("receiving Slack requests on http://%s:%d%s", host, port, EVENTS_PATH)
    uvicorn.run(create_asgi_app(app), host=host, port=port, log_level="info",
                timeout_graceful_shutdown=5)

"""The Slack behaviour over one :class:`Assistant`: questions in threads in, Block Kit answers out."""

from __future__ import annotations

import logging
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from ..service import Assistant, QuestionError
from ..types import Clause, Filters
from .blocks import (
    CLAUSE_GONE_TEXT,
    MAX_FALLBACK_CHARS,
    MAX_MESSAGE_BLOCKS,
    answer_blocks,
    clause_blocks,
    clause_view,
    clip,
    escape,
    fallback_text,
    question_text,
    scope_of,
    unescape,
)

log = logging.getLogger(__name__)

SLASH_COMMAND = "/policy"
#: ``/policy measures 成都 人工智能`` (or 扶持措施 …) lists the top support measures.
MEASURES_COMMAND = re.compile(r"\s*(?:measures|扶持措施)(?:\s+|$)", re.I)
SEARCHING_TEXT = "正在查找…"
ERROR_TEXT = "抱歉，处理这个问题时出错了，请稍后再试。"
HELP_TEXT = ("请在 @我 后面写下关于政策文件的问题，或使用 /policy 问题，"
             "例如：/policy 遂昌重点发展哪些未来产业？")
TOO_LONG_TEXT = "问题太长了（{n} 字），请精简到 {limit} 字以内再问。"

MAX_HISTORY_TURNS = 12
MAX_THREAD_PAGES = 5


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
            question, filters, as_of = self.scoped(question_text(event.get("text", "")))
            problem = self.question_problem(question)
            if problem:
                self._post(client, channel, thread_ts, escape(problem))
                return
            history = []
            if event.get("thread_ts"):
                history = self.thread_history(client, channel, thread_ts, ts, bot_user_id, bot_id,
                                              direct=is_direct(event))
            try:
                answer = self.assistant.ask(question, history=history, filters=filters, as_of=as_of)
            except QuestionError as exc:  # an unknown status or a date that is not one
                self._post(client, channel, thread_ts, escape(str(exc)))
                return
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

    @staticmethod
    def scoped(question: str) -> tuple[str, Filters | None, str | None]:
        """The question, the status filter and the date set before it (``--status expired``,
        ``--as-of 2025-01-01``, ``只看现行有效：``)."""
        question, status, as_of = scope_of(question)
        return question, Filters(status=status, as_of=as_of) if status or as_of else None, as_of

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
        question, filters, as_of = self.scoped(question_text(command.get("text", "")))
        listing = MEASURES_COMMAND.match(question)
        try:
            try:
                if listing:
                    # /policy measures 成都 人工智能: the top measures of a place and topic.
                    answer = self.assistant.measures_answer(question[listing.end():] or "扶持措施", as_of)
                else:
                    answer = self.assistant.ask(question, filters=filters, as_of=as_of)
            except QuestionError as exc:  # an unknown status or a date that is not one
                respond(text=escape(str(exc)), response_type="ephemeral", replace_original=False)
                return
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
        return self.assistant.retriever.view.by_id.get(chunk_id)

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

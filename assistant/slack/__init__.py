"""The Slack front end: answers in the thread where a question is asked, with citations.

A Slack Bolt app answers ``@mentions`` in channels, direct messages and the ``/policy`` slash
command with the same answers and citations as the web page. Replies are Block Kit messages:
the answer, the cited clauses, and one button per citation that opens the full clause.
Later messages in a thread are follow-up questions: the thread is the conversation history.

- ``blocks``: escaping, question extraction, and rendering as Block Kit within Slack's limits.
- ``bot``: the behaviour (threads, follow-ups, retries, the slash command, clause buttons).
- ``events``: the Bolt app, the HTTP entry point (size limit and signature checked before
  Bolt parses anything) and ``run``.

Socket Mode is used when ``SLACK_APP_TOKEN`` is set, HTTP mode (``/slack/events``) otherwise.
Tokens and the signing secret come from the environment only; ``ASSISTANT_SLACK_API_URL``
points the Web API client at a proxy or a local test server.
"""

from .blocks import (
    CLAUSE_GONE_TEXT,
    CUT_NOTE,
    MAX_ACTIONS_ELEMENTS,
    MAX_BUTTON_CHARS,
    MAX_CONTEXT_ELEMENTS,
    MAX_FALLBACK_CHARS,
    MAX_MESSAGE_BLOCKS,
    MAX_MESSAGE_CHARS,
    MAX_MODAL_BLOCKS,
    MAX_MODAL_TITLE_CHARS,
    MAX_SOURCES,
    MAX_TEXT_CHARS,
    REFUSAL_NEAREST,
    SHOW_CLAUSE,
    answer_blocks,
    answer_text,
    clause_blocks,
    clause_view,
    clip,
    escape,
    fallback_text,
    question_text,
    split_escaped,
    unescape,
)
from .bot import (
    ERROR_TEXT,
    HELP_TEXT,
    MAX_HISTORY_TURNS,
    SEARCHING_TEXT,
    SLASH_COMMAND,
    TOO_LONG_TEXT,
    PolicyBot,
    RecentKeys,
    ThreadMemory,
    is_direct,
    is_from_bot,
)
from .events import (
    EVENTS_PATH,
    MAX_EVENT_BYTES,
    SlackConfigError,
    create_app,
    create_asgi_app,
    events_endpoint,
    events_route,
    run,
    signature_problem,
)

__all__ = [
    "CLAUSE_GONE_TEXT", "CUT_NOTE", "ERROR_TEXT", "EVENTS_PATH", "HELP_TEXT", "MAX_ACTIONS_ELEMENTS",
    "MAX_BUTTON_CHARS", "MAX_CONTEXT_ELEMENTS", "MAX_EVENT_BYTES", "MAX_FALLBACK_CHARS",
    "MAX_HISTORY_TURNS", "MAX_MESSAGE_BLOCKS", "MAX_MESSAGE_CHARS", "MAX_MODAL_BLOCKS",
    "MAX_MODAL_TITLE_CHARS", "MAX_SOURCES", "MAX_TEXT_CHARS", "REFUSAL_NEAREST", "SEARCHING_TEXT",
    "SHOW_CLAUSE", "SLASH_COMMAND", "TOO_LONG_TEXT", "PolicyBot", "RecentKeys", "SlackConfigError",
    "ThreadMemory", "answer_blocks", "answer_text", "clause_blocks", "clause_view", "clip",
    "create_app", "create_asgi_app", "escape", "events_endpoint", "events_route", "fallback_text",
    "is_direct", "is_from_bot", "question_text", "run", "signature_problem", "split_escaped",
    "unescape",
]

"""Follow-up questions (“那杭州呢？”, “牵头单位是谁？”) made standalone from the conversation.

A rule-based rewrite that needs no language model: a follow-up that names a new place takes
the previous question with the new place in and every old place out (“那成都呢？” after a
question about 浙江 asks about 成都 alone); one that names nothing keeps the previous question
as its context. Places are read by :mod:`assistant.questions`, as the composers read them.
"""

from __future__ import annotations

import re

from . import questions

_FOLLOWUP_START = re.compile(r"^(那|那么|那这|它|其|该|这|此|还有|另外|以及|and |what about|how about)", re.I)
_FOLLOWUP_END = re.compile(r"(呢|吗)[？?]?$")


def last_user_question(history: list[dict] | None) -> str | None:
    """The latest user turn of a conversation, if any."""
    for turn in reversed(history or []):
        if turn.get("role") == "user" and str(turn.get("content", "")).strip():
            return str(turn["content"]).strip()
    return None


def is_followup(question: str) -> bool:
    """Whether a question leans on the previous turn (short, or 那…/…呢 phrasing)."""
    q = question.strip()
    return len(q) <= 12 or bool(_FOLLOWUP_START.search(q)) or bool(_FOLLOWUP_END.search(q) and len(q) <= 20)


def rewrite(question: str, history: list[dict] | None) -> str:
    """A standalone form of ``question`` given the conversation ``history``."""
    previous = last_user_question(history)
    if not previous or not is_followup(question):
        return question
    new_places = questions.places(question)
    if new_places:
        rewritten = questions.replace_places(previous, new_places)
        if rewritten:
            return rewritten
    return f"{previous} {question}"

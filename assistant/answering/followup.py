"""Follow-up questions (“那杭州呢？”, “牵头单位是谁？”) made standalone from the conversation.

A rule-based rewrite that needs no language model: a follow-up that names a new place takes
the previous question with the new place in and every old place out (“那成都呢？” after a
question about 浙江 asks about 成都 alone); one that names nothing keeps the previous question
as its context. Places are read by :mod:`assistant.answering.questions`, as the composers read them.
"""

from __future__ import annotations

import re

from ..language.places import places
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


#: Where a question starts asking (由哪些单位负责, 是多少, 有什么): what comes before is its subject.
_ASKING_START = re.compile(r"(?:由|是|有|要|为|在|的)?(?:哪|谁|多少|几[个年项家]|什么|怎么|怎样|如何|是否|能否|有没有|何)")


def rewrite(question: str, history: list[dict] | None) -> str:
    """A standalone form of ``question`` given the conversation ``history``.

    The previous question is itself made standalone first (“那杭州呢？” after “那成都呢？”
    stands for the question before both). A follow-up naming a new place takes the previous
    question with the place swapped; one naming nothing asks its own question about the
    conversation's subject (the part of the question it follows before that one asks:
    “遂昌加速创新成果转化应用”), so that what it asks, not what the previous question
    asked, decides the answer's type.
    """
    return _standalone(question, list(history or []))[0]


def _standalone(question: str, turns: list[dict]) -> tuple[str, str]:
    """(the question made standalone, its subject: the part before it asks)."""
    last = _last_user_index(turns)
    if last is None or not is_followup(question):
        return question, _subject(question)
    previous, subject = _standalone(str(turns[last]["content"]).strip(), turns[:last])
    new_places = places(question)
    if new_places:
        rewritten = questions.replace_places(previous, new_places)
        if rewritten:
            return rewritten, _subject(rewritten)
    if len(subject) < 2:
        return f"{previous} {question}", subject
    own = _FOLLOWUP_START.sub("", question.strip()).strip()
    return f"{subject}，{own}", subject


def _subject(question: str) -> str:
    asked = _ASKING_START.search(question)
    return question[:asked.start()] if asked else ""


def _last_user_index(turns: list[dict]) -> int | None:
    for i in range(len(turns) - 1, -1, -1):
        if turns[i].get("role") == "user" and str(turns[i].get("content", "")).strip():
            return i
    return None

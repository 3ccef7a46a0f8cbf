"""The refusal every composer gives when the documents do not hold the answer."""

from __future__ import annotations

from ..types import REFUSAL_PREFIX, Answer, RetrievedClause


def refusal_answer(question: str, retrieved: list[RetrievedClause], reason: str | None = None) -> Answer:
    """The refusal every composer gives: the documents do not say it, and the nearest clause.

    ``reason`` is the whole text when the composer knows what is missing and where it looked
    (“未在已收录的文件中找到成都的相关文件，无法回答这个问题。”); otherwise the answer says that
    nothing found answers the question and names the nearest clause once.
    """
    if reason is None:
        reason = f"{REFUSAL_PREFIX}能回答这个问题的内容。"
        if retrieved:
            reason += f"最接近的条款是{retrieved[0].clause.label}，但它没有写明所问的内容。"
    return Answer(question=question, answer=reason, answered=False, citations=[], retrieved=retrieved)

"""The refusal every composer gives when the documents do not hold the answer."""

from __future__ import annotations

from ..types import REFUSAL_PREFIX, Answer, RetrievedClause


def refusal_answer(question: str, retrieved: list[RetrievedClause], reason: str | None = None) -> Answer:
    """The refusal every composer gives: the documents do not say it; the nearest clauses.

    ``reason`` is the first sentence when the composer knows what is missing and where it
    looked (“未在已收录的文件中找到成都关于先导区的规定。”).
    """
    nearest = "；".join(r.clause.label for r in retrieved[:3])
    text = reason or f"{REFUSAL_PREFIX}能回答该问题的内容。"
    if nearest:
        text += f"可能相关的条款：{nearest}。"
    return Answer(question=question, answer=text, answered=False, citations=[],
                  retrieved=retrieved)

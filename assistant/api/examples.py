"""``GET /api/examples``: example questions drawn from the documents in the index.

The chat page offers them before the first question. They are made from what each document
states, so that they fit whatever was indexed (the bundled corpus or a library of one's own):
who is responsible for a measure (a clause with a 责任单位 note), what a document aims at by a
year it names (到2030年…), and a document's 文号. One kind of question for each document in
turn, so that the examples spread over the documents.
"""

from __future__ import annotations

import re

from fastapi import APIRouter, Depends

from ..language.lexicon import DOC_KINDS
from ..language.places import place_stem
from ..reading.numbering import match_marker
from ..types import Clause
from .common import Catalog, get_catalog

router = APIRouter(prefix="/api", tags=["documents"])

#: How many examples the page shows: one row of four on a wide screen.
SHOWN = 4
#: A measure's name short enough to ask about in one line (“加速创新成果转化应用”).
_TOPIC_CHARS = (4, 16)
_TARGET_YEAR = re.compile(r"到\s*(20\d\d)\s*年")
#: A title's kind of document (实施意见, 行动方案), the longer names first; drafts' stages and
#: the generic 文件 say nothing of the kind.
_KIND = re.compile("(" + "|".join(sorted((k for k in DOC_KINDS if "稿" not in k and "文件" not in k),
                                         key=len, reverse=True)) + r")(?:[（(][^（）()]*[）)])*$")


def _subject(clause: Clause) -> str:
    """What a question calls the document: its place (遂昌), else its 《title》."""
    meta = clause.meta
    if meta and meta.region:
        return place_stem(meta.region)
    return f"《{clause.doc_title.strip('《》')}》"


def _topic(clause: Clause) -> str | None:
    """The clause's own heading without its numbering (（三）加速创新成果转化应用 → 加速…)."""
    if not clause.section_path:
        return None
    heading = clause.section_path[-1]
    marker = match_marker(heading)
    topic = (marker.rest if marker else heading).strip(" 。：:")
    low, high = _TOPIC_CHARS
    return topic if low <= len(topic) <= high and not re.search(r"[，。；、]", topic) else None


def _questions_of(clauses: list[Clause]) -> list[str]:
    """The example questions one document answers, the most telling first."""
    ordered = sorted(clauses, key=lambda c: c.ordinal)
    subject = _subject(ordered[0])
    out: list[str] = []
    duty = next((t for c in ordered if c.responsible_units and (t := _topic(c))), None)
    if duty:
        out.append(f"{subject}{duty}由哪些单位负责？")
    year = next((m.group(1) for c in ordered if c.kind == "clause"
                 and (m := _TARGET_YEAR.search(c.text))), None)
    if year:
        out.append(f"{subject}到{year}年的主要目标是什么？")
    meta = ordered[0].meta
    if meta and meta.doc_number:
        kind = _KIND.search(meta.title)
        out.append(f"{subject}的{kind.group(1) if kind else '文件'}文号是什么？")
    return out


def example_questions(by_doc: dict[str, list[Clause]], limit: int = SHOWN) -> list[str]:
    """Up to ``limit`` questions the indexed documents answer: each document's first kind of
    question in turn, then their second, and so on."""
    per_doc = [_questions_of(clauses) for _, clauses in sorted(by_doc.items()) if clauses]
    out: list[str] = []
    for rank in range(max((len(q) for q in per_doc), default=0)):
        for questions in per_doc:
            if rank < len(questions) and questions[rank] not in out:
                out.append(questions[rank])
    return out[:limit]


@router.get("/examples", summary="Example questions drawn from the indexed documents")
def get_examples(catalog: Catalog = Depends(get_catalog)) -> dict:
    """``{"questions": [...]}``: up to four questions the indexed documents answer."""
    return {"questions": example_questions(catalog.snapshot().by_doc)}

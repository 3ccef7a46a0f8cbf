"""Questions that ask for the support measures of a place, an industry or a beneficiary as a
set (“成都对人工智能企业有哪些资金支持？”, “杭州有什么补贴政策”), answered from the measures
read at ingest as a cited list, the largest amounts first.

Narrow on purpose: a question asking one amount (补贴多少, 最高奖励几万) stays with the
composer; only a which-/what-question whose object is a kind of support is read here.
"""

from __future__ import annotations

import re

from ..language.lexicon import STATUS_LABELS
from ..language.places import places
from ..language.text import normalize
from ..types import Answer, Filters
from .citations import CitationBook
from .measure_table import NOT_CURRENT, MeasureFilters, of_place, public, select
from .refusal import refusal_answer

#: What a question calls support as a set of measures.
_SUPPORT = r"(?:资金支持|资金扶持|扶持政策|扶持措施|支持政策|支持措施|优惠政策|惠企政策|政策支持|补贴政策|奖励政策|补贴|补助|奖励|资助|奖补|扶持|激励|贴息)"
_ASKS = re.compile(rf"(?:哪些|什么|哪几[种项类个]?|有何|啥)(?:样的|的)?{_SUPPORT}|{_SUPPORT}(?:政策|措施)?有哪些|"
                   rf"(?:能|可以)(?:申请|享受|申报)(?:哪些|什么){_SUPPORT}?")
#: Asking a single figure: the composer answers it.
_ONE_VALUE = re.compile(r"多少|几万|几百万|几成|比例是|最高.{0,4}[多几]|上限")
#: Words of the question that are neither a place nor the topic.
_FRAME = re.compile(rf"{_ASKS.pattern}|{_SUPPORT}|对于|针对|面向|^对|(?<=[市省县区])对|企业|公司|"
                    r"(?:都|还)?有(?:哪些|什么|何)|(?:可以|能)(?:申请|享受|申报)|哪些|什么|政策|措施|方面|"
                    r"的|呢|吗|[？?。！!，,\s]")
#: The most measures an answer lists.
LIMIT = 10


def asks_measures(question: str) -> bool:
    """Whether ``question`` asks for the support measures of a place, industry or beneficiary
    as a set (not a single amount)."""
    return bool(_ASKS.search(question)) and not _ONE_VALUE.search(question)


def topic_words(question: str, named_places: list[str]) -> list[str]:
    """The words a question limits the measures to (人工智能 in 成都对人工智能企业有哪些资金支持)."""
    rest = question
    for p in sorted(named_places, key=len, reverse=True):
        rest = re.sub(rf"{re.escape(p)}(?:市|省|县|区)?", " ", rest)
    rest = _FRAME.sub(" ", rest)
    words = [re.sub(r"^(?:对|给|为)(?=..)", "", w) for w in rest.split()]
    return [w for w in words if len(w) >= 2]


def answer(question: str, view, filters: Filters | None = None) -> Answer:
    """The cited list of the measures ``question`` asks for (in-force documents first; those of
    documents not in force after, marked), or a refusal that says what was looked for."""
    named = places(question)
    return listing(question, view, named, topic_words(question, named), filters)


def listing(question: str, view, named: list[str], topic: list[str], filters: Filters | None = None) -> Answer:
    """The cited list of the measures of the places ``named`` whose text holds every word of
    ``topic`` (the largest amounts first), or a refusal saying what was looked for."""
    as_of = (filters or Filters()).on()
    chosen = select(view, MeasureFilters(doc_ids=(filters.doc_ids if filters else None)))
    if named:
        chosen = [m for m in chosen if any(of_place(view, m.doc_id, p) for p in named)]
    if topic:
        chosen = [m for m in chosen if all(w in _text_of(view, m) for w in map(normalize, topic))]
    where = "、".join(named) + ("关于" + "、".join(topic) if topic else "")
    if not chosen:
        return refusal_answer(question, [], f"未在已收录的文件中找到{where}的扶持措施。")
    rows = [public(m, view, as_of) for m in chosen]
    rows.sort(key=lambda r: (r["document_status"] in NOT_CURRENT, -(r["top_yuan"] or 0), -len(r["rates"])))
    book = CitationBook()
    current = [r for r in rows if r["document_status"] not in NOT_CURRENT]
    lines = [f"{where or '已收录文件'}的扶持措施共{len(current)}项（按金额从高到低）："] if current else \
        [f"{where or '已收录文件'}的扶持措施均出自未生效或已失效的文件："]
    for i, r in enumerate(rows[:LIMIT], 1):
        clause = view.by_id[r["chunk_id"]]
        n = book.cite(clause, r["span"]["text"])
        figures = "、".join([a["text"] for a in r["amounts"]] + [x["text"] for x in r["rates"]]) or "金额文件未载明"
        who = f"（对象：{r['beneficiary']}）" if r["beneficiary"] else ""
        note = f"【{STATUS_LABELS[r['document_status']]}】" if r["document_status"] in NOT_CURRENT else ""
        lines.append(f"{i}. {figures}：{r['kind']}{who}{note}[{n}]")
    if len(rows) > LIMIT:
        lines.append(f"另有{len(rows) - LIMIT}项未列出，可在“扶持措施”表中查看。")
    return Answer(question=question, answer="\n".join(lines), answered=True, citations=book.citations)


def _text_of(view, measure) -> str:
    clause = view.by_id.get(measure.chunk_id)
    return normalize(" ".join([measure.span.text, measure.beneficiary or "", " ".join(measure.section_path),
                               clause.doc_title if clause else ""]))

"""Document details: what a question asks of a document itself, answered from its header.

Issuer, number, date, status and a draft's stage (二次征求意见稿) come from the header the
parser builds for every document; whom it is addressed to (主送机关) from the line that opens
its body. A detail the header lacks may be told by the text, but only by a sentence that tells
that document's issue with the detail (“2023年2月，…印发《…指导意见》”).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from ..language.lexicon import (
    ASKS_DATE,
    ASKS_ISSUER,
    ASKS_NUMBER,
    DOC_KINDS,
    DRAFT_STAGES,
    alternation,
)
from ..language.text import book_title, normalize
from ..reading import metadata
from ..types import RetrievedClause
from . import questions as q
from .citations import CitationBook

if TYPE_CHECKING:
    from ..index.indexview import IndexView
    from .scoping import Scoper

#: Asking a document detail (文号, 发文机关, 印发日期, 状态, 第几次征求意见稿…).
_DETAIL = re.compile(r"文号|发文字号|发文机关|(?:发文|印发|发布|联合发文)单位|成文(?:日期|时间)|落款|"
                     r"(?:谁|哪(?:个|几个|些|几家|家)(?:单位|部门|机关)?)(?:联合)?(?:印发|发布|发文|出台|制定|发)的|"
                     r"是(?:个|一份)?(?:什么|哪个|哪份)文件|(?:哪个|什么)(?:单位|部门|机关).{0,6}(?:印发|发布|发文|起草|编制|撰写|写的)|"
                     r"(?:印发|发布|发文|起草|制定|出台)(?:的)?(?:单位|部门|机关)|由(?:谁|哪[个家]?(?:单位|部门|机关))(?:印发|发布|制定|起草|出台)|"
                     r"(?:哪天|哪一天|什么时候|何时|日期).{0,4}(?:印发|发布|出台|签发)|(?:印发|发布)(?:日期|时间)|"
                     r"正式文件|草稿|是否正式|第几次|几次征求|(?:什么|哪个|哪一)(?:版本|阶段)|"
                     r"(?:是否|有没有|已经?)(?:已经|已)?正式(?:印发|发布|出台)|正式(?:印发|发布|出台)了吗|(?:什么|哪种|何种)状态|document number|issued|dated|drafted|which department drafted")
#: A sentence that tells a document's issue: an issuing verb and the document's name.
_ISSUING = re.compile(r"(?:印发|发布|起草|制定|出台|签发|公布)[^。；]{0,12}《|《[^》]+》[^。；]{0,12}(?:印发|发布|起草|制定|出台|签发|公布)")
#: The kinds of document a question may name (实施意见, 行动计划, 指导意见…).
_KINDS = re.compile(alternation(DOC_KINDS))
#: A draft's stage in its header, as the document writes it: （二次征求意见稿）.
_DRAFT_STAGE = re.compile(r"[（(]([^（）()]{0,12}" + alternation(DRAFT_STAGES) + r")[）)]")
#: Asking whom a document is addressed to (主送机关, 发给哪些单位).
_ADDRESSED = re.compile(r"主送|(?:发给|印发给|下发给|送达)(?:哪些|哪个|什么|谁)|addressed to|addressees")


def asks_detail(question: str) -> bool:
    """Whether the question asks a detail of a document (its number, issuer, date, status)."""
    return bool(_DETAIL.search(question.lower()))


def asks_addressees(question: str) -> bool:
    """Whether the question asks whom a document is addressed to (主送机关)."""
    return bool(_ADDRESSED.search(question.lower()))


def tells_issue(question: str, sentence: str) -> bool:
    """Whether ``sentence`` tells the issue of the document the question asks about, with the
    detail asked (a sentence with an issuing verb and the document's name)."""
    return bool(_ISSUING.search(sentence)) and _states_detail(question, sentence)


def header_details(view: IndexView, scoper: Scoper, analysis: q.QuestionAnalysis,
                   retrieved: list[RetrievedClause], book: CitationBook) -> tuple[list[str] | None, str | None]:
    """The details (issuer, number, date, status) of the best retrieved document, from its
    header, or what it does not state; (None, None) when no header is at hand."""
    question = analysis.question
    # The details of the documents retrieved, best first, wherever their header ranks.
    docs = list(dict.fromkeys(r.clause.doc_id for r in retrieved[:5]))
    by_doc = view.headers
    headers = [by_doc[d] for d in docs if d in by_doc]
    if analysis.titles:
        # Only the document the question names by title; a title that no indexed
        # document has is one they merely cite.
        headers = [h for h in headers if any(t in normalize(h.doc_title) for t in analysis.titles)]
    # Of a place's documents, the one of the kind the question calls it (浙江实施意见: its
    # 实施意见, not its 行动方案), wherever its clauses rank.
    kinds = [k for k in analysis.qualifiers if any(k in normalize(h.doc_title) for h in by_doc.values())]
    if kinds:
        named = {d for p in analysis.places for d in scoper.docs_of_place(p)} or set(by_doc)
        called = [by_doc[d] for d in sorted(named) if d in by_doc
                  and any(k in normalize(by_doc[d].doc_title) for k in kinds)]
        headers = [h for h in headers if h in called] + [h for h in called if h not in headers]
    header = headers[0] if headers else None
    if header is None or header.meta is None:
        return None, None
    missing = missing_field(question, header.meta)
    if missing:
        return None, f"{header.label.split('》')[0]}》中未载明{missing}（{describe(header.meta, header.text)}）"
    return [f"{describe(header.meta, header.text)}[{book.cite(header)}]"], None


def addressees_answer(view: IndexView, analysis: q.QuestionAnalysis, retrieved: list[RetrievedClause],
                      book: CitationBook) -> tuple[list[str] | None, str | None]:
    """Whom the best retrieved document is addressed to (主送机关): the line that opens
    its body, cited; or that the document does not state it."""
    docs = list(dict.fromkeys(r.clause.doc_id for r in retrieved[:5]))
    if analysis.titles:
        docs = [d for d in docs if any(t in normalize(view.by_doc[d][0].doc_title)
                                       for t in analysis.titles)] or docs
    if not docs:
        return None, None
    header = view.headers.get(docs[0])
    body = [c for c in view.by_doc[docs[0]] if c is not header]
    units = metadata.addressees(body[0].text) if body else None
    title = body[0].doc_title if body else docs[0]
    if not units:
        return None, f"{book_title(title)}中未载明主送机关。"
    return [f"{book_title(title)}的主送机关为：{units}。[{book.cite(body[0], units)}]"], None


def _states_detail(question: str, sentence: str) -> bool:
    """Whether ``sentence`` states the document detail the question asks for: a number
    (〔2024〕2号), a date, or the unit that issued or drafted it."""
    asked = question.lower()
    # The document told of is the one asked about: one of the kind the question names.
    kinds = re.findall(_KINDS, question)
    titles = re.findall(r"《([^》]+)》", sentence)
    if kinds and not any(k in t for k in kinds for t in titles):
        return False
    # The detail is stated outside the document's name (its years are not its date).
    sentence = re.sub(r"《[^》]*》", "《》", sentence)
    if ASKS_NUMBER.search(asked):
        return bool(re.search(r"[〔\[(（]\s*(?:19|20)\d{2}\s*[〕\])）]\s*\d+\s*号", sentence))
    if ASKS_DATE.search(asked):
        return q.states_type(sentence, q.DATE)
    return bool(re.search(r"(?:政府|办公厅|委员会|局|厅|部|委|办)[^。；《]{0,6}(?:印发|发布|起草|制定|出台)", sentence))


def missing_field(question: str, meta) -> str | None:
    """The document detail a question asks for that the document does not state."""
    asked = question.lower()
    if ASKS_NUMBER.search(asked) and not meta.doc_number:
        return "文号"
    if ASKS_DATE.search(asked) and not meta.date:
        return "印发日期"
    if ASKS_ISSUER.search(asked) and not meta.issuer:
        return "发文机关"
    return None


def describe(meta, header: str = "") -> str:
    """One sentence with a document's title, issuer, number, date and status (a draft's stage
    as its ``header`` text states it: 二次征求意见稿)."""
    title = book_title(meta.title)
    stage = _DRAFT_STAGE.search(header)
    parts = [title]
    if meta.issuer:
        parts.append(f"由{meta.issuer}发布")
    if meta.doc_number:
        parts.append(f"文号为{meta.doc_number}")
    if meta.date:
        parts.append(f"日期为{meta.date_cn()}")
    parts.append({"draft": f"目前为{stage.group(1) if stage else '征求意见稿'}（草案），尚未正式印发",
                  "final": "为正式印发的文件"}.get(meta.status, "文中未载明是否已正式印发"))
    return "，".join(parts) + "。"

"""Validity questions and the status of every answer's sources.

A question asks a document's validity when it asks whether a document still applies
(这个政策现在还有效吗？), when it ends (什么时候到期？有效期到哪天), when it starts (从哪天开始施行？),
what it replaced (它替代了哪个旧文件？) or what replaced it; it is answered from the document's
validity (:class:`~assistant.types.Validity`, read at ingest) with the clause that states each
date cited and quoted. A field the document does not state is said to be unstated, never guessed.

After any composer has answered, :func:`annotate` gives each citation the status of its
document on the answer's date (and the date for its badge), and adds one sentence for each
quoted document that is not in force (该文件有效期至2025年12月31日，已失效。), citing the clause
that says so.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from ..language.lexicon import AND_WORDS, DOC_KINDS, LIST_MARK, STATUS_LABELS, alternation
from ..language.text import normalize
from ..reading.dates import date_cn
from ..reading.standing import badge, status_date
from ..types import Answer, Clause, RetrievedClause, Validity
from . import questions as q
from .citations import CitationBook, quote_span, to_citation
from .whichdocs import documents_topic

if TYPE_CHECKING:
    from ..index.indexview import IndexView

#: What each validity field is asked with (a document must be what the question is about).
_ASKS = (
    ("supersedes", re.compile(r"(?:替代|取代|代替|废止|废除)了?(?:哪|什么|谁)|(?:旧|原来的?|原先的?|之前的?|上一版的?)"
                              r"(?:文件|办法|政策|版本|规定|措施|通知|方案|细则)|replaces?\b|supersedes?\b")),
    ("superseded_by", re.compile(r"被(?:哪|什么|谁)[^，。？?]{0,6}(?:替代|取代|代替|废止)|最新(?:的)?版本|新版本?(?:是|叫)?"
                                 r"(?:哪|什么)|superseded by|replaced by")),
    ("effective_from", re.compile(r"(?:哪天|哪一天|什么时候|啥时候|何时|几号|哪年|几月|从什么时候|从哪天|从何时)(?:开始|起)?"
                                  r"(?:施行|实施|生效|执行|开始)|(?:施行|实施|生效|执行)(?:日期|时间|日)|开始(?:施行|实施|执行|生效)"
                                  r"|take effect|effective (?:from|date)|in force from|start to apply")),
    ("effective_until", re.compile(r"到期|有效期|截止|失效(?:日期|时间)|什么时候(?:失效|废止|截止|结束)|"
                                   r"(?:到|至)(?:哪天|哪一天|哪年|什么时候|啥时候|何时)(?:为止)?|expire|valid until|how long .*valid")),
    ("status", re.compile(r"(?:还|仍|是否|现在|目前|当前|依然)[^，。？?]{0,4}(?:有效|适用|管用|施行|执行|生效|能用)|有效吗|"
                          r"失效了?吗|过期了?吗|废止了?吗|作废了?吗|现行有效|效力|still (?:valid|in force|appl)|"
                          r"\bin force\b|expired\?|is it valid")),
)
#: A question about a document, not about a card's or a certificate's term (居住证有效期):
#: it names a kind of document, a title, or points at the one spoken of (这个, 该, 它).
_ABOUT_DOCUMENT = re.compile(alternation((*DOC_KINDS, "政策", "措施", "文件", "规定", "条例", "细则", "版本", "预案")) +
                             r"|《|这个|这份|该|它|此|本|document|policy|measure|regulation|rules?\b")
#: A term asked of something that is not a document (排污许可证的有效期, 评估结果有效期): what
#: stands right before 有效期 names a thing, not a document, its kind or a pointer at it.
_TERM_OF_A_THING = re.compile(
    r"(?<![文件政策措施办法条例规定意见方案通知细则计划规划决定预案》个份该它此本])(?:证|卡|照|书|结果|资格|认定|备案|评估|协议|合同|报告|凭证)"
    r"(?:的)?有效期")
#: Statuses an answer's sources are flagged for.
NOT_IN_FORCE = ("expired", "superseded", "not_yet", "draft")


def asked_fields(question: str) -> list[str]:
    """The validity fields a question asks, in the order of :data:`_ASKS` (none: not a
    validity question)."""
    text = question.lower()
    if not _ABOUT_DOCUMENT.search(text) or _TERM_OF_A_THING.search(text):
        return []
    return [name for name, pattern in _ASKS if pattern.search(text)]


def asks_validity(question: str) -> str | None:
    """Which validity field a question asks (``status``, ``effective_from``,
    ``effective_until``, ``supersedes``, ``superseded_by``), or None."""
    fields = asked_fields(question)
    return fields[0] if fields else None


def answer_in(view: IndexView, analysis: q.QuestionAnalysis, retrieved: list[RetrievedClause],
              book: CitationBook, as_of: str) -> tuple[list[str] | None, str | None]:
    """The answer's pieces for a validity question about the best retrieved document (the one
    the question names by title, when it does; each of the best ones, when it asks of several:
    各到哪天, 分别), or (None, what is not stated); (None, None) when it is not a validity
    question or no document is at hand."""
    fields = asked_fields(analysis.question)
    docs = _documents(view, analysis, retrieved)
    if not fields or not docs:
        return None, None
    if _SEVERAL.search(analysis.question) and len(docs) > 1:
        answers = [_answer_one(view, d, fields, book, as_of, several=True)
                   for d in docs[:_how_many(analysis.question)]]
        pieces = [p for said, _ in answers if said for p in said]
        if pieces:
            return pieces, None
        return None, answers[0][1]
    return _answer_one(view, docs[0], fields, book, as_of)


#: Asking the same of several documents (各到哪天, 分别, 各自, 两个文件).
_SEVERAL = re.compile(r"各[自到是为从]|分别|两[个份项部]|哪个.{0,6}更")
#: The documents answered for at most, when a question asks of several.
MAX_DOCUMENTS = 3


#: Asking which documents (哪些文件, 哪几个政策, 有哪些…文件).
_WHICH_DOCUMENTS = re.compile(r"哪(?:些|几个|几份|几部|份|个|部)[^，。？?]{0,6}?"
                              + alternation(("文件", "政策", *DOC_KINDS)) + r"|有哪些[^，。？?]{0,6}?(?:文件|政策)")
#: What a list of documents by validity asks: those in force, those no longer in force, or
#: those that state when they end (with the dates).
_LISTED = (
    ("in_force", re.compile(r"(?:在|还在|仍在)有效期内|(?:现行|仍然?|还|目前|现在|依然)[^，。？?]{0,3}有效(?!期)|现行有效|有效的")),
    ("expired", re.compile(r"失效|过期|已经?到期|到期了|废止|作废|不再有效|已被替代")),
    ("effective_until", re.compile(r"有效期|到期(?:时间|日期)?|截止(?:日期|时间)|什么时候到期")),
)
#: How many documents a list names; the rest are counted.
MAX_LISTED = 10


def asks_listing(question: str) -> str | None:
    """Which documents a question asks for by their validity (哪些文件已经失效了 → ``expired``,
    哪些政策现在还有效 → ``in_force``, 哪几个文件写了有效期 → ``effective_until``), or None."""
    if not _WHICH_DOCUMENTS.search(question):
        return None
    return next((name for name, pattern in _LISTED if pattern.search(question)), None)


def listing(view: IndexView, docs: list[str], asked: str, book: CitationBook, as_of: str) -> list[str]:
    """The documents among ``docs`` that are in force on ``as_of``, that are not, or that state
    their end date, each named with its status (or end date) and cited where its text says so;
    a plain sentence when there is none."""
    statuses = view.versions.statuses(as_of)
    found: list[str] = []
    for d in docs:
        meta = view.by_doc[d][0].meta
        v = meta.validity if meta is not None else None
        status = statuses.get(d, "unknown")
        if asked == "effective_until":
            if v is None or not v.effective_until:
                continue
            said = f"有效期至{date_cn(v.effective_until)}（{STATUS_LABELS[status]}）"
        elif asked == "in_force" and status == "in_force" or \
                asked == "expired" and status in ("expired", "superseded"):
            said = badge(v, status)
        else:
            continue
        marks = ""
        if v is not None:
            writer = _Writer(view, d, v, book, as_of)
            marks = writer.cite("effective_until") or writer.cite("superseded_by") or writer.cite("effective_from")
        found.append(f"《{short_title(view.by_doc[d][0].doc_title)}》{said}{marks}")
    what = {"in_force": f"截至{date_cn(as_of)}现行有效的", "expired": f"截至{date_cn(as_of)}已失效或已被替代的",
            "effective_until": "写明有效期的"}[asked]
    if not found:
        unknown = sum(1 for d in docs if statuses.get(d, "unknown") == "unknown")
        rest = f"其中{unknown}份未写明施行日期和有效期，效力无法判断。" if unknown and asked != "effective_until" else ""
        return [f"已收录的{len(docs)}份文件中没有{what}文件。{rest}"]
    named = "；".join(found[:MAX_LISTED])
    more = f"等{len(found)}份" if len(found) > MAX_LISTED else f"{len(found)}份"
    return [f"{what}文件有{more}：{named}。"]


def _how_many(question: str) -> int:
    """How many documents a question asks of: two when it says so (两个), else one more than
    the names it joins (甲和乙、丙), at most :data:`MAX_DOCUMENTS`."""
    if re.search(r"两[个份项部]|二者|两者", question):
        return 2
    joins = len(re.findall(alternation((*AND_WORDS, LIST_MARK)), question))
    return max(2, min(joins + 1, MAX_DOCUMENTS))


def _answer_one(view: IndexView, doc_id: str, fields: list[str], book: CitationBook, as_of: str,
                several: bool = False) -> tuple[list[str] | None, str | None]:
    """One document's validity fields as pieces, or (None, what it does not state); with
    ``several`` documents answered, a document that states none of them is left out."""
    meta = view.by_doc[doc_id][0].meta
    v = meta.validity if meta is not None else None
    title = f"《{short_title(view.by_doc[doc_id][0].doc_title)}》"
    if v is None:
        return None, f"{title}中未载明施行日期和有效期。"
    writer = _Writer(view, doc_id, v, book, as_of)
    phrases: list[tuple[str, str]] = []
    unstated: list[str] = []
    sentences: list[tuple[str, str]] = []
    for field in _ordered(fields):
        said = writer.field(field)
        if said is None:
            unstated.append(_UNSTATED[field])
        elif field in ("effective_from", "effective_until"):
            phrases.append(said)
        else:
            sentences.append(said)
    if not phrases and not sentences:
        return None, f"{title}中未载明{'、'.join(dict.fromkeys(unstated))}。"
    pieces = []
    if phrases:
        pieces.append(f"{title}{'，'.join(p for p, _ in phrases)}。{''.join(dict.fromkeys(m for _, m in phrases))}")
    for text, marks in sentences:
        subject = title if several or not pieces else "该文件"
        pieces.append(f"{text.replace('{subject}', subject)}{marks}")
    if unstated and not several:
        pieces.append(f"文中未载明{'、'.join(dict.fromkeys(unstated))}。")
    return pieces, None


_UNSTATED = {"effective_from": "施行日期", "effective_until": "有效期（截止日期）", "status": "施行日期和有效期，无法判断其现行效力",
             "supersedes": "其替代或废止的文件", "superseded_by": "替代它的新版本"}


def named(entry: dict) -> str:
    """An indexed version as an answer names it: 《title》（文号）."""
    number = entry.get("doc_number")
    title = re.sub(r"[（(][^（）()]*号[）)]$", "", short_title(entry["title"]))
    return f"《{title}》（{number}）" if number else f"《{title}》"


def short_title(title: str) -> str:
    """A document's own title, not its covering notice's (关于印发《X》的通知, 关于印发X的通知 → X)."""
    inner = re.findall(r"《([^《》]+)》", title)
    if len(inner) == 1 and re.search(r"印发|发布|转发", title):
        return inner[0]
    issued = _ISSUING_NOTICE.search(title)
    return issued.group(1) if issued else title.strip("《》")


#: A covering notice's title around the document it issues (…关于印发X的通知).
_ISSUING_NOTICE = re.compile(r"关于(?:重新)?(?:印发|发布|转发)(.{4,60}?)的通知$")


def _ordered(fields: list[str]) -> list[str]:
    """Start before end before status; the status adds nothing when a date was asked."""
    order = ["effective_from", "effective_until", "status", "supersedes", "superseded_by"]
    wanted = [f for f in order if f in fields]
    if "status" in wanted and len(wanted) > 1 and {"effective_from", "effective_until"} & set(wanted):
        wanted.remove("status")
    return wanted


def _documents(view: IndexView, analysis: q.QuestionAnalysis, retrieved: list[RetrievedClause]) -> list[str]:
    """The documents of the best retrieved clauses, best first (those the question names by
    title first)."""
    docs = [d for d in dict.fromkeys(r.clause.doc_id for r in retrieved[:5]) if d in view.by_doc]
    if analysis.titles:
        named = [d for d in docs if any(t in normalize(view.by_doc[d][0].doc_title) for t in analysis.titles)]
        docs = named or docs
    return docs


class _Writer:
    """What a document states of each validity field, with the markers of the clauses that
    state it: (text, markers); a date as a phrase of one sentence, the rest as sentences whose
    ``{subject}`` the answer fills in."""

    def __init__(self, view: IndexView, doc_id: str, v: Validity, book: CitationBook, as_of: str) -> None:
        self.view, self.doc_id, self.v, self.book, self.as_of = view, doc_id, v, book, as_of

    def cite(self, field: str, doc_id: str | None = None) -> str:
        """``[n]`` markers of the clauses that state ``field`` (the document's header for a
        portal's field), quoting the span."""
        meta = self.view.by_doc[doc_id or self.doc_id][0].meta
        v = meta.validity if meta is not None else None
        marks = []
        for ev in (v.evidence_for(field) if v else []):
            clause = self.view.by_id.get(ev.chunk_id or "")
            if clause is not None:
                marks.append(f"[{self.book.cite(clause, ev.text)}]")
        return "".join(dict.fromkeys(marks))

    def detail(self, field: str, date: str) -> str:
        """The document's words when they say more than the date (a term, a rule, another
        date), and the portal's field when the date is the portal's:
        （“本通知有效期1年”，门户网站标注失效日期：2026年06月01日）."""
        evidence = self.v.evidence_for(field)
        rule = self.v.rules.get(field)
        own = [e for e in evidence if e.start is not None]
        parts = []
        for ev in own:
            said = re.sub(r"\s+", "", ev.text)
            other_dates = [m for m in re.findall(r"\d{4}年\d{1,2}月(?:\d{1,2}日)?", said) if m != date_cn(date)]
            if rule or other_dates or date_cn(date) not in said:
                parts.append(f"“{ev.text}”")
        if own:
            parts += [f"门户网站标注{e.text}" for e in evidence if e.start is None]
        if rule and "：" in rule:
            parts.append(rule.split("：", 1)[1])
        return f"（{'，'.join(parts)}）" if parts else ""

    def field(self, field: str) -> tuple[str, str] | None:
        return getattr(self, f"_{field}")()

    def _effective_from(self) -> tuple[str, str] | None:
        v = self.v
        rule = v.rules.get("effective_from")
        if v.effective_from:
            return (f"自{date_cn(v.effective_from)}起施行{self.detail('effective_from', v.effective_from)}",
                    self.cite("effective_from"))
        if rule:
            said = v.evidence_for("effective_from")
            quoted = f"规定“{said[-1].text}”" if said else rule.split("（")[0]
            return f"{quoted}，{rule[rule.find('（') + 1:].rstrip('）')}", self.cite("effective_from")
        return None

    def _effective_until(self) -> tuple[str, str] | None:
        v = self.v
        if v.effective_until:
            return (f"有效期至{date_cn(v.effective_until)}{self.detail('effective_until', v.effective_until)}",
                    self.cite("effective_until"))
        if v.rules.get("effective_until"):
            said = v.evidence_for("effective_until")
            quoted = f"规定“{said[-1].text}”" if said else v.rules["effective_until"]
            return f"{quoted}，但文中未载明起算日期，无法确定到期日", self.cite("effective_until")
        if v.period:
            return f"未规定有效期，其实施期为{v.period[0]}—{v.period[1]}年", self.cite("period")
        return None

    def _status(self) -> tuple[str, str] | None:
        v = self.v
        status = v.status(self.as_of)
        if status == "unknown":
            return None
        head = f"截至{date_cn(self.as_of)}，{{subject}}{STATUS_LABELS[status]}"
        if status == "superseded":
            newer = self.view.versions.named(v.superseded_by)
            names = "、".join(named(n) for n in newer)
            marks = "".join(self.cite("supersedes", n["doc_id"]) or self.cite("issued", n["doc_id"]) for n in newer)
            since = f"（自{date_cn(v.superseded_on)}起）" if v.superseded_on else ""
            return f"{head}：已被{names}替代{since}。", marks
        if status == "draft":
            return f"{head}，尚未正式印发。", self.cite("draft")
        # The clauses of the dates the reason gives, else the portal's verdict, else the period.
        marks = "".join(dict.fromkeys(self.cite(f) for f in ("effective_from", "effective_until")
                                      if (f != "effective_from" or status != "expired"))) \
            if v.effective_from or v.effective_until or "effective_from" in v.rules else ""
        return f"{head}：{_reason(v, status)}。", marks or self.cite("status") or self.cite("period")

    def _supersedes(self) -> tuple[str, str] | None:
        names = self.view.versions.supersedes(self.doc_id)
        if not names and not self.v.supersedes:
            return None
        listed = "、".join(named(n) for n in names)
        said = self.v.evidence_for("supersedes")
        quoted = f"（“{said[-1].text}”）" if said else ""
        return f"{{subject}}施行后，{listed}不再适用{quoted}。", self.cite("supersedes")

    def _superseded_by(self) -> tuple[str, str] | None:
        newer = self.view.versions.named(self.v.superseded_by)
        if not newer:
            return None
        names = "、".join(named(n) for n in newer)
        marks = "".join(self.cite("supersedes", n["doc_id"]) or self.cite("issued", n["doc_id"]) for n in newer)
        return f"{{subject}}已被{names}替代。", marks


def _reason(v: Validity, status: str) -> str:
    """Why a document has ``status``: its dates, else the portal's verdict, else its period."""
    start = f"自{date_cn(v.effective_from)}起施行" if v.effective_from else ""
    end = f"有效期至{date_cn(v.effective_until)}" if v.effective_until else ""
    if status == "expired":
        if v.effective_until:
            return f"{end}，已失效"
        if v.stated == "expired":
            return f"门户网站标注为已失效（{v.evidence_for('status')[-1].text}）" if v.evidence_for("status") else "已失效"
        if v.period:
            return f"实施期为{v.period[0]}—{v.period[1]}年，已届满"
    if status == "not_yet":
        return f"{start}，目前尚未施行" if start else "目前尚未施行"
    if start or end:
        return "，".join(x for x in (start, end) if x)
    if "effective_from" in v.rules:
        return v.rules["effective_from"].split("（")[0]
    if v.stated:
        quoted = v.evidence_for("status")
        return f"门户网站标注为{quoted[-1].text}" if quoted else "门户网站标注为有效"
    if v.period:
        return f"实施期为{v.period[0]}—{v.period[1]}年"
    return ""


# --- every answer ------------------------------------------------------------------------------


def annotate(answer: Answer, view: IndexView, as_of: str, question: str = "") -> Answer:
    """Give each citation its document's status on ``as_of`` and, for an answer that quotes a
    document not in force, one sentence saying so with the clause that states it — unless the
    question asked about validity (the answer says it already) or asked which documents speak
    of something (a list of documents, each source with its badge)."""
    for c in answer.citations:
        _badge(c, view, as_of)
    if not answer.answered or asks_validity(question) or documents_topic(question):
        return answer
    quoted = set(re.findall(r"\[(\d+)\]", answer.answer))
    docs = list(dict.fromkeys(c.doc_id for c in answer.citations
                              if str(c.n) in quoted and c.status in NOT_IN_FORCE))
    if not docs:
        return answer
    several = len({c.doc_id for c in answer.citations if str(c.n) in quoted}) > 1
    notes = [_notice(view, d, as_of, answer, several) for d in docs]
    notes = [n for n in notes if n]
    if notes:
        answer.answer = answer.answer.rstrip() + "\n" + "".join(notes)
    return answer


def _badge(c, view: IndexView, as_of: str) -> None:
    clauses = view.by_doc.get(c.doc_id)
    meta = clauses[0].meta if clauses else None
    v = meta.validity if meta is not None else None
    c.status = view.versions.status(c.doc_id, as_of) if clauses else "unknown"
    c.status_date = status_date(v, c.status)
    c.status_label = badge(v, c.status)


def notice_sentence(v: Validity, status: str, subject: str, newer: list[str]) -> str | None:
    """One sentence on why a quoted document is not in force (该文件有效期至…，已失效。)."""
    if status == "expired":
        if v.effective_until:
            return f"{subject}有效期至{date_cn(v.effective_until)}，已失效。"
        if v.period and not v.stated:
            return f"{subject}实施期为{v.period[0]}—{v.period[1]}年，已届满。"
        return f"{subject}已失效。"
    if status == "superseded":
        since = f"自{date_cn(v.superseded_on)}起" if v.superseded_on else ""
        return f"{subject}{since}已被{'、'.join(newer) or '新版本'}替代。"
    if status == "not_yet":
        start = f"自{date_cn(v.effective_from)}起施行，" if v.effective_from else ""
        return f"{subject}{start}目前尚未施行。"
    if status == "draft":
        return f"{subject}为征求意见稿，尚未正式印发。"
    return None


def _notice(view: IndexView, doc_id: str, as_of: str, answer: Answer, several: bool) -> str | None:
    clauses = view.by_doc[doc_id]
    meta = clauses[0].meta
    v = meta.validity if meta is not None else None
    if v is None:
        return None
    status = view.versions.status(doc_id, as_of)
    newer_ids = v.superseded_by
    newer = [named(n) for n in view.versions.named(newer_ids)]
    subject = f"《{short_title(clauses[0].doc_title)}》" if several else "该文件"
    sentence = notice_sentence(v, status, subject, newer)
    if sentence is None:
        return None
    field = {"expired": "effective_until" if v.effective_until else ("status" if v.stated else "period"),
             "superseded": "supersedes", "not_yet": "effective_from", "draft": "draft"}[status]
    owner = next((d for d in newer_ids if d in view.by_doc), doc_id) if status == "superseded" else doc_id
    marks = _cite_evidence(answer, view, owner, field, as_of)
    return f"{sentence}{marks}"


def _cite_evidence(answer: Answer, view: IndexView, doc_id: str, field: str, as_of: str) -> str:
    """Markers of the clauses that state ``field`` of a document, added to the answer's
    citations (quoting the span) when they are not cited yet."""
    meta = view.by_doc[doc_id][0].meta
    v = meta.validity if meta is not None else None
    marks = []
    for ev in (v.evidence_for(field) if v else []):
        clause = view.by_id.get(ev.chunk_id or "")
        if clause is None:
            continue
        marks.append(f"[{_cite(answer, view, clause, ev.text, as_of)}]")
    return "".join(dict.fromkeys(marks))


def _cite(answer: Answer, view: IndexView, clause: Clause, quoted: str, as_of: str) -> int:
    for c in answer.citations:
        if c.chunk_id == clause.chunk_id:
            span = quote_span(c.text, quoted)
            if span is not None and span not in c.quotes:
                c.quotes.append(span)
            return c.n
    n = max((c.n for c in answer.citations), default=0) + 1
    citation = to_citation(n, clause)
    citation.role = "validity"
    span = quote_span(clause.text, quoted)
    if span is not None:
        citation.quotes.append(span)
    _badge(citation, view, as_of)
    answer.citations.append(citation)
    return n

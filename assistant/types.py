"""The pydantic models passed between the pipeline's stages. No I/O here."""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass

from pydantic import BaseModel, Field

#: The sentence the assistant answers with when the documents do not hold the answer.
REFUSAL_PREFIX = "未在已收录的文件中找到"
#: The line of a parent clause that lists its children's headings (“下设：（一）…；（二）…”).
CHILDREN_PREFIX = "下设："

def today() -> str:
    """The date statuses are evaluated on by default, ``YYYY-MM-DD``: today, or the date in
    ``ASSISTANT_TODAY`` (a fixed date for reproducible runs)."""
    fixed = os.environ.get("ASSISTANT_TODAY", "").strip()
    return fixed or dt.date.today().isoformat()


#: A document's status on a date: in force, past its term, not yet in force, a draft, replaced
#: by a later version, or unknown (nothing states it — never taken for in force).
VALIDITY_STATES = ("in_force", "expired", "not_yet", "draft", "superseded", "unknown")


class ValidityEvidence(BaseModel):
    """A span that states one validity field, and where it stands."""

    #: The field it supports: issued, first_adopted, effective_from, effective_until, status,
    #: draft, trial, period or supersedes.
    field: str
    text: str
    #: The clause that holds the span (set once the document is chunked).
    chunk_id: str | None = None
    #: Offset of the span in the document's text; None for a portal's info field, which the
    #: document's header clause restates.
    start: int | None = None


class Validity(BaseModel):
    """When a document applies, as its text and its portal's info fields state it.

    Dates are ``YYYY-MM-DD``. A date the text computes (有效期5年 from its start, 30日后施行)
    carries the rule used in ``rules`` under the field's name.
    """

    issued: str | None = None
    #: A regulation amended since its adoption is dated by its latest amendment (``issued``);
    #: its first adoption is kept here.
    first_adopted: str | None = None
    amendments: int = 0
    effective_from: str | None = None
    effective_until: str | None = None
    #: field → how a date was computed or what the text says instead of a date (自印发之日起施行).
    rules: dict[str, str] = Field(default_factory=dict)
    #: The plan period a title states (行动计划（2023—2025年）), in years.
    period: tuple[int, int] | None = None
    #: A portal's own verdict (有效性：有效 / 失效 / 废止), as a state.
    stated: str | None = None
    draft: bool = False
    #: How the document calls its own standing: 征求意见稿, 草案, 试行, 暂行.
    markers: list[str] = Field(default_factory=list)
    #: Documents it repeals (原《…》（文号）同时废止), as named there.
    supersedes: list[str] = Field(default_factory=list)
    evidence: list[ValidityEvidence] = Field(default_factory=list)
    #: Set over the whole index: the later versions that replace this one, and the date from
    #: which the earliest of them applies ("" when it states none).
    superseded_by: list[str] = Field(default_factory=list)
    superseded_on: str | None = None

    def status(self, as_of: str, superseded_on: str | None = None) -> str:
        """The status on ``as_of`` (``YYYY-MM-DD``), one of :data:`VALIDITY_STATES`.

        A draft is a draft whatever its dates; a document replaced by a version that applies on
        ``as_of`` is superseded (``superseded_on``, else the one the index set); then its own
        term decides; a portal's verdict, then a plan period, stand in for a term the text
        lacks. With nothing stated it is ``unknown``, never in force by default.
        """
        if self.draft:
            return "draft"
        replaced = superseded_on if superseded_on is not None else self.superseded_on
        if replaced is not None and as_of >= replaced:
            return "superseded"
        start, end = self.effective_from, self.effective_until
        if start and as_of < start:
            return "not_yet"
        if self.stated in ("expired", "superseded"):
            return self.stated
        if end and as_of > end:
            return "expired"
        if start or end:
            return "in_force"
        if "effective_from" in self.rules:
            # In force from its issue, whose date is not stated: open-ended, it is in force;
            # with a term counted from that unknown day, nobody can tell.
            return "unknown" if "effective_until" in self.rules else "in_force"
        if self.issued and as_of < self.issued and (self.stated or self.period):
            return "not_yet"
        if self.stated:
            return self.stated
        if self.period:
            return "expired" if int(as_of[:4]) > self.period[1] else "in_force"
        return "unknown"

    def evidence_for(self, field: str) -> list[ValidityEvidence]:
        """The evidence spans of one field."""
        return [e for e in self.evidence if e.field == field]


class DocumentMeta(BaseModel):
    """What a policy document says about itself (read from its text)."""

    doc_id: str
    title: str
    issuer: str | None = None
    doc_number: str | None = None
    date: str | None = None
    status: str = "final"
    level: str | None = None
    region: str | None = None
    source: str = ""
    file_hash: str = ""
    #: When it applies (read at ingest; None for an index written before validity was read).
    validity: Validity | None = None

    def status_on(self, as_of: str) -> str:
        """The document's status on ``as_of`` (``YYYY-MM-DD``, one of :data:`VALIDITY_STATES`):
        from its validity (with the versions that replace it, set over the whole index), else a
        draft as its header says, else ``unknown``."""
        if self.validity is not None:
            return self.validity.status(as_of)
        return "draft" if self.status == "draft" else "unknown"

    def date_cn(self) -> str | None:
        """The date as Chinese documents write it: 2024年1月3日."""
        if not self.date:
            return None
        y, m, d = (int(x) for x in self.date.split("-"))
        return f"{y}年{m}月{d}日"


class PolicyDocument(BaseModel):
    """A parsed, cleaned document: metadata plus its text as paragraphs."""

    meta: DocumentMeta
    paragraphs: list[str]
    #: The kind of each paragraph when the file knew its structure: ``p`` (text), ``h1``–``h6``
    #: (a heading), ``thead``/``row`` (a table's header and data rows), ``meta`` (a header line
    #: that states the document's details). Empty for text read as a stream of lines.
    kinds: list[str] = Field(default_factory=list)

    def kind(self, i: int) -> str:
        """The kind of paragraph ``i`` (``p`` when unknown)."""
        return self.kinds[i] if i < len(self.kinds) else "p"

    @property
    def text(self) -> str:
        """The cleaned text, one paragraph a line."""
        return "\n".join(self.paragraphs)


class Clause(BaseModel):
    """One chunk: the smallest numbered unit of a document with its body."""

    chunk_id: str
    doc_id: str
    doc_title: str
    section_path: list[str]
    label: str
    text: str
    kind: str = "clause"
    ordinal: int = 0
    start: int = 0
    end: int = 0
    responsible_units: list[str] = Field(default_factory=list)
    lead_units: list[str] = Field(default_factory=list)
    children: list[str] = Field(default_factory=list)
    meta: DocumentMeta | None = None
    #: Warnings set at ingest, e.g. ``addresses_assistant`` (a line instructing an AI system).
    flags: list[str] = Field(default_factory=list)

    def embed_text(self) -> str:
        """The text that is embedded and indexed: the path gives a clause its context.

        The list of a section's children is left out: each child is indexed on its own, and
        repeating its heading in the parent would let the parent outrank it.
        """
        own = "\n".join(line for line in self.text.split("\n") if not line.startswith(CHILDREN_PREFIX))
        if self.kind == "header":
            # Every clause already carries the title and the status; repeated here, a short
            # header would outrank the clauses of its document for questions naming it.
            return "\n".join(line for line in own.split("\n")
                             if not re.fullmatch(r"[（(].{0,8}稿[）)]", line))
        return f"{self.doc_title} {' '.join(self.section_path)}\n{own}"

    def headed_text(self, title: bool = True) -> str:
        """The clause's text after its headings (and its document's title): a heading or the
        title may name what its sentences speak of, or the place they are about."""
        headings = " ".join(self.section_path)
        return f"{self.doc_title} {headings} {self.text}" if title else f"{headings} {self.text}"


class MeasureAmount(BaseModel):
    """A money figure a measure grants: as written, in yuan where the unit is clear, whether it
    is a ceiling (最高, 不超过, 上限), and what it is counted on or per (按研发成本的30%, 每台)."""

    text: str
    yuan: float | None = None
    cap: bool = False
    basis: str | None = None


class MeasureRate(BaseModel):
    """A rate a measure grants (30% → 0.3), as written, with what it is a share of."""

    text: str
    value: float | None = None
    basis: str | None = None


class MeasurePeriod(BaseModel):
    """When a measure runs or must be applied for, as written, and its last day when stated."""

    text: str
    until: str | None = None


class Span(BaseModel):
    """A span of a clause's text: ``text == clause.text[start:end]``."""

    start: int
    end: int
    text: str


class Measure(BaseModel):
    """A support measure a clause grants (奖励, 补贴, 贴息…), every field read from its text.

    A field the text does not give is empty (None or []): never guessed. ``span`` is the
    sentence the measure comes from, in its clause's text.
    """

    id: str
    doc_id: str
    chunk_id: str
    section_path: list[str]
    label: str
    kind: str
    beneficiary: str | None = None
    conditions: list[str] = Field(default_factory=list)
    amounts: list[MeasureAmount] = Field(default_factory=list)
    rates: list[MeasureRate] = Field(default_factory=list)
    #: The responsible units, lead first: named by the granting sentence, else the clause's
    #: responsibility note, else (for a sum) the document's paying units, else its issuing
    #: departments (``units_from``: sentence, note, payer, issuer; empty when none).
    units: list[str] = Field(default_factory=list)
    units_from: str | None = None
    period: MeasurePeriod | None = None
    span: Span

    def top_yuan(self) -> float | None:
        """The largest amount in yuan (None when no amount is in yuan)."""
        values = [a.yuan for a in self.amounts if a.yuan is not None]
        return max(values) if values else None


class Quote(BaseModel):
    """A span of a clause's text that an answer quotes: ``text == clause.text[start:end]``."""

    start: int
    end: int
    text: str


class Citation(BaseModel):
    """A numbered source of an answer, mapped to the clause that says it."""

    n: int
    doc_id: str
    doc_title: str
    section_path: list[str]
    label: str
    text: str
    chunk_id: str
    #: The spans of ``text`` the answer quotes, in the order it quotes them (front ends
    #: highlight them); empty when the answer states the clause in its own words.
    quotes: list[Quote] = Field(default_factory=list)
    #: The cited document's status on the answer's date (one of :data:`VALIDITY_STATES`) and
    #: the date that goes with it on a badge (since when, until when), set after composing.
    status: str | None = None
    status_date: str | None = None
    #: The badge in words: 现行有效（有效期至2030年7月31日）, 已失效（有效期至2025年12月31日）.
    status_label: str | None = None
    #: What the citation supports: ``answer`` (the answer to the question) or ``validity`` (a
    #: clause added for the sentence on a quoted document that is not in force).
    role: str = "answer"


class RetrievedClause(BaseModel):
    """A clause returned by retrieval with its fused score."""

    clause: Clause
    score: float
    dense_score: float | None = None
    bm25_score: float | None = None

    def public(self) -> dict:
        """The JSON shape front ends show for a retrieved clause."""
        c = self.clause
        return {
            "doc_id": c.doc_id,
            "doc_title": c.doc_title,
            "section_path": c.section_path,
            "label": c.label,
            "text": c.text,
            "score": round(self.score, 6),
            "chunk_id": c.chunk_id,
        }


class Answer(BaseModel):
    """What ``ask`` returns: the answer text, whether it answered, and its sources."""

    question: str
    answer: str
    answered: bool
    citations: list[Citation] = Field(default_factory=list)
    retrieved: list[RetrievedClause] = Field(default_factory=list)
    latency_ms: float = 0.0
    notice: str | None = None
    #: The question as it was answered when that differs from the one asked: a follow-up
    #: made standalone from the conversation (front ends show it before the answer).
    understood: str | None = None
    #: Sentences removed because the clauses they cite do not state what they say.
    unsupported_claims: list[str] = Field(default_factory=list)
    #: The fitted answerability model's probability that the answer is right, when the scorer
    #: decided whether to answer (None for answers read from a document's header,
    #: its validity, comparisons and lists of documents).
    confidence: float | None = None

    def public(self) -> dict:
        """The JSON shape of ``assistant ask --json`` and the HTTP API."""
        out = {
            "question": self.question,
            "answer": self.answer,
            "answered": self.answered,
            "citations": [c.model_dump() for c in self.citations],
            "retrieved": [r.public() for r in self.retrieved],
            "latency_ms": round(self.latency_ms, 2),
        }
        if self.understood:
            out["understood"] = self.understood
        if self.confidence is not None:
            out["confidence"] = round(self.confidence, 3)
        if self.notice:
            out["notice"] = self.notice
        if self.unsupported_claims:
            out["unsupported_claims"] = {"count": len(self.unsupported_claims),
                                         "sentences": list(self.unsupported_claims)}
        return out


#: How a front end introduces :attr:`Answer.understood`.
UNDERSTOOD_PREFIX = "结合上文理解为："


@dataclass(frozen=True)
class Understood:
    """The first item of an answer stream when a follow-up was made standalone: the question
    as it is answered, so that a front end can say so before the answer's text."""

    question: str

    def __str__(self) -> str:
        return f"{UNDERSTOOD_PREFIX}{self.question}"


class FileReport(BaseModel):
    """The outcome of ingesting one file."""

    path: str
    status: str  # indexed | unchanged | failed | removed
    doc_id: str | None = None
    clauses: int = 0
    embedded: int = 0
    error: str | None = None


class IngestReport(BaseModel):
    """The outcome of one ingest run."""

    files: list[FileReport] = Field(default_factory=list)
    seconds: float = 0.0

    def count(self, status: str) -> int:
        """How many files ended with ``status``."""
        return sum(1 for f in self.files if f.status == status)


@dataclass
class Filters:
    """Optional limits on what is retrieved.

    ``status`` is a document's status on ``as_of`` (today when unset): one of
    :data:`VALIDITY_STATES`, or ``final`` for documents issued in final form whatever their term.
    """

    doc_ids: list[str] | None = None
    level: str | None = None
    status: str | None = None
    as_of: str | None = None

    def on(self) -> str:
        """The date statuses are evaluated on (``YYYY-MM-DD``)."""
        return self.as_of or today()

    def where(self) -> dict | None:
        """The Chroma ``where`` clause for these filters.

        A status changes with the date, so it is not a stored field: it is left to the index
        view, which narrows a status to the documents that have it (see ``IndexView.mask``).
        """
        parts = []
        if self.doc_ids:
            parts.append({"doc_id": {"$in": list(self.doc_ids)}})
        if self.level:
            parts.append({"level": self.level})
        if not parts:
            return None
        return parts[0] if len(parts) == 1 else {"$and": parts}

    def accepts(self, clause: Clause) -> bool:
        """Whether a clause passes the filters."""
        meta = clause.meta
        if self.doc_ids and clause.doc_id not in self.doc_ids:
            return False
        if self.level and (meta is None or meta.level != self.level):
            return False
        if not self.status:
            return True
        if meta is None:
            return False
        if self.status == "final":
            return meta.status == "final"
        return meta.status_on(self.on()) == self.status

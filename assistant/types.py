"""The pydantic models passed between the pipeline's stages. No I/O here."""

from __future__ import annotations

import re
from dataclasses import dataclass

from pydantic import BaseModel, Field

#: The sentence the assistant answers with when the documents do not hold the answer.
REFUSAL_PREFIX = "未在已收录的文件中找到"
#: The line of a parent clause that lists its children's headings (“下设：（一）…；（二）…”).
CHILDREN_PREFIX = "下设："


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
    """Optional limits on what is retrieved."""

    doc_ids: list[str] | None = None
    level: str | None = None
    status: str | None = None

    def where(self) -> dict | None:
        """The Chroma ``where`` clause for these filters."""
        parts = []
        if self.doc_ids:
            parts.append({"doc_id": {"$in": list(self.doc_ids)}})
        if self.level:
            parts.append({"level": self.level})
        if self.status:
            parts.append({"status": self.status})
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
        return not (self.status and (meta is None or meta.status != self.status))

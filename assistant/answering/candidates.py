"""Candidates: the pieces of the scope's clauses an answer may quote, each with its context.

A candidate is one of:

- a **sentence** of a clause, with its headings, its document's title and the sentence before
  as context (a heading may name what the sentence speaks of);
- a **lead-in with its items** (“入库专家应具备以下基本条件：（一）…（二）…”): the sentence that
  introduces a list and the items it introduces, quoted together;
- a **list of sub-items**: a clause's children by their headings (“（一）…；（二）…”);
- a **responsibility note** bound to the item it closes (the clause's 责任单位, lead unit first);

each quoting exact spans of its clause's text, so a citation can show where it stands.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from ..index.indexview import IndexView
from ..language.text import normalize
from ..types import CHILDREN_PREFIX, Clause, RetrievedClause
from . import questions as q
from .sentences import quotable_sentences

SENTENCE, LEAD_IN, CHILDREN, UNITS, RUN, TITLE = "sentence", "lead_in", "children", "units", "run", "title"
#: Clauses that state a document's details, not its provisions: their lines are not quoted as
#: sentences (the document's title is a candidate of its own).
_NOT_QUOTED = ("header", "notice", "footer")

#: The end of a lead-in: a colon after 以下/下列/如下/包括… (or any colon closing a sentence
#: that the next lines enumerate).
_LEAD_COLON = re.compile(r"(?:以下|下列|如下|包括|包含|分为|为|有)[^：:。；;]{0,16}[：:]|[：:]\s*$"
                         r"|[：:](?=\s*\n\s*(?:[（(][一二三四五六七八九十\d]{1,3}[)）]|[一二三四五六七八九十]{1,3}、|\d{1,2}[.．、]))")
#: A lead-in inside a sentence, before parts it introduces (其中：, 具体如下：, 分别为：).
_INLINE_LEAD = re.compile(r"(?:其中|如下|包括|分别为?|具体为)[：:]")
#: An item's number at the start of a piece of text: （一）, 一、, 1., 1、, （1）, ①, 一是.
_ITEM = re.compile(r"^\s*(?:[（(][一二三四五六七八九十\d]{1,3}[)）]|[一二三四五六七八九十]{1,3}[、是]|"
                   r"\d{1,2}\s*[.．、](?!\d)|[①②③④⑤⑥⑦⑧⑨⑩])")
#: Where a list of items inside one paragraph is cut: before each item's number.
_ITEM_SPLIT = re.compile(r"(?=[（(][一二三四五六七八九十\d]{1,3}[)）]|(?<![\d.．])\d{1,2}[.．、](?!\d)|[①②③④⑤⑥⑦⑧⑨⑩])")
#: The longest quotation a lead-in and its items make.
MAX_LIST_CHARS = 600


@dataclass
class Candidate:
    """A piece of a clause an answer may quote."""

    clause: Clause
    #: The clause's rank in the scope's retrieval (0: best).
    rank: int
    kind: str
    #: The text the answer quotes.
    text: str
    #: The exact spans of ``clause.text`` quoted (a lead-in and each item).
    quotes: list[str] = field(default_factory=list)
    #: What the text speaks of, beyond itself: the document's title, the headings, the sentence
    #: before.
    context: str = ""
    #: The sentence's place in its clause (0: first).
    position: int = 0
    #: The clause's fused retrieval score and dense similarity.
    score: float = 0.0
    dense: float = 0.0
    bm25: float = 0.0
    #: How many items a list candidate holds.
    items: int = 0

    @property
    def key(self) -> tuple[str, str]:
        """The candidate's identity: its clause and text."""
        return self.clause.chunk_id, self.text


def candidates(pool: list[RetrievedClause], view: IndexView, depth: int = 8) -> list[Candidate]:
    """The candidates of the first ``depth`` clauses of ``pool`` (the scope's retrieval)."""
    out: list[Candidate] = []
    seen: set[tuple[str, str]] = set()
    docs: list[str] = []
    for rank, r in enumerate(pool[:depth]):
        clause = r.clause
        if clause.doc_id not in docs:
            docs.append(clause.doc_id)
            title = _title(clause.doc_id, rank, view)
            if title is not None:
                out.append(title)
        if clause.kind in _NOT_QUOTED:
            continue
        for cand in _of_clause(clause, rank, view):
            cand.score, cand.dense, cand.bm25 = r.score, r.dense_score or 0.0, r.bm25_score or 0.0
            if cand.key not in seen:
                seen.add(cand.key)
                out.append(cand)
    return out


#: At most this many clauses of the best documents are read beyond the retrieved ones (a few
#: documents' worth): it bounds the cost of a question on a large library.
DOC_SCAN_LIMIT = 600


def further(docs: list[str], seen: set[str], view: IndexView, rank: int,
            wanted: Callable[[Candidate], bool]) -> list[Candidate]:
    """The candidates of the rest of ``docs`` (beyond the ``seen`` clauses) that ``wanted``
    keeps: a list of the length a question gives, or a number of the thing it asks, may sit
    in a clause the question's words rank low. None when the documents are longer than
    :data:`DOC_SCAN_LIMIT` clauses."""
    clauses = [c for d in docs for c in view.by_doc.get(d, [])]
    if len(clauses) > DOC_SCAN_LIMIT:
        return []
    out = []
    for clause in clauses:
        if clause.chunk_id in seen or clause.kind != "clause":
            continue
        out += [c for c in _of_clause(clause, rank, view) if wanted(c)]
    return out


def _of_clause(clause: Clause, rank: int, view: IndexView) -> list[Candidate]:
    title_heads = f"{clause.doc_title} {' '.join(clause.section_path)}"
    out: list[Candidate] = []
    if clause.responsible_units:
        # The note first: a note that stands as a sentence of its own is the unit list.
        note = _note_text(clause)
        out.append(Candidate(clause, rank, UNITS, note, [note] if note in clause.text else [],
                             context=title_heads))
    sentences = [s for s in quotable_sentences(clause) if not s.startswith(CHILDREN_PREFIX)]
    runs = _runs(clause, rank, title_heads)
    lead_ins = _lead_ins(clause, rank, title_heads)
    previous = ""
    for pos, sentence in enumerate(sentences):
        if _INLINE_LEAD.search(sentence) and sentence.rstrip().endswith(("；", ";")) \
                and any(r.text.startswith(sentence.strip()) for r in runs):
            # “…给予研发激励，其中：甲，给予500万元；” leads into parts that follow it: it is
            # quoted with them (the run of the sentence), never as the first part alone.
            previous = sentence
            continue
        # A sentence that enumerates (甲、乙、丙等领域) holds as many items as its longest list.
        items = max((len(i) for i in q.enumerated(sentence)), default=0)
        # An item of a list speaks of what its lead-in names (（八）限载一名十二周岁以下未成年人
        # is a rule of 在道路上驾驶电动自行车，应当遵守下列规定：).
        head = sentence.strip()[:20]
        lead = next((c.quotes[0] for c in lead_ins if any(head in i for i in c.quotes[1:])), "")
        out.append(Candidate(clause, rank, SENTENCE, sentence, [sentence],
                             context=f"{title_heads} {lead} {previous}", position=pos, items=items))
        previous = sentence
    out += lead_ins
    out += runs
    children = view.children_of(clause) if clause.children else []
    if children:
        heads = [c.section_path[-1] for c in children]
        text = "；".join(heads)
        out.append(Candidate(clause, rank, CHILDREN, text, [h for h in heads if h in clause.text],
                             context=title_heads, items=len(heads)))
    return out


def _lead_ins(clause: Clause, rank: int, title_heads: str) -> list[Candidate]:
    """Each lead-in of the clause with the items it introduces, quoted together."""
    text = clause.text
    out = []
    for m in _LEAD_COLON.finditer(text):
        start = max(text.rfind(p, 0, m.start()) for p in "。；;\n") + 1
        lead = text[start:m.end()].strip()
        rest = text[m.end():]
        items = _items(rest)
        if len(items) < 2:
            continue
        quoted = [lead] + items
        body = "".join(items)
        if len(lead) + len(body) > MAX_LIST_CHARS:
            quoted = [lead] + [i[:MAX_LIST_CHARS // len(items)] for i in items]
        out.append(Candidate(clause, rank, LEAD_IN, lead + "".join(quoted[1:]), quoted,
                             context=title_heads, position=0, items=len(items)))
    return out


def _title(doc_id: str, rank: int, view: IndexView) -> Candidate | None:
    """The document's title as its header states it (a period or a place may be in it:
    “…三年行动计划（2021-2023年）”)."""
    header = view.headers.get(doc_id)
    if header is None:
        return None
    title = header.doc_title
    return Candidate(header, rank, TITLE, title, [title] if title in header.text else [], context="")


def _runs(clause: Clause, rank: int, title_heads: str) -> list[Candidate]:
    """Each run of parts of a sentence joined by semicolons (“应具有甲；具有乙；具有丙。”):
    a list written inline, quoted whole."""
    out = []
    for line in clause.text.split("\n"):
        if line.startswith(CHILDREN_PREFIX):
            continue  # the list of sub-items is a candidate of its own
        for sentence in re.split(r"(?<=。)", line):
            parts = run_parts(sentence)
            if len(parts) >= 2 and len(sentence) <= MAX_LIST_CHARS:
                out.append(Candidate(clause, rank, RUN, sentence.strip(), [sentence.strip()],
                                     context=title_heads, items=len(parts)))
    return out


def run_parts(sentence: str) -> list[str]:
    """The parts of a sentence joined by semicolons, each with its semicolon."""
    return [p for p in re.split(r"(?<=[；;])", sentence) if p.strip()]


def _items(rest: str) -> list[str]:
    """The numbered items at the start of ``rest`` (each with its number), in order; none when
    what follows the colon is not a list."""
    pieces = [p for p in _ITEM_SPLIT.split(rest.lstrip("\n")) if p.strip()]
    items: list[str] = []
    for piece in pieces:
        piece = piece.split("\n")[0] if "\n" in piece.strip("\n") and items else piece
        if not _ITEM.match(piece):
            if items:
                break
            return []
        items.append(piece.strip())
        if re.search(r"。\s*$", piece) and not re.search(r"[；;]", piece):
            # An item that ends the paragraph with 。 may end the list.
            continue
    return items


def _note_text(clause: Clause) -> str:
    """The clause's responsibility note as it stands in its text (“（责任单位：…）”), else the
    units it names."""
    units = clause.responsible_units
    for m in re.finditer(r"[（(][^（()）]{2,200}[)）]", clause.text):
        inner = normalize(m.group(0))
        if sum(normalize(u) in inner for u in units) >= max(1, len(units) // 2):
            return m.group(0)
    return "、".join(units)

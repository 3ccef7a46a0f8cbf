"""Citation logic: numbered markers in the answer text, each mapped to the clause that says it."""

from __future__ import annotations

import re

from ..types import Citation, Clause, Quote

MARKER_RE = re.compile(r"\[(\d{1,2})\]")


class CitationBook:
    """Hands out citation numbers in order of first use, one per clause."""

    def __init__(self) -> None:
        self._numbers: dict[str, int] = {}
        self.citations: list[Citation] = []

    def cite(self, clause: Clause, quoted: str | None = None) -> int:
        """The marker number of ``clause``, registering it on first use; ``quoted`` is the
        text the answer quotes from it, recorded as a span of the clause when it is there."""
        if clause.chunk_id not in self._numbers:
            n = len(self.citations) + 1
            self._numbers[clause.chunk_id] = n
            self.citations.append(to_citation(n, clause))
        n = self._numbers[clause.chunk_id]
        span = quote_span(clause.text, quoted) if quoted else None
        citation = self.citations[n - 1]
        if span is not None and span not in citation.quotes:
            citation.quotes.append(span)
        return n


def to_citation(n: int, clause: Clause) -> Citation:
    """The citation record front ends show for clause number ``n``."""
    return Citation(
        n=n,
        doc_id=clause.doc_id,
        doc_title=clause.doc_title,
        section_path=clause.section_path,
        label=clause.label,
        text=clause.text,
        chunk_id=clause.chunk_id,
    )


def quote_span(text: str, quoted: str) -> Quote | None:
    """Where ``quoted`` stands in ``text`` (a clause's text), or None when it is not there as
    written (an answer's own words, a heading kept outside the text)."""
    quoted = quoted.strip().strip("…")
    at = text.find(quoted) if quoted else -1
    if at < 0:
        return None
    return Quote(start=at, end=at + len(quoted), text=quoted)


def markers_in(answer: str) -> list[int]:
    """The citation numbers used in an answer text, in order of appearance."""
    return [int(m) for m in MARKER_RE.findall(answer)]


def check_markers(answer: str, citations: list[Citation]) -> list[int]:
    """Marker numbers in ``answer`` that point at no citation (empty when all resolve)."""
    known = {c.n for c in citations}
    return [n for n in markers_in(answer) if n not in known]

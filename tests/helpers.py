"""Small builders shared by tests that need clauses without an index."""

from __future__ import annotations

from assistant.types import Clause, RetrievedClause


def retrieved_clause(n: int, title: str, path: list[str], text: str) -> RetrievedClause:
    """Clause number ``n`` of a document titled ``title``, as retrieval would return it."""
    c = Clause(chunk_id=f"c{n}", doc_id=f"d{n}", doc_title=title, section_path=path,
               label=f"《{title}》{' '.join(path)}", text=text)
    return RetrievedClause(clause=c, score=1.0 / n)

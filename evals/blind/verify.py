#!/usr/bin/env python3
"""Self-check of the blind (held-out) evaluation set in this folder.

What a document "says" is taken from its reading text:
  * .html/.htm - lxml.html with comments removed, every <script>, <style> and
                 <noscript> element dropped, then ``text_content()`` of the page
                 (site navigation and footers stay in: they are part of the page);
  * .pdf       - pypdf ``extract_text()`` of each page, joined by newlines;
  * .docx      - python-docx paragraph texts, then the text of every table cell;
  * .md/.txt   - the bytes decoded as UTF-8.
Both sides of every comparison are NFKC-normalised and stripped of all
whitespace, so line breaks, full/half-width forms and spaces between a number
and its unit never decide a match.

Checked:
  questions.jsonl      ids b### unique; required keys; tags from the fixed list;
                       "unanswerable" tag <=> answerable false; "place-swap" items
                       name two or more documents; answerable items carry 1-3
                       evidence spans of 9-45 characters, each found in one of
                       the named documents, and every expected group has an
                       alternative found there; unanswerable items carry empty
                       expected and evidence.
  conversations.jsonl  ids bc## unique; 2-6 turns each; every turn as above.
  measures.jsonl       ids bm### unique; doc known; evidence 10-60 characters
                       and found; every amount and rate found; amount or rate
                       present; all keys present.
  validity.jsonl       exactly one line per document; dates YYYY-MM-DD or null;
                       status from the fixed list; evidence found.
  docs/                every file is named by at least one question.
Exit status 1 on any failure; a summary of counts is printed either way.

Run from anywhere:  /work/main/.venv/bin/python evals/blind/verify.py
"""
from __future__ import annotations

import json
import re
import sys
import unicodedata
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent
DOC_DIR = ROOT / "docs"

TAGS = {
    "factoid", "multi", "unanswerable", "conditions", "colloquial", "metadata",
    "list", "responsibility", "named", "validity", "english", "table", "place-swap",
}
STATUS = {"in_force", "expired", "not_yet", "draft", "superseded", "unknown"}
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
SPACE = re.compile(r"\s+", re.UNICODE)
Q_ID = re.compile(r"b\d{3}")
C_ID = re.compile(r"bc\d{2}")
M_ID = re.compile(r"bm\d{3}")
MEASURE_KEYS = ("id", "doc", "place", "evidence", "kind", "beneficiary", "amount",
                "rate", "basis", "conditions", "units")
VALIDITY_KEYS = ("doc", "title", "issued", "effective_from", "effective_until",
                 "status_on_2026-12-07", "evidence", "supersedes", "note")


def squash(text: str) -> str:
    """NFKC, then drop every whitespace character."""
    return SPACE.sub("", unicodedata.normalize("NFKC", text))


def html_text(path: Path) -> str:
    import lxml.html

    parser = lxml.html.HTMLParser(encoding="utf-8", remove_comments=True)
    tree = lxml.html.fromstring(path.read_bytes(), parser=parser)
    for node in tree.xpath("//script | //style | //noscript"):
        node.drop_tree()
    return tree.text_content()


def pdf_text(path: Path) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() or "" for page in PdfReader(str(path)).pages)


def docx_text(path: Path) -> str:
    import docx

    document = docx.Document(str(path))
    parts = [p.text for p in document.paragraphs]
    parts += [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return "\n".join(parts)


def reading_text(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in {".html", ".htm"}:
        return html_text(path)
    if suffix == ".pdf":
        return pdf_text(path)
    if suffix == ".docx":
        return docx_text(path)
    return path.read_text(encoding="utf-8")


class Checker:
    def __init__(self) -> None:
        self.failures: list[str] = []
        self.texts: dict[str, str] = {}
        for path in sorted(DOC_DIR.iterdir()):
            if path.is_file():
                self.texts[path.name] = squash(reading_text(path))
                if not self.texts[path.name]:
                    self.fail(f"docs/{path.name}: empty reading text")

    def fail(self, message: str) -> None:
        self.failures.append(message)

    def rows(self, name: str) -> list[dict]:
        path = ROOT / name
        if not path.exists():
            self.fail(f"{name}: file missing")
            return []
        out = []
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError as err:
                self.fail(f"{name} line {number}: not JSON ({err})")
        return out

    def unique_ids(self, rows: list[dict], pattern: re.Pattern, label: str) -> None:
        counts = Counter(r.get("id") for r in rows)
        for key, n in counts.items():
            if not isinstance(key, str) or not pattern.fullmatch(key):
                self.fail(f"{label}: bad id {key!r}")
            if n > 1:
                self.fail(f"{label}: id {key} used {n} times")

    def named_docs(self, item: dict, where: str) -> list[str]:
        docs = item.get("docs")
        if isinstance(docs, str) or not isinstance(docs, list) or not docs:
            self.fail(f"{where}: 'docs' must be a non-empty list")
            return []
        for d in docs:
            if d not in self.texts:
                self.fail(f"{where}: no such document {d!r}")
        return [d for d in docs if d in self.texts]

    def found(self, needle: str, docs: list[str]) -> bool:
        n = squash(needle)
        return bool(n) and any(n in self.texts[d] for d in docs)

    def check_qa(self, item: dict, where: str) -> list[str]:
        docs = self.named_docs(item, where)
        question = item.get("question")
        if not isinstance(question, str) or not question.strip():
            self.fail(f"{where}: empty question")
        expected, evidence = item.get("expected"), item.get("evidence")
        if not isinstance(expected, list) or not isinstance(evidence, list):
            self.fail(f"{where}: expected/evidence must be lists")
            return docs
        if item.get("answerable") is True:
            if not expected:
                self.fail(f"{where}: answerable but no expected groups")
            if not 1 <= len(evidence) <= 3:
                self.fail(f"{where}: {len(evidence)} evidence spans (want 1-3)")
            for group in expected:
                if not isinstance(group, list) or not group or not all(isinstance(a, str) for a in group):
                    self.fail(f"{where}: malformed expected group {group!r}")
                elif not any(self.found(alt, docs) for alt in group):
                    self.fail(f"{where}: no alternative of {group} occurs in {docs}")
            for span in evidence:
                if not isinstance(span, str) or not 9 <= len(span) <= 45:
                    self.fail(f"{where}: evidence length {len(span) if isinstance(span, str) else '?'}: {span!r}")
                elif not self.found(span, docs):
                    self.fail(f"{where}: evidence not in {docs}: {span!r}")
        elif item.get("answerable") is False:
            if expected or evidence:
                self.fail(f"{where}: unanswerable but expected/evidence not empty")
        else:
            self.fail(f"{where}: 'answerable' must be true or false")
        return docs

    def questions(self) -> tuple[list[dict], Counter, set[str]]:
        rows = self.rows("questions.jsonl")
        self.unique_ids(rows, Q_ID, "questions")
        tags: Counter = Counter()
        used: set[str] = set()
        for q in rows:
            where = f"question {q.get('id')}"
            for key in ("id", "question", "expected", "evidence", "answerable", "tags", "docs"):
                if key not in q:
                    self.fail(f"{where}: key {key!r} missing")
            used.update(self.check_qa(q, where))
            qtags = q.get("tags") or []
            if not qtags:
                self.fail(f"{where}: no tags")
            for t in qtags:
                if t not in TAGS:
                    self.fail(f"{where}: unknown tag {t!r}")
            if ("unanswerable" in qtags) != (q.get("answerable") is False):
                self.fail(f"{where}: 'unanswerable' tag and answerable flag disagree")
            if "place-swap" in qtags and len(q.get("docs") or []) < 2:
                self.fail(f"{where}: place-swap needs the asked place's document and the one holding the fact")
            tags.update(qtags)
        return rows, tags, used

    def conversations(self) -> tuple[list[dict], int, int, set[str]]:
        rows = self.rows("conversations.jsonl")
        self.unique_ids(rows, C_ID, "conversations")
        turns_total = ends_unanswerable = 0
        used: set[str] = set()
        for conv in rows:
            turns = conv.get("turns")
            if not isinstance(turns, list) or not 2 <= len(turns) <= 6:
                self.fail(f"conversation {conv.get('id')}: needs 2-6 turns")
                continue
            for k, turn in enumerate(turns, 1):
                where = f"conversation {conv.get('id')} turn {k}"
                for key in ("question", "expected", "evidence", "answerable", "docs"):
                    if key not in turn:
                        self.fail(f"{where}: key {key!r} missing")
                used.update(self.check_qa(turn, where))
            turns_total += len(turns)
            ends_unanswerable += turns[-1].get("answerable") is False
        return rows, turns_total, ends_unanswerable, used

    def measures(self) -> tuple[list[dict], Counter]:
        rows = self.rows("measures.jsonl")
        self.unique_ids(rows, M_ID, "measures")
        per_doc: Counter = Counter()
        for m in rows:
            where = f"measure {m.get('id')}"
            for key in MEASURE_KEYS:
                if key not in m:
                    self.fail(f"{where}: key {key!r} missing")
            doc = m.get("doc")
            if doc not in self.texts:
                self.fail(f"{where}: no such document {doc!r}")
                continue
            per_doc[doc] += 1
            ev = m.get("evidence") or ""
            if not 10 <= len(ev) <= 60:
                self.fail(f"{where}: evidence length {len(ev)}")
            if not self.found(ev, [doc]):
                self.fail(f"{where}: evidence not found: {ev!r}")
            for key in ("amount", "rate"):
                values = m.get(key)
                if not isinstance(values, list):
                    self.fail(f"{where}: {key} must be a list")
                    continue
                for v in values:
                    if not self.found(v, [doc]):
                        self.fail(f"{where}: {key} {v!r} not in the document")
            if not m.get("amount") and not m.get("rate"):
                self.fail(f"{where}: no amount and no rate")
            for key in ("conditions", "units"):
                if not isinstance(m.get(key), list):
                    self.fail(f"{where}: {key} must be a list")
        return rows, per_doc

    def validity(self) -> list[dict]:
        rows = self.rows("validity.jsonl")
        per_doc = Counter(v.get("doc") for v in rows)
        for doc in self.texts:
            if per_doc.get(doc, 0) != 1:
                self.fail(f"validity: {doc} has {per_doc.get(doc, 0)} lines (want 1)")
        for v in rows:
            doc = v.get("doc")
            where = f"validity {doc}"
            for key in VALIDITY_KEYS:
                if key not in v:
                    self.fail(f"{where}: key {key!r} missing")
            if doc not in self.texts:
                self.fail(f"{where}: no such document")
                continue
            for key in ("issued", "effective_from", "effective_until"):
                value = v.get(key)
                if value is not None and not (isinstance(value, str) and ISO_DATE.fullmatch(value)):
                    self.fail(f"{where}: {key}={value!r} is not YYYY-MM-DD or null")
            if v.get("status_on_2026-12-07") not in STATUS:
                self.fail(f"{where}: status {v.get('status_on_2026-12-07')!r} not allowed")
            evidence = v.get("evidence")
            if not isinstance(evidence, list) or not evidence:
                self.fail(f"{where}: evidence must be a non-empty list")
                continue
            for span in evidence:
                if not self.found(span, [doc]):
                    self.fail(f"{where}: evidence not found: {span!r}")
        return rows


def main() -> int:
    c = Checker()
    qs, tags, used_q = c.questions()
    convs, n_turns, n_end_unans, used_c = c.conversations()
    ms, m_docs = c.measures()
    vs = c.validity()
    for doc in c.texts:
        if doc not in used_q:
            c.fail(f"docs/{doc}: no question is about it")

    answerable = sum(q.get("answerable") is True for q in qs)
    size_kib = sum(p.stat().st_size for p in DOC_DIR.iterdir() if p.is_file()) / 1024
    print(f"documents      {len(c.texts)} ({size_kib:.0f} KiB)")
    print(f"questions      {len(qs)}: {answerable} answerable, {len(qs) - answerable} unanswerable")
    print("tags           " + ", ".join(f"{t} {n}" for t, n in tags.most_common()))
    print(f"conversations  {len(convs)}: {n_turns} turns, {n_end_unans} end on an unanswerable turn")
    print(f"measures       {len(ms)} from {len(m_docs)} documents")
    print(f"validity       {len(vs)} lines")
    if c.failures:
        print(f"\nFAILED ({len(c.failures)}):")
        for line in c.failures:
            print("  - " + line)
        return 1
    print("\nOK: every span, expected value, amount and document name checks out")
    return 0


if __name__ == "__main__":
    sys.exit(main())

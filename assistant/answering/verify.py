"""Citation verification of a generated answer: every claim must be stated by the clause it cites.

A language model numbers its claims with ``[n]`` markers that point at the clauses it was
shown (1-based, in prompt order). After generation:

- markers that point at no clause are dropped;
- the answer is cut into sentences; every number, date, percentage and quoted name
  (“…”, 《…》, 「…」) of a sentence must occur in one of the clauses that sentence cites
  (compared after :func:`assistant.language.text.normalize`), and a sentence must share some wording
  with them; a sentence that fails is removed and reported in ``unsupported_claims``;
- the remaining markers are renumbered 1..m in order of first use, and the citations are
  built from the clauses actually used (:class:`~assistant.answering.citations.CitationBook`);
- an answer left with no valid citation, or one holding :data:`NO_ANSWER`, is a refusal.

:class:`StreamVerifier` does the same sentence by sentence, so a streamed answer shows only
verified sentences with their final numbers.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator

from ..language.lexicon import BOOK_TITLE, PAIRED_QUOTES, QUOTED_PHRASE_MAX
from ..language.text import normalize
from ..types import Answer, Clause, RetrievedClause
from .citations import CitationBook
from .refusal import refusal_answer

#: The sentence the model is told to answer with when the clauses do not hold the answer.
NO_ANSWER = "无法从所给条款中找到答案"

# 【1】, ［1］, [1, 2], [1、2] → [1][2]
_ANY_MARKER = re.compile(r"[\[［【]\s*(\d{1,3}(?:\s*[,，、]\s*\d{1,3})*)\s*[\]］】]")
_MARKER = re.compile(r"\[(\d{1,3})\]")
# A sentence: up to its closing punctuation and the markers that follow it.
_SENTENCE = re.compile(r".+?(?:[。！？!?；;\n]+(?:[ \t]*\[\d+\])*|\Z)", re.S)
# A complete sentence at the start of a growing buffer: something other than a marker follows.
_COMPLETE = re.compile(r".+?[。！？!?；;\n]+(?:[ \t]*\[\d+\])*(?=[^\s\[]|\s+[^\s\[])", re.S)
#: A quoted phrase or a title in an answer: the clauses must hold it as written.
_QUOTED = re.compile("|".join([BOOK_TITLE.pattern] + [f"{o}([^{c}]{{2,{QUOTED_PHRASE_MAX}}}){c}"
                                                       for o, c in PAIRED_QUOTES]))
_DATE = re.compile(r"\d{4}\s*年(?:\s*\d{1,2}\s*月(?:\s*\d{1,2}\s*日)?)?|\d{1,2}\s*月\s*\d{1,2}\s*日")
_PERCENT = re.compile(r"\d+(?:\.\d+)?\s*%")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_ENUMERATOR = re.compile(r"^\s*(?:[-*•]\s*)?\d{1,2}\s*[.、)）]\s*(?!\d)")
_CJK = re.compile(r"[\u4e00-\u9fff]")


def canonical_markers(text: str) -> str:
    """The text with every marker written ``[n]`` (one number per marker)."""
    def one(m: re.Match) -> str:
        return "".join(f"[{n}]" for n in re.findall(r"\d+", m.group(1)))
    return _ANY_MARKER.sub(one, text)


def sentences(text: str) -> list[str]:
    """The text cut after each sentence, keeping the ``[n]`` markers that follow it."""
    return [s for s in _SENTENCE.findall(text) if s.strip()]


def strip_markers(text: str) -> str:
    """The text without its ``[n]`` markers."""
    return _MARKER.sub("", text)


def specifics(sentence: str) -> list[tuple[str, str]]:
    """(kind, value) of the numbers, dates, percentages and quoted names a sentence states."""
    text = unicodedata.normalize("NFKC", strip_markers(sentence))
    text = _ENUMERATOR.sub("", text)
    out: list[tuple[str, str]] = []
    for m in _QUOTED.finditer(text):
        out.append(("name", next(g for g in m.groups() if g)))
    rest = _QUOTED.sub(" ", text)
    for m in _DATE.finditer(rest):
        out.append(("date", m.group(0)))
    rest = _DATE.sub(" ", rest)
    for m in _PERCENT.finditer(rest):
        out.append(("percent", m.group(0)))
    rest = _PERCENT.sub(" ", rest)
    for m in _NUMBER.finditer(rest):
        out.append(("number", m.group(0)))
    return out


def _haystack(clause: Clause) -> str:
    return " ".join([clause.label, clause.doc_title, " ".join(clause.section_path), clause.text])


def _states(kind: str, value: str, hay: str) -> bool:
    """Whether the clause text ``hay`` states the specific ``value``."""
    raw = unicodedata.normalize("NFKC", hay)
    if kind == "number":
        digits = value.replace(",", "")
        plain = re.sub(r"(?<=\d),(?=\d{3})", "", raw)
        return bool(re.search(rf"(?<![\d.]){re.escape(digits)}(?!\d|\.\d)", plain))
    if kind == "percent":
        number = re.sub(r"\s*%$", "", value)
        plain = re.sub(r"\s+", "", raw)
        return bool(re.search(rf"(?<![\d.]){re.escape(number)}%", plain)) or \
            f"百分之{number}" in plain
    return normalize(value) in normalize(hay)


def _bigrams(text: str) -> set[str]:
    norm = normalize(text)
    return {norm[i:i + 2] for i in range(len(norm) - 1)
            if _CJK.match(norm[i]) and _CJK.match(norm[i + 1])}


class StreamVerifier:
    """Verifies a generated answer as it grows; :meth:`finish` gives the verified :class:`Answer`.

    ``feed`` takes raw model text and returns the verified sentences that are complete, with
    their markers renumbered; the concatenation of everything it returned is the answer text
    of :meth:`finish` unless the answer ends as a refusal.
    """

    def __init__(self, question: str, retrieved: list[RetrievedClause],
                 min_overlap: float = 0.2) -> None:
        self.question = question
        self.retrieved = retrieved
        self.clauses = [r.clause for r in retrieved]
        self.min_overlap = min_overlap
        self.book = CitationBook()
        self.kept: list[str] = []
        self.unsupported: list[str] = []
        self.pending: list[str] = []  # supported sentences without markers, shown with the next cited one
        self.raw = ""
        self._buffer = ""
        self.sentinel = False

    # --- incremental ------------------------------------------------------------------------

    def feed(self, delta: str) -> list[str]:
        """Take more model text; return the verified sentences completed by it."""
        self.raw += delta
        self._buffer += delta
        if normalize(NO_ANSWER) in normalize(self.raw):
            self.sentinel = True
        out: list[str] = []
        while not self.sentinel:
            text = canonical_markers(self._buffer)
            m = _COMPLETE.match(text)
            if not m:
                break
            self._buffer = text[m.end():]
            out.extend(self._sentence(m.group(0)))
        return out

    def finish(self) -> Answer:
        """The verified answer, or a refusal when no sentence with a valid citation is left."""
        if not self.sentinel:
            for s in sentences(canonical_markers(self._buffer)):
                self._sentence(s)
        self._buffer = ""
        if self.sentinel or not self.book.citations:
            answer = refusal_answer(self.question, self.retrieved)
            answer.unsupported_claims = list(self.unsupported)
            if not self.sentinel:
                # Sentences that cite nothing are claims without a source too.
                answer.unsupported_claims += [s.strip() for s in self.pending if s.strip()]
            return answer
        return Answer(question=self.question, answer="".join(self.kept).strip(), answered=True,
                      citations=self.book.citations, retrieved=self.retrieved,
                      unsupported_claims=list(self.unsupported))

    # --- one sentence -----------------------------------------------------------------------

    def _sentence(self, sentence: str) -> list[str]:
        """Check one sentence; return what becomes visible ('' parts are not returned)."""
        if not sentence.strip():
            return []
        cited = []
        for n in (int(x) for x in _MARKER.findall(sentence)):
            if 1 <= n <= len(self.clauses) and n not in cited:
                cited.append(n)
        body = strip_markers(sentence)
        if not cited:
            if specifics(body) or len(_bigrams(body)) >= 12:
                # A claim of substance with no (valid) source.
                self.unsupported.append(body.strip())
                return []
            if not normalize(body):
                return []
            self.pending.append(body)  # a connective or heading (“具体如下：”)
            return []
        hay = " ".join(_haystack(self.clauses[n - 1]) for n in cited)
        missing = [v for kind, v in specifics(body) if not _states(kind, v, hay)]
        grams = _bigrams(body)
        overlap = len(grams & _bigrams(hay)) / len(grams) if grams else 1.0
        if missing or (len(grams) >= 6 and overlap < self.min_overlap):
            self.unsupported.append(body.strip())
            return []
        spans = {n: grounding(body, self.clauses[n - 1]) for n in cited}
        text = _MARKER.sub(lambda m: self._renumber(int(m.group(1)), spans.get(int(m.group(1)))), sentence)
        text = re.sub(r"(\[\d+\])(?:\1)+", r"\1", text)  # [1][1] → [1]
        visible = "".join(self.pending) + text
        self.pending = []
        self.kept.append(visible)
        return [visible]

    def _renumber(self, n: int, spans: list[str] | None = None) -> str:
        if not 1 <= n <= len(self.clauses):
            return ""
        clause = self.clauses[n - 1]
        number = self.book.cite(clause)
        for span in spans or []:
            self.book.cite(clause, span)
        return f"[{number}]"


#: Where a clause's text is cut into the pieces a citation highlights.
_PIECE = re.compile(r"[^。！？!?；;\n]+[。！？!?；;]*")


def grounding(body: str, clause: Clause) -> list[str]:
    """The pieces of ``clause``'s text that state what the sentence ``body`` claims: those
    holding its numbers, dates, percentages and names (fewest first), else the one sharing
    most wording. They become the citation's highlighted spans, so each value a generated
    answer gives is shown where its clause states it."""
    pieces = [p.group(0).strip() for p in _PIECE.finditer(clause.text) if p.group(0).strip()]
    if not pieces:
        return []
    wanted = [(kind, v) for kind, v in specifics(body) if _states(kind, v, clause.text)]
    chosen: list[str] = []
    while wanted:
        best = max(pieces, key=lambda p: sum(_states(k, v, p) for k, v in wanted))
        held = [(k, v) for k, v in wanted if _states(k, v, best)]
        if not held:
            break
        chosen.append(best)
        wanted = [w for w in wanted if w not in held]
    if chosen:
        return chosen
    grams = _bigrams(body)
    best = max(pieces, key=lambda p: len(grams & _bigrams(p)))
    return [best] if grams & _bigrams(best) else []


def verify(question: str, text: str, retrieved: list[RetrievedClause]) -> Answer:
    """The verified answer for a finished model reply ``text``."""
    verifier = StreamVerifier(question, retrieved)
    verifier.feed(text)
    return verifier.finish()


def verified_stream(question: str, deltas: Iterator[str],
                    retrieved: list[RetrievedClause]) -> Iterator[str | Answer]:
    """Verified text pieces for a stream of model deltas, then the verified :class:`Answer`."""
    verifier = StreamVerifier(question, retrieved)
    for delta in deltas:
        yield from verifier.feed(delta)
    yield verifier.finish()

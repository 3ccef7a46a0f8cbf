"""The question's words, weighted by how rare they are in the index, and how much of them a
text holds: the measure every part of answering scores clauses and sentences with.
"""

from __future__ import annotations

import re
from collections import Counter

from ..index.retrieval import HybridRetriever
from ..language.lexicon import FUNCTION_CHARS
from ..language.segment import jieba_loaded, tokenize
from ..language.text import nfkc, normalize
from ..types import RetrievedClause
from . import questions as q
from .scoping import Scoper


class TermWeights:
    """idf-weighted terms of a question and their coverage of a text, per index version."""

    def __init__(self, retriever: HybridRetriever, scoper: Scoper) -> None:
        self.retriever = retriever
        self.scoper = scoper
        self._idf_for = None
        self._idf_cache: tuple[dict[str, float], float] = ({}, 1.0)
        self._texts_for = None
        self._texts: dict[str, str] = {}

    def idf(self) -> tuple[dict[str, float], float]:
        """(term → weight, the weight of a term the index never uses), built once per index
        version (not per call)."""
        view = self.retriever.view
        if self._idf_for is not view:
            idf = {t: max(v, 0.05) for t, v in view.idf.items()}
            # Words the corpus never uses (often colloquial paraphrase) weigh half the rarest
            # word's weight: they count against an answer, but do not sink a paraphrase alone.
            self._idf_cache = (idf, 0.5 * max(idf.values(), default=2.0) if idf else 1.0)
            self._idf_for = view
        return self._idf_cache

    def terms(self, question: str) -> dict[str, float]:
        """The terms of ``question`` with their weights."""
        idf, unseen = self.idf()
        terms = {}
        mixed = bool(re.search(r"[\u4e00-\u9fff]", question))
        glued = _glued(question, idf)
        for t in tokenize(question):
            if mixed and t.isascii() and t.isalpha() and t not in idf:
                continue  # English words around Chinese terms: the Chinese ones carry the meaning
            if t in glued:
                continue
            terms[t] = idf.get(t, unseen)
        # A word and its sub-words (jieba search mode) should not count twice.
        for t in list(terms):
            if any(t != o and t in o and o in terms for o in terms):
                terms[t] *= 0.5
        return terms

    @staticmethod
    def coverage(terms: dict[str, float], text: str) -> float:
        """The share of the terms' weight that ``text`` holds (0–1)."""
        total = sum(terms.values())
        if not total:
            return 0.0
        hay = normalize(text).lower()
        return sum(w for t, w in terms.items() if normalize(t).lower() in hay) / total

    def doc_text(self, doc_id: str) -> str:
        """A document's whole text in matching form (lower case), kept per index version."""
        view = self.retriever.view
        if self._texts_for is not view:
            self._texts, self._texts_for = {}, view
        if doc_id not in self._texts:
            self._texts[doc_id] = normalize(" ".join(c.headed_text() for c in view.by_doc.get(doc_id, []))).lower()
        return self._texts[doc_id]

    def spelled_out(self, question: str, doc_ids: list[str]) -> str:
        """``question`` with each noun it shortens as people say it (电动车, 电瓶车 aside) written
        as the documents write it (电动自行车): a noun no document of ``doc_ids`` uses, whose
        characters stand in that order, with at most three between each two, in a longer term
        the documents use at least three times. Chinese shortens a term by keeping some of its
        characters in order, so such a term is what the asker means."""
        import jieba.posseg as pseg

        texts = [self.doc_text(d) for d in dict.fromkeys(doc_ids)]
        if not texts:
            return question
        out = question
        for w in pseg.lcut(question):
            word = w.word
            if not (2 <= len(word) <= 4 and w.flag.startswith("n") and re.fullmatch(r"[\u4e00-\u9fff]+", word)):
                continue
            if any(word in t for t in texts):
                continue
            gaps = "".join(f"[\u4e00-\u9fff]{{0,3}}?{re.escape(c)}" for c in word[1:])
            found = Counter(m for t in texts for m in re.findall(re.escape(word[0]) + gaps, t))
            forms = [(n, f) for f, n in found.items() if n >= 3 and len(f) > len(word)]
            if forms:
                out = out.replace(word, max(forms)[1])
        return out

    def outside(self, topic: dict[str, float], pool: list[RetrievedClause],
                retrieved: list[RetrievedClause]) -> dict[str, float]:
        """Whether the question's topic lies outside the scope's documents: how much better a
        clause found before scoping covers it than the scope's best (a fact of another place),
        the weight share of its words the index uses but the scope's documents never do, and
        the share no document uses (a paraphrase, or a thing no document speaks of)."""
        idf, _ = self.idf()
        inside = {r.clause.doc_id for r in pool}
        best_in = max((self.coverage(topic, r.clause.headed_text()) for r in pool), default=0.0)
        best_out = max((self.coverage(topic, r.clause.headed_text()) for r in retrieved[:5]
                        if r.clause.doc_id not in inside), default=0.0)
        total = sum(topic.values()) or 1.0
        texts = [self.doc_text(d) for d in inside]
        known = {t: w for t, w in topic.items() if t in idf}
        absent = sum(w for t, w in known.items() if not any(normalize(t).lower() in x for x in texts))
        unknown = sum(w for t, w in topic.items() if t not in idf)
        return {"outside_better": max(0.0, best_out - best_in), "absent_in_scope": absent / total,
                "unknown_words": unknown / total}

    def used(self, word: str) -> bool:
        """Whether the index uses ``word``: a word the documents never use may be the asker's
        paraphrase (房租 for 租金), so it cannot be required of a sentence."""
        idf, _ = self.idf()
        return all(t in idf for t in tokenize(word))

    def key_terms(self, analysis: q.QuestionAnalysis) -> dict[str, float]:
        """The question's topic terms: no places, document names or words that ask for the type."""
        # A quoted name that no indexed document bears (“面向全球精准引才”) names a section or
        # measure: it is the topic, not a document.
        titles = [t for t in analysis.titles if self.scoper.docs_titled(t) or t in self.scoper.short_names()]
        names = ([normalize(p) for p in analysis.places + analysis.place_words]
                 + titles + list(analysis.qualifiers))
        text = q.topic_text(analysis.question)
        for name in analysis.qualifiers:
            # Out of the text before it is cut into words: 意见稿里 leaves no 稿里.
            text = text.replace(name, " ")
        terms = self.terms(text)
        asking = q.asking_verbs(analysis.question)
        keys = {t: w for t, w in terms.items()
                if q.is_topic_term(t) and t not in analysis.years and t not in asking
                and not any(normalize(t) in n or n in normalize(t) for n in names)}
        return keys or terms


def _glued(text: str, idf: dict[str, float]) -> set[str]:
    """Two-character words the segmenter glued from a neighbour's last character and a
    function word (先导区到 → 先导 / 区到, 意见稿里 → 意见 / 稿里, 目标数是 → 目标 / 数是): no
    document uses them, and they name nothing the question asks about."""
    words = [w for w in jieba_loaded().lcut(nfkc(text).lower()) if w.strip()]
    return {w for w in words if len(w) == 2 and w not in idf
            and (w[1] in FUNCTION_CHARS or w[0] in FUNCTION_CHARS)}


def topic_units(topic: str) -> list[str]:
    """The words a clause must hold to speak of ``topic``: its words, a one-character word
    kept with the word before it (先导区, not 先导 and 区)."""
    units: list[str] = []
    for word in jieba_loaded().lcut(normalize(topic).lower()):
        word = word.strip()
        if not word:
            continue
        if len(word) == 1 and units:
            units[-1] += word
        elif len(word) >= 2 or word.isalnum():
            units.append(word)
    return [u for u in units if len(u) >= 2]


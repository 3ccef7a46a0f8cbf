"""The answer chain: retrieve → compose → cite, as a langchain Runnable.

The default composer needs no language model. It reads the question with
:mod:`assistant.answering.questions` (places, documents, answer type, comparison), keeps the clauses of
the places and documents it names (:mod:`assistant.answering.scoping`), and quotes the sentences that best
cover it, each followed by a ``[n]`` marker that maps to its clause. It refuses when no clause
covers the question well enough or no sentence states a value of the asked type next to the
question's key terms. Comparisons are answered side by side, one labelled part per place or
document (:mod:`assistant.answering.comparison`). A composer is any object with ``compose(question, retrieved) -> Answer``,
so an LLM-backed composer drops in.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Protocol

from langchain_core.runnables import Runnable, RunnableLambda

from ..index.retrieval import HybridRetriever
from ..language.text import normalize
from ..types import CHILDREN_PREFIX, REFUSAL_PREFIX, Answer, Clause, Filters, RetrievedClause
from . import details, validity
from . import questions as q
from .citations import CitationBook
from .comparison import Comparer
from .mentions import Mentions
from .refusal import refusal_answer
from .scoping import Scope, Scoper
from .sentences import ValueSentences, quotable_sentences
from .terms import TermWeights

_LEAD = re.compile(r"牵头|lead")
_ENUM = re.compile(r"^(?:[一二三四五六七八九十]是|第[一二三四五六七八九十]，)")
#: What a refusal names as missing, per answer type.
_TYPE_NAMES = {q.AMOUNT: "金额", q.RATE: "比例", q.COUNT: "数量", q.DURATION: "期限", q.DATE: "时间",
               q.WHO: "负责单位", q.QUANTITY: "具体数值", q.YESNO: "相关规定"}


class Composer(Protocol):
    """Turns a question and its retrieved clauses into a cited answer."""

    def compose(self, question: str, retrieved: list[RetrievedClause],
                filters: Filters | None = None) -> Answer:
        """Compose the answer; ``filters`` are the limits the clauses were retrieved under."""
        ...


class ExtractiveComposer:
    """Answers by quoting the clause sentences that cover the question; no LLM needed.

    ``support`` is the IDF-weighted share of the question's terms found in a clause (terms
    the corpus never uses count against it at half the rarest term's weight). Below
    ``threshold`` it refuses, and so it does when the named place or document has no clauses,
    or a year or a value of the asked type is not stated where it should be
    (:meth:`missing_specifics`, :meth:`typed_sentence`). For questions with no Chinese terms,
    the dense similarity stands in for the coverage.
    """

    def __init__(self, retriever: HybridRetriever, threshold: float = 0.2,
                 max_sentences: int = 4, dense_threshold: float = 0.78) -> None:
        self.retriever = retriever
        self.threshold = threshold
        self.max_sentences = max_sentences
        self.dense_threshold = dense_threshold
        # A sentence from a second clause must score this share of the best one to be cited.
        self.other_clause_ratio = 0.85
        # How many of the scope's top clauses are searched for a list of the asked length.
        # Chosen on the dev split: all facts 0.951 at 5, 0.967 flat for 6–10; 8 is the middle.
        self.list_depth = 8
        self.scoper = Scoper(retriever)
        self.weights = TermWeights(retriever, self.scoper)
        self.values = ValueSentences(retriever, self.scoper, self.weights)
        self.comparer = Comparer(retriever, self.scoper, self.weights, analyse=self.analyse,
                                 answer_in=self._compose_in, max_sentences=max_sentences)
        self.mentions = Mentions(retriever, self.scoper, self.weights, share=self.comparer.frame_share)

    # --- scoring ---------------------------------------------------------------------------

    def support(self, question: str, retrieved: list[RetrievedClause]) -> float:
        """How well the best of the top clauses covers the question (0–1)."""
        if not retrieved:
            return 0.0
        terms = self.weights.terms(question)
        if not any(re.search(r"[\u4e00-\u9fff]", t) for t in terms):
            best = max((r.dense_score or 0.0) for r in retrieved[:3])
            # Map the dense similarity onto the same 0–1 scale as the term coverage.
            return max(0.0, min(1.0, self.threshold + (best - self.dense_threshold) * 5))
        return max(self.weights.coverage(terms, r.clause.embed_text()) for r in retrieved[:3])

    # --- composing -------------------------------------------------------------------------

    def analyse(self, question: str, filters: Filters | None = None) -> q.QuestionAnalysis:
        """The question's analysis, with the names it calls the indexed documents by: a short
        name without quotes (星火计划) or a kind after a place (浙江的实施意见) names a
        document, not the topic."""
        analysis = q.analyse(question)
        named = self.scoper.document_words(question)
        return replace(analysis, filters=filters, qualifiers=analysis.qualifiers + named)

    def key_terms(self, analysis: q.QuestionAnalysis) -> dict[str, float]:
        """The question's topic terms: no places, document names or words that ask for the type."""
        return self.weights.key_terms(analysis)

    def missing_specifics(self, question: str, retrieved: list[RetrievedClause],
                          filters: Filters | None = None) -> str | None:
        """What the question names or asks for that the clauses in its scope do not state.

        A year the question names must occur in the clauses that would answer it; a value of
        the asked type (amount, rate, count, duration, date, unit) must be stated by a
        sentence next to the question's key terms (:meth:`typed_sentence`).
        """
        analysis = self.analyse(question, filters)
        scope = self.scoper.scope(analysis, retrieved)
        if scope.missing:
            return scope.missing
        return self._missing_in(analysis, scope.retrieved)

    def _missing_in(self, analysis: q.QuestionAnalysis, pool: list[RetrievedClause]) -> str | None:
        """A year or the asked value that the scope's best clauses do not state (None: all there)."""
        terms = self.weights.terms(analysis.question)
        best = sorted(pool[:3], key=lambda r: -self.weights.coverage(terms, r.clause.embed_text()))[:2]
        norm_top = normalize(" ".join(r.clause.embed_text() for r in best))
        for year in analysis.years:
            if year not in norm_top:
                return f"{year}年"
        # Document details (文号, 印发日期) are answered from the header, checked there.
        if (analysis.kind in _TYPE_NAMES and not details.asks_detail(analysis.question)
                and not self.values.typed_sentences(analysis, pool)):
            if analysis.kind == q.WHO and self._best_with_units(self.key_terms(analysis), pool):
                return None
            return _TYPE_NAMES[analysis.kind]
        return None

    def compose(self, question: str, retrieved: list[RetrievedClause],
                filters: Filters | None = None) -> Answer:
        """Quote the best-covering sentences of the question's scope with markers, or refuse.

        ``filters`` are the limits the clauses were retrieved under; clauses asked for again
        within a place's or document's scope stay within them.
        """
        analysis = self.analyse(question, filters)
        if analysis.which_docs:
            # The answer is a set of documents: every one that speaks of the topic, listed.
            listed = self.mentions.answer(analysis, retrieved)
            if listed is not None:
                return listed
        if analysis.compare or analysis.common or analysis.weighs:
            compared = self.comparer.answer(analysis, retrieved)
            if compared is not None:
                return compared
        scope = self.scoper.scope(analysis, retrieved)
        book = CitationBook()
        pieces, reason = self._compose_in(analysis, scope, book)
        if pieces is None:
            return self.refusal(question, scope.retrieved or retrieved, self._reason(analysis, scope, reason))
        return Answer(question=question, answer="".join(pieces), answered=True,
                      citations=book.citations, retrieved=retrieved)

    def _compose_in(self, analysis: q.QuestionAnalysis, scope: Scope,
                    book: CitationBook) -> tuple[list[str] | None, str | None]:
        """The answer's pieces from the scope's clauses, or (None, what is missing)."""
        question, retrieved = analysis.question, scope.retrieved
        if scope.missing:
            return None, scope.missing
        if validity.asks_validity(question):
            # Whether, from when, until when a document applies: from its validity, cited.
            said, unstated = validity.answer_in(self.retriever.view, analysis, retrieved, book,
                                                (analysis.filters or Filters()).on())
            if said or unstated:
                return said, unstated
        if details.asks_addressees(question):
            # A document detail: its first body line, however the question's words score.
            return details.addressees_answer(self.retriever.view, analysis, retrieved, book)
        unstated = None
        if details.asks_detail(question) and (analysis.places or analysis.titles or analysis.qualifiers):
            # A document detail of a document the question names: from its header, however the
            # question's words score against its clauses. When the header does not state it,
            # the text may (“市经信局起草了…”, “2023年2月…印发”): it is read as any question.
            stated, unstated = details.header_details(self.retriever.view, self.scoper, analysis, retrieved, book)
            if stated:
                return stated, None
        support = self.support(question, retrieved)
        if support < self.threshold:
            return None, unstated
        missing = self._missing_in(analysis, retrieved)
        if missing:
            return None, unstated or missing
        terms = self.weights.terms(q.topic_text(question)) or self.weights.terms(question)
        pieces: list[str] = []
        if details.asks_detail(question) and unstated is None:
            stated, reason = details.header_details(self.retriever.view, self.scoper, analysis, retrieved, book)
            if stated or reason:
                return stated, reason

        if analysis.kind == q.WHO:
            clause = self._best_with_units(self.key_terms(analysis), retrieved)
            if clause is not None:
                n = book.cite(clause)
                lead = "、".join(clause.lead_units)
                others = "、".join(clause.responsible_units)
                heading = clause.section_path[-1] if clause.section_path else clause.label
                pieces.append(f"“{heading}”的牵头单位是{lead}，责任单位为{others}。[{n}]")
                if _LEAD.search(question.lower()):
                    return pieces, None

        if analysis.kind in (q.LIST, q.OTHER) and not pieces:
            listed = self._counted_list(analysis, retrieved, book)
            if listed:
                return [listed], None
        picked = self._pick_sentences(analysis, terms, retrieved)
        if analysis.kind in _TYPE_NAMES and not pieces:
            # The asked-for value must be among the quoted sentences: the sentence that states
            # it leads, whatever else ranked first.
            typed = self.values.typed_sentences(analysis, retrieved)
            if typed and not all(t in picked for t in typed):
                # The typed clauses' other chosen sentences stay: a question may ask for more
                # than one fact.
                ids = {t[0].chunk_id for t in typed}
                picked = typed + [p for p in picked if p[0].chunk_id in ids and p not in typed
                                  ][:max(0, self.max_sentences - len(typed))]
        if picked:
            # Each thing the question asks about together (甲和乙分别…) gets its own sentence.
            picked = picked + self.values.part_sentences(analysis, retrieved, picked)
        for i, (clause, sentence) in enumerate(picked):
            if sentence.startswith(CHILDREN_PREFIX):
                # A list of items answers only when it is the best match; elsewhere it adds
                # citations that do not hold the answer.
                if i == 0 and self._children_of(clause):
                    pieces.append(self._list_with_citations(clause, book))
                continue
            n = book.cite(clause, sentence)
            pieces.append(f"{sentence}[{n}]")
        if not pieces:
            return None, unstated
        if unstated is not None and not any(details.tells_issue(question, s) for _, s in picked):
            # A detail the header lacks is stated by the text only where it tells a
            # document's issue with that detail (“2023年2月，…印发《…》”).
            return None, unstated
        return pieces, None

    def _reason(self, analysis: q.QuestionAnalysis, scope: Scope, missing: str | None) -> str | None:
        """The refusal's first sentence: what is not stated, and where it was looked for."""
        if missing and "未载明" in missing:
            return missing
        names = ([normalize(p) for p in analysis.places + analysis.place_words]
                 + list(analysis.titles) + list(analysis.qualifiers))
        keys = [t for t in self.weights.terms(q.topic_text(analysis.question))
                if len(t) >= 2 and not t.isascii() and not q.INTERROGATIVE.match(t)
                and not any(normalize(t) in n or n in normalize(t) for n in names)]
        # The longest words, in question order: 孵化器, not 孵化 and 化器.
        topic = "、".join([t for t in keys if not any(t != o and t in o for o in keys)][:3])
        if scope.missing:
            return f"{REFUSAL_PREFIX}{scope.missing}关于{topic or '该问题'}的规定。"
        if scope.subject:
            what = f"关于{topic}的{missing}" if missing and topic else (missing or f"关于{topic}的规定")
            if scope.subject.startswith("《"):
                return f"{scope.subject}中未载明{what}。"
            return f"{REFUSAL_PREFIX}{scope.subject}{what}。"
        return None

    def _counted_list(self, analysis: q.QuestionAnalysis, retrieved: list[RetrievedClause],
                      book: CitationBook) -> str | None:
        """A list with as many items as the question says (哪六大计划): the sub-items of a top
        clause or of its parent, or a sentence enumerating that many; None when none has."""
        n = q.listed_count(analysis.question)
        if not n or n < 2:
            return None
        by_path = self.retriever.view.by_path
        keys = self.key_terms(analysis)
        # Items called what the question calls them (六大领域: “…等重点培育领域”) come first.
        category = normalize(q.listed_category(analysis.question) or "") or None

        def named(text: str) -> float:
            return 0.1 if category and category in normalize(text) else 0.0

        # ((named like the question's items, score), clause, sentence or None)
        best: tuple[tuple[bool, float], Clause, str | None] | None = None
        seen: set[str] = set()
        ranked = [(rank, r.clause) for rank, r in enumerate(retrieved[:self.list_depth])]
        # Past the retrieved clauses, the rest of the best documents (a few of them, read
        # whole): a list of that many may sit in a clause the question's words rank low.
        docs = list(dict.fromkeys(c.doc_id for _, c in ranked[:3]))
        rest = self.values.rest_of(analysis, docs, {c.chunk_id for _, c in ranked})
        ranked += [(self.list_depth, c) for c in rest]
        for rank, c in ranked:
            for parent in (c, by_path.get((c.doc_id, tuple(c.section_path[:-1])))):
                if parent is None or not parent.section_path or parent.chunk_id in seen:
                    continue
                seen.add(parent.chunk_id)
                children = self._children_of(parent)
                if len(children) == n:
                    context = f"{parent.doc_title} {' '.join(parent.section_path)} " + " ".join(
                        ch.section_path[-1] for ch in children)
                    score = self.weights.coverage(keys, context) - 0.05 * rank
                    if score >= self.values.key_sentence_share and (best is None or _ahead(score, named(context), best[0])):
                        best = ((named(context) > 0, score + named(context)), parent, None)
            previous = ""
            for sentence in quotable_sentences(c):
                if sentence.startswith(CHILDREN_PREFIX):
                    continue
                parts = [p for p in re.split(r"[，,；;。：:]", sentence)
                         if any(len(items) == n for items in q.enumerated(p))]
                if parts:
                    # The sentence before may name what is listed (布局“10+X”产业。重点发展甲、乙…).
                    context = f"{c.doc_title} {' '.join(c.section_path[-2:])} {previous} {sentence}"
                    score = self.weights.coverage(keys, context) - 0.05 * rank
                    bonus = max(named(p) for p in parts)
                    if score >= self.values.key_sentence_share and (best is None or _ahead(score, bonus, best[0])):
                        best = ((bonus > 0, score + bonus), c, sentence)
                previous = sentence
        if best is None:
            return None
        if best[2] is None:
            return self._list_with_citations(best[1], book)
        return f"{best[2]}[{book.cite(best[1], best[2])}]"

    def _children_of(self, parent: Clause) -> list[Clause]:
        """The clauses one level below ``parent`` in its document, in order."""
        return self.retriever.view.children_of(parent)

    def _list_with_citations(self, parent: Clause, book: CitationBook) -> str:
        """“（heading）包括：1.甲[2]；2.乙[3]…”: every item cites its own clause."""
        heading = parent.section_path[-1] if parent.section_path else parent.label
        items = [f"{c.section_path[-1]}[{book.cite(c, c.section_path[-1])}]" for c in self._children_of(parent)]
        return f"{heading}包括：" + "；".join(items) + "。"

    def _best_with_units(self, terms, retrieved) -> Clause | None:
        # The units answer only for a clause on the asked topic: one that holds the key terms
        # as a typed sentence must (another clause's units are another task's).
        candidates = [r.clause for r in retrieved[:3] if r.clause.responsible_units
                      and self.weights.coverage(terms, r.clause.embed_text()) >= self.values.key_sentence_share]
        if not candidates:
            return None
        return max(candidates, key=lambda c: self.weights.coverage(terms, c.embed_text()))

    def _pick_sentences(self, analysis: q.QuestionAnalysis, all_terms, retrieved) -> list[tuple[Clause, str]]:
        kind = analysis.kind
        wants_value = kind in _TYPE_NAMES
        wants_list = kind == q.LIST
        scored: list[tuple[float, int, int, Clause, str]] = []
        compare = analysis.compare
        seen_sentences: set[str] = set()
        for rank, r in enumerate(retrieved[: 10 if compare else 5]):
            clause = r.clause
            if clause.kind in ("header", "notice", "footer"):
                continue  # document details are answered from metadata, not quoted lines
            # Words that name the document (浙江, 星火计划, 实施意见) chose the document;
            # they say nothing about which of its sentences answers.
            identity = normalize(clause.doc_title + ((clause.meta.region or "") if clause.meta else ""))
            terms = {t: w for t, w in all_terms.items() if normalize(t) not in identity}
            if sum(terms.values()) < 0.3 * sum(all_terms.values()):
                terms = all_terms  # the question is about what the title says (a 复函's one decision)
            context = " ".join(clause.section_path)
            headed_places = " ".join(p for p in analysis.places if p in context)
            for pos, sentence in enumerate(quotable_sentences(clause)):
                is_list = sentence.startswith(CHILDREN_PREFIX)
                if sentence in seen_sentences or (rank >= 3 and not (wants_list and is_list) and not compare):
                    continue
                seen_sentences.add(sentence)
                if is_list:
                    # A list of children is as relevant as the heading it belongs to.
                    heading = clause.section_path[-1] if clause.section_path else ""
                    score = self.weights.coverage(terms, heading) * (1.2 if wants_list else 0.5)
                else:
                    # A place the clause is headed by (“4.湖州”) is what its sentences speak of.
                    score = self.weights.coverage(terms, f"{sentence} {headed_places}") * 0.8
                score += 0.2 * self.weights.coverage(terms, context + clause.doc_title)
                if wants_value and q.states_type(sentence, kind):
                    score += 0.15
                score -= 0.05 * rank
                scored.append((score, rank, pos, clause, sentence))
        if not scored:
            return []
        scored.sort(key=lambda x: -x[0])
        best = scored[0][0]
        if best <= 0:
            return []
        # Another clause has to be nearly as good as the best to be cited too: each extra
        # citation is a claim that the clause supports the answer.
        top_clause = scored[0][3].chunk_id
        chosen = [s for s in scored
                  if s[0] >= best * (0.6 if s[3].chunk_id == top_clause else self.other_clause_ratio)
                  ][: self.max_sentences]
        if compare:
            # A comparison needs each document's own statement, not the best document twice.
            per_doc: dict[str, tuple] = {}
            for item in scored:
                per_doc.setdefault(item[3].doc_id, item)
            others = [v for d, v in per_doc.items() if d != chosen[0][3].doc_id and v[0] >= best * 0.5]
            chosen = chosen[:2] + others[:2]
        if wants_list:
            # "实施五大工程。一是……二是……": the enumerated openings are the answer.
            lead = chosen[0][3]
            enum = [s for s in scored if s[3].doc_id == lead.doc_id
                    and s[3].section_path == lead.section_path and _ENUM.match(s[4])]
            if len(enum) >= 2:
                chosen = chosen[:1] + [s for s in enum if s not in chosen[:1]]
        # Read in document order within a clause, clauses in retrieval order.
        chosen.sort(key=lambda x: (x[1], x[2]))
        out, length = [], 0
        for _, _, _, clause, sentence in chosen:
            if length and length + len(sentence) > 500:
                break
            out.append((clause, sentence))
            length += len(sentence)
        return out

    def refusal(self, question: str, retrieved: list[RetrievedClause], reason: str | None = None) -> Answer:
        """The answer when the documents do not hold one: say so, list the nearest clauses."""
        return refusal_answer(question, retrieved, reason)


def _ahead(score: float, bonus: float, best: tuple[bool, float]) -> bool:
    """Whether a counted list scoring ``score`` (+ ``bonus`` when its items are called what
    the question calls them) goes before ``best``: items called so first, then the score."""
    return (bonus > 0, score + bonus) > best


def build_chain(retriever: HybridRetriever, composer: Composer, k: int = 5,
                filters: Filters | None = None) -> Runnable:
    """retrieve → compose → cite as one Runnable taking a question string."""

    def retrieve(question: str) -> dict:
        return {"question": question, "retrieved": retriever.retrieve(question, k=k, filters=filters)}

    def compose(state: dict) -> Answer:
        return composer.compose(state["question"], state["retrieved"], filters=filters)

    return RunnableLambda(retrieve) | RunnableLambda(compose)

"""The answer chain: retrieve → compose → cite, as a langchain Runnable.

The offline composer needs no language model. It reads the question once into a frame
(:mod:`assistant.answering.frame`: operation, one slot per thing asked, scope, topic), keeps the
clauses of the places and documents it names (:mod:`assistant.answering.scoping`), cuts them
into candidates (:mod:`assistant.answering.candidates`: sentences, lead-ins with their items,
lists of sub-items, responsibility notes) and scores each candidate for each slot with one
fitted model (:mod:`assistant.answering.scorer`). A slot is answered by its best candidate when
its probability reaches the threshold fitted for the operation; otherwise the answer says the
documents do not state it. Which-documents questions, comparisons and a document's own
details have their own parts (:mod:`~assistant.answering.mentions`,
:mod:`~assistant.answering.comparison`, :mod:`~assistant.answering.details`). A composer is
any object with ``compose(question, retrieved) -> Answer``, so an LLM-backed composer drops in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Protocol

from langchain_core.runnables import Runnable, RunnableLambda

from ..index.retrieval import HybridRetriever
from ..language.text import normalize
from ..types import Answer, Clause, Filters, RetrievedClause
from . import details, measure_answers, validity
from . import questions as q
from .candidates import CHILDREN, UNITS, Candidate, candidates, further
from .citations import CitationBook
from .comparison import Comparer
from .features import answerability, called, eligible, relative, vector, year_phrases
from .frame import (
    COMPARE,
    DETAIL,
    WHICH_DOCS,
    Conversation,
    Frame,
    Slot,
    operation_of,
    plain,
    slots_of,
)
from .mentions import Mentions
from .refusal import refusal_answer
from .render import refusal_text, slot_name, value_of
from .scoping import Scope, Scoper
from .scorer import Scorer
from .sentences import names
from .terms import TermWeights

MARKER = re.compile(r"\[\d+\]")
SENTENCE_END = re.compile(r"(?<=[。；;！!？?])|\]\s*")


class Composer(Protocol):
    """Turns a question and its retrieved clauses into a cited answer."""

    def compose(self, question: str, retrieved: list[RetrievedClause],
                filters: Filters | None = None, conversation: Conversation | None = None) -> Answer:
        """Compose the answer; ``filters`` are the limits the clauses were retrieved under,
        ``conversation`` what the conversation adds to a follow-up."""
        ...


@dataclass
class Pick:
    """A slot's best candidate and its probability."""

    slot: Slot
    cand: Candidate | None
    p: float


class ExtractiveComposer:
    """Answers by quoting the candidates that the fitted scorer finds state what is asked."""

    def __init__(self, retriever: HybridRetriever, refusal_threshold: float | None = None,
                 max_sentences: int = 4, scorer: Scorer | None = None) -> None:
        self.retriever = retriever
        self.max_sentences = max_sentences
        self.scorer = scorer or Scorer.load()
        #: Overrides the fitted refusal thresholds when set (``ASSISTANT_REFUSAL_THRESHOLD``).
        self.refusal_threshold = refusal_threshold
        #: How many of the scope's best clauses are cut into candidates: enough to hold the
        #: evidence for 0.95 of the development questions (evals/fit_scorer.py reports it).
        self.depth = 8
        self.scoper = Scoper(retriever)
        self.weights = TermWeights(retriever, self.scoper)
        self.comparer = Comparer(retriever, self.scoper, self.weights, analyse=self.analyse,
                                 answer_in=self.answer_in, max_sentences=max_sentences)
        self.mentions = Mentions(retriever, self.scoper, self.weights, share=self.comparer.frame_share)

    # --- reading the question ------------------------------------------------------------------

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

    def frame(self, question: str, filters: Filters | None = None,
              analysis: q.QuestionAnalysis | None = None,
              conversation: Conversation | None = None) -> Frame:
        """The question's frame: its operation, slots, scope and the documents it names."""
        analysis = analysis or self.analyse(question, filters)
        slots = slots_of(question)
        if asks_its_own(conversation):
            # A follow-up that asks a thing of its own (谁来统筹推进 after a question on
            # targets) replaces the slots of the question before; one that names only a new
            # subject (那大型甘蔗收获机呢) keeps them.
            asked = [s for s in slots_of(conversation.asked) if s.kind != q.OTHER]
            slots = [s for s in slots if any(s.kind == a.kind for a in asked)] or asked
        detail = details.asks_detail(question) or details.asks_addressees(question)
        return Frame(question=question, reading=plain(question), operation=operation_of(analysis, slots, detail),
                     slots=slots, analysis=analysis, doc_ids=self.scoper.named_docs(analysis),
                     conversation=conversation)

    # --- composing -----------------------------------------------------------------------------

    def compose(self, question: str, retrieved: list[RetrievedClause],
                filters: Filters | None = None, conversation: Conversation | None = None) -> Answer:
        """The answer to ``question`` from the clauses of its scope, or a refusal."""
        parts = self.parts(question, filters)
        if len(parts) >= 2:
            return self._each(question, parts, retrieved, filters)
        if measure_answers.asks_measures(question):
            return measure_answers.answer(question, self.retriever.view, filters)
        # The question read with its shortened nouns as the documents found write them
        # (电动车 → 电动自行车); the answer still repeats the question as asked.
        read = self.weights.spelled_out(question, [r.clause.doc_id for r in retrieved[:self.depth]])
        frame = self.frame(read, filters, conversation=conversation)
        analysis = frame.analysis
        listed = validity.asks_listing(frame.question)
        if listed:
            # Which documents are in force, are not, or state their end: from every document's
            # validity (those of the places the question names), not from a clause's words.
            view, book = self.retriever.view, CitationBook()
            docs = sorted({d for p in analysis.places for d in self.scoper.docs_of_place(p)}
                          if analysis.places else view.by_doc)
            pieces = validity.listing(view, docs, listed, book, (filters or Filters()).on())
            return Answer(question=question, answer="".join(pieces), answered=True,
                          citations=book.citations, retrieved=retrieved)
        if frame.operation == WHICH_DOCS:
            listed = self.mentions.answer(analysis, retrieved)
            if listed is not None:
                return listed
        if frame.operation == COMPARE:
            compared = self.comparer.answer(analysis, retrieved)
            if compared is not None:
                return compared
        retrieved = self.followup_pool(frame, retrieved, filters)
        scope = self.scoper.scope(analysis, retrieved)
        if scope.missing:
            return self.refusal(question, retrieved, refusal_text(None, scope.missing, None))
        book = CitationBook()
        pieces, missing = self._answer(frame, scope, book, retrieved)
        if pieces is None:
            nearest = scope.retrieved[0].clause.label if scope.retrieved else None
            reason = missing or refusal_text(scope.subject, None, nearest, self.missing_words(frame, scope))
            refused = self.refusal(question, scope.retrieved or retrieved, reason)
            refused.confidence = frame.confidence
            return refused
        return Answer(question=question, answer="".join(pieces), answered=True, confidence=frame.confidence,
                      citations=book.citations, retrieved=scope.retrieved or retrieved)

    def followup_pool(self, frame: Frame, retrieved: list[RetrievedClause],
                      filters: Filters | None = None) -> list[RetrievedClause]:
        """The clauses a follow-up is answered from. A follow-up that asks a thing of its own
        (谁来统筹推进, 要准备哪些资料 after a question on targets) is asked of the documents under
        discussion in its own words too: their best clauses for those words take the last places
        of the clauses read for candidates, after the standalone question's best. The documents
        under discussion are those of the clauses the previous answer quoted, else (an answer
        whose quotes were not found again) the document the standalone question finds first."""
        conversation = frame.conversation
        if not asks_its_own(conversation):
            return retrieved
        view = self.retriever.view
        docs = sorted({view.by_id[a].doc_id for a in conversation.anchors if a in view.by_id})
        if not docs and retrieved:
            docs = [retrieved[0].clause.doc_id]
        if not docs:
            return retrieved
        within = replace(filters or Filters(), doc_ids=docs)
        seen = {r.clause.chunk_id for r in retrieved}
        own = [r for r in self.retriever.retrieve(conversation.asked, k=self.depth, filters=within)
               if r.clause.chunk_id not in seen][:_OWN_PLACES]
        if not own:
            return retrieved
        cut = max(0, self.depth - len(own))
        return retrieved[:cut] + own + retrieved[cut:]

    def parts(self, question: str, filters: Filters | None = None) -> list[tuple[str, str]]:
        """(label, question) for each question a question asks of its own place or document
        (“上海…封顶多少？重庆…封顶多少？”); fewer than two: it asks one question."""
        # The Chinese terms added to an English question (“…?（企业 创新）”) ask nothing.
        pieces = [p.strip() for p in re.split(r"[？?；;]", question) if p.strip() and p.strip()[0] not in "（("]
        if len(pieces) < 2:
            return []
        out = []
        for piece in pieces:
            analysis = self.analyse(piece, filters)
            docs = self.scoper.named_docs(analysis)
            if docs:
                out.append((self.scoper.short_label(docs[0]), piece))
            elif analysis.places:
                out.append(("、".join(analysis.places), piece))
            else:
                return []
        return out if len({label for label, _ in out}) == len(out) else []

    def _each(self, question: str, parts: list[tuple[str, str]], retrieved: list[RetrievedClause],
              filters: Filters | None) -> Answer:
        """The answers to the questions asked together, one labelled line each, cited in one
        numbering."""
        book, lines, answered, seen = CitationBook(), [], False, []
        view = self.retriever.view
        for label, part in parts:
            found = self.retriever.retrieve(part, k=max(len(retrieved), 5), filters=filters)
            sub = self.compose(part, found, filters)
            seen += sub.retrieved
            text = sub.answer
            if sub.answered:
                answered = True
                numbers = {}
                for c in sub.citations:
                    clause = view.by_id.get(c.chunk_id)
                    if clause is not None:
                        for quote in c.quotes or [None]:
                            numbers[c.n] = book.cite(clause, quote.text if quote else None)
                text = renumbered(text, numbers)
            lines.append(f"{label}：{text}")
        if not answered:
            return self.refusal(question, retrieved, "\n".join(lines))
        return Answer(question=question, answer="\n".join(lines), answered=True, citations=book.citations,
                      retrieved=list({r.clause.chunk_id: r for r in seen}.values()) or retrieved)

    def answer_in(self, analysis: q.QuestionAnalysis, scope: Scope,
                  book: CitationBook) -> tuple[list[str] | None, str | None]:
        """The answer's pieces for ``analysis`` within ``scope`` (a comparison's side), or
        (None, why not)."""
        if scope.missing:
            return None, scope.missing
        return self._answer(self.frame(analysis.question, analysis.filters, analysis), scope, book)

    def _answer(self, frame: Frame, scope: Scope, book: CitationBook,
                retrieved: list[RetrievedClause] | None = None) -> tuple[list[str] | None, str | None]:
        analysis = frame.analysis
        if validity.asks_validity(frame.question):
            # Whether, from when, until when a document applies: from its validity, cited.
            said, unstated = validity.answer_in(self.retriever.view, analysis, scope.retrieved, book,
                                                (analysis.filters or Filters()).on())
            if said or unstated:
                return said, unstated
        if frame.operation == DETAIL:
            stated = self._detail(frame, scope, book)
            if stated is not None:
                return stated
        scored = self.scored(frame, scope.retrieved, retrieved)
        picks = _picks(scored)
        threshold = self.refusal_threshold if self.refusal_threshold is not None \
            else self.scorer.threshold(frame.operation)
        frame.signals = answerability(frame, scored, self.scorer.slot_threshold)
        frame.confidence = self.scorer.answerable(frame.signals, max((p.p for p in picks), default=0.0))
        if not picks or frame.confidence < threshold:
            return None, None
        return self._pieces(picks, threshold, book), None

    def _detail(self, frame: Frame, scope: Scope,
                book: CitationBook) -> tuple[list[str] | None, str | None] | None:
        """A document's own details from its header (文号, 发文机关, 日期, 状态, 主送机关), or
        None when the header does not hold them (the text is then read like any question)."""
        view, analysis, pool = self.retriever.view, frame.analysis, scope.retrieved
        if details.asks_addressees(frame.question):
            return details.addressees_answer(view, analysis, pool, book)
        stated, unstated = details.header_details(view, self.scoper, analysis, pool, book)
        if stated:
            return stated, None
        if unstated is None:
            return None
        # The header does not state it; the text may, in a sentence that tells the document's
        # issue with that detail (“2023年2月，…印发《…指导意见》”), and only there.
        told = [p for p in self.picks(frame, pool) if p.cand is not None
                and details.tells_issue(frame.question, p.cand.text)]
        return (self._pieces(told, 0.0, book), None) if told else (None, unstated)

    def missing_words(self, frame: Frame, scope: Scope) -> str | None:
        """What a refusal names as not found: the thing a slot asks of that the scope's
        documents never name (租金), else the most specific word of the topic they lack."""
        texts = [self.weights.doc_text(d) for d in {r.clause.doc_id for r in scope.retrieved[:self.depth]}]

        def absent(word: str) -> bool:
            return not any(normalize(word).lower() in t for t in texts)

        for slot in frame.slots:
            if slot.attribute and absent(slot.attribute):
                return f"“{slot.attribute}”"
        idf, unseen = self.weights.idf()
        topic = self.key_terms(frame.analysis)
        lacking = sorted((w, t) for t, w in topic.items() if len(t) >= 2 and absent(t))
        return f"“{lacking[-1][1]}”" if lacking else None

    # --- scoring -------------------------------------------------------------------------------

    def candidates(self, frame: Frame, pool: list[RetrievedClause]) -> list[Candidate]:
        """The candidates of the scope's best clauses, and of the rest of its best documents
        those that hold a list of the length the question gives or name the thing a number is
        asked of (a place only mentioned in those documents excepted: it is answered from the
        clauses that speak of it)."""
        cands = candidates(pool, self.retriever.view, self.depth)
        listed = q.listed_count(frame.question)
        attributes = [s.attribute for s in frame.slots
                      if s.kind in q.NUMBER_TYPES and s.attribute and self.weights.used(s.attribute)]
        docs = list(dict.fromkeys(r.clause.doc_id for r in pool[:3]))
        if not (listed or attributes) or not all(set(docs) & set(self.scoper.docs_of_place(p))
                                                 for p in frame.places):
            return cands

        def wanted(c: Candidate) -> bool:
            if listed and c.items == listed:
                return True
            return any(names(normalize(a), normalize(c.text)) for a in attributes) and any(
                q.states_type(c.text, s.kind) for s in frame.slots if s.kind in q.NUMBER_TYPES)

        seen = {r.clause.chunk_id for r in pool[:self.depth]}
        return cands + further(docs, seen, self.retriever.view, self.depth, wanted)

    def scored(self, frame: Frame, pool: list[RetrievedClause],
               retrieved: list[RetrievedClause] | None = None,
               ) -> list[tuple[Slot, list[tuple[float, Candidate, list[float]]]]]:
        """Every slot with its candidates' (probability, candidate, features), best first;
        ``retrieved`` is what was found before the question's scope was applied."""
        cands = self.candidates(frame, pool)
        topic = self.key_terms(frame.analysis)
        conversation = frame.conversation or Conversation(own=frame.question)
        # The follow-up's own words (那大型甘蔗收获机呢 → 大型甘蔗收获机) decide among the
        # answers to its standalone form; a question of its own is all its own words.
        own = {t: w for t, w in self.weights.terms(conversation.own).items() if t in topic} or topic
        if asks_its_own(conversation):
            # A follow-up that asks a thing of its own (谁负责统筹, 申请要准备哪些资料) is about
            # what it asks, in all its words: the words carried from the question before chose
            # the documents and the clauses under discussion, not the sentence that answers.
            own = topic = {t: w for t, w in self.weights.terms(conversation.asked).items()
                           if t in topic} or topic
        whole = self.weights.outside(topic, pool[:self.depth], retrieved or pool)
        anchors = set(conversation.anchors)
        view = self.retriever.view
        anchor_docs = {view.by_id[a].doc_id for a in anchors if a in view.by_id}
        top_bm25 = max((c.bm25 for c in cands), default=0.0)
        listed = q.listed_count(frame.question)
        phrases = year_phrases(frame.reading)
        out = []
        for slot in frame.slots:
            slot_terms = {t: w for t, w in self.weights.terms(slot.phrase).items()
                          if q.is_topic_term(t)}
            # A candidate that cannot answer the slot (no value of its type, another thing's
            # number) is not scored for it.
            able = [c for c in cands if eligible(slot, c, self.weights.used, frame.years, phrases, frame.reading)]
            # A list the question counts and names (六大领域) is one called so, where one is.
            able = [c for c in able if called(frame, c, listed)] or able
            vectors = [vector(frame, slot, cand, topic, slot_terms, self.weights.coverage, anchors,
                              top_bm25, listed, whole, own, anchor_docs) for cand in able]
            relative(vectors)
            rows = [(self.scorer.probability(x), cand, x) for cand, x in zip(able, vectors, strict=True)]
            rows.sort(key=lambda r: -r[0])
            out.append((slot, rows))
        return out

    def picks(self, frame: Frame, pool: list[RetrievedClause],
              retrieved: list[RetrievedClause] | None = None) -> list[Pick]:
        """Each slot's best candidate."""
        return _picks(self.scored(frame, pool, retrieved))

    def _pieces(self, picks: list[Pick], threshold: float, book: CitationBook) -> list[str]:
        """The answer's sentences: per candidate chosen, the values it states for its slots,
        then the quote with its marker; then a sentence per slot left open.

        The best slot answers at ``threshold`` (the question is answered); each other slot
        at the slot threshold fitted for the further things a question asks."""
        best = max(picks, key=lambda p: p.p)
        further = self.refusal_threshold if self.refusal_threshold is not None else self.scorer.slot_threshold
        answered = [p for p in picks if p.cand is not None and (p is best or p.p >= further)]
        pieces: list[str] = []
        done: set[tuple[str, str]] = set()
        for pick in answered:
            cand = pick.cand
            if cand is None or cand.key in done:
                continue
            done.add(cand.key)
            values = [v for p in answered if p.cand is not None and p.cand.key == cand.key
                      for v in [value_of(p.slot, cand)] if v]
            lead = "，".join(dict.fromkeys(values))
            pieces.append((f"{lead}。" if lead else "") + self._quote(cand, book))
        for pick in picks:
            if pick not in answered:
                pieces.append(f"文件未载明{slot_name(pick.slot)}。")
        return pieces

    def _quote(self, cand: Candidate, book: CitationBook) -> str:
        """The candidate quoted with its marker (a list of sub-items cites each item's clause)."""
        if cand.kind == CHILDREN:
            return self._list_with_citations(cand.clause, book)
        n = 0
        for span in cand.quotes or [cand.text]:
            n = book.cite(cand.clause, span)
        if cand.kind == UNITS and cand.clause.section_path:
            # A note names units for the item it closes: the item is named with it.
            return f"“{cand.clause.section_path[-1]}”{cand.text}[{n}]"
        return f"{cand.text}[{n}]"

    def _list_with_citations(self, parent: Clause, book: CitationBook) -> str:
        """“（heading）包括：1.甲[2]；2.乙[3]…”: every item cites its own clause."""
        heading = parent.section_path[-1] if parent.section_path else parent.label
        items = [f"{c.section_path[-1]}[{book.cite(c, c.section_path[-1])}]"
                 for c in self.retriever.view.children_of(parent)]
        return f"{heading}包括：" + "；".join(items) + "。"

    def refusal(self, question: str, retrieved: list[RetrievedClause], reason: str | None = None) -> Answer:
        """The answer when the documents do not hold one: say so, name the nearest clause."""
        return refusal_answer(question, retrieved, reason)


def asks_its_own(conversation: Conversation | None) -> bool:
    """Whether a follow-up asks a thing of its own (谁来统筹推进, 要准备哪些资料: a slot other
    than a bare topic), rather than naming a new subject for the question before (那成都呢)."""
    return conversation is not None and bool(conversation.asked) and any(
        s.kind != q.OTHER for s in slots_of(conversation.asked))


#: How many of the clauses read for candidates a follow-up's own words may fill: the last three
#: of eight, so that the standalone question's best five stay first.
_OWN_PLACES = 3


def _picks(scored: list) -> list[Pick]:
    """Each scored slot's best candidate."""
    return [Pick(slot, rows[0][1], rows[0][0]) if rows else Pick(slot, None, 0.0) for slot, rows in scored]


def renumbered(text: str, numbers: dict[int, int]) -> str:
    """``text`` with each marker [n] as [numbers[n]] (a marker without a new number dropped)."""
    return MARKER.sub(lambda m: f"[{numbers[int(m.group(0)[1:-1])]}]" if int(m.group(0)[1:-1]) in numbers
                      else "", text)


def anchors_of(answer_text: str, clauses: list[Clause]) -> list[str]:
    """The clauses of ``clauses`` that an answer quoted: a sentence of the answer (its markers
    and value lead dropped) stands in the clause's text."""
    quoted = [normalize(MARKER.sub("", s)) for s in SENTENCE_END.split(answer_text)]
    quoted = [s for s in quoted if len(s) >= 8]
    return [c.chunk_id for c in clauses if any(s in normalize(c.text) for s in quoted)]


def build_chain(retriever: HybridRetriever, composer: Composer, k: int = 5,
                filters: Filters | None = None, conversation: Conversation | None = None) -> Runnable:
    """retrieve → compose → cite as one Runnable taking a question string."""

    def retrieve(question: str) -> dict:
        return {"question": question, "retrieved": retriever.retrieve(question, k=k, filters=filters)}

    def compose(state: dict) -> Answer:
        return composer.compose(state["question"], state["retrieved"], filters=filters,
                                conversation=conversation)

    return RunnableLambda(retrieve) | RunnableLambda(compose)

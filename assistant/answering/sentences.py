"""Which sentences of a clause may be quoted, and which of them state the asked value.

:func:`quotable_sentences` splits a clause into the sentences an answer may quote (a heading that
states a measure is one; text that addresses the assistant never is). :class:`ValueSentences`
finds, among the top clauses of a question's scope, the sentence that states a value of the asked
type (:mod:`assistant.answering.questions`) of the asked thing next to the question's key terms, one per
number a question asks for.
"""

from __future__ import annotations

import re
from dataclasses import replace

from ..index.retrieval import HybridRetriever
from ..language.segment import tokenize
from ..language.text import normalize, split_sentences
from ..reading.injection import addresses_assistant
from ..types import CHILDREN_PREFIX, Clause, RetrievedClause
from . import questions as q
from .scoping import Scoper
from .terms import TermWeights

#: A typed sentence: the clause it is quoted from and the sentence.
Quote = tuple[Clause, str]


def quotable_sentences(clause: Clause) -> list[str]:
    """Quotable sentences of a clause; a list of children stays whole.

    A bare heading (“（三）加速创新成果转化应用”) is not quotable, but a heading that states a
    measure (“（三）对开通航线的企业，按每条航线给予30万元补助。”) is. Sentences that address the
    assistant (:mod:`assistant.reading.injection`) are never quoted.
    """
    headings = {normalize(h) for h in clause.section_path}
    out = []
    for line in clause.text.split("\n"):
        parts = [line] if line.startswith(CHILDREN_PREFIX) else split_sentences(line)
        for s in parts:
            s = s.strip()
            if len(s) <= 1 or addresses_assistant(s):
                continue
            if normalize(s) in headings and (clause.children or not states_measure(s)):
                continue  # a heading over sub-items is a title; a leaf's heading may be the measure
            out.append(s)
    return out


def states_measure(heading: str) -> bool:
    """Whether a heading is itself a statement: it gives a value or is a full sentence."""
    return (any(q.states_type(heading, kind) for kind in (q.AMOUNT, q.RATE, q.COUNT, q.DATE))
            or bool(re.search(r"[，,；;].+", heading)))


def _names(attribute: str, text: str) -> bool:
    """Whether ``text`` names the asked thing: the word itself, or all of its parts when it is
    a compound of two or more words (关键核心技术 in “攻关关键技术、核心部件”)."""
    if attribute in text:
        return True
    parts = [t for t in tokenize(attribute) if t != attribute and len(t) >= 2]
    return len(parts) >= 2 and all(p in text for p in parts)


#: At most this many clauses of the best documents are read beyond the retrieved ones (a few
#: documents' worth): it bounds the cost of a question on a large library.
DOC_SCAN_LIMIT = 600


class ValueSentences:
    """Finds the sentences that state the asked values among a scope's top clauses."""

    def __init__(self, retriever: HybridRetriever, scoper: Scoper, weights: TermWeights) -> None:
        self.retriever = retriever
        self.scoper = scoper
        self.weights = weights
        # Share of the question's key-term weight a sentence stating the asked value (with the
        # document title and the clause's headings) must cover to count as stating it "next to"
        # the key terms, and the share the sentence must cover alone. Chosen on the dev split
        # (evals/tune.py): dev scores are flat for 0.3–0.6, so the middle of that range is
        # taken; the sentence's own share is 0 (also flat on dev) because a heading may carry
        # the whole topic (“1.一次性创业资助” over “补贴标准：10000元”).
        self.key_sentence_share = 0.5
        self.key_sentence_near = 0.0
        # How many of the scope's top clauses are searched for the sentence stating the value.
        self.typed_depth = 5

    def rest_of(self, analysis: q.QuestionAnalysis, docs: list[str], seen: set[str]) -> list[Clause]:
        """The clauses of ``docs`` (in that order) beyond the ``seen`` ones, to read when the
        retrieved clauses do not hold the answer; none when the documents are longer than
        :data:`DOC_SCAN_LIMIT` or a place the question names issues none of them (a place only
        mentioned inside them, 宁波 in a provincial plan, is answered from the clauses that speak
        of it, not from the whole document)."""
        clauses = [c for d in docs for c in self.retriever.view.by_doc.get(d, [])]
        if len(clauses) > DOC_SCAN_LIMIT or not all(
                set(docs) & set(self.scoper.docs_of_place(p)) for p in analysis.places):
            return []
        return [c for c in clauses if c.chunk_id not in seen and c.kind == "clause"]

    def typed_sentences(self, analysis: q.QuestionAnalysis, pool: list[RetrievedClause]) -> list[Quote]:
        """One sentence per number the question asks for (“多少个联合体、多少家中心”), in the
        question's order; the parts no sentence states are left out (empty: none is stated)."""
        parts = q.asked_parts(analysis.question) if analysis.kind in q.NUMBER_TYPES else []
        if len(parts) < 2:
            found = self.typed_sentence(analysis, pool)
            return [found] if found else []
        out: list[Quote] = []
        questions = [x for x in re.split(r"[？?；;。]", analysis.question) if x.strip()]
        for part in parts:
            # Two questions in one (补贴多少？期限几年？): each part asks for its own type.
            own = next((x for x in questions if part[1] in q.normalize_question(x)), "")
            kind = q.answer_type(own) if own else analysis.kind
            single = replace(analysis, kind=kind if kind in q.NUMBER_TYPES else analysis.kind)
            found = self.typed_sentence(single, pool, part)
            if found and found not in out:
                out.append(found)
        return out

    def typed_sentence(self, analysis: q.QuestionAnalysis, pool: list[RetrievedClause],
                       part: tuple[str, str] | None = None) -> Quote | None:
        """The best sentence of the top clauses that states a value of the asked type next to
        the question's key terms (the sentence with its clause's headings), or None.

        For a number the sentence must also name what the number is of (``part``: the asked
        attribute and its phrase, :func:`questions.asked_parts`; the question's first when not
        given) in itself or its heading: a rate of another thing is not the asked rate.
        """
        all_keys = self.weights.key_terms(analysis)
        if part is None and analysis.kind in q.NUMBER_TYPES:
            parts = q.asked_parts(analysis.question)
            part = parts[0] if parts else None
        attribute = normalize(part[0]) if part and self.weights.used(part[0]) else None
        # The part's own words tell apart two numbers asked of one thing (多少家高新技术企业、
        # 多少家生态主导型企业).
        # Words that ask for a type count here (补贴期限 against 补贴金额).
        phrase = {t: w for t, w in self.weights.terms(part[1]).items()
                  if len(t) >= 2 and not q.INTERROGATIVE.match(t)} if part else {}
        # The value is looked for in the documents the best clauses come from: a figure in a
        # lower-ranked document of the same place is about another measure.
        docs = {r.clause.doc_id for r in pool[:3]}
        best: tuple[tuple[float, float], Clause, str] | None = None
        ranked = [(rank, r.clause, False) for rank, r in enumerate(pool[:self.typed_depth])]
        if attribute:
            # A number of the asked thing may sit in a clause the question's words rank low
            # (the targets of 主要目标 for 标志性产品): the rest of the best documents is read
            # too, a sentence there naming the thing itself.
            rest = self.rest_of(analysis, sorted(docs), {c.chunk_id for _, c, _ in ranked})
            ranked += [(self.typed_depth, c, True) for c in rest]
        for rank, clause, further in ranked:
            if clause.doc_id not in docs:
                continue
            # The document's title and the clause's headings are the sentence's context.
            heading = f"{clause.doc_title} {' '.join(clause.section_path[-2:])}"
            previous = ""
            for sentence in quotable_sentences(clause):
                # What a sentence speaks of may be named by its headings or the sentence before
                # (“一次性创业资助。补贴标准：10000元”).
                # (Normalised only for the sentences that pass the cheaper checks below.)
                context, previous = " ".join([*clause.section_path, previous, sentence]), sentence
                if sentence.startswith(CHILDREN_PREFIX) or not q.states_type(sentence, analysis.kind):
                    continue
                near = self.weights.coverage(all_keys, sentence)
                cover = max(near, self.weights.coverage(all_keys, f"{heading} {sentence}"))
                if near < self.key_sentence_near or cover < self.key_sentence_share:
                    continue
                if not q.same_basis(analysis.question, sentence):
                    continue
                if attribute and not _names(attribute, normalize(context)):
                    continue  # a value of the asked type, but of another thing (利率 for 费率)
                if further and (near < self.key_sentence_share or not _names(attribute, normalize(sentence))):
                    continue  # unretrieved: the sentence itself must name the thing and the topic
                # Best covered with its context (and the part's words); then the sentence that
                # names the key terms itself; then the higher-ranked clause.
                own = self.weights.coverage(phrase, sentence) if phrase else 0.0
                score = (round(cover + own - 0.05 * rank, 6), near)
                if best is None or score > best[0]:
                    best = (score, clause, sentence)
        return (best[1], best[2]) if best else None

    def part_sentences(self, analysis: q.QuestionAnalysis, pool: list[RetrievedClause],
                       picked: list[Quote]) -> list[Quote]:
        """Sentences for the coordinated parts of the question (:func:`questions.conjuncts`)
        that the ``picked`` sentences leave out: the best sentence of the top clauses of the
        picked documents naming that part (with a value of the asked type, when one is asked)."""
        keys = self.weights.key_terms(analysis)
        quoted = normalize(" ".join(s for _, s in picked))
        docs = {c.doc_id for c, _ in picked}
        out: list[Quote] = []
        for part in q.conjuncts(analysis.question):
            # A part's own topic words; places and document names chose the scope already.
            terms = {t: w for t, w in self.weights.terms(part).items() if t in keys}
            if not terms or self.weights.coverage(terms, quoted) >= self.key_sentence_share:
                continue
            best: tuple[float, Quote] | None = None
            for rank, r in enumerate(pool[:self.typed_depth]):
                if r.clause.doc_id not in docs:
                    continue
                for sentence in quotable_sentences(r.clause):
                    if sentence.startswith(CHILDREN_PREFIX) or not q.states_type(sentence, analysis.kind):
                        continue
                    score = self.weights.coverage(terms, sentence) - 0.05 * rank
                    if score >= self.key_sentence_share and (best is None or score > best[0]):
                        best = (score, (r.clause, sentence))
            if best and best[1] not in picked and best[1] not in out:
                out.append(best[1])
                quoted += normalize(best[1][1])
        return out

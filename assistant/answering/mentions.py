"""“Which documents” questions: every document that speaks of a topic, one cited clause each.

“哪些文件提到了合成生物？” asks for a set of documents, not for one clause of one of them. The
question analysis (:func:`assistant.answering.questions.documents_topic`) reads the topic (合成生物); this
module looks for it in every indexed document within the asker's limits and the question's
place (“成都哪些文件…”: 成都's documents, scoped as every answer is by
:class:`assistant.answering.scoping.Scoper`), and lists each document once, best first, with the one
clause that best shows it:

    提到“合成生物”的文件有4份：
    1.《浙江省实施“星火计划”…》2.生物制造：……突破基因编辑与合成生物技术……[1]
    2.《杭州市…》（二）重点领域：围绕生成式人工智能、低空经济…合成生物等五大风口潜力产业…[2]

A clause speaks of the topic when it holds the topic's words as a comparison side's clause
must hold the area the question frames (:meth:`assistant.answering.comparison.Comparer.on_topic`'s
share of the words' weight, with the clause's headings), so 航天 alone is not 商业航天. When no
document does, the answer is the refusal every composer gives.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from ..index.retrieval import HybridRetriever
from ..language.lexicon import AND_WORDS, EN_CONJUNCTIONS, OR_WORDS, WITH_WORDS, alternation
from ..language.segment import bm25_tokens, jieba_loaded
from ..language.text import nfkc, normalize
from ..types import CHILDREN_PREFIX, REFUSAL_PREFIX, Answer, Clause, Filters, RetrievedClause
from . import questions as q
from .citations import CitationBook
from .refusal import refusal_answer
from .scoping import Scoper
from .sentences import quotable_sentences
from .terms import TermWeights, topic_units

#: Documents listed at most. An answer is read, not scanned: past ten names a list stops being
#: an answer and becomes a search page (the library's search is there for that). The answer
#: says how many more documents there are.
MAX_LISTED = 10
#: Clauses looked through for the topic's words, best BM25 match first. Each is checked by
#: word coverage (a few microseconds), and 200 fill ten documents many times over even when a
#: few documents mention the topic in many clauses each; on a library where more clauses
#: mention it, the count is given as a lower bound (至少).
SEARCH_DEPTH = 200
#: Characters of a clause's sentence quoted on either side of the topic's first word.
QUOTE_CONTEXT = 60
#: A covering notice or a footer repeats the title and says nothing of its own. The header
#: (title and details) counts, after every other clause: a document may name the topic in its
#: title alone (“星火计划”).
_SKIPPED_KINDS = ("notice", "footer")
_BREAKS = ("，", ",", "；", ";", "、", "：")
_CONJUNCTION = re.compile("^" + alternation((*AND_WORDS, *WITH_WORDS, *OR_WORDS, "并", *EN_CONJUNCTIONS)) + "$")


@dataclass
class Mention:
    """A document that speaks of the topic: its best clause and how many clauses do."""

    doc_id: str
    clause: Clause
    share: float
    rank: int
    clauses: int = 1


class Mentions:
    """Answers “which documents speak of X”: every document in scope with a clause that holds
    ``share`` of the topic's word weight (:meth:`assistant.answering.comparison.Comparer.frame_share`)."""

    def __init__(self, retriever: HybridRetriever, scoper: Scoper, weights: TermWeights,
                 share: float) -> None:
        self.retriever = retriever
        self.scoper = scoper
        self.weights = weights
        self.share = share
        self.max_listed = MAX_LISTED
        self.depth = SEARCH_DEPTH

    def units(self, topic: str, names: list[str] | tuple[str, ...] = ()) -> dict[str, float]:
        """The words a clause must hold to speak of ``topic``, weighted by their idf.

        A topic that is a name (one of ``names``: written in 《》 or quotes, or a document's
        short name such as 星火计划) is one unit, held whole: the words of a title
        (关于, 推动, 未来产业…) are spoken of everywhere. Each coordinated part (氢能和储能)
        gives its own words. English words beside Chinese ones (“hydrogen energy (氢能)”: the
        terms added to an English question) are left out unless the documents use them, as the
        composer weighs a question's terms.
        """
        whole = normalize(topic).lower()
        if whole and any(normalize(n).lower() == whole for n in names):
            return {whole: 1.0}
        idf, unseen = self.weights.idf()
        parts, current = [], []
        for token in jieba_loaded().lcut(topic):
            if _CONJUNCTION.match(token.strip()):
                parts.append("".join(current))
                current = []
            else:
                current.append(token)
        parts.append("".join(current))
        words = [u for part in parts for u in topic_units(part)]
        mixed = bool(re.search(r"[\u4e00-\u9fff]", topic))
        return {u: idf.get(u, unseen) for u in dict.fromkeys(words)
                if not (mixed and u.isascii() and u.isalpha() and u not in idf)}

    def answer(self, analysis: q.QuestionAnalysis, retrieved: list[RetrievedClause]) -> Answer | None:
        """The list of documents that speak of ``analysis.which_docs``, or the refusal when none
        does; None when the topic has no words to look for (the ordinary answer then)."""
        topic = analysis.which_docs or ""
        names = list(analysis.titles) + list(self.scoper.short_names())
        units = self.units(topic, names)
        if not units:
            return None
        scoping = self._scoping(analysis)
        limits = analysis.filters or Filters()
        found = self._search(topic, limits)
        scope = self.scoper.scope(scoping, found)
        if scope.missing:
            return self._refusal(analysis, scope.missing, topic, retrieved)
        if scope.doc_ids:
            # The place's own documents are searched on their own: on a large library their
            # clauses may rank below the depth among all documents'.
            ids = [d for d in scope.doc_ids if not limits.doc_ids or d in limits.doc_ids]
            # No id left: none of the place's documents is among those the asker chose (an
            # empty list would mean no limit at all).
            found = self._search(topic, replace(limits, doc_ids=ids)) if ids else []
            scope = self.scoper.scope(scoping, found)
        mentions = self.find(units, scope.retrieved, analysis)
        if not mentions:
            return self._refusal(analysis, scope.subject or "", topic, scope.retrieved or retrieved)
        at_least = len(found) >= self.depth
        return self._listed(analysis, topic, units, mentions, at_least, retrieved)

    def _search(self, topic: str, limits: Filters) -> list[RetrievedClause]:
        """The clauses that best match the topic's words (BM25) within ``limits``: the words
        decide whether a clause speaks of the topic, so a lexical search finds every one
        holding them, up to the depth."""
        view = self.retriever.view
        return [RetrievedClause(clause=c, score=s, bm25_score=s)
                for c, s in view.search(bm25_tokens(topic), self.depth, limits)]

    def find(self, units: dict[str, float], pool: list[RetrievedClause],
             analysis: q.QuestionAnalysis) -> list[Mention]:
        """The documents of ``pool`` with a clause on the topic, best first.

        A document that holds more of the topic's words comes first, then one that speaks of
        it in more clauses, then the one whose best clause matched best (BM25 rank).
        """
        share = self.share
        limits = analysis.filters
        by_doc: dict[str, Mention] = {}
        for rank, r in enumerate(pool):
            c = r.clause
            if c.kind in _SKIPPED_KINDS or (limits is not None and not limits.accepts(c)):
                continue
            got = self.weights.coverage(units, c.headed_text(title=False))
            if got < share:
                continue
            known = by_doc.get(c.doc_id)
            if known is None:
                by_doc[c.doc_id] = Mention(c.doc_id, c, got, rank)
                continue
            known.clauses += 1
            if _header_rank(c, got) > _header_rank(known.clause, known.share):
                known.clause, known.share, known.rank = c, got, rank
        return sorted(by_doc.values(), key=lambda m: (-round(m.share, 6), -m.clauses, m.rank))

    def _listed(self, analysis: q.QuestionAnalysis, topic: str, units: dict[str, float],
                mentions: list[Mention], at_least: bool, retrieved: list[RetrievedClause]) -> Answer:
        """“提到“X”的文件有N份：” then one line per document with its cited clause."""
        book = CitationBook()
        shown = mentions[: self.max_listed]
        count = f"至少有{len(mentions)}" if at_least else f"有{len(mentions)}"
        where = "、".join(analysis.places)
        head = f"{where}提到{_named(topic)}的文件{count}份"
        if len(shown) < len(mentions) or at_least:
            head += f"，以下列出最相关的{len(shown)}份"
        lines = [head + "："]
        for i, m in enumerate(shown, start=1):
            c = m.clause
            heading = c.section_path[-1] if c.section_path else ""
            quote = self._quote(c, topic, units)
            title = _title(c)
            # A title that runs on after its 《》 (…》起草说明) is set off from the heading.
            gap = "" if title.endswith("》") or not heading else " "
            lines.append(f"{i}.{title}{gap}{heading}：{quote}[{book.cite(c, quote)}]")
        return Answer(question=analysis.question, answer="\n".join(lines), answered=True,
                      citations=book.citations, retrieved=retrieved)

    def _quote(self, clause: Clause, topic: str, units: dict[str, float]) -> str:
        """The clause's sentence that holds most of the topic, cut around the topic: where it
        is written whole, else around its weightiest word (商业航天, not the 航天 of 航天强国)."""
        sentences = [s for s in quotable_sentences(clause) if not s.startswith(CHILDREN_PREFIX)]
        if not sentences:
            return clause.section_path[-1] if clause.section_path else clause.text[:2 * QUOTE_CONTEXT]
        best = max(sentences, key=lambda s: self.weights.coverage(units, s))
        low = nfkc(best).lower()  # NFKC lower case (６G → 6g) keeps the positions
        wanted = [re.sub(r"\s+", "", nfkc(topic).lower())] + sorted(units, key=lambda u: -units[u])
        at = next((low.find(w) for w in wanted if w and w in low), 0)
        start, end = max(0, at - QUOTE_CONTEXT), at + QUOTE_CONTEXT
        if end < len(best):
            # Cut at a comma or list mark, not inside a word.
            cut = max(best.rfind(p, at + 1, end) for p in _BREAKS)
            end = cut if cut > at else end
        if start:
            cut = min((i for i in (best.find(p, start, at) for p in _BREAKS) if i >= 0), default=-1)
            start = cut + 1 if cut >= 0 else start
        return ("……" if start else "") + best[start:end] + ("……" if end < len(best) else "")

    def _scoping(self, analysis: q.QuestionAnalysis) -> q.QuestionAnalysis:
        """The analysis the scoper reads: a document named inside the topic (哪些文件提到了
        “星火计划”) is what is looked for, not the document to look in."""
        topic = normalize(analysis.which_docs or "")
        titles = [t for t in analysis.titles if t not in topic]
        question = analysis.question
        for name in self.scoper.short_names():
            if name in topic:
                question = question.replace(name, "")
        return replace(analysis, titles=titles, question=question)

    def _refusal(self, analysis: q.QuestionAnalysis, where: str, topic: str,
                 retrieved: list[RetrievedClause]) -> Answer:
        """The plain refusal: no document (of the place) speaks of the topic."""
        reason = f"{REFUSAL_PREFIX}{where}提到{_named(topic)}的文件。"
        return refusal_answer(analysis.question, retrieved, reason)


def _named(topic: str) -> str:
    """The topic as the answer writes it: in quotes, unless it is a title in 《》 already."""
    return topic if topic.startswith("《") else f"“{topic}”"


def _header_rank(clause: Clause, share: float) -> tuple[bool, float]:
    """How a clause ranks as a document's mention: any other clause before the header."""
    return (clause.kind != "header", share)


def _title(clause: Clause) -> str:
    """How the answer names a document: its title in 《》 (kept as written when it has them)."""
    title = clause.doc_title.strip()
    return title if title.startswith("《") else f"《{title}》"

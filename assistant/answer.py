"""The answer chain: retrieve → compose → cite, as a langchain Runnable.

The default composer needs no language model. It quotes the sentences of the retrieved clauses
that best cover the question, each followed by a ``[n]`` marker that maps to its clause, and it
refuses when no clause covers the question well enough. A composer is any object with
``compose(question, retrieved) -> Answer``, so an LLM-backed composer drops in.
"""

from __future__ import annotations

import re
from typing import Protocol

from langchain_core.runnables import Runnable, RunnableLambda

from .chunking import CHILDREN_PREFIX
from .citations import CitationBook
from .retrieval import Filters, HybridRetriever, place_names, tokenize
from .text import normalize, split_sentences
from .types import REFUSAL_PREFIX, Answer, Clause, RetrievedClause

_RESPONSIBILITY = re.compile(r"责任单位|责任主体|负责|牵头|哪个部门|哪些部门|哪些单位|哪个单位|主管|responsib|lead unit|which department|who ")
_LEAD = re.compile(r"牵头|lead")
_LIST = re.compile(r"哪些|哪几|哪[一二三四五六七八九十两]|包括|有什么|有哪|几个|几大|列举|which|what are|list")
_NUMBER = re.compile(r"多少|几|目标|比例|规模|数量|达到|how many|how much|target|多大|多长")
_METADATA = re.compile(r"文号|发文字号|发文机关|(?:哪个|什么)(?:单位|部门|机关).{0,6}(?:印发|发布|发文|起草)|"
                       r"(?:哪天|哪一天|什么时候|何时|日期).{0,4}(?:印发|发布|出台|签发)|(?:印发|发布)(?:日期|时间)|"
                       r"正式文件|草稿|是否正式|document number|issued|dated|drafted|which department drafted")
_COMPARE = re.compile(r"区别|不同|异同|分别|比较|相比|对比|两份|各自|compare|differ")
_AMOUNT = re.compile(r"\d+(?:\.\d+)?\s*(?:万|亿)?元")
_PERCENT = re.compile(r"\d+(?:\.\d+)?\s*[%％]")
_MONEY = re.compile(
    r"多少钱|多少万|多少亿|金额|多少资金|资金是多少|资金多少|经费|多少租金|奖励多少|补贴多少|补助多少|补贴标准|奖金|"
    r"规模.{0,4}(?:多少|多大)|prize|subsid|how much money|funding amount"
)
_SHARE = re.compile(r"tax rate|比例是多少|容亏率.{0,6}(?:多少|具体)|比例或|百分之多少|税率")
_ENUM = re.compile(r"^(?:[一二三四五六七八九十]是|第[一二三四五六七八九十]，)")
_HAS_DIGIT = re.compile(r"[0-9０-９]|[一二三四五六七八九十百千万亿]+[个家项名所]")


class Composer(Protocol):
    """Turns a question and its retrieved clauses into a cited answer."""

    def compose(self, question: str, retrieved: list[RetrievedClause]) -> Answer:
        """Compose the answer."""
        ...


class ExtractiveComposer:
    """Answers by quoting the clause sentences that cover the question; no LLM needed.

    ``support`` is the IDF-weighted share of the question's terms found in a clause (terms
    the corpus never uses count against it at half the rarest term's weight). Below
    ``threshold`` it refuses, and so it does when a year, amount, share or place the question
    names is not stated where it should be (:meth:`missing_specifics`). For questions with
    no Chinese terms, the dense similarity stands in for the coverage.
    """

    def __init__(self, retriever: HybridRetriever, threshold: float = 0.25,
                 max_sentences: int = 4, dense_threshold: float = 0.78) -> None:
        self.retriever = retriever
        self.threshold = threshold
        self.max_sentences = max_sentences
        self.dense_threshold = dense_threshold
        # A sentence from a second clause must score this share of the best one to be cited.
        self.other_clause_ratio = 0.85

    # --- scoring ---------------------------------------------------------------------------

    def _idf(self) -> tuple[dict[str, float], float]:
        """Term weights of the current index, built once per index version (not per call)."""
        index = self.retriever.bm25
        if getattr(self, "_idf_for", None) is not index:
            bm25 = index._bm25
            idf = {t: max(v, 0.05) for t, v in bm25.idf.items()} if bm25 is not None else {}
            # Words the corpus never uses (often colloquial paraphrase) weigh half the rarest
            # word's weight: they count against an answer, but do not sink a paraphrase alone.
            self._idf_cache = (idf, 0.5 * max(idf.values(), default=2.0) if idf else 1.0)
            self._idf_for = index
        return self._idf_cache

    def _terms(self, question: str) -> dict[str, float]:
        idf, unseen = self._idf()
        terms = {}
        mixed = bool(re.search(r"[\u4e00-\u9fff]", question))
        for t in tokenize(question):
            if mixed and t.isascii() and t.isalpha() and t not in idf:
                continue  # English words around Chinese terms: the Chinese ones carry the meaning
            terms[t] = idf.get(t, unseen)
        # A word and its sub-words (jieba search mode) should not count twice.
        for t in list(terms):
            if any(t != o and t in o and o in terms for o in terms):
                terms[t] *= 0.5
        return terms

    @staticmethod
    def _coverage(terms: dict[str, float], text: str) -> float:
        total = sum(terms.values())
        if not total:
            return 0.0
        hay = normalize(text).lower()
        return sum(w for t, w in terms.items() if normalize(t).lower() in hay) / total

    def support(self, question: str, retrieved: list[RetrievedClause]) -> float:
        """How well the best of the top clauses covers the question (0–1)."""
        if not retrieved:
            return 0.0
        terms = self._terms(question)
        if not any(re.search(r"[\u4e00-\u9fff]", t) for t in terms):
            best = max((r.dense_score or 0.0) for r in retrieved[:3])
            # Map the dense similarity onto the same 0–1 scale as the term coverage.
            return max(0.0, min(1.0, self.threshold + (best - self.dense_threshold) * 5))
        return max(self._coverage(terms, r.clause.embed_text()) for r in retrieved[:3])

    # --- composing -------------------------------------------------------------------------

    def missing_specifics(self, question: str, retrieved: list[RetrievedClause]) -> str | None:
        """What the question names or asks for that none of the top clauses contains.

        A year, an amount of money, or a place the question names must occur in the clauses
        that would answer it; otherwise the documents do not say it, however close the topic.
        """
        places = _places(question)
        # When the question names a place, what it asks about must be in that place's documents.
        scoped = [r for r in retrieved if any(_names_place(r.clause, p) for p in places)]
        pool = scoped[:3] if scoped else retrieved[:3]
        # The figure must be stated where the question's subject is: in the clauses that
        # cover the question best, not anywhere in the top results.
        terms = self._terms(question)
        pool = sorted(pool, key=lambda r: -self._coverage(terms, r.clause.embed_text()))[:2]
        top = " ".join(r.clause.embed_text() + ((r.clause.meta.region or "") if r.clause.meta else "")
                       for r in pool)
        norm_top = normalize(top)
        for year in re.findall(r"(?:19|20)\d{2}(?=年)", normalize(question)):
            if year not in norm_top:
                return f"{year}年"
        if _MONEY.search(question.lower()) and not self._stated(terms, pool, _AMOUNT):
            return "金额"
        if _SHARE.search(question.lower()) and not self._stated(terms, pool, _PERCENT):
            return "比例"
        subjects = self._subject_places()
        near = " ".join(r.clause.embed_text() for r in retrieved[:3])
        for place in places:
            stem = place.rstrip("省市县区")
            # A place counts when the documents treat it as a subject (title, region or a
            # heading such as “11.丽水”) or the retrieved clauses mention it.
            if stem not in subjects and stem not in near:
                return place
        return None

    def _subject_places(self) -> str:
        """Titles, regions and headings of the index: where a place is a subject, not an aside."""
        bm25 = self.retriever.bm25
        if getattr(self, "_subjects_for", None) is not bm25:
            self._subjects = " ".join(
                f"{c.doc_title} {' '.join(c.section_path)} {(c.meta.region or '') if c.meta else ''}"
                for c in bm25.clauses
            )
            self._subjects_for = bm25
        return self._subjects

    def _stated(self, terms: dict[str, float], pool: list[RetrievedClause], figure: re.Pattern) -> bool:
        """Whether a sentence states a figure together with the question's rarest term."""
        if not terms:
            return False
        key = max(terms, key=terms.get)
        for r in pool:
            for sentence in _sentences(r.clause):
                if figure.search(sentence) and normalize(key) in normalize(sentence):
                    return True
        return False

    def compose(self, question: str, retrieved: list[RetrievedClause]) -> Answer:
        """Quote the best-covering sentences with markers, or refuse."""
        support = self.support(question, retrieved)
        if support < self.threshold or self.missing_specifics(question, retrieved):
            return self.refusal(question, retrieved)
        terms = self._terms(question)
        book = CitationBook()
        pieces: list[str] = []

        if _METADATA.search(question.lower()):
            # The details of the documents retrieved, best first, wherever their header ranks.
            docs = list(dict.fromkeys(r.clause.doc_id for r in retrieved[:5]))
            by_doc = {c.doc_id: c for c in self.retriever.bm25.clauses if c.kind == "header"}
            headers = [by_doc[d] for d in docs if d in by_doc]
            named = [normalize(t) for t in re.findall(r"《(.+?)》", question)]
            if named:
                # Only the document the question names by title; a title that no indexed
                # document has is one they merely cite.
                headers = [h for h in headers if any(t in normalize(h.doc_title) for t in named)]
            header = headers[0] if headers else None
            if header is not None and header.meta is not None:
                missing = _missing_field(question, header.meta)
                if missing:
                    answer = self.refusal(question, retrieved)
                    answer.answer = (f"{header.label.split('》')[0]}》中未载明{missing}"
                                     f"（{_describe(header.meta)}）")
                    return answer
                n = book.cite(header)
                pieces.append(f"{_describe(header.meta)}[{n}]")
                return self._answer(question, pieces, book, retrieved)

        if _RESPONSIBILITY.search(question.lower()):
            clause = self._best_with_units(terms, retrieved)
            if clause is not None:
                n = book.cite(clause)
                lead = "、".join(clause.lead_units)
                others = "、".join(clause.responsible_units)
                heading = clause.section_path[-1] if clause.section_path else clause.label
                pieces.append(f"“{heading}”的牵头单位是{lead}，责任单位为{others}。[{n}]")
                if _LEAD.search(question.lower()):
                    return self._answer(question, pieces, book, retrieved)

        for i, (clause, sentence) in enumerate(self._pick_sentences(question, terms, retrieved)):
            if sentence.startswith(CHILDREN_PREFIX):
                # A list of items answers only when it is the best match; elsewhere it adds
                # citations that do not hold the answer.
                if i == 0 and self._children_of(clause):
                    pieces.append(self._list_with_citations(clause, book))
                continue
            n = book.cite(clause)
            pieces.append(f"{sentence}[{n}]")
        if not pieces:
            return self.refusal(question, retrieved)
        return self._answer(question, pieces, book, retrieved)

    def _children_of(self, parent: Clause) -> list[Clause]:
        """The clauses one level below ``parent`` in its document, in order."""
        depth = len(parent.section_path)
        seen, out = set(), []
        for c in self.retriever.bm25.clauses:
            if (c.doc_id == parent.doc_id and len(c.section_path) == depth + 1
                    and c.section_path[:depth] == parent.section_path
                    and c.section_path[-1] not in seen):
                seen.add(c.section_path[-1])
                out.append(c)
        return out

    def _list_with_citations(self, parent: Clause, book: CitationBook) -> str:
        """“（heading）包括：1.甲[2]；2.乙[3]…”: every item cites its own clause."""
        heading = parent.section_path[-1] if parent.section_path else parent.label
        items = [f"{c.section_path[-1]}[{book.cite(c)}]" for c in self._children_of(parent)]
        return f"{heading}包括：" + "；".join(items) + "。"

    def _answer(self, question, pieces, book, retrieved) -> Answer:
        return Answer(question=question, answer="".join(pieces), answered=True,
                      citations=book.citations, retrieved=retrieved)

    def _best_with_units(self, terms, retrieved) -> Clause | None:
        candidates = [r.clause for r in retrieved[:3] if r.clause.responsible_units]
        if not candidates:
            return None
        return max(candidates, key=lambda c: self._coverage(terms, c.embed_text()))

    def _pick_sentences(self, question, all_terms, retrieved) -> list[tuple[Clause, str]]:
        wants_number = bool(_NUMBER.search(question.lower()))
        wants_list = bool(_LIST.search(question.lower()))
        scored: list[tuple[float, int, int, Clause, str]] = []
        compare = bool(_COMPARE.search(question.lower()))
        places = _places(question)
        seen_sentences: set[str] = set()
        for rank, r in enumerate(retrieved[: 10 if compare else 5]):
            clause = r.clause
            if clause.kind in ("header", "notice", "footer"):
                continue  # document details are answered from metadata, not quoted lines
            # Words that name the document (浙江, 星火计划, 实施意见) chose the document;
            # they say nothing about which of its sentences answers.
            identity = normalize(clause.doc_title + ((clause.meta.region or "") if clause.meta else ""))
            terms = {t: w for t, w in all_terms.items() if normalize(t) not in identity} or all_terms
            context = " ".join(clause.section_path)
            for pos, sentence in enumerate(_sentences(clause)):
                is_list = sentence.startswith(CHILDREN_PREFIX)
                if sentence in seen_sentences or (rank >= 3 and not (wants_list and is_list) and not compare):
                    continue
                seen_sentences.add(sentence)
                if is_list:
                    # A list of children is as relevant as the heading it belongs to.
                    heading = clause.section_path[-1] if clause.section_path else ""
                    score = self._coverage(terms, heading) * (1.2 if wants_list else 0.5)
                else:
                    score = self._coverage(terms, sentence) * 0.8
                score += 0.2 * self._coverage(terms, context + clause.doc_title)
                if wants_number and _HAS_DIGIT.search(sentence):
                    score += 0.15
                if any(_names_place(clause, p) for p in places):
                    score += 0.1  # the document of the place the question names
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

    def refusal(self, question: str, retrieved: list[RetrievedClause]) -> Answer:
        """The answer when the documents do not hold one: say so, list the nearest clauses."""
        return refusal_answer(question, retrieved)


def refusal_answer(question: str, retrieved: list[RetrievedClause]) -> Answer:
    """The refusal every composer gives: the documents do not say it; the nearest clauses."""
    nearest = "；".join(r.clause.label for r in retrieved[:3])
    text = f"{REFUSAL_PREFIX}能回答该问题的内容。"
    if nearest:
        text += f"可能相关的条款：{nearest}。"
    return Answer(question=question, answer=text, answered=False, citations=[],
                  retrieved=retrieved)


def _sentences(clause: Clause) -> list[str]:
    """Quotable sentences of a clause: no bare headings; a list of children stays whole."""
    headings = {normalize(h) for h in clause.section_path}
    out = []
    for line in clause.text.split("\n"):
        parts = [line] if line.startswith(CHILDREN_PREFIX) else split_sentences(line)
        for s in parts:
            s = s.strip()
            if len(s) > 1 and normalize(s) not in headings:
                out.append(s)
    return out


def _missing_field(question: str, meta) -> str | None:
    """The document detail a question asks for that the document does not state."""
    q = question.lower()
    if re.search(r"文号|字号|document number", q) and not meta.doc_number:
        return "文号"
    if re.search(r"哪天|哪一天|日期|什么时候|何时|dated|when", q) and not meta.date:
        return "印发日期"
    if re.search(r"发文机关|哪个单位|哪个部门|which department", q) and not meta.issuer:
        return "发文机关"
    return None


def _describe(meta) -> str:
    """One sentence with a document's title, issuer, number, date and status."""
    title = meta.title if meta.title.startswith("《") else f"《{meta.title}》"
    parts = [title]
    if meta.issuer:
        parts.append(f"由{meta.issuer}发布")
    if meta.doc_number:
        parts.append(f"文号为{meta.doc_number}")
    if meta.date:
        parts.append(f"日期为{meta.date_cn()}")
    parts.append({"draft": "目前为征求意见稿（草案），尚未正式印发",
                  "final": "为正式印发的文件"}.get(meta.status, "文中未载明是否已正式印发"))
    return "，".join(parts) + "。"


def _names_place(clause: Clause, place: str) -> bool:
    """Whether a clause's document is issued for ``place`` (by its title, region or issuer)."""
    meta = clause.meta
    stem = place.rstrip("省市县区")
    fields = [clause.doc_title] + ([meta.region or "", meta.issuer or ""] if meta else [])
    return any(stem and stem in f for f in fields)


_GENERIC_PLACES = {"城市", "地区", "全省", "全市", "全县", "省级", "市级", "县级", "地方", "区域"}


def _places(question: str) -> list[str]:
    """Places a question names, without words jieba tags as places but that name none (全市)."""
    return [w for w in place_names(question) if w not in _GENERIC_PLACES]


def build_chain(retriever: HybridRetriever, composer: Composer, k: int = 5,
                filters: Filters | None = None) -> Runnable:
    """retrieve → compose → cite as one Runnable taking a question string."""

    def retrieve(question: str) -> dict:
        return {"question": question, "retrieved": retriever.retrieve(question, k=k, filters=filters)}

    def compose(state: dict) -> Answer:
        return composer.compose(state["question"], state["retrieved"])

    return RunnableLambda(retrieve) | RunnableLambda(compose)

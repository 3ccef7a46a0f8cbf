"""Which clauses an answer may quote: the places and documents a question names.

A question about 成都 is answered from 成都's documents or not at all; a question naming
《…》 from that document. A place with documents of its own (its name in their title, region
or issuer) scopes to them; a place that only appears inside documents (丽水 in a provincial
plan) scopes to the clauses that mention it. When neither exists the question is refused for
that place rather than answered from another one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..index.retrieval import HybridRetriever
from ..language.lexicon import (
    AND_WORDS,
    DOC_KINDS,
    DOC_LEVELS,
    DOC_NOUNS,
    DRAFT_STAGES,
    WITH_WORDS,
    alternation,
)
from ..language.places import place_stem
from ..language.segment import place_names
from ..language.text import normalize
from ..reading.metadata import DOC_NUMBER_RE
from ..types import Clause, Filters, RetrievedClause
from .questions import DOC_KIND, QuestionAnalysis

#: Documents named by how many or which level they are (两份文件, 浙江省级文件, 这份方案).
_LEVEL = alternation(DOC_LEVELS)
_COUNTED_DOCS = re.compile(rf"(?:[两二三四几这那该各本]份|份)[\u4e00-\u9fff]{{0,4}}?({_LEVEL})?"
                           rf"({alternation((*DOC_NOUNS, '政策', '实施意见'))})|({_LEVEL}|上级)(?:的)?(文件|政策文件)")


#: A name a question gives a document: some words, then a kind of document (…行动计划).
_CALLED = re.compile(r"(?P<name>[\u4e00-\u9fffa-z0-9+]{2,16}?)(?:的)?" + alternation((*DOC_KINDS, "措施", "政策")))
#: A draft's stage as a question names it (二次征求意见稿, 送审稿).
_STAGE = re.compile(r"(?:第?[一二三四五六七八九十两0-9]+次)?" + alternation(DRAFT_STAGES))


#: Where one joined name ends and the next begins.
_JOINED = re.compile(alternation((*AND_WORDS, *WITH_WORDS)) + r"|[、，,；;？?。]")
#: A name set aside: 不是/而非/除了 and what follows, to the end of its phrase.
_NOT_THIS = re.compile(r"(?:不是|而非|并非|除了|不包括)(?P<name>[^，,。；;？?（）()]{2,20})")


@dataclass
class Scope:
    """The outcome of scoping: the clauses to answer from, or why there are none."""

    retrieved: list[RetrievedClause]
    #: The place or document the answer is limited to (for labels and refusals), if any.
    subject: str | None = None
    #: Set when the named place or document has nothing in the index: the refusal's subject.
    missing: str | None = None
    doc_ids: list[str] = field(default_factory=list)


class Scoper:
    """Scopes retrieved clauses to the places and documents a question names."""

    def __init__(self, retriever: HybridRetriever) -> None:
        self.retriever = retriever

    def _identities(self) -> dict[str, tuple[str, str, str]]:
        """doc_id → (normalised title, normalised title + region + issuer, title as written),
        from the index view."""
        return self.retriever.view.identities

    def docs_of_place(self, place: str) -> list[str]:
        """Documents issued for or by ``place`` (its name in their title, region or issuer)."""
        stem = normalize(place)
        return [d for d, (_, ident, _) in self._identities().items() if stem in ident]

    def docs_of_kind(self, place: str, kind: str) -> list[str]:
        """The documents of ``place`` whose title names them as ``kind`` (实施意见, 行动计划)."""
        identities = self._identities()
        return [d for d in self.docs_of_place(place) if kind in identities[d][0]]

    def docs_titled(self, name: str) -> list[str]:
        """Documents whose title contains ``name`` (a 《…》 or quoted name of the question)."""
        return [d for d, (title, _, _) in self._identities().items() if name and name in title]

    def short_names(self) -> dict[str, list[str]]:
        """Names a document's title quotes for itself (“星火计划”) → the documents, per index.

        Users call a document by the short name its title puts in quotes, without the quotes.
        """
        return self.retriever.view.short_names

    def named_docs(self, analysis: QuestionAnalysis) -> list[str]:
        """Documents the question names: by a 《…》/quoted part of the title, a short name,
        or its 文号 (written with any brackets and digits: 沪府办规〔2025〕5号, [2025]5号)."""
        docs = {d for t in analysis.titles for d in self.docs_titled(t)}
        text = normalize(analysis.question)
        for name, ids in self.short_names().items():
            if name in text:
                docs.update(ids)
        docs.update(self.docs_numbered(analysis.question))
        docs.update(self.docs_called(analysis.question))
        # A kind of document right after a place names that place's document of the kind
        # (浙江实施意见稿 → 浙江's 实施意见).
        for word in place_names(analysis.question):
            at = analysis.question.find(word)
            kind = DOC_KIND.match(analysis.question[at + len(word):].lstrip("的")) if at >= 0 else None
            if kind:
                docs.update(self.docs_of_kind(place_stem(word), kind.group("kind")))
        # A document named only to set it aside (实施意见稿（不是星火计划）) is not asked about.
        for m in _NOT_THIS.finditer(analysis.question):
            aside = m.group("name")
            named_aside = {d for name, ids in self.short_names().items() if name in normalize(aside) for d in ids}
            named_aside.update(self.docs_called(aside))
            docs -= named_aside
        return sorted(docs)

    def docs_called(self, question: str) -> list[str]:
        """Documents the question calls by words of their title before a kind of document
        (北斗行动计划, 专家库管理办法, G60策源地措施): a title word few titles share, in the
        name the question gives right before 计划, 办法, 措施, 方案…"""
        words = self.retriever.view.title_words
        out: set[str] = set()
        text = normalize(question).lower()
        # A code of letters and digits in a title (G60) names its document wherever it stands.
        for word, ids in words.items():
            if word.isascii() and re.search(r"\d", word) and re.search(r"[a-z]", word) and re.search(
                    rf"(?<![a-z0-9]){re.escape(word)}(?![a-z0-9])", question.lower()):
                out.update(ids)
        for m in _CALLED.finditer(text):
            name = m.group("name")
            for word, ids in words.items():
                # The title's word ends the name, give or take a word of two characters
                # (专家库管理办法, 北斗行动计划): further off, it is the question's topic.
                at = name.rfind(word)
                if at >= 0 and at + len(word) >= len(name) - 2:
                    out.update(ids)
        return sorted(out)

    def docs_numbered(self, question: str) -> list[str]:
        """Documents whose 文号 the question writes."""
        asked = {normalize(m.group(0)) for m in DOC_NUMBER_RE.finditer(question)}
        if not asked:
            return []
        # The pattern may take words before the issuer's code (这个沪府办规…): a 文号 ends the match.
        return sorted(d for d, h in self.retriever.view.headers.items()
                      if h.meta and h.meta.doc_number
                      and any(a.endswith(normalize(h.meta.doc_number)) for a in asked))

    def document_words(self, question: str) -> list[str]:
        """The words by which ``question`` calls an indexed document without quoting it: a
        short name (星火计划) or a document kind right after one of its places (浙江的实施意见
        → 实施意见), normalised."""
        text = normalize(question)
        out = [name for name in self.short_names() if name in text]
        for word in place_names(question):
            at = question.find(word)
            kind = DOC_KIND.match(question[at + len(word):]) if at >= 0 else None
            if kind and self.docs_of_kind(place_stem(word), kind.group("kind")):
                out.append(normalize(kind.group("kind")))
        # Documents counted or ranked (两份文件, 省级文件, 这份方案): the words name documents.
        for m in _COUNTED_DOCS.finditer(question):
            out += [normalize(w) for w in m.groups() if w]
        # So does a draft's stage (二次征求意见稿).
        out += [normalize(m.group(0)) for m in _STAGE.finditer(question)]
        return out

    def docs_at_stage(self, question: str) -> list[str]:
        """Documents whose header states the draft stage the question names (二次征求意见稿,
        意见稿里): the stage is part of how a draft is called."""
        stages = [normalize(m.group(0).lstrip("第")) for m in _STAGE.finditer(question)]
        if not stages:
            return []
        headers = self.retriever.view.headers
        return sorted(d for d, h in headers.items()
                      if any(stage in normalize(h.text) for stage in stages))

    def scope(self, analysis: QuestionAnalysis, retrieved: list[RetrievedClause],
              places: list[str] | None = None) -> Scope:
        """The retrieved clauses an answer to ``analysis`` may quote (re-retrieved within scope).

        ``places`` overrides the question's places (a comparison scopes one place at a time).
        """
        names = analysis.places if places is None else places
        titled = self.named_docs(analysis)
        own = {p: self.docs_of_place(p) for p in names}
        with_docs = [p for p in names if own[p]]
        doc_ids: list[str] = []
        subject = None
        # A draft named by its stage (二次征求意见稿) narrows the documents to those at it.
        staged = self.docs_at_stage(analysis.question)
        if titled:
            doc_ids = [d for d in titled if d in staged] or titled
            subject = "《" + self.title_of(doc_ids[0]) + "》"
            # Places that do not issue these documents must be mentioned in their clauses; a
            # place with documents of its own that these never mention is another side of the
            # question (上海G60…和重庆…): its documents join the scope.
            mention = []
            for p in names:
                if set(own[p]) & set(titled):
                    continue
                if own[p] and not self._qualifies(p, titled, analysis.question) \
                        and not self._names(doc_ids, p):
                    doc_ids = sorted(set(doc_ids) | set(own[p]))
                    titled = doc_ids
                else:
                    mention.append(p)
        elif with_docs:
            doc_ids = sorted({d for p in with_docs for d in own[p]})
            doc_ids = [d for d in doc_ids if d in staged] or doc_ids
            subject = "、".join(with_docs)
            mention = [p for p in names if p not in with_docs]
        elif staged and not names:
            # Named by their stage alone, the drafts are scoped as if named by title.
            doc_ids = titled = staged
            subject = "《" + self.title_of(staged[0]) + "》" if len(staged) == 1 else None
            mention = []
        else:
            mention = list(names)
            subject = "、".join(names) or None
        pool = retrieved
        if doc_ids and not titled:
            # A place is also a subject where a heading names it (“1.杭州” in a provincial plan).
            headed = self._headed(names, analysis.filters)
            doc_ids = sorted(set(doc_ids) | {c.doc_id for c in headed})
        if doc_ids:
            inside = [r for r in retrieved if r.clause.doc_id in doc_ids and self._in_scope(r.clause, names, own, titled)]
            if len(inside) < min(3, len(retrieved)):
                # The place's own clauses may rank below other places' ones: ask again, within.
                k = max(len(retrieved), 5)
                again = self._again(analysis, k, doc_ids)
                seen = {r.clause.chunk_id for r in inside}
                inside += [r for r in again if r.clause.chunk_id not in seen
                           and self._in_scope(r.clause, names, own, titled)]
            pool = inside
        for place in mention:
            pool = self._mentioning(place, pool, doc_ids, analysis.filters)
            if not pool:
                return Scope(retrieved=[], subject=place, missing=place, doc_ids=doc_ids)
        if names and not pool:
            return Scope(retrieved=[], subject=subject, missing=subject, doc_ids=doc_ids)
        return Scope(retrieved=pool, subject=subject if (names or titled) else None, doc_ids=doc_ids)

    def _names(self, doc_ids: list[str], place: str) -> bool:
        """Whether a clause of ``doc_ids`` names ``place`` in its text or its headings."""
        stem = normalize(place)
        return any(stem in normalize(c.headed_text()) for d in doc_ids for c in self.retriever.view.by_doc.get(d, []))

    def _qualifies(self, place: str, titled: list[str], question: str) -> bool:
        """Whether ``place`` stands right before the name of one of the ``titled`` documents
        (成都星火计划, 成都的G60措施): it asks that document about the place, not another side."""
        at = question.find(place)
        if at < 0:
            return False
        # Up to the next joining word: what follows 和 is another name (安徽AI+万物和上海…方案).
        rest = _JOINED.split(question[at + len(place):].lstrip("市省县区的"))[0][:16]
        text = normalize(rest)
        if any(text.startswith(name) and set(ids) & set(titled) for name, ids in self.short_names().items()):
            return True
        return bool(set(self.docs_called(rest)) & set(titled))

    def _mentioning(self, place: str, pool: list[RetrievedClause], doc_ids: list[str],
                    filters: Filters | None) -> list[RetrievedClause]:
        """The clauses of ``pool`` that speak of ``place``: those headed by it (“3.湖州”, also
        when not retrieved) first, then those naming it in passing."""
        stem = normalize(place)
        headed = [c for c in self._headed([place], filters) if not doc_ids or c.doc_id in doc_ids]
        known = {r.clause.chunk_id for r in pool}
        first = [r for r in pool if r.clause in headed]
        first += [RetrievedClause(clause=c, score=0.0) for c in headed if c.chunk_id not in known]
        rest = [r for r in pool if stem in normalize(r.clause.headed_text()) and r.clause not in headed]
        return first + rest

    def scope_docs(self, analysis: QuestionAnalysis, retrieved: list[RetrievedClause],
                   doc_ids: list[str]) -> Scope:
        """The retrieved clauses of ``doc_ids`` (asked again within them when few are); of
        those, the ones that speak of a place the question names inside them (丽水 in a
        provincial plan), when it names one."""
        inside = [r for r in retrieved if r.clause.doc_id in doc_ids]
        if len(inside) < 3:
            again = self._again(analysis, max(len(retrieved), 5), doc_ids)
            seen = {r.clause.chunk_id for r in inside}
            inside += [r for r in again if r.clause.chunk_id not in seen]
        for place in analysis.places:
            if not set(self.docs_of_place(place)) & set(doc_ids):
                inside = self._mentioning(place, inside, doc_ids, analysis.filters)
        label = self.short_label(doc_ids[0])
        return Scope(retrieved=inside, subject=label, missing=None if inside else label, doc_ids=doc_ids)

    def short_label(self, doc_id: str) -> str:
        """How an answer names a document: the short name its title quotes, else 《title》."""
        for name, ids in self.short_names().items():
            if doc_id in ids and len(ids) == 1:
                return f"《{self.title_of(doc_id)}》" if len(name) < 2 else f"“{name}”"
        return f"《{self.title_of(doc_id)}》"

    def _again(self, analysis: QuestionAnalysis, k: int, doc_ids: list[str]) -> list[RetrievedClause]:
        """Retrieve again within ``doc_ids`` and within the limits the asker set."""
        limits = analysis.filters or Filters()
        ids = [d for d in doc_ids if not limits.doc_ids or d in limits.doc_ids]
        if not ids:
            return []
        return self.retriever.retrieve(analysis.question, k=k, filters=Filters(
            doc_ids=ids, level=limits.level, status=limits.status))

    def _headed(self, names: list[str], filters: Filters | None = None) -> list[Clause]:
        stems = [normalize(p) for p in names]
        return [c for c in self.retriever.view.under_headings(stems)
                if filters is None or filters.accepts(c)]

    @staticmethod
    def _in_scope(clause: Clause, names: list[str], own: dict[str, list[str]], titled: list[str]) -> bool:
        """A clause of a named document, or of a named place's document, or under its heading."""
        if titled or clause.doc_id in {d for p in names for d in own.get(p, [])}:
            return True
        return any(normalize(p) in normalize(" ".join(clause.section_path)) for p in names)

    def title_of(self, doc_id: str) -> str:
        """The title of ``doc_id`` as written (its id when the index does not know it)."""
        known = self._identities().get(doc_id)
        return known[2] if known else doc_id


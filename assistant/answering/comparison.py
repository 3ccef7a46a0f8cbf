"""Comparison answers: one labelled answer per place or document, each from its own clauses.

“成都和遂昌在低空经济上的布局有什么不同？” is answered as two questions, one per side
(“成都在低空经济上的布局…”, “遂昌在低空经济上的布局…”), each retrieved and scoped on its own,
so that neither side borrows the other's clauses or a third document's. A side quotes only
clauses and sentences on the asked topic (the area the question frames, 在低空经济上, else its
key terms without the places, document names and comparing words); a side whose documents say
nothing on it says so plainly:

    成都：近期重点培育飞行汽车…[1]
    遂昌：已收录的文件中未载明关于低空经济的内容。
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace

from ..index.retrieval import HybridRetriever
from ..language.lexicon import (
    AND_WORDS,
    DOC_KINDS,
    LIST_MARK,
    OR_WORDS,
    WITH_WORDS,
    WRITTEN_NAME,
    alternation,
)
from ..language.places import place_stem
from ..language.text import normalize
from ..types import Answer, Clause, Filters, RetrievedClause
from . import questions as q
from .citations import MARKER_RE, CitationBook
from .refusal import refusal_answer
from .scoping import Scope, Scoper
from .sentences import quotable_sentences
from .terms import TermWeights, topic_units

#: Answers one side's question within its scope: (the answer's pieces or None, what is missing).
AnswerIn = Callable[[q.QuestionAnalysis, Scope, CitationBook], tuple[list[str] | None, str | None]]


@dataclass
class Side:
    """One side of a comparison: its label, its own question and the documents it may quote."""

    label: str
    question: str
    #: The place the side is about (None: a document side).
    place: str | None = None
    #: A document side's document.
    doc_id: str | None = None
    #: How the question names a document side (北斗行动计划): its words are the side, not its topic.
    names: tuple[str, ...] = ()


class Comparer:
    """Answers comparison questions side by side, each side by the single-question composer's
    ``answer_in`` within that side's scope."""

    def __init__(self, retriever: HybridRetriever, scoper: Scoper, weights: TermWeights,
                 analyse: Callable[[str, Filters | None], q.QuestionAnalysis], answer_in: AnswerIn,
                 max_sentences: int = 4) -> None:
        self.retriever = retriever
        self.scoper = scoper
        self.weights = weights
        self.analyse = analyse
        self.answer_in = answer_in
        self.max_sentences = max_sentences
        # Share of the key-term weight a clause (with its headings) must cover to be quoted for
        # a side when the question does not frame its topic. The middle of the range the
        # composer's own key-sentence share was chosen from on the dev split.
        self.topic_share = 0.5
        # Share of a framed topic's word weight (在商业航天上: 商业, 航天) a clause must hold: two
        # thirds, so that a topic of two words needs both (航天 alone is not 商业航天) and one
        # of three or more may miss a general one. Chosen on the dev split: requiring every
        # word lost a dev comparison whose one side writes 浙江省 for the question's 省级.
        self.frame_share = 2 / 3
        # How many clauses are retrieved for each side's own question.
        self.side_k = 10

    # --- sides ---------------------------------------------------------------------------------

    def sides(self, analysis: q.QuestionAnalysis) -> list[Side]:
        """The places and documents the question compares: places, a place against a document
        of another, or the documents it names (or its place's documents); fewer than two or
        more than four: not a comparison this can answer."""
        coordinated = self._coordinated(analysis)
        if coordinated or not analysis.compare:
            # A question that only asks what its sides share, or which has more, names them
            # side by side.
            return coordinated
        scoper = self.scoper
        words = analysis.place_words or analysis.places
        named = scoper.named_docs(analysis)
        of_place = {p: scoper.docs_of_place(p) for p in analysis.places}
        own = {d for docs in of_place.values() for d in docs}
        extra = [d for d in named if d not in own]
        # A place against a document (成都 and “星火计划”), each side without the others; a
        # place with no documents of its own (宁波 in a provincial plan) is a part of the
        # document it is named with, not a side.
        if (analysis.places and extra and all(of_place.values())
                and len(analysis.places) + len(extra) <= 4):
            names = self._doc_names(analysis, extra)
            titles = [n for ns in names.values() for n in ns]
            out = [Side(p, q.without_names(analysis.question, [w for w in words if place_stem(w) != p]
                                           + titles), place=p) for p in analysis.places]
            out += [Side(scoper.short_label(d), q.without_names(
                analysis.question, list(words) + [n for o, ns in names.items() if o != d for n in ns]),
                doc_id=d, names=tuple(names[d])) for d in extra]
            return out
        if len(analysis.places) >= 2:
            out = []
            for place in analysis.places:
                others = [w for w in words if place_stem(w) != place]
                out.append(Side(place, q.without_names(analysis.question, others), place=place))
            return out
        docs = named
        if len(docs) < 2:
            docs = sorted({d for p in analysis.places for d in scoper.docs_of_place(p)})
        if not 2 <= len(docs) <= 4:
            return []
        names = self._doc_names(analysis, docs)
        out = []
        for d in docs:
            others = [n for o, ns in names.items() if o != d for n in ns
                      if not any(n in own or own in n for own in names[d])]
            out.append(Side(scoper.short_label(d), q.without_names(analysis.question, others), doc_id=d,
                            names=tuple(names[d])))
        return out

    def _mentions(self, analysis: q.QuestionAnalysis) -> list[_Mention]:
        """Where the question names a place or a document, in order, longest first where they
        overlap (浙江 inside 《浙江省…》 is part of the title)."""
        scoper = self.scoper
        text = analysis.question
        found: list[_Mention] = []
        for m in WRITTEN_NAME.finditer(text):
            docs = self._docs_called(m.group(0))
            if docs:
                found.append(_Mention(m.start(), m.end(), None, docs))
        for name, ids in scoper.short_names().items():
            for m in re.finditer(re.escape(name), text):
                found.append(_Mention(m.start(), m.end(), None, list(ids)))
        for word in dict.fromkeys(analysis.place_words):
            stem = place_stem(word)
            if stem not in analysis.places:
                continue
            for m in re.finditer(re.escape(word), text):
                found.append(_Mention(m.start(), m.end(), stem, scoper.docs_of_place(stem)))
        found.sort(key=lambda m: (m.start, -(m.end - m.start)))
        out: list[_Mention] = []
        for m in found:
            if out and m.start < out[-1].end:
                continue
            out.append(m)
        return out

    def _docs_called(self, written: str) -> list[str]:
        """The documents a 《…》 or quoted name stands for."""
        scoper = self.scoper
        name = normalize(written.strip("《》“”\"「」"))
        return sorted(set(scoper.docs_titled(name)) | set(scoper.short_names().get(name, [])))

    def _qualified(self, analysis: q.QuestionAnalysis, mentions: list[_Mention]) -> list[_Mention]:
        """Places that qualify the document named next to them (浙江星火计划, 浙江的实施意见)
        merged into one document mention."""
        text = analysis.question
        out: list[_Mention] = []
        i = 0
        while i < len(mentions):
            m = mentions[i]
            nxt = mentions[i + 1] if i + 1 < len(mentions) else None
            if m.place is not None and nxt is not None and nxt.place is None \
                    and text[m.end:nxt.start] in ("", "的") and set(nxt.docs) & set(m.docs):
                out.append(_Mention(m.start, nxt.end, None, sorted(set(nxt.docs) & set(m.docs))))
                i += 2
                continue
            kind = q.DOC_KIND.match(text[m.end:])
            if m.place is not None and kind:
                docs = self.scoper.docs_of_kind(m.place, kind.group("kind"))
                if docs:
                    m = _Mention(m.start, m.end + kind.end(), None if len(docs) == 1 else m.place, docs)
            out.append(m)
            i += 1
        return out

    def _coordinated(self, analysis: q.QuestionAnalysis) -> list[Side]:
        """The sides of a question that names two to four places or documents joined side by
        side (“成都和遂昌…”, “浙江的实施意见和星火计划…”, “杭州、成都都…”), each asked as the
        question with its own name in place of the joined names; [] when it names no such run.
        """
        text = analysis.question
        mentions = self._qualified(analysis, self._mentions(analysis))
        run: list[_Mention] = []
        for m in mentions:
            if run and _JOIN.fullmatch(text[run[-1].end:m.start]):
                run.append(m)
                continue
            if len(run) >= 2:
                break
            run = [m]
        if not 2 <= len(run) <= 4 or any(not m.docs for m in run):
            return []
        before, after = text[:run[0].start], text[run[-1].end:]
        # 都/均/共同 after the names speaks of them together: one side alone does not say it.
        after = re.sub(r"^(?:都|均|也都|共同|同时)", "", after)
        scoper = self.scoper
        out: list[Side] = []
        for m in run:
            question = before + text[m.start:m.end] + after
            if m.place is not None:
                side = Side(m.place, question, place=m.place)
            else:
                side = Side(scoper.short_label(m.docs[0]), question, doc_id=m.docs[0],
                            names=(text[m.start:m.end],))
            if all((o.place, o.doc_id) != (side.place, side.doc_id) for o in out):
                out.append(side)
        return out if len(out) >= 2 else []

    def _doc_names(self, analysis: q.QuestionAnalysis, docs: list[str]) -> dict[str, list[str]]:
        """For each document, the names the question calls it by (as written)."""
        scoper = self.scoper
        short = scoper.short_names()
        out: dict[str, list[str]] = {d: [] for d in docs}
        for w in (m.group(0) for m in WRITTEN_NAME.finditer(analysis.question)):
            called = self._docs_called(w)
            for d in docs:
                if d in called:
                    out[d].append(w)
        text = analysis.question
        for name, ids in short.items():
            for d in ids:
                if d in out and name in normalize(text) and not out[d]:
                    out[d].append(name)
        unnamed = [d for d in docs if not out[d]]
        if unnamed:
            # Names a question writes side by side without quotes (北斗行动计划和商业航天行动
            # 计划): each is the name of the document whose title shares most of its characters.
            for part in _joined_names(text):
                scores = {d: len(_pairs(normalize(part)) & _pairs(normalize(scoper.title_of(d)))) for d in unnamed}
                best = max(scores, key=lambda d: scores[d], default=None)
                if best is not None and scores[best] >= 2:
                    out[best].append(part)
                    unnamed.remove(best)
        return out

    # --- answering -----------------------------------------------------------------------------

    def answer(self, analysis: q.QuestionAnalysis, retrieved: list[RetrievedClause]) -> Answer | None:
        """The labelled answer, a refusal when no side states anything, or None when the
        question does not compare two to four sides."""
        sides = self.sides(analysis)
        if len(sides) < 2:
            return None
        owner = self._owners(sides)
        asked = [replace(self.analyse(side.question, analysis.filters), compare=False,
                         common=analysis.common, weighs=False)
                 for side in sides]
        scopes = [self._scope(side, side_an, owner) for side, side_an in zip(sides, asked, strict=True)]
        answer = self._labelled(analysis, sides, asked, scopes, retrieved, framed=True)
        if answer is None:
            # No side speaks of the topic as the question frames it: the frame may be read
            # wrongly (a long phrase), so the sides are read by the question's key terms.
            answer = self._labelled(analysis, sides, asked, scopes, retrieved, framed=False)
        return answer or refusal_answer(analysis.question, retrieved, None)

    def _labelled(self, analysis: q.QuestionAnalysis, sides: list[Side],
                  asked: list[q.QuestionAnalysis], scopes: list[Scope],
                  retrieved: list[RetrievedClause], framed: bool) -> Answer | None:
        """One labelled part per side from its clauses on the topic; None when none has any."""
        book = CitationBook()
        parts, answered = [], 0
        said: list[list[RetrievedClause]] = []
        topic = self.topic(analysis, [n for side in sides for n in side.names])
        idf, unseen = self.weights.idf()
        # A word of the framed topic that no side's clauses hold (名称 in “…机构名称”) frames
        # the question rather than its topic; a word one side holds and another lacks is the
        # difference the question asks about.
        pools = [normalize(r.clause.headed_text(title=False)).lower() for sc in scopes for r in sc.retrieved]
        for side, side_an, scope in zip(sides, asked, scopes, strict=True):
            words = topic_units(q.framed_topic(side.question, side_an.qualifiers) or "") if framed else []
            units = {u: idf.get(u, unseen) for u in words if any(u in text for text in pools)}
            keys = self.known_keys(side_an)
            # A document side's own name (北斗行动计划) is what the side is, not what its clauses
            # must say: its words do not count for the topic.
            own = [normalize(n) for n in side.names]
            keys = {t: w for t, w in keys.items() if not any(normalize(t) in n for n in own)} or keys
            scope = replace(scope, retrieved=[r for r in scope.retrieved if self.on_topic(units, keys, r.clause)])
            said.append(scope.retrieved)
            pieces = None
            if not scope.missing and scope.retrieved:
                pieces = self._side_pieces(side_an, scope, units, keys, book)
            if pieces:
                answered += 1
                parts.append(f"{side.label}：" + "".join(pieces))
            else:
                about = f"关于{topic}的内容" if topic else "相关内容"
                parts.append(f"{side.label}：已收录的文件中未载明{about}。")
        if not answered:
            return None
        if analysis.common and answered == len(sides):
            parts.insert(0, shared_items(analysis.question, said, book, list(self.known_keys(analysis))))
        # The clauses the sides were answered from, taken in turns (each side's best first),
        # are what the answer drew on; the question's own retrieval follows.
        drawn: dict[str, RetrievedClause] = {}
        for rank in range(max(len(s) for s in said)):
            for side_pool in said:
                if rank < len(side_pool):
                    drawn.setdefault(side_pool[rank].clause.chunk_id, side_pool[rank])
        for r in retrieved:
            drawn.setdefault(r.clause.chunk_id, r)
        return Answer(question=analysis.question, answer="\n".join(parts), answered=True,
                      citations=book.citations, retrieved=list(drawn.values()))

    def _side_pieces(self, side_an: q.QuestionAnalysis, scope: Scope, units: dict[str, float],
                     keys: dict[str, float], book: CitationBook) -> list[str] | None:
        """The side's quoted sentences, only those that speak of the topic, cited in ``book``.

        The composer picks a side's sentences as it would for the side's own question; of
        those, the ones that hold the topic's words (or sit under a heading that does) stay.
        When none does, the clause's topic is in its wider headings and all stay.
        """
        own = CitationBook()
        pieces, _ = self.answer_in(side_an, scope, own)
        if not pieces:
            return self._framed_sentences(units, scope, book) if side_an.kind not in q.VALUE_TYPES else None
        by_id = {r.clause.chunk_id: r.clause for r in scope.retrieved}
        clauses = {c.n: by_id.get(c.chunk_id) for c in own.citations}

        def heading(piece: str) -> str:
            cited = [clauses.get(int(n)) for n in MARKER_RE.findall(piece)]
            return " ".join(c.section_path[-1] for c in cited if c is not None and c.section_path)

        kept = [p for p in pieces if self._speaks_of(units, keys, MARKER_RE.sub("", p))
                or self._speaks_of(units, keys, heading(p))] or pieces

        def recite(m: re.Match) -> str:
            clause = clauses.get(int(m.group(1)))
            return f"[{book.cite(clause)}]" if clause is not None else m.group(0)

        return [MARKER_RE.sub(recite, p) for p in kept]

    def _framed_sentences(self, units: dict[str, float], scope: Scope, book: CitationBook) -> list[str] | None:
        """When the question frames its topic (对低空经济的表述) but its other words (表述,
        提法) are no words of the clauses, the side's statements on the topic are the
        sentences of its best clauses that hold the topic: at most ``max_sentences``, cited.
        None without a framed topic or such a sentence. A question for a value is not
        answered this way: its value must be stated (the composer's own checks)."""
        if not units:
            return None
        out: list[str] = []
        for r in scope.retrieved[:3]:
            for sentence in quotable_sentences(r.clause):
                if len(out) < self.max_sentences and \
                        self.weights.coverage(units, sentence) >= self.frame_share:
                    out.append(f"{sentence}[{book.cite(r.clause, sentence)}]")
        return out or None

    def _speaks_of(self, units: dict[str, float], keys: dict[str, float], text: str) -> bool:
        if units:
            return self.weights.coverage(units, text) >= self.frame_share
        return self.weights.coverage(keys, text) >= self.topic_share

    def _owners(self, sides: list[Side]) -> dict[str, str]:
        """doc_id → the label of the narrowest place side whose document it is.

        A county's plan is also a document “of” its province (浙江 in its region): in a
        comparison of 遂昌 and 浙江 it speaks for 遂昌 only.
        """
        scoper = self.scoper
        owned: dict[str, tuple[int, str]] = {}
        for side in sides:
            if side.place is None:
                continue
            docs = scoper.docs_of_place(side.place)
            for d in docs:
                if d not in owned or len(docs) < owned[d][0]:
                    owned[d] = (len(docs), side.label)
        return {d: label for d, (_, label) in owned.items()}

    def _scope(self, side: Side, side_an: q.QuestionAnalysis, owner: dict[str, str]) -> Scope:
        """The side's clauses, from its own question's retrieval, before the topic is checked."""
        # A question of what the sides share reads more of each side's clauses for its lists.
        k = self.side_k * 2 if side_an.common else self.side_k
        again = self.retriever.retrieve(side.question, k=k, filters=side_an.filters)
        if side.doc_id is not None:
            scope = self.scoper.scope_docs(side_an, again, [side.doc_id])
        else:
            scope = self.scoper.scope(side_an, again, places=[side.place])
            stem = normalize(side.place or "")
            # Another side's own documents speak for it, unless a heading names this place.
            scope.retrieved = [r for r in scope.retrieved
                               if owner.get(r.clause.doc_id, side.label) == side.label
                               or stem in normalize(" ".join(r.clause.section_path))]
        return scope

    def known_keys(self, analysis: q.QuestionAnalysis) -> dict[str, float]:
        """The question's key terms that the indexed documents use: a word no clause holds
        (打算, 做法) frames the question and cannot tell one clause from another."""
        idf, _ = self.weights.idf()
        keys = self.weights.key_terms(analysis)
        return {t: w for t, w in keys.items() if t in idf} or keys

    def on_topic(self, units: dict[str, float], keys: dict[str, float], clause: Clause) -> bool:
        """Whether a clause (with its headings) speaks of the asked topic.

        When the question frames its topic (在低空经济上) the clause must hold ``frame_share`` of
        its words' weight, so that 航天 alone is not 商业航天; otherwise ``topic_share`` of the
        question's key terms' weight.
        """
        return self._speaks_of(units, keys, clause.headed_text(title=False))

    def topic(self, analysis: q.QuestionAnalysis, doc_names: list[str] | tuple[str, ...] = ()) -> str:
        """How a silent side names the topic: as the question frames it (低空经济), else the
        longest key words in question order (not the words of the names of the documents
        compared, ``doc_names``)."""
        framed = q.framed_topic(analysis.question, analysis.qualifiers)
        if framed:
            return framed
        names = ([normalize(p) for p in analysis.places + analysis.place_words]
                 + list(analysis.titles) + list(analysis.qualifiers) + [normalize(n) for n in doc_names])
        weights = self.known_keys(analysis)
        keys = [t for t in weights
                if len(t) >= 2 and not t.isascii() and not q.INTERROGATIVE.match(t)
                and not any(normalize(t) in n or n in normalize(t) for n in names)]
        keys = [t for t in keys if not any(t != o and t in o for o in keys)]
        # The two rarest words (概念验证, not 计划 or 方式), in question order.
        top = set(sorted(keys, key=lambda t: -weights[t])[:2])
        return "、".join(t for t in keys if t in top)


def _joined_names(question: str) -> list[str]:
    """The document names a question joins side by side before it asks (上海北斗行动计划 and
    商业航天行动计划 in “上海北斗行动计划和商业航天行动计划，产业规模目标分别是多少”): two to
    four parts, each ending in a kind of document."""
    head = re.split(r"[，,？?。；;]", question, maxsplit=1)[0]
    parts = [_JOIN_START.sub("", m.group(0)) for m in _UP_TO_KIND.finditer(head)]
    parts = [p for p in parts if len(p) >= 3]
    return parts if 2 <= len(parts) <= 4 else []


def _pairs(text: str) -> set[str]:
    return {text[i:i + 2] for i in range(len(text) - 1)}


#: What joins names side by side: 和, 与, 及, 以及, 、, 跟, 同, 还是 (nothing else between them).
_JOIN = re.compile(r"\s*(?:" + alternation((*AND_WORDS, *WITH_WORDS, *OR_WORDS, LIST_MARK, "及其", ",", "，")) + r")\s*")
#: The same at the start of a name read up to its kind (和商业航天行动计划).
_JOIN_START = re.compile(r"^(?:" + alternation((*AND_WORDS, *WITH_WORDS, *OR_WORDS, LIST_MARK, "及其")) + r")")
#: A name read up to the first kind of document it ends in (上海北斗行动计划).
_UP_TO_KIND = re.compile(r"[\u4e00-\u9fffA-Za-z0-9+＋]{1,20}?" + alternation(DOC_KINDS))


@dataclass
class _Mention:
    """Where a question names a place (``place``) or documents (``place`` None), and the
    documents it stands for."""

    start: int
    end: int
    place: str | None
    docs: list[str]


def shared_items(question: str, said: list[list[RetrievedClause]], book: CitationBook,
                 keys: list[str] | None = None) -> str:
    """The line that answers what the sides share: the items that a list (甲、乙、丙) in one
    of each side's clauses on the topic names, in the first side's order, each cited to where
    each side lists it; or that those clauses list none in common.

    Items are matched as list items on every side, not as any words of a clause, so that a
    phrase two clauses happen to share is not taken for a listed measure or field. A list's
    first item may carry the verb that opens the list (重点培育人形机器人): it matches an item
    it ends with. Words of the question itself are its topic, not an answer. With ``keys``
    (the question's topic words) only lists in sentences holding one of them count: a list
    of enterprises is not a list of fields.
    """
    asked = normalize(question)
    per_side = [_listed(clauses, keys or []) for clauses in said]
    common: dict[str, list[Clause]] = {}
    for key, first, form, clause in per_side[0] if per_side else []:
        where, name = [clause], (key, form)
        for side in per_side[1:]:
            match = next((m for m in side if _same_item((key, first), (m[0], m[1]))), None)
            if match is None:
                break
            where.append(match[3])
            if len(match[0]) < len(name[0]):
                name = (match[0], match[2])
        else:
            if name[0] in asked or any(name[0] in normalize(o) or normalize(o) in name[0] for o in common):
                continue
            common[name[1]] = where
    if not common:
        return "所引条款中未见各方共同列出的项。"
    cited = []
    for name, where in list(common.items())[:_MAX_SHARED]:
        marks = "".join(dict.fromkeys(f"[{book.cite(c)}]" for c in where))
        cited.append(name + marks)
    return "共同提到：" + "、".join(cited) + "。"


#: At most this many shared items are named (a long list is a sign of two general lists).
_MAX_SHARED = 10


def _listed(clauses: list[RetrievedClause], keys: list[str]) -> list[tuple[str, bool, str, Clause]]:
    """The items the clauses list in sentences on the topic: (normalised, first of its list,
    as written, clause)."""
    out = []
    for r in clauses:
        for sentence in re.split(r"[。；;\n]", r.clause.text):
            if keys and not any(k in normalize(sentence).lower() for k in keys):
                continue
            for items in q.enumerated(sentence):
                for i, item in enumerate(items):
                    item = re.sub(r"\s+", "", item).strip("“”\"")
                    if len(normalize(item)) >= 2:
                        out.append((normalize(item), i == 0, item, r.clause))
    return out


def _same_item(a: tuple[str, bool], b: tuple[str, bool]) -> bool:
    """Whether two listed items name the same thing: equal, or a list's first item ending
    with the other (its opening verb before it)."""
    (x, x_first), (y, y_first) = a, b
    # A tail of two characters (技术, 人才) ends too many first items to name one thing.
    return x == y or (x_first and len(y) >= 3 and x.endswith(y)) or (y_first and len(x) >= 3 and y.endswith(x))

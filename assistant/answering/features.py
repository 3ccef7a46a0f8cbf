"""What is measured of a candidate for a slot: the features the fitted scorer weighs.

Every feature is a general property of a (question, slot, candidate) triple — whether the
candidate states a value of the slot's type, how much of the question's weighted topic it and
its headings hold, whether it names the thing a number is asked of, its clause's retrieval
rank and similarity, whether it is a lead-in with its items or a responsibility note. None
names a word of a particular question. :data:`NAMES` fixes their order for the weights.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import replace

from ..language.lexicon import DATE_END_WORDS, DATE_START_WORDS, GRANT_WORDS
from ..language.quantities import tier_fit
from ..language.text import normalize
from . import questions as q
from .candidates import CHILDREN, LEAD_IN, RUN, SENTENCE, TITLE, UNITS, Candidate, run_parts
from .frame import CONDITION, Frame, Slot
from .render import value_of
from .sentences import names, states_measure

#: Feature names, in the order of a feature vector.
NAMES = [
    "bias",
    "value_slot", "typed", "value_untyped",
    "list_slot", "list_candidate", "list_sentence",
    "who_slot", "who_units", "who_stated", "who_unstated",
    "other_slot",
    "topic_text", "topic_context", "topic_clause", "topic_missing",
    "slot_words", "attribute_text", "attribute_context", "attribute_absent",
    "rank", "dense", "bm25", "first_sentence", "heading_measure",
    "basis_mismatch", "year_missing", "numbers_held", "length", "named_doc", "anchor",
    "items_match", "tier_fit", "tier_miss", "title", "year_phrase", "enumeration", "preamble",
    "core_text", "core_context", "core_missing_max", "slot_words_text", "date_cue",
    "bigrams_text", "bigrams_context",
    # Of the question as a whole (the same for all its candidates): whether its topic lies
    # outside the scope's documents.
    "outside_better", "absent_in_scope", "unknown_words",
    # The question's own words (a follow-up's, beside the words it takes from the question before).
    "own_text", "own_context",
    # A counted list whose items are called what the question calls them (…等重点培育领域).
    "items_called", "anchor_doc",
    # A value found in one item of a list whose lead-in or other items state such values too (a
    # list with one item alone stating it does not answer: that item does), and how much of the
    # topic that item itself holds.
    "value_listed", "value_part_core",
    # Filled by :func:`relative`: how far the candidate is from the best of its question's.
    "rel_core_context", "rel_topic_context", "rel_slot_words", "rel_bigrams_context",
]
#: The features measured against the best candidate of the same question and slot.
RELATIVE = {"rel_core_context": "core_context", "rel_topic_context": "topic_context",
            "rel_slot_words": "slot_words", "rel_bigrams_context": "bigrams_context"}
_INDEX = {n: i for i, n in enumerate(NAMES)}
_LIST_KINDS = (q.LIST, CONDITION)
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
#: A numbered item's opening inside a clause's text (（八）).
_ITEM_OPENING = re.compile(r"[（(][一二三四五六七八九十\d]{1,3}[）)]")


def vector(frame: Frame, slot: Slot, cand: Candidate, topic: dict[str, float],
           slot_terms: dict[str, float], coverage, anchors: set[str], top_bm25: float,
           listed: int | None = None, whole: dict[str, float] | None = None,
           own: dict[str, float] | None = None, anchor_docs: set[str] | None = None) -> list[float]:
    """The feature vector of ``cand`` for ``slot`` (``coverage(terms, text)`` weighs terms)."""
    x = [0.0] * len(NAMES)

    def put(name: str, value: float | bool) -> None:
        x[_INDEX[name]] = float(value)

    text, context = cand.text, f"{cand.context} {cand.text}"
    value_slot = slot.kind in q.VALUE_TYPES and slot.kind != q.WHO
    typed = value_slot and q.states_type(text, slot.kind)
    put("bias", 1)
    for name, value in (whole or {}).items():
        put(name, value)
    put("value_slot", value_slot)
    put("typed", typed)
    put("value_untyped", value_slot and not typed)
    list_slot = slot.kind in _LIST_KINDS
    put("list_slot", list_slot)
    put("list_candidate", list_slot and cand.kind in (LEAD_IN, CHILDREN, RUN))
    put("list_sentence", list_slot and cand.kind == SENTENCE)
    who = slot.kind == q.WHO
    put("who_slot", who)
    put("who_units", who and cand.kind == UNITS)
    who_stated = who and cand.kind != UNITS and q.states_type(text, q.WHO)
    put("who_stated", who_stated)
    put("who_unstated", who and cand.kind != UNITS and not who_stated)
    put("other_slot", slot.kind in (q.OTHER, q.YESNO, q.DEFINITION, q.PROCEDURE))
    put("topic_text", coverage(topic, text))
    put("topic_context", coverage(topic, context))
    put("topic_clause", coverage(topic, cand.clause.embed_text()))
    put("topic_missing", 1 - coverage(topic, f"{context} {cand.clause.text}"))
    put("slot_words", coverage(slot_terms, context) if slot_terms else 0.0)
    if slot.attribute:
        # Where the thing a number is asked of is named: in the candidate, only around it (its
        # headings, the sentence before), or nowhere near.
        attribute = normalize(slot.attribute)
        in_text = names(attribute, normalize(text))
        around = not in_text and names(attribute, normalize(context))
        put("attribute_text", in_text)
        put("attribute_context", around)
        put("attribute_absent", not in_text and not around)
    put("rank", 1 / (1 + cand.rank))
    put("dense", cand.dense)
    put("bm25", cand.bm25 / top_bm25 if top_bm25 > 0 else 0.0)
    put("first_sentence", cand.kind == SENTENCE and cand.position == 0)
    put("heading_measure", cand.kind == SENTENCE and normalize(text) in
        {normalize(h) for h in cand.clause.section_path} and states_measure(text))
    put("basis_mismatch", value_slot and not q.same_basis(frame.reading, text))
    # A year stated earlier in the clause governs the sentences after it until another is
    # stated (到2027年，…；培育…35个): that year is the candidate's too.
    governing = governing_year(cand)
    put("year_missing", bool(frame.years) and not all(y in normalize(context) or y == governing
                                                      for y in frame.years))
    # A year with what it qualifies (2024年春节): the candidate speaks of that one.
    put("year_phrase", any(p in normalize(text) for p in year_phrases(frame.reading)))
    put("numbers_held", _numbers_held(frame.reading, text))
    put("length", math.log1p(len(text)) / 6)
    put("named_doc", bool(frame.doc_ids) and cand.clause.doc_id in frame.doc_ids)
    put("anchor", cand.clause.chunk_id in anchors)
    put("anchor_doc", cand.clause.doc_id in (anchor_docs or ()))
    # A list whose length the question gives (哪六大领域): a candidate with that many items.
    put("items_match", bool(listed) and cand.items == listed)
    put("items_called", called(frame, cand, listed))
    # A quantity the asker states (一年投入六七千万) in the tier the candidate sets, or not.
    fit = tier_fit(frame.reading, text)
    put("tier_fit", fit > 0)
    put("tier_miss", fit < 0)
    put("title", cand.kind == TITLE)
    put("enumeration", list_slot and cand.kind == SENTENCE and any(len(i) >= 3 for i in q.enumerated(text)))
    put("preamble", cand.clause.kind == "preamble")
    # The topic beyond the words that name the document (重庆…商用车政策 chose the document;
    # 充电桩 is what is asked): how much of it the candidate holds, and whether its most
    # specific word is missing.
    title = normalize(cand.clause.doc_title)
    core = {t: w for t, w in topic.items() if normalize(t) not in title}
    if core:
        put("core_text", coverage(core, text))
        put("core_context", coverage(core, context))
        hay = normalize(f"{context} {cand.clause.text}").lower()
        missing = [w for t, w in core.items() if normalize(t).lower() not in hay]
        put("core_missing_max", max(missing, default=0.0) / max(core.values()))
    put("slot_words_text", coverage(slot_terms, text) if slot_terms else 0.0)
    if value_slot:
        value = value_of(slot, cand)
        at = text.find(value) if value else -1
        if at >= 0:
            put("value_listed", cand.kind in (LEAD_IN, CHILDREN, RUN) and cand.items >= 2)
            put("value_part_core", coverage(core or topic, _item_around(text, at)))
    if own:
        put("own_text", coverage(own, text))
        put("own_context", coverage(own, context))
    # A date asked of a thing (有效期到哪年, 哪天施行): the candidate says that thing.
    if slot.kind == q.DATE:
        # A start asked (哪天开始, 何时施行) is a date beside a word of starting (自…起施行); an end
        # (到期, 有效期到) a date beside a word of ending (有效期至, 截止).
        phrase = normalize(slot.phrase)
        wants = [words for words in (DATE_START_WORDS, DATE_END_WORDS)
                 if any(w in phrase for w in words if len(w) >= 2)]
        put("date_cue", any(_beside_date(text, words) for words in wants))
    # Character pairs of the core topic: a paraphrase that shares characters (劳务费 and 劳务
    # 报酬, 补 and 补贴) but not words.
    wanted = _bigrams("".join(core or topic))
    if wanted:
        put("bigrams_text", len(wanted & _bigrams(text)) / len(wanted))
        put("bigrams_context", len(wanted & _bigrams(context)) / len(wanted))
    return x


#: The features of a question as a whole once its candidates are scored, which the second,
#: answerability model weighs: how sure and how clear the best candidate is, what the best
#: candidate lacks, whether the topic lies outside the scope, and what kind of question it is.
ANSWERABILITY = [
    "bias", "top_logit", "margin", "slots", "slots_open", "candidates", "follow_up",
    "op_lookup", "op_list", "op_detail",
    "best_core_missing_max", "best_attribute_absent", "best_attribute_context", "best_topic_missing",
    "best_core_context", "best_bigrams_context", "best_year_missing", "best_tier_miss",
    "best_basis_mismatch", "best_slot_words", "best_dense", "best_bm25", "best_rank",
    "best_typed", "best_own_text", "best_anchor",
    "outside_better", "absent_in_scope", "unknown_words",
]


def _logit(p: float) -> float:
    p = min(max(p, 1e-4), 1 - 1e-4)
    return math.log(p / (1 - p))


def answerability(frame: Frame, scored: list[tuple[Slot, list]], slot_threshold: float) -> list[float]:
    """The answerability features of ``frame`` from its scored slots (each slot with its
    (probability, candidate, features) rows, best first)."""
    x = dict.fromkeys(ANSWERABILITY, 0.0)
    x["bias"] = 1.0
    tops = [(rows[0], rows[1][0] if len(rows) > 1 else None) for _, rows in scored if rows]
    x["slots"] = len(scored)
    x["follow_up"] = float(bool(frame.conversation and frame.conversation.anchors))
    if f"op_{frame.operation}" in x:
        x[f"op_{frame.operation}"] = 1.0
    if not tops:
        x["top_logit"] = _logit(0.0)
        return list(x.values())
    (p, _, features), second = max(tops, key=lambda t: t[0][0])
    x["top_logit"] = _logit(p)
    # How far the best stands above the next candidate of its slot (a clear winner or a tie).
    x["margin"] = min(_logit(p) - _logit(second), 6.0) if second is not None else 6.0
    x["slots_open"] = sum(r[0] < slot_threshold for r, _ in tops) / len(scored)
    x["candidates"] = math.log1p(max(len(rows) for _, rows in scored))
    for name in ANSWERABILITY:
        if name.startswith("best_"):
            x[name] = features[_INDEX[name[5:]]]
        elif name in ("outside_better", "absent_in_scope", "unknown_words"):
            x[name] = features[_INDEX[name]]
    return list(x.values())


def relative(rows: list[list[float]]) -> None:
    """Fill the relative features of one question's candidates for one slot, in place."""
    for name, base in RELATIVE.items():
        i, j = _INDEX[name], _INDEX[base]
        best = max((x[j] for x in rows), default=0.0)
        for x in rows:
            x[i] = x[j] - best


def _bigrams(text: str) -> set[str]:
    chars = [c for c in normalize(text) if "\u4e00" <= c <= "\u9fff"]
    return {a + b for a, b in zip(chars, chars[1:], strict=False)}


def _beside_date(text: str, words) -> bool:
    """Whether a word of ``words`` stands within a few characters of a date in ``text``."""
    for m in re.finditer(r"\d{4}\s*年(?:\s*\d{1,2}\s*月(?:\s*\d{1,2}\s*日)?)?|之日", text):
        around = text[max(0, m.start() - 6):m.end() + 6]
        if any(w in around for w in words):
            return True
    return False


def governing_year(cand: Candidate) -> str | None:
    """The year ``cand`` speaks of: the first it states itself, else the last stated in its
    clause before it (None when neither states one)."""
    own = q.YEAR.search(normalize(cand.text))
    if own:
        return own.group(0)
    at = cand.clause.text.find(cand.text[:12]) if cand.text else -1
    years = q.YEAR.findall(normalize(cand.clause.text[:at])) if at > 0 else []
    return years[-1] if years else None


def title_covers(title: str, years) -> bool:
    """Whether a document's title leaves the asked ``years`` possible: it names no year, or a
    year or period (2024-2026年, 2026—2030年) holding one of them."""
    title = unicodedata.normalize("NFKC", title)
    found = [int(y) for y in re.findall(r"(?:19|20)\d{2}", title)]
    if not found:
        return True
    asked = {int(y) for y in years if str(y).isdigit()}
    if not asked:
        return True
    periods = re.findall(r"((?:19|20)\d{2})\s*年?\s*[-—–~至到]\s*((?:19|20)\d{2})", title)
    covered = set(found) | {y for a, b in periods for y in range(int(a), int(b) + 1)}
    return bool(covered & asked)


def year_phrases(question: str) -> list[str]:
    """Each year of the question with the two characters after it (2024年春节 → 2024年春节)."""
    return [normalize(m.group(0)) for m in re.finditer(r"(?:19|20)\d{2}\s*年[\u4e00-\u9fff]{2}", question)]


def eligible(slot: Slot, cand: Candidate, used, years: list[str] | tuple[str, ...] = (),
             year_phrases: list[str] | tuple[str, ...] = (), question: str = "") -> bool:
    """Whether ``cand`` can answer ``slot`` at all: a number or date slot needs a value of its
    type stated in the candidate, a who slot a unit (a responsibility note or a unit that does
    something), and a slot asked of a thing the documents name (担保费率, 租金) a candidate that
    names it, in itself or its headings (``used(word)``: whether the index uses the word — a
    word it never uses may be the asker's own, which no clause can be asked to repeat)."""
    if slot.kind in q.VALUE_TYPES and slot.kind != q.WHO:
        if value_of(slot, cand) is None:
            return False
        if _one_part_states(slot, cand):
            # A list whose one item alone states the asked value (十二周岁 in （八） of ten rules)
            # answers through that item, a candidate of its own with the lead-in around it.
            return False
    if cand.kind == TITLE and slot.kind in (q.AMOUNT, q.RATE, q.COUNT, q.QUANTITY):
        # A title's figure names the plan (三年行动计划), it is no amount, share or count of it;
        # its period still answers how long or which years.
        return False
    if slot.kind == q.WHO and cand.kind != UNITS and not q.states_type(cand.text, q.WHO):
        return False
    if slot.kind == q.PROCEDURE and not q.states_type(cand.text, q.PROCEDURE):
        # How to apply is said by a sentence that names materials, a system or the steps, not
        # by the measure's amount.
        return False
    if slot.kind in q.NUMBER_TYPES and not q.same_basis(question, cand.text):
        # A value asked per one unit (每家每年) is not stated by values per other units only
        # (每人每次): that is another measure's figure.
        return False
    if years and cand.kind != TITLE:
        # A sentence that states other years than the asked one (2028 for 2025) speaks of them;
        # its headings count as its own words (a table's row under 附件1 2023年春节期间…汇总表).
        text = normalize(" ".join([*cand.clause.section_path, cand.text]))
        stated = set(q.YEAR.findall(text))
        if stated and not stated & set(years):
            return False
        if not stated and governing_year(cand) not in years and not title_covers(cand.clause.doc_title, years):
            # A sentence that names no year (or follows another year's), in a document whose
            # title sets a period without the asked year (行动计划（2024-2026年） for 2030), does
            # not speak of that year.
            return False
        # So does one that states the asked event of another year only (2023年春节 for
        # 2024年春节), whatever other years it names.
        for phrase in year_phrases:
            event = phrase[phrase.index("年") + 1:]
            if phrase not in text and re.search(rf"(?:19|20)\d{{2}}年{re.escape(event)}", text):
                return False
    # Whether X is done is stated only by a sentence that names X: a word no document uses
    # leaves nothing that says yes or no.
    if slot.attribute and (used(slot.attribute) or slot.kind == q.YESNO):
        around = normalize(f"{cand.context} {cand.text}")
        if slot.attribute in GRANT_WORDS:
            # Money granted is granted under many names (补贴, 补助, 激励…).
            return any(w in around for w in GRANT_WORDS)
        return names(normalize(slot.attribute), around)
    return True


def called(frame: Frame, cand: Candidate, listed: int | None) -> bool:
    """Whether the candidate lists as many items as the question says and calls them what the
    question calls them (六大领域: “…、新型材料等重点培育领域”)."""
    category = q.listed_category(frame.reading) if listed else None
    if not category or cand.items != listed:
        return False
    if cand.kind != SENTENCE:
        return category in cand.context
    # The list of that length is followed by what it lists (…、新型材料等重点培育领域).
    after = re.compile(rf"^等?[^，,。；;、]{{0,8}}{re.escape(category)}")
    for items in q.enumerated(cand.text):
        if len(items) == listed:
            at = cand.text.find(items[-1])
            if at >= 0 and after.search(cand.text[at + len(items[-1]):]):
                return True
    return False


def _one_part_states(slot: Slot, cand: Candidate) -> bool:
    """Whether ``cand`` is a list (a lead-in with its items, a run of parts) of which exactly one
    item, and not the lead-in, states a value of ``slot``."""
    if cand.kind == LEAD_IN:
        lead, parts = cand.quotes[0], cand.quotes[1:]
    elif cand.kind == RUN:
        lead, parts = "", run_parts(cand.text)
    else:
        return False
    if len(parts) < 2 or (lead and value_of(slot, replace(cand, text=lead)) is not None):
        return False
    return sum(value_of(slot, replace(cand, text=p)) is not None for p in parts) == 1


def _item_around(text: str, at: int) -> str:
    """The item or sentence of ``text`` that holds position ``at``: between the marks that end
    one (。；;) or the line breaks and numbered openings (（八）) that start one."""
    start = max(text.rfind(p, 0, at) for p in "。；;\n") + 1
    opening = [m.start() for m in _ITEM_OPENING.finditer(text, start, at)]
    start = max([start, *opening])
    ends = [i for i in (text.find(p, at) for p in "。；;\n") if i >= 0]
    return text[start:min(ends, default=len(text))]


def _numbers_held(question: str, text: str) -> float:
    """The share of the question's numbers (other than years) that the candidate states."""
    asked = [n for n in _NUMBER.findall(normalize(question)) if not (len(n) == 4 and n[:2] in ("19", "20"))]
    if not asked:
        return 0.0
    held = normalize(text)
    return sum(1 for n in asked if n in held) / len(asked)

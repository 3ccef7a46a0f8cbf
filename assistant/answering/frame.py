"""The question frame: what a question asks, built once and read by every part of answering.

A frame holds the operation (look up, list, compare, which documents, a document's details),
one **slot** per thing asked (“补多少？期限几年？” asks an amount and a duration; “牵头单位和配合
单位” a who twice), the scope (places, documents, years) and the topic — the question's words
weighted by how rare they are, never each required. Colloquial words are read as the documents
would write them (啥 → 什么, 补多少 → an amount), from the lexicon.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..language.lexicon import COLLOQUIAL, alternation
from ..language.text import normalize_question
from . import questions as q

LOOKUP, LIST_OP, COMPARE, WHICH_DOCS, DETAIL = "lookup", "list", "compare", "which_docs", "detail"
#: A slot that asks for the conditions of something (申请条件, 要满足什么): a lead-in and its items.
CONDITION = "condition"

#: Where one asked thing ends and the next begins: a question mark, a semicolon, a comma, or an
#: enumeration comma or 和 between two interrogative phrases (啥时候开始、啥时候到期).
_PART_BREAK = re.compile(r"[？?；;。！!，,]")
_SUB_BREAK = re.compile(r"、|和|及|以及|还有|另外")
#: Asking for conditions, requirements or materials: answered by a lead-in and its items.
_CONDITION = re.compile(r"条件|资格|要求|标准(?:是|有)?(?:什么|哪些)|门槛|材料|资料|哪些情[形况]|什么情[形况]|满足|符合|"
                        r"需要?(?:准备|提交|提供)|要(?:准备|交|提交)|得有|怎么才能|才能(?:申请|享受|拿到)")
_COLLOQUIAL = re.compile(alternation(COLLOQUIAL))
#: Asking of each of several things (分别, 各自, 各给).
_EACH = re.compile(r"分别|各自|各(?=[给有是为要定多几提占])")


@dataclass
class Slot:
    """One thing a question asks: its type and the words that say it."""

    kind: str
    #: The part of the question that asks it (“一年封顶多少”).
    phrase: str
    #: For a number: the thing it is asked of (费率 in 担保费率是多少), when the question says.
    attribute: str | None = None
    #: For a number: the unit of measure it is asked in (岁 in 超过多少岁), when the question says.
    unit: str | None = None


@dataclass
class Conversation:
    """What the conversation adds to a follow-up: the clauses the previous answer quoted (the
    measure under discussion) and the follow-up's own words (what it asks about anew)."""

    anchors: list[str] = field(default_factory=list)
    own: str = ""
    #: The follow-up as it was asked (谁来统筹推进？).
    asked: str = ""


@dataclass
class Frame:
    """A question read once: operation, slots, scope and topic."""

    question: str
    #: The question with colloquial words as the documents write them (the form read for types).
    reading: str
    operation: str
    slots: list[Slot]
    analysis: q.QuestionAnalysis
    #: The documents the question names (by title, short name, 文号, kind or stage).
    doc_ids: list[str] = field(default_factory=list)
    #: Set for a follow-up asked in a conversation.
    conversation: Conversation | None = None
    #: The probability that the answer is right, once the scorer has decided.
    confidence: float | None = None
    #: The question's answerability features (:data:`~assistant.answering.features.ANSWERABILITY`).
    signals: list[float] | None = None

    @property
    def places(self) -> list[str]:
        """The places the question names."""
        return self.analysis.places

    @property
    def years(self) -> list[str]:
        """The years the question names."""
        return self.analysis.years


def plain(question: str) -> str:
    """``question`` with colloquial words as the documents write them (啥 → 什么, 咋 → 怎么,
    补多少 → 补贴多少): the form question types and slots are read from."""
    return _COLLOQUIAL.sub(lambda m: COLLOQUIAL[m.group(0)], question)


def slots_of(question: str) -> list[Slot]:
    """One slot per thing ``question`` asks, in order; a question that asks nothing typed has
    one slot of type ``other`` (or ``list``, ``condition``…: what its words ask)."""
    text = plain(question)
    parts = [p for p in _PART_BREAK.split(text) if p.strip()]
    out: list[Slot] = []
    for part in parts:
        for piece in _sub_parts(part):
            for slot in _slots(piece):
                if not any(s.kind == slot.kind and s.phrase == slot.phrase and s.attribute == slot.attribute
                           for s in out):
                    out.append(slot)
    # A part that asks nothing typed beside parts that do (怎么支持，给多少) is their lead-in:
    # its words stay in the topic, the typed parts are what is asked.
    if any(s.kind != q.OTHER for s in out):
        out = [s for s in out if s.kind != q.OTHER]
    if not out:
        kind = CONDITION if _CONDITION.search(text) else q.answer_type(text)
        number = kind in q.NUMBER_TYPES
        out.append(Slot(kind, text.strip(), q.asked_attribute(text) if number else None,
                        q.asked_unit(text) if number else None))
    # Whether a thing exists, asked beside its value (有没有补贴，补多少), is answered by the
    # value: the value's slot alone asks it, and no sentence merely naming the thing says yes.
    out = [s for s in out if not (s.kind == q.YESNO and s.attribute and any(
        o.kind in q.VALUE_TYPES and o.attribute == s.attribute for o in out))]
    # Things asked about together, each on its own (对甲和乙分别…, 开办费和运营费各给多少): one
    # slot per thing, asked of it.
    together = q.conjuncts(text) if _EACH.search(text) else []
    if len(out) == 1 and len(together) >= 2:
        out = [Slot(out[0].kind, part, part) for part in together]
    return out


def _sub_parts(part: str) -> list[str]:
    """A part cut at 、/和 only where both sides ask something (啥时候开始、啥时候到期): a list of
    things asked about together (甲、乙的补贴) stays one part."""
    pieces = _SUB_BREAK.split(part)
    if len(pieces) > 1 and sum(1 for p in pieces if _asks(p)) >= 2:
        # Words before the first interrogative phrase belong to every piece (补贴金额和期限).
        return pieces
    return [part]


def _asks(text: str) -> bool:
    return bool(q.INTERROGATIVE_ANYWHERE.search(normalize_question(text))) or q.answer_type(text) != q.OTHER


def _slots(piece: str) -> list[Slot]:
    """The slots of one piece: one, or one per number it asks of different things
    (多少火箭多少卫星)."""
    slot = _slot(piece)
    if slot is None:
        return []
    if slot.kind in q.NUMBER_TYPES:
        parts = q.asked_parts(piece)
        if len(parts) >= 2:
            return [Slot(slot.kind, phrase or piece, attribute, q.asked_unit(phrase or piece)) for attribute, phrase in parts]
    return [slot]


def _slot(piece: str) -> Slot | None:
    """The slot a piece of a question asks, or None when it asks nothing (it only names the topic)."""
    kind = q.answer_type(piece)
    if kind in (q.LIST, q.OTHER) and _CONDITION.search(piece):
        kind = CONDITION
    if kind == q.OTHER and not q.INTERROGATIVE_ANYWHERE.search(normalize_question(piece)):
        return None
    if kind in q.NUMBER_TYPES:
        attribute = q.asked_attribute(piece)
    elif kind == q.YESNO:
        # Whether X is done is answered only by a sentence that speaks of X (租金减免).
        attribute = q.phrase_head(piece)
    else:
        attribute = None
    return Slot(kind, piece.strip(), attribute, q.asked_unit(piece) if kind in q.NUMBER_TYPES else None)


def operation_of(analysis: q.QuestionAnalysis, slots: list[Slot], asks_detail: bool) -> str:
    """What kind of answer the question wants."""
    if analysis.which_docs:
        return WHICH_DOCS
    if analysis.compare or analysis.common or analysis.weighs:
        return COMPARE
    if asks_detail:
        return DETAIL
    if any(s.kind in (q.LIST, CONDITION) for s in slots):
        return LIST_OP
    return LOOKUP

"""Which sentences of a clause may be quoted, and whether a text names an asked thing.

:func:`quotable_sentences` splits a clause into the sentences an answer may quote (a heading that
states a measure is one; text that addresses the assistant never is); :func:`names` tells whether
a text names the thing a number is asked of (the word, or all its parts).
"""

from __future__ import annotations

import re

from ..language.segment import tokenize
from ..language.text import normalize, split_sentences
from ..reading.injection import addresses_assistant
from ..types import CHILDREN_PREFIX, Clause
from . import questions as q


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


def names(attribute: str, text: str) -> bool:
    """Whether ``text`` names the asked thing: the word itself, or all of its parts when it is
    a compound of two or more words (关键核心技术 in “攻关关键技术、核心部件”)."""
    if attribute in text:
        return True
    parts = [t for t in tokenize(attribute) if t != attribute and len(t) >= 2]
    return len(parts) >= 2 and all(p in text for p in parts)

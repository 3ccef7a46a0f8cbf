"""Responsibility notes: which units carry out a measure, and which of them leads.

Documents say it in several ways, all understood here:

- a bracketed note after the measure: ``（责任单位：县科技局、县经济商务局。列第一位的为牵头单位，下同）``
  or ``[责任单位:市国资委,市发改委、…。逗号前为牵头单位,下同]``;
- a bracketed "X负责" note: ``（人力资源社会保障部、财政部负责。列第一位者为牵头单位，下同）`` or
  ``（市场监管总局等负责）``;
- labelled lines: ``牵头单位：市发改委；配合单位：市财政局、市科技局``;
- table columns 牵头单位 / 配合单位 / 责任单位 (a rendered row ``…｜牵头单位：市发改委｜…``).

A convention stated once ("列第一位…为牵头单位", "逗号前为牵头单位") holds for later notes (下同).
"""

from __future__ import annotations

import re
from typing import NamedTuple

from ..language.lexicon import UNIT_ENDINGS, alternation
from .tables import CELL_SEP

_OPEN_CLOSE = {"（": "）", "(": ")", "[": "]", "［": "］", "【": "】"}
_LABELLED_NOTE = re.compile(r"\s*(责任单位|责任部门|牵头单位|牵头部门)\s*[:：]")
_LABEL_LINE = re.compile(
    r"(牵头单位|牵头部门|责任单位|责任部门|配合单位|配合部门|参与单位)\s*[:：]\s*([^；;。\n" + CELL_SEP + r"]+)"
)
_UNIT_END = re.compile(alternation(UNIT_ENDINGS) + "$")


class ResponsibilityNote(NamedTuple):
    """One note: its units in written order, the unit list as written, the remark, the leads."""

    units: list[str]
    units_text: str
    remark: str
    leads: list[str] | None = None  # stated explicitly (牵头单位：…), else None


def parse_responsibility(text: str) -> list[ResponsibilityNote]:
    """The responsibility notes of a text, in the order they are written."""
    notes = _bracket_notes(text) + _labelled_lines(text)
    return notes


def _bracket_notes(text: str) -> list[ResponsibilityNote]:
    notes = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch not in _OPEN_CLOSE:
            i += 1
            continue
        j = _closing(text, i)
        if j is None:
            i += 1
            continue
        inner = text[i + 1: j]
        note = _note_of(inner)
        if note is not None:
            notes.append(note)
            i = j + 1
        else:
            i += 1  # look inside: a note may sit in a larger bracket
    return notes


def _closing(text: str, start: int) -> int | None:
    opener = text[start]
    closer = _OPEN_CLOSE[opener]
    depth = 0
    for j in range(start, min(len(text), start + 600)):
        if text[j] == opener:
            depth += 1
        elif text[j] == closer:
            depth -= 1
            if depth == 0:
                return j
    return None


def _note_of(inner: str) -> ResponsibilityNote | None:
    m = _LABELLED_NOTE.match(inner)
    if m:
        units_part, remark = split_remark(inner[m.end():])
        leads = split_units(units_part) if m.group(1).startswith("牵头") else None
        return ResponsibilityNote(split_units(units_part), units_part, remark, leads)
    head, remark = split_remark(inner)
    m = re.fullmatch(r"(.+?)(?:等)?(?:单位|部门)?(?:按职责分工|按照职责分工|根据职责|按职责|分别|共同)?负责", head.strip())
    if not m:
        return None
    units = split_units(m.group(1))
    if not units or not all(_is_unit(u) for u in units):
        return None
    return ResponsibilityNote(units, m.group(1), remark)


def _is_unit(name: str) -> bool:
    name = re.sub(r"[（(〔\[][^）)〕\]]*[）)〕\]]", "", name).strip()
    return 2 <= len(name) <= 30 and bool(_UNIT_END.search(name)) and not re.search(r"[，。；：]", name)


def _labelled_lines(text: str) -> list[ResponsibilityNote]:
    """``牵头单位：A；配合单位：B`` in a line or a table row → one note, leads first."""
    notes = []
    for line in text.split("\n"):
        found = {}
        for m in _LABEL_LINE.finditer(line):
            if _inside_bracket(line, m.start()):
                continue  # a bracketed note, read above
            found.setdefault(m.group(1)[:2], m.group(2).strip())
        if not found:
            continue
        lead = split_units(found.get("牵头", ""))
        duty = split_units(found.get("责任", ""))
        support = split_units(found.get("配合", "") or found.get("参与", ""))
        units = list(dict.fromkeys(lead + duty + support))
        if units:
            notes.append(ResponsibilityNote(units, "、".join(units), "", lead or None))
    return notes


def _inside_bracket(line: str, pos: int) -> bool:
    depth = 0
    for ch in line[:pos]:
        if ch in _OPEN_CLOSE:
            depth += 1
        elif ch in _OPEN_CLOSE.values() and depth:
            depth -= 1
    return depth > 0


def split_top_level(text: str, seps: str, maxsplit: int = -1) -> list[str]:
    """Split ``text`` at ``seps`` outside brackets: 各区(市、县)政府 stays one piece."""
    parts, current, depth = [], "", 0
    for ch in text:
        if ch in "（(〔[":
            depth += 1
        elif ch in "）)〕]":
            depth = max(depth - 1, 0)
        if ch in seps and depth == 0 and maxsplit != 0:
            parts.append(current)
            current = ""
            maxsplit -= 1
        else:
            current += ch
    return parts + [current]


def split_remark(inner: str) -> tuple[str, str]:
    """The unit list of a note and the remark after its first full stop."""
    head, *rest = split_top_level(inner, "。.", maxsplit=1)
    return head, rest[0] if rest else ""


def split_units(units: str) -> list[str]:
    """The units of a list (``、``, ``，``, ``；`` separated; brackets kept whole)."""
    out = [u.strip() for u in split_top_level(units, "、，,；;") if u.strip()]
    out = [re.sub(r"^(?:和|及|以及)", "", u) for u in out]
    out = [re.sub(r"等$", "", u) if len(u) > 3 else u for u in out]
    # "各市、县〔市、区〕政府" names one group of units, not two.
    merged: list[str] = []
    for unit in out:
        if merged and len(merged[-1]) <= 2:
            merged[-1] = f"{merged[-1]}、{unit}"
        else:
            merged.append(unit)
    return [u for u in merged if u]


def _lead_units(note: ResponsibilityNote, comma_mode: bool) -> list[str]:
    if note.leads:
        return note.leads
    if not note.units:
        return []
    if comma_mode:
        before_comma = split_top_level(note.units_text, "，,", maxsplit=1)
        if len(before_comma) > 1:
            return split_units(before_comma[0])
    return note.units[:1]


class Convention:
    """The lead-unit convention of a document, carried from note to note (下同)."""

    def __init__(self) -> None:
        self.comma_mode = False

    def read(self, text: str) -> tuple[list[str], list[str]] | None:
        """(responsible units, lead units) of the last note in ``text``, or None."""
        result = None
        for note in parse_responsibility(text):
            if "逗号前" in note.remark:
                self.comma_mode = True
            elif "第一位" in note.remark or "第一个" in note.remark:
                self.comma_mode = False
            result = (note.units, _lead_units(note, self.comma_mode))
        return result

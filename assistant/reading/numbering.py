"""The numbering markers of Chinese policy documents (附件, 第X章, 第X条, 一、, （一）, 1., （1）…).

They live in one place so that the cleanup (which must never join a line onto a heading) and
the chunker (which builds the section tree) agree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..language.text import CN_NUM, cn_to_int, nfkc

# --- numbering markers -------------------------------------------------------------------
# Rank decides nesting: a heading closes every open heading of equal or greater rank.
# 附件 > 编 > 章 > 节 > 条 > 一、 > 1 > 1.1 > （一） > 专栏 > 1. > （1）


@dataclass(frozen=True)
class Marker:
    """A numbering marker found at the start of a line."""

    kind: str  # annex | part | chapter | section | article | l1 | dec1 | dec | l2 | box | l3 | l4 | h2…h6
    rank: int
    number: int | None
    marker: str  # the marker text as it should be shown (normalised brackets)
    rest: str  # the line after the marker


#: Rank of an annex (附件N): it closes everything, whatever numbering the body used.
ANNEX_RANK = -1
ARTICLE_RANK = 3

_MARKERS: list[tuple[str, int, re.Pattern[str]]] = [
    ("part", 0, re.compile(rf"^第([{CN_NUM}\d]+)编\s*")),
    ("chapter", 1, re.compile(rf"^第([{CN_NUM}\d]+)章\s*")),
    ("section", 2, re.compile(rf"^第([{CN_NUM}\d]+)节\s*")),
    ("article", ARTICLE_RANK, re.compile(rf"^第([{CN_NUM}\d]+)条(?![款项])\s*")),
    ("l1", 4, re.compile(rf"^([{CN_NUM}]+)、\s*")),
    # Decimal numbering of plans and contingency plans: "2 组织机构" (a short heading line
    # alone), then "2.1 国家粮食应急工作指挥部".
    ("dec1", 5, re.compile(r"^([0-9０-９]{1,2})\s*(?=[\u4e00-\u9fff][^。，；：:,、]{0,14}$)")),
    ("dec", 6, re.compile(r"^([0-9０-９]{1,2}[．.][0-9０-９]{1,2})(?![0-9０-９.．%％])\s*(?=[\u4e00-\u9fff])")),
    ("l2", 7, re.compile(rf"^[（(]([{CN_NUM}]+)[）)]\s*")),
    ("box", 8, re.compile(r"^专栏\s*([0-9０-９]+)\s*[：:]?\s*")),
    # 1. but not 3.5% nor the 1.2.3 of a three-level decimal heading.
    ("l3", 9, re.compile(r"^([0-9０-９]{1,2})\s*[．.、](?![0-9０-９]+[%％]|[0-9０-９]{1,2}[.．][0-9０-９])\s*")),
    ("l4", 10, re.compile(r"^[（(]([0-9０-９]{1,2})[）)]\s*")),
]
# An annex heading stands alone: 附件, 附件2, 附件2：重点任务分工表 (a short title, no sentence).
_ANNEX = re.compile(r"^附\s*件\s*([0-9０-９]{1,2}|[一二三四五六七八九十]{1,3})?\s*(?:[：:]\s*([^。；：:]{1,40}))?$")
#: 附件1天津市…补贴资金汇总表: a numbered annex whose title follows without a colon, told from a
#: sentence that starts with 附件1 by the title's ending (a table, list or catalogue).
_ANNEX_TITLED = re.compile(r"^附\s*件\s*([0-9０-９]{1,2})\s*([^。；，,：:]{2,40}(?:表|清单|目录|名单|名录|明细))$")


def match_annex(line: str) -> Marker | None:
    """An annex heading (``附件``, ``附件2``, ``附件2：重点任务分工表``), or None."""
    m = _ANNEX.match(line.strip()) or _ANNEX_TITLED.match(line.strip())
    if not m or (m.group(2) and not m.group(1)):
        return None  # "附件：X" is the notice's list of its annexes, not an annex
    number = cn_to_int(m.group(1)) if m.group(1) else 1
    shown = f"附件{nfkc(m.group(1))}" if m.group(1) else "附件"
    return Marker("annex", ANNEX_RANK, number, shown, m.group(2) or "")


def match_marker(line: str) -> Marker | None:
    """The numbering marker a line starts with, if any (no sequence check)."""
    for kind, rank, pattern in _MARKERS:
        m = pattern.match(line)
        if not m:
            continue
        raw = m.group(1)
        if kind == "dec":  # 2.1 → 201: the next one in sequence is 2.2 (202)
            major, minor = re.split(r"[．.]", nfkc(raw))
            number: int | None = int(major) * 100 + int(minor)
        else:
            number = cn_to_int(raw)
        shown = _show_marker(kind, raw)
        return Marker(kind, rank, number, shown, line[m.end():])
    return None


def _show_marker(kind: str, raw: str) -> str:
    raw = nfkc(raw) if raw.isdigit() else raw
    return {
        "part": f"第{raw}编",
        "chapter": f"第{raw}章",
        "section": f"第{raw}节",
        "article": f"第{raw}条",
        "l1": f"{raw}、",
        "dec1": nfkc(raw),
        "dec": nfkc(raw).replace("．", "."),
        "l2": f"（{raw}）",
        "box": f"专栏{raw}：",
        "l3": f"{raw}.",
        "l4": f"（{raw}）",
    }[kind]


class Numbering:
    """Tracks the numbers seen per marker kind, so that only plausible headings count.

    A line such as ``1.5倍以上…`` that a wrap happens to start with is not a heading unless
    its number starts a list (1) or continues the one of its kind.
    """

    def __init__(self) -> None:
        self.last: dict[str, int] = {}

    def accept(self, line: str) -> Marker | None:
        """The line's marker if it fits the numbering so far; records it."""
        m = match_marker(line)
        if m is None or m.number is None:
            return None
        if m.kind in ("part", "chapter", "section", "article", "box"):
            ok = True
        else:
            first = m.number % 100 == 1 if m.kind == "dec" else m.number == 1
            ok = first or m.number == self.last.get(m.kind, 0) + 1
        if not ok:
            return None
        self.last[m.kind] = m.number
        return m

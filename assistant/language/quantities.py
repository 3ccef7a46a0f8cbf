"""Quantities as people and documents write them, and the ranges documents set.

A question says “一年基础研究投进去六七千万”, “刚好1000万”, “年销三四千辆”, “1个亿以上”; a document
grants by tiers: “1000万元（含）至5000万元（不含）/年”, “年销量3000（含）—5000辆（不含）”,
“达到或超过1亿元”, “5000辆以上”. :func:`asked_quantities` reads the first, :func:`ranges` the
second, and :func:`tier_fit` says whether a question's quantity falls in a sentence's tier.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from .text import CN_DIGITS, cn_to_int, nfkc

_MAGNITUDE = {"十": 10, "百": 100, "千": 1000, "万": 10_000, "亿": 100_000_000}
#: Units that measure money; any other unit word (辆, 人, 台, 家…) is a count of that thing.
_MONEY = ("元", "块")
#: A number: digits, or Chinese numerals, or two neighbouring numerals giving a range (六七).
_NUMBER = r"(?:\d+(?:\.\d+)?|[一二两三四五六七八九十]{1,3}|[一二三四五六七八九][二三四五六七八九])"
_QUANTITY = re.compile(
    rf"(?P<n>{_NUMBER})\s*(?:个(?=[万亿]))?(?P<mag>[十百千]?[万亿]?)\s*(?:个)?\s*(?P<unit>[万亿]?元|块|辆|台|人|户|家|套|个|项|千瓦时|千瓦|吨|亩|平方米)?")
#: The same without group names, to build the patterns of ranges from.
_Q = re.sub(r"\?P<\w+>", "", _QUANTITY.pattern)
#: A lower bound (含 or 以上, 达到或超过, 不低于…) and an upper bound (不含, 以下, 低于, 不足…).
_AT_LEAST = r"(?:达到或超过|不低于|不少于|超过|高于|大于|以上|及以上|起)"
_BELOW = r"(?:不足|低于|少于|小于|以下|不含|以内)"


@dataclass(frozen=True)
class Quantity:
    """A value and what it measures (``money`` or the unit word counted)."""

    value: float
    unit: str


@dataclass(frozen=True)
class Range:
    """Values from ``low`` to ``high`` (either may be open) of one unit."""

    low: float
    high: float
    unit: str

    def holds(self, q: Quantity) -> bool:
        """Whether ``q`` (of the same unit) lies in the range."""
        return q.unit == self.unit and self.low <= q.value < self.high


def _numeral(text: str) -> float | None:
    if re.fullmatch(r"\d+(?:\.\d+)?", text):
        return float(text)
    if len(text) == 2 and text[0] in CN_DIGITS and text[1] in CN_DIGITS and text[0] != "十":
        return (CN_DIGITS[text[0]] + CN_DIGITS[text[1]]) / 2  # 六七 → 6.5
    n = cn_to_int(text)
    return None if n is None else float(n)


def _quantity(m: re.Match, unit_hint: str = "") -> Quantity | None:
    n = _numeral(m.group("n"))
    if n is None:
        return None
    scale = 1
    for ch in m.group("mag") or "":
        scale *= _MAGNITUDE[ch]
    unit = m.group("unit") or unit_hint
    if unit and unit[0] in "万亿":
        scale *= _MAGNITUDE[unit[0]]
        unit = unit[1:]
    if not unit and not m.group("mag"):
        return None  # a bare number measures nothing known
    kind = "money" if (unit in _MONEY or not unit) else unit
    return Quantity(n * scale, kind)


def asked_quantities(question: str) -> list[Quantity]:
    """The quantities a question states about the asker (not years, not what it asks)."""
    text = nfkc(question)
    text = re.sub(r"(?:19|20)\d{2}\s*年", " ", text)
    return [q for m in _QUANTITY.finditer(text) if (q := _quantity(m))]


def ranges(sentence: str) -> list[Range]:
    """The tiers a sentence sets: ``X（含）至Y（不含）``, ``X—Y``, ``X以上``, ``不足X``…"""
    text = nfkc(sentence)
    out: list[Range] = []
    between = re.compile(rf"{_Q}\s*(?:\(含\))?\s*(?:至|-|—|–|~|到)\s*{_Q}")
    for m in between.finditer(text):
        # The unit of a tier is often written once, after its upper bound (3000—5000辆).
        left_m, *_, right_m = list(_QUANTITY.finditer(m.group(0)))
        low, high = _quantity(left_m, right_m.group("unit") or ""), _quantity(right_m)
        if low and high and low.unit == high.unit and low.value < high.value:
            out.append(Range(low.value, high.value, low.unit))
    for m in re.finditer(rf"{_AT_LEAST}\s*{_Q}|{_Q}\s*(?:\(含\))?\s*{_AT_LEAST}", text):
        q = _quantity(_QUANTITY.search(m.group(0)))
        # A bound already read as a tier's lower end is that tier; one equal to a tier's upper
        # end opens the next tier (5000万元至1亿元……1亿元以上).
        if q and not any(r.low <= q.value < r.high and r.unit == q.unit for r in out):
            out.append(Range(q.value, math.inf, q.unit))
    for m in re.finditer(rf"{_BELOW}\s*{_Q}|{_Q}\s*{_BELOW}", text):
        q = _quantity(_QUANTITY.search(m.group(0)))
        if q and not any(r.low < q.value <= r.high and r.unit == q.unit for r in out):
            out.append(Range(0.0, q.value, q.unit))
    return out


def tier_fit(question: str, sentence: str) -> int:
    """1 when a quantity the question states falls in a tier the sentence sets, -1 when the
    sentence sets tiers of that unit and none holds it, 0 when they share no unit."""
    asked = asked_quantities(question)
    if not asked:
        return 0
    tiers = ranges(sentence)
    fit = 0
    for q in asked:
        same = [r for r in tiers if r.unit == q.unit]
        if any(r.holds(q) for r in same):
            return 1
        if same:
            fit = -1
    return fit


# --- money and rates as written in a sentence, with their offsets -------------------------------

#: Full-width digits, letters and signs folded to ASCII one character for one, so that offsets
#: found in the folded text are offsets in the text as written.
_WIDTH = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}
#: A money figure: 1000万元, 0.4012元/千瓦时, 5 万元 (a PDF's spacing), 一百万元.
_MONEY_FIGURE = re.compile(
    r"(?P<n>\d+(?:,\d{3})*(?:\.\d+)?|[一二两三四五六七八九十百千]+)\s*(?P<mag>亿|万|千)?\s*元"
    r"(?:\s*(?:人民币))?(?:\s*/\s*(?P<per>[\u4e00-\u9fff]{1,4}?)(?=[，。；、,;）)（(\s]|$|的|确定|执行))?")
#: A rate: 30%, 50 ％, 1∶1 (a ratio of shares), 百分之十.
_RATE = re.compile(r"(?P<v>\d+(?:\.\d+)?)\s*[%％]|(?P<a>\d+)\s*[∶:]\s*(?P<b>\d+)(?=\s*(?:的)?比例)")


def fold_width(text: str) -> str:
    """``text`` with full-width ASCII folded, of the same length (offsets stay valid)."""
    return text.translate(_WIDTH)


@dataclass(frozen=True)
class Figure:
    """A money figure or a rate as written, where it stands, and its value (yuan, or a share)."""

    start: int
    end: int
    text: str
    value: float | None
    #: The unit a money figure is per when written after a slash (年 in 300万元/年).
    per: str = ""


def money_figures(text: str) -> list[Figure]:
    """The money figures of ``text`` with their offsets and value in yuan."""
    folded = fold_width(text)
    out = []
    for m in _MONEY_FIGURE.finditer(folded):
        n = _numeral(m.group("n").replace(",", "")) if re.fullmatch(r"[\d.,]+", m.group("n")) \
            else _cn_amount(m.group("n"))
        if n is None:
            continue
        scale = {"亿": 100_000_000, "万": 10_000, "千": 1000}.get(m.group("mag") or "", 1)
        out.append(Figure(m.start(), m.end(), text[m.start():m.end()], round(n * scale, 4),
                          m.group("per") or ""))
    return out


def rate_figures(text: str) -> list[Figure]:
    """The rates of ``text`` (30% → 0.3; a ratio 1∶1 → the first share, 0.5) with offsets."""
    folded = fold_width(text)
    out = []
    for m in _RATE.finditer(folded):
        if m.group("v") is not None:
            value = float(m.group("v")) / 100
        else:
            a, b = float(m.group("a")), float(m.group("b"))
            value = a / (a + b) if a + b else None
        out.append(Figure(m.start(), m.end(), text[m.start():m.end()], value))
    return out


def _cn_amount(text: str) -> float | None:
    """A Chinese numeral with 百 and 千 (三百, 一千五百); None for zero."""
    n = cn_to_int(text)
    return float(n) if n else None

"""Answers a person reads: the asked value first, then the sentence that states it, cited.

“1000万元。基础研究投入达到或超过1亿元/年的企业，给予一次性财政补助1000万元[1]”; a list
in the order the document gives it; each slot the documents leave open in one plain sentence
(“文件未载明补贴期限。”); a refusal that says what was not found and names the nearest clause.
"""

from __future__ import annotations

import re
from functools import lru_cache

from ..language.lexicon import DATE_END_WORDS, DATE_START_WORDS
from ..language.segment import jieba_loaded
from ..language.text import normalize
from ..types import REFUSAL_PREFIX
from . import questions as q
from .candidates import UNITS, Candidate
from .frame import CONDITION, Slot

#: What an unfilled slot is called in the sentence that says the documents do not state it.
SLOT_NAMES = {q.AMOUNT: "金额", q.RATE: "比例", q.COUNT: "数量", q.DURATION: "期限", q.DATE: "时间",
              q.WHO: "负责单位", q.QUANTITY: "具体数值", q.YESNO: "相关规定", q.LIST: "具体内容",
              CONDITION: "具体条件", q.DEFINITION: "含义", q.OTHER: "相关规定", q.PROCEDURE: "申报材料和办理方式"}
#: A full date as documents write it, the longest form first.
_DATE = re.compile(r"自[^，。；]{1,8}之日起|(?:19|20)\d{2}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日|(?:19|20)\d{2}\s*年\s*\d{1,2}\s*月|"
                   r"(?:19|20)\d{2}\s*年(?:底|末|初)?|\d{1,2}\s*月\s*\d{1,2}\s*日|\d{1,2}\s*月(?:底|末|初)")
#: Characters around a value read to tell which slot it answers.
_WINDOW = 10


def slot_name(slot: Slot) -> str:
    """How a sentence names what a slot asks (补贴期限, 金额…)."""
    if slot.attribute and slot.kind in q.NUMBER_TYPES:
        name = SLOT_NAMES.get(slot.kind, "")
        return slot.attribute if name and name in slot.attribute else f"{slot.attribute}{name}"
    return SLOT_NAMES.get(slot.kind, "相关规定")


def value_of(slot: Slot, cand: Candidate) -> str | None:
    """The asked value as the candidate states it (1000万元, 50%, 2025年8月1日, the lead
    unit…), the one nearest the words of the slot; None for slots that ask no value."""
    if slot.kind == q.WHO:
        if cand.kind != UNITS or not cand.clause.responsible_units:
            return None
        lead, units = cand.clause.lead_units, cand.clause.responsible_units
        if lead:
            return f"牵头单位是{'、'.join(lead)}，责任单位为{'、'.join(units)}"
        return f"责任单位为{'、'.join(units)}"
    if slot.kind not in q.VALUE_TYPES:
        return None
    text = cand.text
    kinds = [q.AMOUNT, q.RATE, q.COUNT, q.DURATION] if slot.kind == q.QUANTITY else [slot.kind]
    found: list[re.Match] = []
    if slot.kind == q.DURATION and q.asks_frequency(slot.phrase):
        # How often (多久评估一次) is said by a period stated as a frequency (每两年, 每季度).
        found = list(q.FREQUENCY_VALUE.finditer(text))
        kinds = []
    for kind in kinds:
        pattern = _DATE if kind == q.DATE else q.value_pattern(kind)
        found += [m for m in pattern.finditer(text) if _a_value(kind, m, text)
                  and not (kind == q.RATE and slot.kind == q.QUANTITY and _share(text, m.start()))]
    if slot.unit:
        # Asked in a unit (多少岁): figures in other units (5个工作日) are other numbers.
        found = [m for m in found if q.in_unit(m.group(0), slot.unit)]
    # A figure in digits is the value; a Chinese numeral in a word (一次性, 一轮) seldom is.
    found = [m for m in found if re.search(r"\d", m.group(0))] or found
    if not found:
        return None
    return _nearest(slot, text, found).group(0).strip()


def _a_value(kind: str, m: re.Match, text: str) -> bool:
    """Whether a match of a value pattern is a value of ``kind`` (2025年 is no duration;
    一次 in 一次性 no count; 第二十一条 is an article, 1天 in 附件1天津市 no period, (万元) a
    column's unit)."""
    value = m.group(0).strip()
    if not value or not (re.search(r"[0-9０-９零一二两三四五六七八九半]", value) or value.endswith("之日起")):
        return False
    if re.match(r"一(?:批|些|系列|大批|揽子)", value):
        return False  # a vague quantity states no number
    if text[max(0, m.start() - 1):m.start()] == "第":
        return False
    if kind != q.DATE and not _word_bounded(text, m.start(), m.end()):
        return False
    if kind == q.DURATION and not re.search(r"[0-9零一二两三四五六七八九十百半]\s*(?:个)?(?:年|月|周|日|天|小时|工作日|自然日)", value):
        return False  # 一次性, 每年: how often, not how long
    if kind == q.DURATION and (re.fullmatch(r"(?:19|20)\d{2}\s*年.*", value)
                               or text[max(0, m.start() - 1):m.start()] in ("年", "月")
                               or re.match(r"\s*\d{1,2}\s*日", text[m.end():])):
        return False  # a year, a month or a day of a date (2025年6月1日起) is no period
    return text[m.end():m.end() + 1] != "性"


def _share(text: str, at: int) -> bool:
    """Whether the rate at ``at`` is a share of something (增加值占GDP比重提升至7.5%): a
    question asking the thing's size, not its share, is not answered by it."""
    part = re.split(r"[，。；,;]", text[:at])[-1]
    return bool(re.search(r"占[^，。；]{0,20}(?:比重|比例|份额|比)", part))


def _word_bounded(text: str, start: int, end: int) -> bool:
    """Whether ``text[start:end]`` ends where a word of the text ends (not inside 天津市)."""
    return not any(at < end < stop and at >= start for at, stop in _words_at(text))


@lru_cache(maxsize=4096)
def _words_at(text: str) -> tuple[tuple[int, int], ...]:
    """(start, end) of each word of ``text`` as jieba cuts it: a sentence is cut once however
    many of its values are checked, question after question."""
    out, at = [], 0
    for word in jieba_loaded().lcut(text):
        out.append((at, at + len(word)))
        at += len(word)
    return tuple(out)


def _nearest(slot: Slot, text: str, found: list[re.Match]) -> re.Match:
    """Of the values stated, the one whose surroundings speak of what the slot asks: its
    attribute or the words of its phrase (a start date beside 起施行, an end beside 有效期至)."""
    phrase = normalize(slot.phrase)
    # The characters of what is asked: the thing a number is asked of and the phrase's own
    # words (公示几天 → 公示; 享受生活补贴的有多少人 → 生活补贴 beside 3.34万人).
    words = [w for w in re.split(r"多少|几|什么|哪|何|吗|呢|是|的|要|能|可以|最多|最高", phrase) if w]
    wanted = set(normalize(slot.attribute or "")) | set("".join(words))
    start = any(w in phrase for w in DATE_START_WORDS)
    end = any(w in phrase for w in DATE_END_WORDS)
    # The phrase's words (烘干机, 单机, 限额): the value whose own part of the sentence (between
    # its commas and semicolons) holds most of them is the one asked (烘干机…12万元 over
    # 拖拉机…25万元, which shares the other words).
    terms = {w for w in jieba_loaded().lcut(phrase) if len(w) >= 2}

    def score(m: re.Match) -> tuple[int, float, int]:
        part_start = max(text.rfind(p, 0, m.start()) for p in "；;。，,\n") + 1
        ends = [i for i in (text.find(p, m.end()) for p in "；;。，,\n") if i >= 0]
        part = normalize(text[part_start:min(ends, default=len(text))])
        hits = sum(1 for w in terms if w in part)
        before = normalize(text[max(0, m.start() - _WINDOW):m.start()])
        after = normalize(text[m.end():m.end() + _WINDOW])
        # The asked thing is named just before its value (响应电量1522.41万千瓦时): the
        # nearer before, the better; after it counts for less.
        # Every character of the asked thing counts, the nearer the more (有效响应用户37户
        # over 响应用户106户 for 有效响应的用户).
        s = 0.0
        if wanted:
            s = sum(1 / (1 + i) for i, ch in enumerate(reversed(before)) if ch in wanted)
            s += sum(0.1 / (1 + i) for i, ch in enumerate(after) if ch in wanted)
        if start and any(w in after for w in DATE_START_WORDS):
            s += 1
        if end and any(w in before for w in DATE_END_WORDS):
            s += 1
        return hits, s, -m.start()

    return max(found, key=score)


def refusal_text(subject: str | None, missing_place: str | None, nearest: str | None,
                 what: str | None = None) -> str:
    """The refusal's words: what was not found, where it was looked for, the nearest clause."""
    if missing_place:
        text = f"{REFUSAL_PREFIX}{missing_place}的相关文件，无法回答这个问题。"
    elif subject:
        # “天津的规定” alone would read as if the place had none: say what was not found.
        text = f"{REFUSAL_PREFIX}{subject}关于{what or '这个问题'}的规定。"
    else:
        text = f"{REFUSAL_PREFIX}能回答这个问题的内容。"
    if nearest:
        text += f"最接近的条款是{nearest}，但它没有写明所问的内容。"
    return text

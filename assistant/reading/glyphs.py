"""Repair of the text layer of PDF files: radical glyphs and the spaces an extractor inserts.

CJK fonts draw 工 and the Kangxi radical ⼯ (U+2F2F), or 民 and the radical supplement glyph ⺠
(U+2EA0), with one and the same glyph. A PDF maps glyphs back to characters with one table per
font, so when a producer (Chromium's print-to-PDF, Word, WPS) lists the radical's code point
for that shared glyph, every 工 in the document extracts as ⼯: the text looks right on screen
but 一、 headings, 12月 dates and titles no longer match anything. :func:`repair_pdf_text` maps
those code points back to the ideographs a reader sees.

Extractors also place a space wherever the glyphs on the page are spaced apart, so numbers,
brackets and units come out as ``国发〔 2018 〕 42 号`` or ``1 2 月``. Chinese typesetting puts
no spaces there, so they are removed; spaces between Latin words and in ASCII expressions such
as ``AI +`` stay.
"""

from __future__ import annotations

import re
import unicodedata

# CJK Radicals Supplement (U+2E80–U+2EFF) has no compatibility decomposition, so NFKC leaves
# it alone. Each glyph below maps to the unified ideograph (or component ideograph) that fonts
# draw with the same shape: whole characters (⺠ 民, ⻅ 见) and the side forms (⺅ 亻, ⻖ 阝).
RADICAL_SUPPLEMENT: dict[str, str] = {
    "⺁": "厂", "⺂": "乛", "⺃": "乚", "⺅": "亻", "⺆": "冂", "⺉": "刂", "⺊": "卜",
    "⺋": "㔾", "⺎": "兀", "⺏": "尣", "⺐": "尢", "⺒": "巳", "⺓": "幺", "⺔": "彑",
    "⺕": "彐", "⺖": "忄", "⺗": "㣺", "⺘": "扌", "⺙": "攵", "⺛": "旡", "⺜": "日",
    "⺝": "月", "⺞": "歺", "⺟": "母", "⺠": "民", "⺡": "氵", "⺢": "氺", "⺣": "灬",
    "⺤": "爫", "⺦": "丬", "⺨": "犭", "⺩": "王", "⺫": "罒", "⺬": "示", "⺭": "礻",
    "⺯": "糸", "⺰": "纟", "⺱": "罓", "⺲": "罒", "⺳": "㓁", "⺹": "耂", "⺺": "肀",
    "⺻": "聿", "⺼": "月", "⺽": "臼", "⺾": "艹", "⺿": "艹", "⻀": "艹", "⻁": "虎",
    "⻂": "衤", "⻃": "覀", "⻄": "西", "⻅": "见", "⻆": "角", "⻈": "讠", "⻉": "贝",
    "⻋": "车", "⻌": "辶", "⻍": "辶", "⻎": "辶", "⻏": "阝", "⻐": "钅", "⻑": "長",
    "⻒": "镸", "⻓": "长", "⻔": "门", "⻖": "阝", "⻘": "青", "⻙": "韦", "⻚": "页",
    "⻛": "风", "⻜": "飞", "⻝": "食", "⻟": "飠", "⻠": "饣", "⻢": "马", "⻣": "骨",
    "⻤": "鬼", "⻥": "鱼", "⻦": "鸟", "⻧": "卤", "⻨": "麦", "⻩": "黄", "⻪": "黾",
    "⻫": "斉", "⻬": "齐", "⻭": "歯", "⻮": "齿", "⻯": "竜", "⻰": "龙", "⻱": "龜",
    "⻲": "亀", "⻳": "龟",
}

# Supplement glyphs whose shape is a fragment no BMP ideograph draws alike (the bamboo top ⺮,
# the sheep top ⺶, the rain top ⻗ …): they stay as they are rather than become a guess.
UNMAPPED_SUPPLEMENT = frozenset("⺀⺄⺇⺈⺌⺍⺑⺥⺧⺪⺮⺴⺵⺶⺷⺸⻇⻊⻕⻗⻞⻡")


def _radical_table() -> dict[int, str]:
    table = {ord(k): v for k, v in RADICAL_SUPPLEMENT.items()}
    # Kangxi radicals (U+2F00–U+2FD5) and CJK compatibility ideographs decompose to the
    # unified ideographs under NFKC; only these characters are normalised, so full-width
    # digits, brackets and letters elsewhere in the text keep their form.
    for start, stop in ((0x2F00, 0x2FE0), (0xF900, 0xFB00), (0x2F800, 0x2FA20)):
        for cp in range(start, stop):
            ch = chr(cp)
            folded = unicodedata.normalize("NFKC", ch)
            if folded != ch and len(folded) == 1:
                table[cp] = folded
    return table


_RADICALS = _radical_table()
# NFKC gives the Kangxi form 靑, which no Chinese text uses; readers see 青.
_RADICALS[0x2FAD] = "青"
# The door radical ⼾ is drawn as 户 by simplified-Chinese fonts and as 戶 by traditional ones.
_SIMPLIFIED = {0x2F3E: "户"}


def map_radicals(text: str) -> str:
    """Replace Kangxi radicals, radical-supplement glyphs and compatibility ideographs.

    ``⼯业`` → ``工业``, ``⼈⺠`` → ``人民``, ``意⻅`` → ``意见``, ``12⽉`` → ``12月``.
    """
    mapped = text.translate(_RADICALS)
    if "\u2f3e" in text and not _is_traditional(mapped):
        mapped = text.translate({**_RADICALS, **_SIMPLIFIED})
    return mapped


def _is_traditional(text: str) -> bool:
    """True when more ideographs exist only in Big5 (traditional) than only in GB2312."""
    simplified = traditional = 0
    for ch in set(text):
        if not ("\u4e00" <= ch <= "\u9fff"):
            continue
        in_gb, in_big5 = _encodable(ch, "gb2312"), _encodable(ch, "cp950")
        simplified += in_gb and not in_big5
        traditional += in_big5 and not in_gb
    return traditional > simplified


def _encodable(ch: str, codec: str) -> bool:
    try:
        ch.encode(codec)
    except UnicodeEncodeError:
        return False
    return True


def radical_share(text: str) -> float:
    """Share of the CJK characters of ``text`` that are radical or compatibility glyphs."""
    cjk = [ch for ch in text if _is_han_like(ch)]
    if not cjk:
        return 0.0
    return sum(ord(ch) in _RADICALS or "\u2e80" <= ch <= "\u2fdf" for ch in cjk) / len(cjk)


def _is_han_like(ch: str) -> bool:
    return (
        "\u4e00" <= ch <= "\u9fff"
        or "\u3400" <= ch <= "\u4dbf"
        or "\u2e80" <= ch <= "\u2fdf"
        or "\uf900" <= ch <= "\ufaff"
    )


# --- spaces -------------------------------------------------------------------------------------

_HAN = r"\u3400-\u4dbf\u4e00-\u9fff"
# Full-width brackets and Chinese punctuation never take a space on either side. Curly quotes,
# dashes and ellipses are shared with English typography, so spaces around them stay here.
_CN_PUNCT = "〔〕（）《》【】〈〉「」『』，。、；：！？"
_SPACE = r"[ \u00a0\u3000]+"
_AROUND_PUNCT = re.compile(rf"{_SPACE}(?=[{_CN_PUNCT}])|(?<=[{_CN_PUNCT}]){_SPACE}")
# Characters that are bound to the number before them: dates, 文号, articles, counters, units.
_UNITS = "年月日时分秒号条款项章节编个万亿千百元件家次名位倍届期批类种座台套吨亩岁周天%‰"
# ``2018 年``, ``42 号``, ``15 %``, and ``到 2025年``, ``第 3条`` before such a number. Other
# spaces next to digits or between ideographs may separate table cells (``序号 1 2 3``), so
# they are left to the paragraph cleanup.
_NUMBER_UNIT = re.compile(rf"(?<=[0-9０-９]){_SPACE}(?=[{_UNITS}])")
_HAN_NUMBER = re.compile(rf"(?<=[{_HAN}]){_SPACE}(?=[0-9０-９][0-9０-９.]*[{_UNITS}])")
# A number split into pieces of one or two digits (``1 2 月``, ``20 18 年``) followed by an
# ideograph; longer pieces (``2023 2024``) are separate numbers, as in table columns.
_SPLIT_NUMBER = re.compile(rf"(?<![0-9.])[0-9]{{1,2}}(?: [0-9]{{1,2}})+(?= ?[{_HAN}%])")
# ``1 . 5 倍``: a decimal point set apart inside a number followed by an ideograph.
_SPLIT_DECIMAL = re.compile(rf"(?<=[0-9]) \. ?(?=[0-9]+ ?[{_HAN}%])")


def _letter_spaced(line: str) -> bool:
    """A line set with letter spacing extracts with a space after every character.

    Ideographs must be among the single characters, so a table row of numbers (``1 2 3 4``)
    is not taken for one.
    """
    tokens = line.split()
    singles = [t for t in tokens if len(t) == 1]
    ideographs = sum(bool(re.match(f"[{_HAN}]", t)) for t in singles)
    return len(tokens) >= 4 and len(singles) >= 0.8 * len(tokens) and ideographs >= 2


def _close_letter_spacing(line: str) -> str:
    # Letter spacing turns each real space into two or more; those stay as one space.
    return re.sub(r" {2,}| ", lambda m: " " if len(m.group(0)) > 1 else "", line.strip())


def remove_extraction_spaces(text: str) -> str:
    """Remove the spaces a PDF extractor put inside Chinese numbers, dates and brackets.

    ``国发〔 2018 〕 42 号`` → ``国发〔2018〕42号``, ``1 2 月`` → ``12月``; a letter-spaced line
    (``2 0 1 8 年 1 2 月``) is closed up. Spaces between Latin words, in ASCII expressions
    (``AI +``, ``5G-A``) and between whole numbers stay.
    """
    lines = []
    for line in text.split("\n"):
        if _letter_spaced(line):
            line = _close_letter_spacing(line)
        line = _SPLIT_NUMBER.sub(lambda m: m.group(0).replace(" ", ""), line)
        line = _SPLIT_DECIMAL.sub(".", line)
        line = _AROUND_PUNCT.sub("", line)
        line = _NUMBER_UNIT.sub("", line)
        line = _HAN_NUMBER.sub("", line)
        lines.append(line)
    return "\n".join(lines)


def repair_pdf_text(text: str) -> str:
    """The text layer of a PDF as a reader sees it: radical glyphs mapped, spurious spaces gone."""
    return remove_extraction_spaces(map_radicals(text))

"""Text helpers every stage shares: the matching form of a text, widths, Chinese numerals,
sentences."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

CN_NUM = "一二三四五六七八九十百零〇两"
#: The values of the Chinese digits.
CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5,
             "六": 6, "七": 7, "八": 8, "九": 9}


@lru_cache(maxsize=1)
def _tables() -> tuple[list, re.Pattern]:
    """For :func:`normalize`: a str.translate table giving each character of the Basic
    Multilingual Plane its matching form (its NFKC form without punctuation, symbols and
    spaces: ２ → 2, ㎡ → m2, 〔 → nothing), and the characters whose form depends on their
    neighbours (combining marks, which NFKC composes with the character before) or lie beyond
    the plane. Built once, in about 50 ms."""
    table: list = []
    special = ["\U00010000-\U0010FFFF"]
    for code in range(0x10000):
        ch = chr(code)
        if 0xD800 <= code <= 0xDFFF:
            table.append(code)
            continue
        form = unicodedata.normalize("NFKC", ch)
        if any(unicodedata.category(c)[0] == "M" for c in form) or unicodedata.combining(ch):
            special.append(re.escape(ch))
        kept = "".join(c for c in form if unicodedata.category(c)[0] not in "PSZ" and not c.isspace())
        table.append(code if kept == ch else (kept or None))
    return table, re.compile(f"[{''.join(special)}]")


def _normalized(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    return "".join(ch for ch in text if unicodedata.category(ch)[0] not in "PSZ" and not ch.isspace())


@lru_cache(maxsize=16384)
def normalize(text: str) -> str:
    """Matching form of a text: NFKC, then no whitespace, punctuation or symbols.

    ``遂政办发〔2024〕11号`` and ``遂政办发[2024]11号`` normalise alike, as do ``２０２４``
    and ``2024``. Used everywhere facts or evidence are matched against text, clause texts
    question after question, so it is a table lookup per character and results are kept.
    """
    table, special = _tables()
    if special.search(text):
        return _normalized(text)  # a combining mark or a character beyond the plane
    return text.translate(table)


def normalize_question(question: str) -> str:
    """The question in lower case with full-width ASCII folded (the form question patterns expect)."""
    return unicodedata.normalize("NFKC", question).strip().lower()


def nfkc(text: str) -> str:
    """NFKC form (full-width digits and letters become ASCII) used for indexing."""
    return unicodedata.normalize("NFKC", text)


def display_width(text: str) -> int:
    """Columns a line takes on the page: wide (CJK, full-width) characters count two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def is_cjk(ch: str) -> bool:
    """True for a CJK ideograph."""
    return "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf"


_CN_UNIT = {"十": 10, "百": 100, "千": 1000}


def cn_to_int(s: str) -> int | None:
    """Value of a Chinese numeral up to the thousands (``十二`` → 12, ``二十`` → 20,
    ``一千五百`` → 1500)."""
    if not s:
        return None
    if s.isdigit():
        return int(nfkc(s))
    total, current = 0, 0
    for ch in s:
        if ch in CN_DIGITS:
            current = CN_DIGITS[ch]
        elif ch in _CN_UNIT:
            total += (current or 1) * _CN_UNIT[ch]
            current = 0
        else:
            return None
    return total + current


SENTENCE_END = "。！？；!?;"
# ASCII ! ? ; end a sentence only before a space or the end: inside a token (<!channel>, a
# URL) they do not.
_SENT_RE = re.compile(r"(?:[^。！？；!?;]|[!?;](?=\S))*(?:(?:[。！？；]|[!?;](?=\s|$))+[”’」』）)]*|$)")


def split_sentences(text: str) -> list[str]:
    """Split Chinese text after 。！？； keeping the punctuation and any closing quote."""
    parts = [p for p in _SENT_RE.findall(text) if p.strip()]
    return parts or ([text] if text.strip() else [])


def book_title(title: str) -> str:
    """A title between 《》 as it is printed. A title that already holds 《》 (a plan named in
    its drafting notes) gets the inner marks as 〈〉, the way nested titles are written, never
    《《…》…》; one already wrapped whole is left as it is."""
    t = title.strip()
    if t.startswith("《") and t.endswith("》") and t.count("《") == 1:
        t = t[1:-1]
    return "《" + t.replace("《", "〈").replace("》", "〉") + "》"

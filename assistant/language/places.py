"""Places: the names a text gives them, their stems and their pinyin aliases."""

from __future__ import annotations

import re

from .lexicon import GENERIC_PLACES, PLACE_SUFFIXES, PROVINCES, alternation
from .segment import place_names

_SUFFIX = re.compile(alternation(PLACE_SUFFIXES) + "$")
#: 新疆维吾尔自治区 → 新疆: a province's full name may hold more than a suffix.
_PROVINCE_STEMS = {full: short for short, full in PROVINCES.items()}


def place_stem(place: str) -> str:
    """A place without its administrative suffix (成都市 → 成都, 浙江省 → 浙江, 广西壮族自治区
    → 广西)."""
    if place in _PROVINCE_STEMS:
        return _PROVINCE_STEMS[place]
    stem = _SUFFIX.sub("", place)
    return stem if len(stem) >= 2 else place


def places(question: str) -> list[str]:
    """The places a question names (stems, in order, no duplicates, no generic words)."""
    out: list[str] = []
    for word in place_names(question):
        if word in GENERIC_PLACES:
            continue
        stem = place_stem(word)
        if stem in GENERIC_PLACES or stem in out:
            continue
        out.append(stem)
    # 成都市 and 成都 are one place; 浙江 and 浙江省杭州 are two (the narrower decides later).
    return out


def place_words(text: str) -> list[str]:
    """The place names of a text as written (杭州市), generic words left out."""
    return [w for w in place_names(text) if w not in GENERIC_PLACES]


def aliases_of(names: set[str]) -> dict[str, str]:
    """pinyin → Chinese name for place names (their 省/市/县 suffix dropped)."""
    from pypinyin import lazy_pinyin

    aliases = {}
    for name in names:
        stem = _PROVINCE_STEMS.get(name) or _SUFFIX.sub("", name)
        if len(stem) >= 2:
            aliases["".join(lazy_pinyin(stem)).lower()] = stem
    return aliases

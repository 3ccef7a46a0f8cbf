"""Libraries N times the bundled corpus, for the library-scale benchmark (``evals/bench.py``).

Copy ``k`` of a document names other places and states other figures: every place of the
corpus (a word jieba tags as a place whose stem, with an administrative suffix, is itself a
place in jieba's dictionary: 遂昌 → 遂昌县, 浙江 → 浙江省) is replaced by a county or city name
of jieba's dictionary that the corpus and the gold questions never name, and every number
that is not a date or part of the numbering is raised by ``k``. Titles and file names differ, so each copy is a
document of its own. The same ``N`` always gives the same files.
"""

from __future__ import annotations

import os
import re
from functools import cache
from pathlib import Path

_NUMBER = re.compile(r"(?<![\d.])\d+(?:\.\d+)?")
_SUFFIXES = ("县", "市", "省")


@cache
def _dictionary_places() -> tuple[str, ...]:
    """County, city and province names of jieba's dictionary, most frequent first."""
    import jieba

    words = []
    with open(os.path.join(os.path.dirname(jieba.__file__), "dict.txt"), encoding="utf-8") as f:
        for line in f:
            parts = line.split()
            if len(parts) == 3 and parts[2] == "ns" and re.fullmatch(r"[\u4e00-\u9fff]{2,3}[县市省]", parts[0]):
                words.append((-int(parts[1]), parts[0]))
    return tuple(w for _, w in sorted(words))


def corpus_places(texts: list[str]) -> list[str]:
    """The place stems the texts name, most mentioned first (遂昌, 浙江, 成都…)."""
    from collections import Counter

    from assistant.language.lexicon import GENERIC_PLACES
    from assistant.language.places import place_stem
    from assistant.language.segment import place_names

    known = set(_dictionary_places())
    counts: Counter[str] = Counter()
    for text in texts:
        for word in place_names(text):
            stem = place_stem(word)
            if word not in GENERIC_PLACES and any(stem + s in known for s in _SUFFIXES):
                counts[stem] += 1
    return [p for p, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]


def replacement_pool(avoid: str) -> list[str]:
    """County and city names (石首市) whose stem ``avoid`` (the corpus and questions) never names."""
    from assistant.language.places import place_stem

    out: dict[str, str] = {}
    for word in _dictionary_places():
        stem = place_stem(word)
        if word[-1] in "县市" and stem != word and "自治" not in stem and stem not in avoid:
            out.setdefault(stem, word)
    return list(out.values())


def variant(text: str, mapping: dict[str, str], shift: int) -> str:
    """``text`` with its places replaced and its figures raised by ``shift``.

    ``mapping`` takes a place stem to a full name (浙江 → 石首市): the stem with a suffix
    (浙江省) becomes the full name, the bare stem the new stem (浙江经济 → 石首经济).
    """
    from assistant.language.places import place_stem

    if mapping:
        stems = sorted(mapping, key=len, reverse=True)
        pattern = re.compile(f"({'|'.join(map(re.escape, stems))})([省市县]?)")
        text = pattern.sub(lambda m: mapping[m.group(1)] if m.group(2)
                           else place_stem(mapping[m.group(1)]), text)

    def raise_number(m: re.Match) -> str:
        number = m.group(0)
        if _keeps(m):
            return number
        whole, _, frac = number.partition(".")
        return str(int(whole) + shift) + ("." + frac if frac else "")

    return _NUMBER.sub(raise_number, text)


def _keeps(m: re.Match) -> bool:
    """Whether a number is kept as is: a year, a month or day, or part of the numbering
    (1. / 1.1 at a line's start, （1）, 第1条, 附件1, 专栏1), which gives the clauses."""
    text, start, end = m.string, m.start(), m.end()
    line_start = text.rfind("\n", 0, start) + 1
    return bool(
        re.fullmatch(r"(19|20)\d\d", m.group(0))
        or text[end:end + 1] in ("月", "日")
        or not text[line_start:start].strip()
        or (text[start - 1:start] in ("（", "(") and text[end:end + 1] in ("）", ")"))
        or text[max(0, start - 2):start].endswith(("第", "附件", "专栏"))
    )


def build_library(corpus: Path, scale: int, out: Path, questions: list[str] | None = None) -> list[Path]:
    """Write ``scale`` × the corpus into ``out``: the originals and ``scale - 1`` copies of each.

    Returns the files written. ``questions`` (the gold questions) are kept from naming a copy's
    places, so a question about 遂昌 still has exactly the original 遂昌 document.
    """
    from assistant.reading.parsing import parse_file

    originals = sorted(p for p in corpus.iterdir() if p.suffix in (".txt", ".md"))
    texts = [p.read_text(encoding="utf-8") for p in originals]
    places = corpus_places(texts)
    # A title that names no place (关于加快培育未来产业的实施意见) gets its document's main
    # place in front, so that each copy's title is its own.
    titles = [parse_file(p).meta.title for p in originals]
    own = [next((pl for pl in corpus_places([t]) if pl in places), None) or corpus_places([t])[0]
           for t in texts]
    texts = [t if any(pl in title for pl in places) or title not in t
             else t.replace(title, place + title, 1)
             for t, title, place in zip(texts, titles, own, strict=True)]
    pool = replacement_pool("".join(texts) + "".join(questions or []))
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for path in originals:
        target = out / path.name
        target.write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
        written.append(target)
    for k in range(1, scale):
        mapping = {p: pool[((k - 1) * len(places) + j) % len(pool)] for j, p in enumerate(places)}
        for path, text in zip(originals, texts, strict=True):
            target = out / f"{path.stem}-copy{k:03d}{path.suffix}"
            target.write_text(variant(text, mapping, k), encoding="utf-8")
            written.append(target)
    return written

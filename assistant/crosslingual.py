"""English questions about Chinese documents: add the Chinese terms they refer to.

The bundled embedding model is multilingual but weak across languages, and BM25 cannot match
English words against Chinese text. An English question is therefore expanded with the Chinese
terms of a glossary of policy vocabulary and with the Chinese names of places whose pinyin it
mentions (the places are read from the indexed documents, so new documents bring theirs).
"""

from __future__ import annotations

import re

from .types import Clause

# Common vocabulary of Chinese policy documents (English phrase → Chinese terms).
GLOSSARY: dict[str, str] = {
    "document number": "文号", "issued": "印发", "issuer": "发文机关", "dated": "日期 印发",
    "drafted": "起草", "draft": "征求意见稿 草案", "drafting notes": "起草说明",
    "department": "部门 单位", "responsible": "责任单位 负责", "lead": "牵头", "in charge": "负责 牵头",
    "target": "目标", "targets": "目标", "goal": "目标", "goals": "目标", "vision": "愿景",
    "future industries": "未来产业", "future industry": "未来产业", "future-industry": "未来产业",
    "pilot zone": "先导区", "pilot zones": "先导区", "leading zone": "先导区",
    "talent": "人才", "talents": "人才", "teams": "团队", "team": "团队",
    "enterprise": "企业", "enterprises": "企业", "company": "企业", "companies": "企业",
    "fund": "基金", "funds": "基金", "angel": "天使", "investment": "投资", "finance": "金融",
    "subsidy": "补贴 补助", "reward": "奖励", "tax": "税收", "land": "用地",
    "platform": "平台", "platforms": "平台", "incubator": "孵化器", "incubation": "孵化",
    "innovation": "创新", "technology": "技术 科技", "technologies": "技术", "frontier": "前沿",
    "breakthrough": "突破", "breakthroughs": "突破", "research": "研发 研究",
    "application scenario": "应用场景 场景", "application scenarios": "应用场景 场景", "scenario": "场景",
    "scenarios": "场景", "low-altitude economy": "低空经济", "low altitude": "低空经济",
    "humanoid robot": "人形机器人", "humanoid robots": "人形机器人", "embodied": "具身智能",
    "artificial intelligence": "人工智能", "ai": "人工智能 AI", "metaverse": "元宇宙",
    "hydrogen": "氢能", "energy storage": "储能", "quantum": "量子", "brain-computer": "脑机接口",
    "biomanufacturing": "生物制造", "synthetic biology": "合成生物", "new materials": "新材料",
    "semiconductor": "半导体", "satellite": "卫星", "commercial space": "商业航天", "6g": "6G",
    "cross-disciplinary": "交叉融合", "new tracks": "新赛道", "track": "赛道", "tracks": "赛道",
    "key tasks": "重点任务 主要任务", "measures": "措施 举措", "safeguard": "保障措施",
    "opinions": "意见 实施意见", "opinion": "意见 实施意见", "action plan": "行动计划 行动方案",
    "plan": "计划 方案", "spark": "星火", "county": "县", "city": "市", "province": "省",
    "manufacturing": "制造业", "champion": "单项冠军", "industrial output": "规上工业增加值",
    "value added": "增加值", "named": "", "which": "", "what": "",
}

_LATIN_WORD = re.compile(r"[a-z][a-z\-]+")


def is_mostly_english(text: str) -> bool:
    """True when Latin letters outnumber Chinese characters."""
    latin = len(re.findall(r"[A-Za-z]", text))
    cjk = len(re.findall(r"[\u4e00-\u9fff]", text))
    return latin > 2 * cjk and latin >= 8


def place_aliases(clauses: list[Clause]) -> dict[str, str]:
    """pinyin (e.g. ``hangzhou``) → Chinese place name, for places the documents name."""
    from .retrieval import place_names

    names: set[str] = set()
    for c in clauses:
        if c.meta and c.meta.region:
            names.add(c.meta.region)
        for heading in c.section_path:
            names.update(place_names(heading))
    return aliases_of(names)


def aliases_of(names: set[str]) -> dict[str, str]:
    """pinyin → Chinese name for place names (their 省/市/县 suffix dropped)."""
    from pypinyin import lazy_pinyin

    aliases = {}
    for name in names:
        stem = re.sub(r"(省|市|县|区|自治区)$", "", name)
        if len(stem) >= 2:
            aliases["".join(lazy_pinyin(stem)).lower()] = stem
    return aliases


def expand(question: str, aliases: dict[str, str]) -> str:
    """The question followed by the Chinese terms it refers to (unchanged if not English)."""
    if not is_mostly_english(question):
        return question
    low = question.lower()
    # A year is written 2030年 in the documents (“by 2030”, “in 2028”).
    terms: list[str] = [f"{y}年" for y in re.findall(r"\b((?:19|20)\d{2})\b", low)]
    for phrase in sorted(GLOSSARY, key=len, reverse=True):
        if GLOSSARY[phrase] and re.search(rf"(?<![a-z]){re.escape(phrase)}(?![a-z])", low):
            terms.append(GLOSSARY[phrase])
            low = low.replace(phrase, " ")
    for word in _LATIN_WORD.findall(question.lower()):
        word = word.replace("-", "")
        for key in (word, word.removesuffix("s")):
            if key in aliases:
                terms.append(aliases[key])
                break
    return f"{question}（{' '.join(dict.fromkeys(terms))}）" if terms else question

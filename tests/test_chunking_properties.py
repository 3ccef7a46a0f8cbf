"""Properties of the chunker over generated documents: nothing lost, nothing repeated, ids unique."""

from __future__ import annotations

from helpers import assert_text_kept_once
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assistant.reading.chunking import chunk_document
from assistant.reading.metadata import extract_meta
from assistant.reading.tables import render_table
from assistant.types import PolicyDocument

CN = "一二三四五六七八九十"
_words = st.sampled_from(["推进", "数字经济", "产业", "发展", "建设", "平台", "完善", "机制", "支持",
                          "企业", "创新", "人才", "资金", "补贴", "30万元", "10%", "2027年", "（试点）",
                          "《规划》", "5G-A", "1.5倍"])
_punct = st.sampled_from(["。", "；", "，", "！", "。", ""])


@st.composite
def sentences(draw, max_words: int = 40) -> str:
    words = draw(st.lists(_words, min_size=1, max_size=max_words))
    return "".join(words) + draw(_punct)


@st.composite
def paragraphs(draw) -> str:
    return "".join(draw(st.lists(sentences(), min_size=1, max_size=12)))


@st.composite
def documents(draw) -> PolicyDocument:
    """A document mixing the numbering families, tables, annexes and repeated clauses."""
    lines: list[str] = ["示范市关于推进产业发展的实施意见"]
    kinds: list[str] = ["p"]

    def add(text: str, kind: str = "p") -> None:
        lines.append(text)
        kinds.append(kind)

    for _ in range(draw(st.integers(0, 2))):
        add(draw(paragraphs()))
    style = draw(st.sampled_from(["opinion", "regulation"]))
    for top in range(draw(st.integers(1, 4))):
        if style == "regulation":
            add(f"第{CN[top]}章 总则")
            for art in range(draw(st.integers(1, 3))):
                add(f"第{CN[art]}条 {draw(paragraphs())}")
                for item in range(draw(st.integers(0, 3))):
                    add(f"（{CN[item]}）{draw(sentences())}")
        else:
            add(f"{CN[top]}、{draw(sentences(6))}")
            for sub in range(draw(st.integers(0, 3))):
                add(f"（{CN[sub]}）{draw(paragraphs())}")
                if draw(st.booleans()):
                    add(draw(paragraphs()))  # a repeated or continuing paragraph
        if draw(st.booleans()):
            grid = [["序号", "任务", "牵头单位"]] + [[str(r + 1), draw(sentences(5)), "市发改委"]
                                                 for r in range(draw(st.integers(1, 3)))]
            for text, kind in render_table(grid, 1):
                add(text, kind)
    if draw(st.booleans()):
        add("附件1")
        add("重点任务清单")
        add(f"一、{draw(sentences(5))}")
        add(draw(paragraphs()))
    if draw(st.booleans()):  # a clause written twice
        add(lines[-1], kinds[-1])
    meta = extract_meta(lines, "generated")
    return PolicyDocument(meta=meta, paragraphs=lines, kinds=kinds)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(doc=documents(), max_chars=st.sampled_from([80, 150, 300, 600]))
def test_every_character_lands_in_exactly_one_clause(doc, max_chars):
    clauses = chunk_document(doc, max_chars=max_chars)
    assert_text_kept_once(doc, clauses)
    assert len({c.chunk_id for c in clauses}) == len(clauses)
    assert all(len(c.text) <= max_chars * 2 for c in clauses if c.kind not in ("header", "section"))

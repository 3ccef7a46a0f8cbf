"""The clause chunker over all five bundled documents and synthetic regulations."""

from __future__ import annotations

from collections import Counter

import pytest

from assistant.reading.chunking import chunk_document, parse_responsibility, window_chunks
from assistant.reading.parsing import clean_text, extract_meta, parse_file
from assistant.types import PolicyDocument

SUICHANG = "suichang-2024-future-industries-opinions.txt"
SPARK = "zhejiang-spark-plan-2026-2030-draft.txt"
OPINIONS = "zhejiang-future-industries-opinions-draft2.txt"
HANGZHOU = "hangzhou-action-plan-2024-2026-drafting-notes.txt"
CHENGDU = "chengdu-2024-future-industries-opinions.txt"


@pytest.fixture(scope="module")
def chunked(corpus_dir):
    return {name: chunk_document(parse_file(corpus_dir / name))
            for name in (SUICHANG, SPARK, OPINIONS, HANGZHOU, CHENGDU)}


def _find(clauses, *path):
    hits = [c for c in clauses if c.section_path[: len(path)] == list(path) and len(c.section_path) == len(path)]
    assert hits, f"no clause at {path}"
    return hits[0]


@pytest.mark.parametrize(
    ("doc", "path", "starts"),
    [
        (SUICHANG, ["三、重点举措", "（三）加速创新成果转化应用"], "（三）加速创新成果转化应用。加快推进遂昌科技大市场"),
        (SUICHANG, ["二、发展方向", "（一）重点发展五个具有基础优势的未来产业", "5.元宇宙"], "5．元宇宙。依托"),
        (SPARK, ["三、重点任务", "（二）实施星火破晓攻坚行动，打造技术创新策源地", "2.提能升级科技创新平台"], "2.提能升级科技创新平台。"),
        (SPARK, ["二、发展布局", "（一）科学布局新领域新赛道", "专栏1：未来产业发展领域指引", "6.6G"], "6.6G。围绕6G终端"),
        (SPARK, ["二、发展布局", "（二）统筹推进区域协调发展", "专栏2：未来产业区域布局指引", "2.宁波"], "2.宁波。"),
        (OPINIONS, ["三、主要任务", "（六）实施资本护航计划，构建多元投入体系", "16.用好产业基金"], "16.用好产业基金。"),
        (OPINIONS, ["二、培育布局", "（三）统筹推进区域协调发展", "专栏3：未来产业区域布局", "11.丽水"], "11.丽水。重点发展元宇宙"),
        (HANGZHOU, ["三、主要内容", "（二）重点领域"], "（二）重点领域。围绕生成式人工智能"),
        (CHENGDU, ["四、生态营造", "（四）提升天使种子基金的引导服务效应"], "（四）提升天使种子基金的引导服务效应\n将未来产业作为成都天使母基金"),
        (CHENGDU, ["五、保障措施", "（五）营造创新氛围"], "（五）营造创新氛围\n全方位打造"),
    ],
)
def test_section_paths_of_sample_clauses(chunked, doc, path, starts):
    clause = _find(chunked[doc], *path)
    assert clause.text.startswith(starts)
    assert clause.label.endswith(" ".join(path))


@pytest.mark.parametrize(
    ("doc", "counts"),
    [
        (SUICHANG, {"一、发展目标": 1, "二、发展方向": 8, "三、重点举措": 8}),
        (SPARK, {"一、总体要求": 1, "二、发展布局": 29, "三、重点任务": 23, "四、机制保障": 5}),
        (OPINIONS, {"一、主要目标": 1, "三、主要任务": 24, "四、保障措施": 1}),
        (HANGZHOU, {"一、编制背景": 1, "二、起草过程": 1, "三、主要内容": 6}),
        (CHENGDU, {"一、总体要求": 5, "二、重点培育方向": 8, "三、承载空间": 3, "四、生态营造": 9, "五、保障措施": 6}),
    ],
)
def test_clause_counts_per_top_level_section(chunked, doc, counts):
    got = Counter(c.section_path[0] for c in chunked[doc])
    assert {k: got[k] for k in counts} == counts


def test_box_items_are_children_of_their_box(chunked):
    box = _find(chunked[SPARK], "二、发展布局", "（一）科学布局新领域新赛道", "专栏1：未来产业发展领域指引")
    assert box.children[:3] == ["1.具身智能", "2.生物制造", "3.量子科技"]
    assert len(box.children) == 11
    items = [c for c in chunked[SPARK] if len(c.section_path) == 4 and c.section_path[2].startswith("专栏1")]
    assert len(items) == 11


def test_parent_clause_lists_its_children(chunked):
    parent = _find(chunked[SUICHANG], "二、发展方向", "（一）重点发展五个具有基础优势的未来产业")
    assert parent.kind == "section"
    assert "下设：1.高端金属材料；2.精细化工；3.新型储能；4.先进装备及零部件；5.元宇宙" in parent.text


@pytest.mark.parametrize(
    ("doc", "path", "units", "lead"),
    [
        (SUICHANG, ["三、重点举措", "（三）加速创新成果转化应用"], ["县科技局", "县发改局", "县经济商务局", "县市场监管局"], ["县科技局"]),
        (SUICHANG, ["三、重点举措", "（六）强化四链协同生态支撑"], ["县委人才办", "县财政局", "县人力社保局", "县交通运输局", "县经济商务局"], ["县委人才办"]),
        (SPARK, ["三、重点任务", "（三）实施星火成炬引凤行动，打造产业化发展集聚地", "1.科技孵化培育项目"], ["省经信厅", "省科技厅", "省创新投资集团"], ["省经信厅"]),
        (OPINIONS, ["三、主要任务", "（一）实施人才领航计划，引育未来产业人才团队", "2.立足需求系统育才"], ["省教育厅", "省委组织部", "省经信厅", "省科技厅", "省人力社保厅"], ["省教育厅"]),
        (CHENGDU, ["四、生态营造", "（四）提升天使种子基金的引导服务效应"], ["市国资委", "市发改委", "市金融监管局", "成都产业集团", "各区（市）县政府（管委会）"], ["市国资委"]),
        # 逗号前为牵头单位: every unit before the comma leads.
        (CHENGDU, ["四、生态营造", "（一）强化未来产业技术的敏锐捕捉能力"], ["市科技局", "市发改委", "市经信局市新经济委", "各区（市）县政府（管委会）"], ["市科技局", "市发改委", "市经信局市新经济委"]),
    ],
)
def test_responsibility_notes_and_lead_units(chunked, doc, path, units, lead):
    clause = _find(chunked[doc], *path)
    assert clause.responsible_units == units
    assert clause.lead_units == lead


def test_header_notice_preamble_and_footer_are_chunks(chunked):
    kinds = Counter(c.kind for c in chunked[SUICHANG])
    assert kinds["notice"] == 1 and kinds["header"] == 1 and kinds["preamble"] == 1
    notice = next(c for c in chunked[SUICHANG] if c.kind == "notice")
    assert notice.text.startswith("遂昌县人民政府办公室关于印发《遂昌县关于培育发展未来产业的实施意见》的通知")
    header = next(c for c in chunked[SUICHANG] if c.kind == "header")
    assert "遂政办发〔2024〕11号" in header.text
    # The closing lines (抄送, 印发) belong with the document's other details.
    assert "抄送：县委各部门" in header.text and "2024年10月31日印发" in header.text


def test_chunk_ids_are_unique_and_offsets_point_into_the_text(chunked, corpus_dir):
    for name, clauses in chunked.items():
        ids = [c.chunk_id for c in clauses]
        assert len(ids) == len(set(ids)), name
        assert [c.ordinal for c in clauses] == list(range(len(clauses)))
        text = parse_file(corpus_dir / name).text
        for c in clauses:
            if c.kind == "clause":
                assert text[c.start:c.end].startswith(c.text.split("\n")[0][:10]), (name, c.label)


def test_oversized_clause_is_split_at_sentence_boundaries_keeping_its_path(chunked):
    parts = [c for c in chunked[CHENGDU] if c.section_path == ["一、总体要求", "（二）基本原则"]]
    assert len(parts) >= 2
    assert all(len(p.text) <= 600 for p in parts)
    assert all(p.text.rstrip().endswith(("。", "；")) for p in parts)
    assert "（第1部分）" in parts[0].label


def _doc(lines: list[str]) -> PolicyDocument:
    paragraphs = clean_text("\n".join(lines))
    return PolicyDocument(meta=extract_meta(paragraphs, "reg"), paragraphs=paragraphs)


def test_regulations_with_chapters_and_articles():
    clauses = chunk_document(_doc([
        "某市数据条例", "第一章 总则", "第一条 为了规范数据处理活动，制定本条例。",
        "第二条 本条例适用于本市行政区域内的数据处理活动。", "第二章 数据资源",
        "第三条 市数据主管部门负责统筹数据资源工作：", "（一）编制数据目录；", "（二）组织数据共享。",
    ]))
    paths = [c.section_path for c in clauses if c.kind in ("clause", "section")]
    assert ["第一章 总则"] not in paths  # chapter titles keep their text in the path entry
    assert ["第一章总则", "第一条"] in paths
    assert ["第二章数据资源", "第三条"] in paths
    # Items (项) belong to their article: the article is the unit a regulation is cited by.
    article = next(c for c in clauses if c.section_path == ["第二章数据资源", "第三条"])
    assert article.text.endswith("（一）编制数据目录；\n（二）组织数据共享。")
    assert not any(len(p) > 2 for p in paths)


def test_heading_sharing_its_line_with_the_body():
    clauses = chunk_document(_doc(["某县实施意见", "一、重点任务",
                                   "（一）夯实创新能力。主动对接高水平科研院校。（责任单位：县科技局、县经济商务局）"]))
    clause = next(c for c in clauses if c.section_path[-1] == "（一）夯实创新能力")
    assert clause.lead_units == ["县科技局"]


def test_bracketed_note_with_nested_brackets():
    notes = parse_responsibility("做好工作。[责任单位:市发改委,市经信局(市新经济委)、各区(市)县政府(管委会)]")
    assert notes[0].units == ["市发改委", "市经信局(市新经济委)", "各区(市)县政府(管委会)"]


def test_window_baseline_covers_the_text(corpus_dir):
    doc = parse_file(corpus_dir / SUICHANG)
    windows = window_chunks(doc, 750, 150)
    assert all(len(w.text) <= 750 for w in windows)
    assert windows[0].text[600:750] == windows[1].text[:150]


def test_an_annex_numbered_and_titled_without_a_colon_is_a_heading_and_a_sentence_is_not():
    from assistant.reading.numbering import match_annex

    marker = match_annex("附件1天津市2023年春节期间电力需求响应补贴资金汇总表")
    assert marker is not None and marker.marker == "附件1" and marker.rest.endswith("汇总表")
    assert match_annex("附件2：重点任务分工表").marker == "附件2"
    # A sentence that begins with 附件1 names the annex; it is not its heading.
    assert match_annex("附件1所列企业按规定申请拨付资金") is None
    assert match_annex("附件：1.汇总表") is None

"""Reading documents of every shape: web pages, Markdown, Word tables, annexes, notes, metadata."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.reading.chunking import body_lines, chunk_document
from assistant.reading.metadata import extract_meta
from assistant.reading.parsing import clean_text, parse_file
from assistant.reading.responsibility import parse_responsibility
from assistant.reading.tables import render_table
from assistant.types import PolicyDocument

GOV_PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8">
<title>示范市关于加快发展数字经济的实施意见_示范市人民政府门户网站</title></head>
<body style="visibility: hidden"><div class="nav"><a href="/">首页</a> <a href="/a">政务公开</a>
<a href="/b">政务服务</a> <a href="/c">互动交流</a></div>
<div class="crumb">您当前的位置：<a>首页</a> &gt; <a>政策文件</a></div>
<table class="info"><tr><td>索 引 号：</td><td>0001/2024-0001</td><td>主题分类：</td><td>工业</td></tr>
<tr><td>发文机关：</td><td>示范市人民政府</td><td>成文日期：</td><td>2024年03月05日</td></tr>
<tr><td>标　　题：</td><td>示范市关于加快发展数字经济的实施意见</td></tr>
<tr><td>发文字号：</td><td>示府发〔2024〕7号</td><td>发布日期：</td><td>2024年03月08日</td></tr></table>
<div class="article"><h1>示范市关于加快发展数字经济的实施意见</h1>
<div class="date">发布日期：2024-03-08 浏览次数：<span>-</span> 【字体：大 中 小】</div>
<div id="content">
<p>示府发〔2024〕7号</p>
<p>各区人民政府，市政府各部门：</p>
<p>　　为加快发展数字经济，现提出如下意见。</p>
<p>一、主要目标</p>
<p>　　到2027年，数字经济核心产业增加值占地区生产总值比重达到12%。　　到2030年，建成数字经济创新高地。</p>
<p>二、重点任务</p>
<p>（一）建设算力设施。新建智能算力中心2个。（市发展改革委、市数据局负责。列第一位者为牵头单位，下同）</p>
<p>（二）培育数据市场。建立数据交易平台。（市数据局、市财政局等负责）</p>
<p>附件：重点任务分工表</p>
<p>示范市人民政府</p><p>2024年3月5日</p>
<p>附件</p><p>重点任务分工表</p>
<table><tr><th>序号</th><th>重点任务</th><th>牵头单位</th><th>配合单位</th></tr>
<tr><td>1</td><td>建设算力设施</td><td rowspan="2">市发展改革委</td><td>市数据局</td></tr>
<tr><td>2</td><td>培育数据市场</td><td>市财政局、市科技局</td></tr></table>
</div>
<div style="display:none" class="listen">为加快发展数字经济，现提出如下意见。到2027年，数字经济核心产业增加值占地区生产总值比重达到12%。到2030年，建成数字经济创新高地。</div>
<div class="share">分享到：<a>微信</a> <a>微博</a></div>
<div>【打印本页】【关闭窗口】</div>
<ul class="related"><li><a href="/1">示范市数字经济政策解读之一</a></li><li><a href="/2">示范市数据交易平台上线运行</a></li></ul>
</div>
<div class="footer">主办：示范市人民政府办公室 网站标识码：1234000000 ICP备12345678号</div>
</body></html>"""


@pytest.fixture
def gov_page(tmp_path) -> Path:
    path = tmp_path / "page.html"
    path.write_text(GOV_PAGE, encoding="utf-8")
    return path


def test_web_page_metadata_comes_from_its_info_table(gov_page):
    meta = parse_file(gov_page).meta
    assert meta.title == "示范市关于加快发展数字经济的实施意见"
    assert (meta.issuer, meta.doc_number, meta.date) == ("示范市人民政府", "示府发〔2024〕7号", "2024-03-05")
    assert meta.status == "final" and meta.level == "city"


def test_web_page_keeps_the_text_and_drops_the_chrome(gov_page):
    clauses = chunk_document(parse_file(gov_page))
    text = "\n".join(c.text for c in clauses)
    for chrome in ("首页", "浏览次数", "分享到", "打印本页", "政策解读之一", "网站标识码", "ICP备", "索引号"):
        assert chrome not in text
    assert text.count("建成数字经济创新高地") == 1  # the hidden "listen" copy is not read twice
    goal = next(c for c in clauses if c.section_path == ["一、主要目标"])
    # Two paragraphs run together in one element, split at their ideographic indent.
    assert goal.text.split("\n")[1:] == ["到2027年，数字经济核心产业增加值占地区生产总值比重达到12%。",
                                         "到2030年，建成数字经济创新高地。"]


def test_table_rows_carry_their_header_and_units(gov_page):
    clauses = chunk_document(parse_file(gov_page))
    rows = [c for c in clauses if c.kind == "row"]
    assert [c.section_path for c in rows] == [["附件 重点任务分工表", "第1行"], ["附件 重点任务分工表", "第2行"]]
    # The merged 牵头单位 cell belongs to both rows.
    assert rows[1].text == "序号：2｜重点任务：培育数据市场｜牵头单位：市发展改革委｜配合单位：市财政局、市科技局"
    assert rows[1].lead_units == ["市发展改革委"]
    assert rows[1].responsible_units == ["市发展改革委", "市财政局", "市科技局"]


def test_x_fuze_notes_and_their_convention(gov_page):
    clauses = chunk_document(parse_file(gov_page))
    first = next(c for c in clauses if c.section_path[-1] == "（一）建设算力设施")
    second = next(c for c in clauses if c.section_path[-1] == "（二）培育数据市场")
    assert first.responsible_units == ["市发展改革委", "市数据局"] and first.lead_units == ["市发展改革委"]
    assert second.responsible_units == ["市数据局", "市财政局"] and second.lead_units == ["市数据局"]


@pytest.mark.parametrize(
    ("text", "units", "leads"),
    [
        ("做好工作。（责任单位：县科技局、县经济商务局。列第一位的为牵头单位，下同）",
         ["县科技局", "县经济商务局"], ["县科技局"]),
        ("做好工作。（人力资源社会保障部、财政部负责。列第一位者为牵头单位，下同）",
         ["人力资源社会保障部", "财政部"], ["人力资源社会保障部"]),
        ("做好工作。（市场监管总局、商务部等按职责分工负责）", ["市场监管总局", "商务部"], ["市场监管总局"]),
        ("牵头单位：市发改委；配合单位：市财政局、市科技局", ["市发改委", "市财政局", "市科技局"], ["市发改委"]),
        ("序号：3｜任务：建平台｜牵头单位：市数据局｜配合单位：市财政局", ["市数据局", "市财政局"], ["市数据局"]),
    ],
)
def test_responsibility_notes_in_every_common_form(text, units, leads):
    from assistant.reading.responsibility import Convention

    assert Convention().read(text) == (units, leads)


def test_brackets_that_are_not_notes_are_ignored():
    assert parse_responsibility("（以下简称市场监管总局）负责统筹。") == []
    assert parse_responsibility("各地区要加强组织领导（具体办法另行制定），确保任务落实。") == []


MARKDOWN = """---
title: 示范省数据条例
文号: 示范省人民代表大会常务委员会公告第5号
---

# 示范省数据条例

2023年11月24日示范省第十四届人民代表大会常务委员会第六次会议通过

<!-- INFO END -->

## 第一章　总　则

第一条　为了规范数据处理活动，制定本条例。

第二条　本条例适用于本省行政区域内的数据处理活动，
包括数据的收集、存储和使用。

## 第二章　数据资源

第三条　省数据主管部门履行下列职责：

（一）编制数据目录；

（二）组织数据共享。

| 类别 | 开放方式 |
| --- | --- |
| 公共数据 | 无条件开放 |
| 企业数据 | 依申请开放 |

## 附　则

第四条　本条例自2024年3月1日起施行。
"""


def test_markdown_headings_are_structure_and_its_header_is_metadata(tmp_path):
    path = tmp_path / "law.md"
    path.write_text(MARKDOWN, encoding="utf-8")
    doc = parse_file(path)
    assert doc.meta.title == "示范省数据条例"
    assert doc.meta.doc_number == "示范省人民代表大会常务委员会公告第5号"
    assert doc.meta.issuer == "示范省人民代表大会常务委员会" and doc.meta.date == "2023-11-24"
    clauses = chunk_document(doc)
    paths = {tuple(c.section_path) for c in clauses}
    assert ("第一章总则", "第二条") in paths and ("第二章数据资源", "第三条") in paths
    assert ("附则", "第四条") in paths  # an unnumbered ## heading ranks with the chapters
    article = next(c for c in clauses if c.section_path == ["第一章总则", "第二条"])
    assert article.text == "第二条本条例适用于本省行政区域内的数据处理活动，包括数据的收集、存储和使用。"
    header = next(c for c in clauses if c.kind == "header")
    assert "第六次会议通过" in header.text and "INFO" not in header.text
    rows = [c for c in clauses if c.kind == "row"]
    assert [c.text for c in rows] == ["类别：公共数据｜开放方式：无条件开放", "类别：企业数据｜开放方式：依申请开放"]
    assert all("##" not in c.text for c in clauses)


def test_word_tables_are_read_in_place(tmp_path):
    import docx

    d = docx.Document()
    d.add_paragraph("示范县关于支持企业发展的若干措施")
    d.add_paragraph("一、资金支持")
    table = d.add_table(rows=3, cols=2)
    for r, (a, b) in enumerate([("项目", "补助标准"), ("研发投入", "最高50万元"), ("首台套", "最高100万元")]):
        table.rows[r].cells[0].text, table.rows[r].cells[1].text = a, b
    d.add_paragraph("二、人才支持")
    d.add_paragraph("引进高层次人才给予安家补贴。")
    path = tmp_path / "measures.docx"
    d.save(path)
    clauses = chunk_document(parse_file(path))
    rows = [c for c in clauses if c.kind == "row"]
    assert [c.section_path for c in rows] == [["一、资金支持", "第1行"], ["一、资金支持", "第2行"]]
    assert rows[0].text == "项目：研发投入｜补助标准：最高50万元"


def test_render_table_without_a_header_keeps_rows_in_the_clause():
    assert render_table([["1", "甲"], ["2", "乙"]]) == [("1｜甲", "row"), ("2｜乙", "row")]
    doc = PolicyDocument(meta=extract_meta(["办法"], "t"), paragraphs=["办法", "一、名单", "1｜甲", "2｜乙"],
                         kinds=["p", "p", "row", "row"])
    clause = next(c for c in chunk_document(doc) if c.section_path == ["一、名单"])
    assert clause.text == "一、名单\n1｜甲\n2｜乙"


def _doc(lines: list[str]) -> PolicyDocument:
    paragraphs = clean_text("\n".join(lines))
    return PolicyDocument(meta=extract_meta(paragraphs, "doc"), paragraphs=paragraphs)


def test_parts_and_annexes_are_top_level_structure():
    clauses = chunk_document(_doc([
        "示范法典", "第一编 总则", "第一章 基本规定", "第一条 为了规范民事关系，制定本法。",
        "第二编 物权", "第二章 一般规定", "第二条 物权受法律保护。",
        "附件1", "重点任务清单", "一、数据基础设施", "建设算力中心。",
    ]))
    paths = [c.section_path for c in clauses]
    assert ["第一编总则", "第一章基本规定", "第一条"] in paths
    assert ["第二编物权", "第二章一般规定", "第二条"] in paths
    assert ["附件1 重点任务清单", "一、数据基础设施"] in paths


def test_state_council_order_and_unknown_status():
    meta = extract_meta(["中华人民共和国国务院令", "第706号", "《示范条例》已经国务院常务会议通过，现予公布。",
                         "总理 李克强", "2018年12月29日"], "o")
    assert meta.status == "final" and meta.date == "2018-12-29"
    order = extract_meta(["示范条例", "（2021年7月27日中华人民共和国国务院令第746号公布）", "第一条 为了……"], "o2")
    assert (order.doc_number, order.issuer, order.date) == ("国务院令第746号", "国务院", "2021-07-27")
    assert order.level == "national"
    plain = extract_meta(["示范产业发展工作要点", "一、总体要求", "推动产业发展。"], "u")
    assert plain.status == "unknown"


def test_identical_clauses_get_distinct_ids():
    clauses = chunk_document(_doc(["示范办法", "第一条 本办法自公布之日起施行。", "第一条 本办法自公布之日起施行。"]))
    ids = [c.chunk_id for c in clauses]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("limit", [600, 620, 650, 700, 1000])
def test_long_clauses_split_without_losing_or_repeating_text(limit):
    sentence = "各地区各部门要结合实际抓好贯彻落实，确保各项措施落地见效。"  # 30 characters
    long_article = "第六条 " + sentence * (limit // len(sentence)) + "做好宣传。"  # just over the limit
    preamble = "".join(f"第{i}句{sentence}" for i in range(60))
    doc = _doc(["示范规定", preamble, long_article, "第七条 本规定自公布之日起施行。"])
    clauses = chunk_document(doc, max_chars=limit)
    lines = "".join(line for c in clauses for line in body_lines(c))
    assert sorted(lines) == sorted("".join(doc.paragraphs))
    assert all(len(c.text) <= limit * 1.25 for c in clauses if c.kind != "header")


def test_web_pages_in_big5_read_and_in_shift_jis_are_refused(tmp_path):
    from assistant.reading.parsing import ParseError

    page = ("<html><body><p>國務院關於推進數位經濟發展的意見</p><p>一、總體要求</p>"
            "<p>各地區要加強組織領導，確保各項措施落實見效。</p></body></html>")
    big5 = tmp_path / "big5.html"
    big5.write_bytes(page.encode("big5"))
    doc = parse_file(big5)
    assert doc.paragraphs == ["國務院關於推進數位經濟發展的意見", "一、總體要求", "各地區要加強組織領導，確保各項措施落實見效。"]
    japanese = tmp_path / "sjis.html"
    japanese.write_bytes("<html><body><p>日本語の文書です。東京都の条例について説明します。</p></body></html>"
                         .encode("shift_jis"))
    with pytest.raises(ParseError, match="does not look like Chinese"):
        parse_file(japanese)


def test_decimal_headings_and_a_table_of_contents():
    clauses = chunk_document(_doc([
        "示范应急预案", "目录", "1总则", "1.1编制目的", "1.2适用范围", "2组织机构", "2.1指挥部",
        "1总则", "1.1编制目的", "为了有效应对突发事件，制定本预案。", "1.2适用范围", "本预案适用于全市。",
        "1.2.1市级响应：由市政府组织。", "2组织机构", "2.1指挥部", "总指挥：市长。", "（1）统筹协调应急工作；",
    ]))
    paths = [c.section_path for c in clauses if c.kind in ("clause", "section")]
    # The contents are text, not a second set of sections.
    assert paths == [["1总则"], ["1总则", "1.1编制目的"], ["1总则", "1.2适用范围"], ["2组织机构"],
                     ["2组织机构", "2.1指挥部"], ["2组织机构", "2.1指挥部", "（1）统筹协调应急工作"]]
    scope = next(c for c in clauses if c.section_path == ["1总则", "1.2适用范围"])
    assert scope.text == "1.2适用范围\n本预案适用于全市。\n1.2.1市级响应：由市政府组织。"


def test_a_page_without_a_place_in_its_title_is_placed_by_its_publisher(tmp_path):
    page = tmp_path / "faq.html"
    page.write_text("<html><head><title>创业担保贷款常见问题-示范市人力资源和社会保障局网站</title></head>"
                    "<body><div><p>一、申请对象有哪些？</p><p>在本市创业的人员可以申请，贷款额度最高30万元。</p>"
                    "</div></body></html>", encoding="utf-8")
    meta = parse_file(page).meta
    assert (meta.title, meta.region, meta.level) == ("创业担保贷款常见问题", "示范市", "city")


def test_a_piece_of_a_compilation_is_titled_without_its_running_number_and_dated_by_it():
    meta = extract_meta(["7.测试市人民政府办公厅关于印发测试市促进量子产业发展若干措施的通知（2023年5月6日）",
                         "各区人民政府：", "现将《测试市促进量子产业发展若干措施》印发给你们，请认真贯彻执行。"], "d")
    assert meta.title == "测试市人民政府办公厅关于印发测试市促进量子产业发展若干措施的通知"
    assert meta.issuer == "测试市人民政府办公厅"
    assert meta.date == "2023-05-06"
    # A numbered heading is no compilation piece: it is not a title.
    plain = extract_meta(["测试县关于促进量子计算产业发展的若干措施", "1.加大资金支持"], "e")
    assert plain.title == "测试县关于促进量子计算产业发展的若干措施"

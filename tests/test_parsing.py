"""Cleanup of extraction artifacts, encodings and document metadata."""

from __future__ import annotations

import pytest

from assistant.reading.parsing import ParseError, clean_text, decode_text, extract_meta, parse_file

WRAPPED = """关于测试的实施意见

为加快推动未来产业发展，积极培育增长新动能，加速实现县域跨越

式高质量发展，提出如下意见。

一、发展目标

到 2028年，培育 2-3个未来产业成为经济发展的新支柱，带动全县技术

创新水平大幅提升。

 12

（一）夯实创新能力。主动对接周边高水平科研院校以及未来产业研

究院，积极建立创新合作联系。
[bookmark: _GoBack]（二）招引关键资源。建立招商机制。
"""


def test_wrapped_lines_are_joined_but_never_across_headings():
    paragraphs = clean_text(WRAPPED)
    assert "加速实现县域跨越式高质量发展，提出如下意见。" in paragraphs[1]
    assert "一、发展目标" in paragraphs
    assert any(p.startswith("到2028年，培育2-3个") and p.endswith("大幅提升。") for p in paragraphs)
    assert "（一）夯实创新能力。主动对接周边高水平科研院校以及未来产业研究院，积极建立创新合作联系。" in paragraphs
    assert "（二）招引关键资源。建立招商机制。" in paragraphs


def test_page_numbers_and_word_markers_are_dropped():
    paragraphs = clean_text(WRAPPED)
    assert "12" not in paragraphs
    assert not any("bookmark" in p for p in paragraphs)


def test_title_broken_across_lines_is_rejoined():
    raw = "成都市人民政府\n\n关于前瞻培育未来产业构筑高质量发展\n\n新动能的实施意见\n\n成府发〔２０２４〕２号\n\n正文第一段。"
    paragraphs = clean_text(raw)
    assert paragraphs[0] == "成都市人民政府关于前瞻培育未来产业构筑高质量发展新动能的实施意见"
    assert paragraphs[1] == "成府发〔２０２４〕２号"


def test_ascii_punctuation_in_chinese_text_is_repaired_but_not_in_numbers():
    raw = "\n".join(["各区(市)县政府(管委会),市级有关部门:", "发展1.5倍,达到3.5%.推进5G-A建设.继续推进工作."] * 3)
    text = "".join(clean_text(raw))
    assert "各区（市）县政府（管委会），市级有关部门：" in text
    assert "1.5倍" in text and "3.5%" in text and "5G-A" in text
    assert "建设。继续" in text


@pytest.mark.parametrize(
    ("encoding",), [("utf-8",), ("utf-8-sig",), ("gb18030",), ("gbk",)]
)
def test_text_encodings_are_detected(encoding):
    assert decode_text("遂昌县关于培育发展未来产业的实施意见".encode(encoding)).endswith("实施意见")


def test_binary_text_file_is_a_clear_error(tmp_path):
    path = tmp_path / "x.txt"
    path.write_bytes(b"\x00\x01\x02binary\x00" * 10)
    with pytest.raises(ParseError, match="binary"):
        parse_file(path)


def test_empty_file_is_a_clear_error(tmp_path):
    path = tmp_path / "empty.txt"
    path.write_text("  \n")
    with pytest.raises(ParseError, match="empty"):
        parse_file(path)


def test_unsupported_type_is_a_clear_error(tmp_path):
    path = tmp_path / "x.xlsx"
    path.write_bytes(b"PK\x03\x04")
    with pytest.raises(ParseError, match="unsupported"):
        parse_file(path)


def test_corrupt_pdf_is_a_clear_error(tmp_path):
    path = tmp_path / "bad.pdf"
    path.write_bytes(b"%PDF-1.4\n%garbage that is not a pdf\n" + b"\x00" * 100)
    with pytest.raises(ParseError, match="PDF"):
        parse_file(path)


def test_corrupt_docx_is_a_clear_error(tmp_path):
    path = tmp_path / "bad.docx"
    path.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(ParseError, match="Word"):
        parse_file(path)


def test_generated_docx_is_parsed(tmp_path):
    import docx

    d = docx.Document()
    for line in ["某市关于支持人工智能产业发展的若干措施", "一、总体目标", "到2027年，人工智能核心产业规模达到500亿元。",
                 "二、支持措施", "（一）支持算力建设。对新建智算中心给予补助。（责任单位：市发改委、市经信局）"]:
        d.add_paragraph(line)
    path = tmp_path / "措施.docx"
    d.save(path)
    doc = parse_file(path)
    assert doc.meta.title == "某市关于支持人工智能产业发展的若干措施"
    assert "到2027年，人工智能核心产业规模达到500亿元。" in doc.paragraphs


def test_generated_pdf_is_parsed(tmp_path):
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    path = tmp_path / "plan.pdf"
    c = canvas.Canvas(str(path), pagesize=A4)
    c.setFont("STSong-Light", 12)
    y = 800
    for line in ["某县关于加快数字经济发展的实施方案", "一、发展目标", "到2026年，数字经济核心产业增加值达到50亿元。"]:
        c.drawString(72, y, line)
        y -= 24
    c.showPage()
    c.save()
    doc = parse_file(path)
    assert "数字经济" in doc.meta.title
    assert any("50亿元" in p for p in doc.paragraphs)


def test_metadata_of_the_bundled_documents(corpus_dir):
    cases = {
        "suichang-2024-future-industries-opinions.txt": (
            "遂昌县关于培育发展未来产业的实施意见", "遂昌县人民政府办公室", "遂政办发〔2024〕11号", "2024-10-31", "final"),
        "chengdu-2024-future-industries-opinions.txt": (
            "成都市人民政府关于前瞻培育未来产业构筑高质量发展新动能的实施意见", "成都市人民政府",
            "成府发〔2024〕2号", "2024-01-03", "final"),  # printed 成府发〔２０２４〕２号
        "zhejiang-spark-plan-2026-2030-draft.txt": (
            "浙江省实施“星火计划”培育壮大未来产业行动方案（2026—2030年）", None, None, None, "draft"),
        "zhejiang-future-industries-opinions-draft2.txt": ("关于加快培育未来产业的实施意见", None, None, None, "draft"),
    }
    for name, (title, issuer, number, date, status) in cases.items():
        meta = parse_file(corpus_dir / name).meta
        assert (meta.title, meta.issuer, meta.doc_number, meta.date, meta.status) == (title, issuer, number, date, status), name
    hangzhou = parse_file(corpus_dir / "hangzhou-action-plan-2024-2026-drafting-notes.txt").meta
    assert hangzhou.status == "draft" and hangzhou.issuer == "杭州市经信局" and hangzhou.level == "city"
    # A draft whose title names no place: it speaks of 我省 and names 浙江 in its text.
    draft = parse_file(corpus_dir / "zhejiang-future-industries-opinions-draft2.txt").meta
    assert (draft.region, draft.level) == ("浙江省", "province")


def test_a_drafts_place_and_drafter_are_read_from_its_text():
    meta = extract_meta(["关于加快发展某产业的行动方案", "（征求意见稿）", "起草单位：省经信厅",
                         "为推动我省某产业发展，制定本方案。", "一、目标", "到2027年，江苏某产业规模达到100亿元。"], "x")
    assert (meta.status, meta.region, meta.level, meta.issuer) == ("draft", "江苏省", "province", "省经信厅")
    by = extract_meta(["关于加快发展某产业的行动方案（征求意见稿）", "本方案由市经信局牵头会同市科技局起草。"], "y")
    assert by.issuer == "市经信局"
    # A city's page that merely names its province twice is not a provincial document.
    page = extract_meta(["小学招生细则公布", "广东省教育厅要求……", "广东各地……"], "z")
    assert page.region == "广东省" and page.level is None


def test_a_doc_number_is_shown_with_ascii_digits_and_found_either_way():
    meta = extract_meta(["某市人民政府关于某事的通知", "某府发〔２０２４〕２号", "一、总则", "内容。"], "x")
    assert meta.doc_number == "某府发〔2024〕2号"
    from assistant.language.text import normalize

    assert normalize("某府发〔２０２４〕２号") == normalize(meta.doc_number)  # what search matches


def test_level_is_read_from_assigned_units():
    meta = extract_meta(["关于加快培育某产业的意见", "一、任务", "做好工作。（责任单位：省经信厅、省科技厅）"], "x")
    assert meta.level == "province"


def test_text_broken_around_inline_pieces_is_joined_and_keeps_its_numbers():
    """A portal page saved as text with a line break at every inline tag: numbers, quotation
    marks and brackets stand on lines of their own. They rejoin their sentence, and a bare
    number there is a figure (文号 136), not a page number."""
    from assistant.reading.parsing import clean_text

    raw = "\n".join(["根据《关于深化改革的通知》（发改价格〔", "2025", "〕", "136", "号），结合实际制定本方案。",
                     "确保", "2025", "年底前实现全面市场化。", "建立", "“", "多电源参与", "”", "的现货市场。"])
    assert clean_text(raw) == ["根据《关于深化改革的通知》（发改价格〔2025〕136号），结合实际制定本方案。",
                               "确保2025年底前实现全面市场化。", "建立“多电源参与”的现货市场。"]
    # A unit's slash (元 / 千瓦时) on a line of its own joins the figure before and the unit after.
    raw = "\n".join(["竞价上下限分别按", "0.4012", "元", "/", "千瓦时、", "0.2", "元", "/", "千瓦时确定。"] * 2)
    assert clean_text(raw)[0].startswith("竞价上下限分别按0.4012元/千瓦时、0.2元/千瓦时确定。")


def test_a_portal_info_table_saved_as_text_gives_the_details_and_the_body_starts_after_it(tmp_path):
    from assistant.reading.parsing import parse_file

    page = tmp_path / "page.txt"
    page.write_text("\n".join(["首页", "政府信息公开", "当前位置：", "首页", ">", "其他文件", "索 引 号：", "0828-2025-22",
                               "发布机构：", "四川省发展和改革委员会成文日期：", "2025-09-29", "文 号：",
                               "(川发改价格〔2025〕480号)", "有 效 性：", "有效",
                               "关于印发《四川省实施方案》的通知", "各市（州）发展改革委：",
                               "现将方案印发给你们，请认真贯彻执行。"]), encoding="utf-8")
    doc = parse_file(page)
    assert doc.meta.title == "四川省实施方案"
    assert doc.meta.doc_number == "川发改价格〔2025〕480号" and doc.meta.date == "2025-09-29"
    assert doc.paragraphs[0].startswith("关于印发") and "政府信息公开" not in doc.text
    # No signature in the text: the agency the table names as publishing the page issued it.
    assert doc.meta.issuer == "四川省发展和改革委员会"


def test_a_table_saved_as_text_one_cell_a_line_becomes_rows_that_carry_the_header(tmp_path):
    from assistant.reading.parsing import parse_file

    cells = ["附件1", "天津市2023年春节期间补贴资金汇总表", "序号", "用户名称", "申报响应能力（千瓦时）",
             "补贴总额（万元）", "2024", "年拨付资金（万元）", "备注",
             "1", "中国石油化工股份有限公司天津分公司", "180000", "40.51", "13.35",
             "2", "中石化", "(", "天津", ")", "石油化工有限公司", "12000", "3.03", "1",
             "3", "国网（天津）综合能源服务有限公司", "500000", "175.02", "负荷集成商",
             "合计", "218.56", "14.35"]
    page = tmp_path / "notice.txt"
    page.write_text("\n".join(["关于下达资金计划的通知", "各有关单位：", "现将资金计划下达给你们。", *cells]),
                    encoding="utf-8")
    doc = parse_file(page)
    rows = [p for i, p in enumerate(doc.paragraphs) if doc.kind(i) == "row"]
    assert rows[0] == ("序号：1｜用户名称：中国石油化工股份有限公司天津分公司｜申报响应能力：180000千瓦时｜"
                       "补贴总额：40.51万元｜2024年拨付资金：13.35万元")
    # A name broken around its brackets is one cell; a note after fewer figures is the note's.
    assert "用户名称：中石化(天津)石油化工有限公司" in rows[1] and rows[1].endswith("2024年拨付资金：1万元")
    assert rows[2].endswith("补贴总额：175.02万元｜备注：负荷集成商")
    # The total's figures sit under the last columns of figures.
    assert rows[3] == "序号：合计｜补贴总额：218.56万元｜2024年拨付资金：14.35万元"
    assert doc.paragraphs[3:5] == ["附件1", "天津市2023年春节期间补贴资金汇总表"]


def test_lines_that_only_look_like_a_table_stay_text():
    from assistant.reading.tables import line_tables

    lines = ["序号", "名称", "1", "2", "3"]  # no text cell after the running numbers
    assert line_tables(lines) == []
    assert line_tables(["序号", "事项", "1", "办理营业执照"]) == []  # one row is not a table


@pytest.mark.parametrize("text", [
    "遂政办发〔2024〕11号", "２０２４年　1月，“数字工匠”！", "面积不小于30㎡，气温23℃", "⑴㈠½ﬁＡＢＣ＄＋～",
    "café é", "ｶﾞｷﾞ", "emoji 😀 and 𝐁old", "", "a\tb\nc",
])
def test_the_matching_form_is_nfkc_without_punctuation_symbols_or_spaces(text):
    import unicodedata

    from assistant.language.text import normalize

    nfkc = unicodedata.normalize("NFKC", text)
    expected = "".join(ch for ch in nfkc if unicodedata.category(ch)[0] not in "PSZ" and not ch.isspace())
    assert normalize(text) == expected

"""PDF text repair: radical glyphs become ideographs, spaces inside numbers and brackets go."""

from __future__ import annotations

import shutil
import subprocess
import unicodedata
from pathlib import Path

import pytest

from assistant.language.text import is_cjk
from assistant.reading.chunking import chunk_document
from assistant.reading.glyphs import (
    RADICAL_SUPPLEMENT,
    UNMAPPED_SUPPLEMENT,
    map_radicals,
    radical_share,
    remove_extraction_spaces,
    repair_pdf_text,
)
from assistant.reading.parsing import parse_file, read_file_text


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("⼯业互联⽹", "工业互联网"),
        ("⼈⺠政府", "人民政府"),
        ("指导意⻅", "指导意见"),
        ("2018年12⽉5⽇", "2018年12月5日"),
        ("⼀、总体要求", "一、总体要求"),
        ("（⼆）主要⽬标", "（二）主要目标"),
        ("⻓三⻆", "长三角"),
        ("⻔户", "门户"),
        ("⻢上⾏动", "马上行动"),
        ("⻋联⽹", "车联网"),
        ("⻛险", "风险"),
        ("⻜速", "飞速"),
        ("⻩⾦", "黄金"),
        ("⻥⽶之乡", "鱼米之乡"),
        ("⻦语花⾹", "鸟语花香"),
        ("⾭年", "青年"),  # NFKC alone gives the Kangxi variant 靑
        ("⻘年", "青年"),
        ("⻬鲁", "齐鲁"),
        ("⻰头", "龙头"),
        ("⻉壳", "贝壳"),
        ("⻚码", "页码"),
        ("⺟婴", "母婴"),
        ("⿎励", "鼓励"),
        ("\uf929", "\u6717"),  # the CJK compatibility ideograph 朗 (U+F929)
    ],
)
def test_radical_glyphs_become_the_ideographs_a_reader_sees(raw, expected):
    assert map_radicals(raw) == expected


def test_door_radical_follows_the_script_of_the_document():
    assert map_radicals("推动⻔⼾城市建设，⼯业互联⽹发展") == "推动门户城市建设，工业互联网发展"
    assert map_radicals("推動門⼾城市建設，工業互聯網發展") == "推動門戶城市建設，工業互聯網發展"


@pytest.mark.parametrize("text", [
    "国务院关于推进工业互联网发展的指导意见",
    "5G-A", "AI +制造", "The plan applies to all regions of the country.",
    "1.5倍", "ＡＢＣ１２３", "（一）", "〔2018〕", "⺮",
])
def test_ordinary_text_is_not_mapped(text):
    assert map_radicals(text) == text


def test_every_radical_supplement_glyph_is_mapped_or_deliberately_kept():
    assigned = [chr(cp) for cp in range(0x2E80, 0x2F00) if unicodedata.category(chr(cp)) != "Cn"]
    assert len(assigned) == 115
    assert set(RADICAL_SUPPLEMENT) | UNMAPPED_SUPPLEMENT == set(assigned)
    assert not set(RADICAL_SUPPLEMENT) & UNMAPPED_SUPPLEMENT
    for glyph, ideograph in RADICAL_SUPPLEMENT.items():
        assert len(ideograph) == 1 and is_cjk(ideograph), glyph


def test_every_kangxi_radical_is_mapped_to_an_ideograph():
    kangxi = "".join(chr(cp) for cp in range(0x2F00, 0x2FD6))
    mapped = map_radicals(kangxi)
    assert len(mapped) == len(kangxi) and all(is_cjk(ch) for ch in mapped)
    assert radical_share(mapped) == 0.0


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("国发〔 2018 〕 42 号", "国发〔2018〕42号"),
        ("2018 年 12 月 5 日", "2018年12月5日"),
        ("1 2 月", "12月"),
        ("20 18 年", "2018年"),
        ("第 3 条", "第3条"),
        ("AI 12 月", "AI 12月"),
        ("增长 15 %", "增长15%"),
        ("到 2025 年底，共 3 个", "到2025年底，共3个"),
        ("增长 1.5 倍", "增长1.5倍"),
        ("达到 1 . 5 倍", "达到1.5倍"),
        ("（ 一 ） 总体要求", "（一）总体要求"),
        ("《 数据安全法 》", "《数据安全法》"),
        ("国 发 〔 2 0 1 8 〕 4 2 号", "国发〔2018〕42号"),  # a letter-spaced line
        ("建 成 5 G - A 网 络 ， 推 进 A I  + 制 造", "建成5G-A网络，推进AI +制造"),
    ],
)
def test_spaces_the_extractor_inserted_are_removed(raw, expected):
    assert remove_extraction_spaces(raw) == expected


@pytest.mark.parametrize("text", [
    "5G-A", "AI +制造", "AI + 制造 is not glued to AI+",
    "The plan applies to all regions of the country.",
    "Section 3 (a) of the Act, paragraph 12.",
    "1.5倍", "1. 2025年底前完成", "2023 2024 2025", "Version 2 0",
    "牵头单位 配合单位",  # may be two table cells
    "序号 1 2 3 4", "1 2 3 4 5 6", "1 张三 男",  # table rows, not letter spacing
    "He said “yes” — twice … and left.",
])
def test_spaces_that_belong_to_the_text_stay(text):
    assert remove_extraction_spaces(text) == text
    assert repair_pdf_text(text) == text


def test_line_breaks_are_kept():
    assert repair_pdf_text("⼀、总体要求\n（⼀） 指导思想\n\n2018 年") == "一、总体要求\n（一）指导思想\n\n2018年"


# --- a PDF printed by Chromium ----------------------------------------------------------------

CHROMIUM = Path("/usr/bin/chromium")

POLICY_HTML = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>政策文件</title>
<style>
body {{ font-family: "Noto Serif CJK SC", "Noto Sans CJK SC", serif; font-size: 16pt; margin: 2cm; }}
h1 {{ text-align: center; font-size: 22pt; }}
p {{ text-indent: 2em; line-height: 1.6; }}
.spaced {{ letter-spacing: 0.5em; }}
</style></head><body>
<h1>{title}</h1>
<p class="spaced" style="text-align:center">国发〔2018〕42号</p>
<p>各省、自治区、直辖市人民政府，国务院各部委、各直属机构：</p>
<p>为深入贯彻党中央决策部署，加快工业互联网发展，现提出以下意见。</p>
<p>一、总体要求</p>
<p>（一）指导思想。坚持以人民为中心，听取群众意见，推动长三角门户城市建设，车联网规模达到1.5倍。</p>
<p class="spaced">（二）主要目标。到2025年12月，建成5G-A网络，推进AI +制造，覆盖率达到85%。</p>
<p>二、重点任务</p>
<p>（一）加强网络建设。各地区要见行动、见实效，马上行动。</p>
<p>（二）完善服务体系。鼓励风险投资，飞速发展，黄金时期，鱼米之乡，鸟语花香。</p>
<p>三、保障措施</p>
<p>（一）加强组织领导。国务院办公厅负责。The plan applies to all regions of the country.</p>
<p style="text-align:right">国务院</p>
<p class="spaced" style="text-align:right">2018年12月5日</p>
</body></html>
"""
TITLE = "国务院关于推进工业互联网和人民生活服务高质量发展的指导意见"


@pytest.fixture(scope="module")
def chromium_pdf(tmp_path_factory) -> Path:
    if not CHROMIUM.is_file() or shutil.which(str(CHROMIUM)) is None:
        pytest.skip("/usr/bin/chromium is not installed")
    folder = tmp_path_factory.mktemp("pdf")
    page = folder / "policy.html"
    page.write_text(POLICY_HTML.format(title=TITLE), encoding="utf-8")
    out = folder / "gwy-2018-42.pdf"
    subprocess.run(
        [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--no-first-run", f"--user-data-dir={folder / 'profile'}", "--no-pdf-header-footer",
         f"--print-to-pdf={out}", page.as_uri()],
        check=True, capture_output=True, timeout=180,
    )
    assert out.stat().st_size > 0
    return out


def _raw_pdf_text(path: Path) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() or "" for page in PdfReader(path).pages)


def test_chromium_pdf_extracts_radical_glyphs_and_spaced_digits(chromium_pdf):
    raw = _raw_pdf_text(chromium_pdf)
    # The producer's glyph mapping, as users' PDFs have it: without repair the text is broken.
    for glyph in "⼯⼈⺠⻅⽉⼀⻓⻔⻢⻋":
        assert glyph in raw, glyph
    assert radical_share(raw) > 0.1
    assert "〔 2 0 1 8 〕" in raw and "一、总体要求" not in raw and TITLE[:8] not in raw


def test_chromium_pdf_reads_right_after_repair(chromium_pdf):
    text = read_file_text(chromium_pdf)
    assert radical_share(text) == 0.0
    assert "车联网规模达到1.5倍" in text and "门户城市" in text and "5G-A" in text
    doc = parse_file(chromium_pdf)
    assert doc.meta.title == TITLE
    assert doc.meta.doc_number == "国发〔2018〕42号"
    assert doc.meta.date == "2018-12-05"
    assert doc.meta.issuer == "国务院"
    assert "（二）主要目标。到2025年12月，建成5G-A网络，推进AI +制造，覆盖率达到85%。" in doc.paragraphs
    paths = {tuple(c.section_path) for c in chunk_document(doc)}
    for path in [("一、总体要求", "（一）指导思想"), ("一、总体要求", "（二）主要目标"),
                 ("二、重点任务", "（二）完善服务体系"), ("三、保障措施", "（一）加强组织领导")]:
        assert path in paths, path


def test_repair_applies_to_pdf_text_only(tmp_path):
    path = tmp_path / "radicals.txt"
    path.write_text("⼀、总体要求\n国发〔 2018 〕 42 号\n", encoding="utf-8")
    assert read_file_text(path) == "⼀、总体要求\n国发〔 2018 〕 42 号\n"

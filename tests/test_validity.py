"""Validity read from a document: one test per form the issue lists, the portal's fields, amended
regulations, the status on a date, and versions linked across documents."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.index.versions import core_title, link_versions
from assistant.reading.chunking import chunk_document
from assistant.reading.dates import add_term
from assistant.reading.parsing import parse_file
from assistant.reading.standing import badge, status_on
from assistant.types import Validity

TODAY = "2026-12-07"


def read(tmp_path: Path, text: str, name: str = "doc.txt"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return parse_file(path)


def notice(body: str, title: str = "某市科技企业研发补贴办法", number: str = "某科规〔2024〕1号",
           signed: str = "2024年3月1日") -> str:
    """A covering notice issuing ``title`` with ``body`` as its text."""
    return (f"某市科学技术局关于印发《{title}》的通知\n{number}\n各有关单位：\n"
            f"现将《{title}》印发给你们，请认真贯彻执行。\n某市科学技术局\n{signed}\n{title}\n"
            f"第一条 为支持企业研发，制定本办法。\n第二条 对研发投入给予最高100万元补贴。\n{body}\n")


def evidence(v: Validity, field: str) -> list[str]:
    return [e.text for e in v.evidence_for(field)]


def test_in_force_from_its_issue_date(tmp_path):
    doc = read(tmp_path, notice("第三条 本办法自印发之日起施行。"))
    v = doc.meta.validity
    assert (v.issued, v.effective_from, v.effective_until) == ("2024-03-01", "2024-03-01", None)
    assert "以成文日期2024年3月1日起算" in v.rules["effective_from"]
    assert evidence(v, "effective_from") == ["本办法自印发之日起施行"]
    assert v.status("2024-02-01") == "not_yet" and v.status(TODAY) == "in_force"


def test_issue_counts_from_the_printing_line_when_there_is_one(tmp_path):
    text = notice("第三条 本办法自印发之日起施行。") + "某市科学技术局办公室2024年3月8日印发\n"
    v = read(tmp_path, text).meta.validity
    assert (v.issued, v.effective_from) == ("2024-03-01", "2024-03-08")


def test_in_force_from_a_stated_date(tmp_path):
    v = read(tmp_path, notice("第三条 本办法自2024年4月1日起施行。")).meta.validity
    assert v.effective_from == "2024-04-01" and "effective_from" not in v.rules
    assert v.status("2024-03-31") == "not_yet" and v.status("2024-04-01") == "in_force"


def test_in_force_until_a_stated_date(tmp_path):
    v = read(tmp_path, notice("第三条 本办法自2024年4月1日起施行，有效期至2025年12月31日。")).meta.validity
    assert (v.effective_from, v.effective_until) == ("2024-04-01", "2025-12-31")
    assert evidence(v, "effective_until") == ["本办法自2024年4月1日起施行，有效期至2025年12月31日"]
    assert v.status("2025-12-31") == "in_force" and v.status("2026-01-01") == "expired"


def test_a_term_of_years_ends_the_day_before_the_same_date(tmp_path):
    v = read(tmp_path, notice("第三条 本办法自2024年3月4日起施行，有效期5年。")).meta.validity
    assert v.effective_until == "2029-03-03"
    assert v.rules["effective_until"] == "有效期5年：自2024年3月4日起算，至2029年3月3日止，即起算日5年后的前一日"
    assert add_term("2024-02-29", 1, "年") == "2025-02-28"  # 2025 has no 2月29日: through its eve
    assert add_term("2024-08-31", 1, "个月") == "2024-09-30"
    assert add_term("2024-01-31", 6, "个月") == "2024-07-30"


def test_a_term_in_chinese_numerals_and_a_start_days_after_publication(tmp_path):
    v = read(tmp_path, notice("第三条 本办法自印发之日起30日后施行，有效期三年。")).meta.validity
    assert v.effective_from == "2024-03-31" and v.effective_until == "2027-03-30"
    assert v.rules["effective_from"] == "自印发之日起30日后施行：2024年3月1日成文日期后30日"


def test_a_term_with_no_datable_start_leaves_the_status_unknown(tmp_path):
    v = read(tmp_path, "某市困难群众补贴实施办法\n一、补贴标准\n每人每月300元。\n二、附则\n"
                       "本实施办法自印发之日起实施，有效期5年。\n").meta.validity
    assert v.effective_from is None and v.effective_until is None
    assert v.status(TODAY) == "unknown"


def test_a_card_or_a_rating_term_is_not_the_documents(tmp_path):
    v = read(tmp_path, notice("第三条 电子居住证有效期为一年。星级评定结果有效期三年。")).meta.validity
    assert v.effective_until is None and "effective_until" not in v.rules
    assert v.status(TODAY) == "unknown"


def test_a_trial_measure_is_marked_and_dated_like_any_other(tmp_path):
    v = read(tmp_path, notice("第三条 本办法自2024年4月1日起施行，有效期3年。",
                              title="某市长期护理保险试行办法")).meta.validity
    assert "试行" in v.markers and v.effective_until == "2027-03-31"
    assert v.status(TODAY) == "in_force"


def test_an_interim_measure_is_marked(tmp_path):
    v = read(tmp_path, notice("第三条 本办法自2019年1月1日起施行。", title="某市专项附加扣除暂行办法")).meta.validity
    assert "暂行" in v.markers and v.status(TODAY) == "in_force"


def test_a_consultation_draft_is_a_draft_whatever_its_dates(tmp_path):
    doc = read(tmp_path, "某市低空经济发展实施方案（2026—2030年）\n（征求意见稿）\n一、总体要求\n"
                         "本方案自印发之日起施行。\n")
    v = doc.meta.validity
    assert v.draft and "征求意见稿" in v.markers and evidence(v, "draft") == ["（征求意见稿）"]
    assert v.status(TODAY) == "draft"


def test_a_body_that_mentions_a_review_draft_is_not_a_draft(tmp_path):
    v = read(tmp_path, notice("第三条 起草单位报送的审核材料应当包括文件送审稿。")).meta.validity
    assert not v.draft


def test_repealing_a_named_document(tmp_path):
    v = read(tmp_path, notice("第三条 本办法自2025年9月1日起施行，有效期至2030年8月31日。原《某市科技企业研发补贴办法》"
                              "（某科规〔2021〕2号）同时废止。")).meta.validity
    assert v.supersedes == ["某市科技企业研发补贴办法（某科规〔2021〕2号）"]
    assert evidence(v, "supersedes") == ["原《某市科技企业研发补贴办法》（某科规〔2021〕2号）同时废止"]


def test_a_document_cited_as_a_basis_is_not_repealed(tmp_path):
    v = read(tmp_path, notice("第三条 根据《某省科技条例》废止的规定另行处理。")).meta.validity
    assert v.supersedes == []


def test_a_plan_period_in_the_title_stands_in_for_a_term(tmp_path):
    v = read(tmp_path, "某市数字经济三年行动计划（2021—2023年）\n一、目标\n到2023年，数字经济增加值达到1000亿元。\n").meta.validity
    assert v.period == (2021, 2023) and v.effective_until is None
    assert v.status("2023-06-30") == "in_force" and v.status(TODAY) == "expired"
    assert badge(v, "expired") == "已失效（实施期至2023年）"


def test_nothing_stated_is_unknown_never_in_force(tmp_path):
    v = read(tmp_path, notice("第三条 各单位要认真组织实施。")).meta.validity
    assert v.issued == "2024-03-01" and v.status(TODAY) == "unknown"
    assert status_on(None, TODAY) == "unknown"


PORTAL_PAGE = """<html><head><meta charset="utf-8"><title>某市关于进一步加强住房保障工作的通知</title></head>
<body><table><tr><td>标题：</td><td>某市关于进一步加强住房保障工作的通知</td></tr>
<tr><td>发文字号：</td><td>某建规〔2019〕5号</td></tr><tr><td>成文日期：</td><td>2019年03月04日</td></tr>
<tr><td>有效性：</td><td>失效</td></tr><tr><td>生效日期：</td><td>2019年03月04日</td></tr>
<tr><td>废止日期：</td><td>2023年06月01日</td></tr></table>
<div><h1>某市关于进一步加强住房保障工作的通知</h1><p>各区人民政府，市政府各部门：</p>
<p>一、提高住房租赁补贴标准，每户每月补贴不超过1000元。</p>
<p>二、本通知自2019年3月4日起施行，有效期5年。</p><p>某市住房和城乡建设局</p><p>2019年3月4日</p></div>
</body></html>"""


def test_a_portals_info_table_wins_over_the_text(tmp_path):
    doc = read(tmp_path, PORTAL_PAGE, "page.html")
    v = doc.meta.validity
    # The text says five years (to 2024-03-03); the portal repealed it early.
    assert (v.effective_from, v.effective_until, v.stated) == ("2019-03-04", "2023-06-01", "expired")
    # The portal's date, and the document's own words kept beside it.
    assert evidence(v, "effective_until") == ["废止日期：2023年06月01日", "本通知自2019年3月4日起施行，有效期5年"]
    assert evidence(v, "status") == ["有效性：失效"]
    header = next(c for c in chunk_document(doc) if c.kind == "header")
    assert "废止日期：2023年06月01日" in header.text and "有效性：失效" in header.text
    assert all(e.chunk_id == header.chunk_id for e in v.evidence if e.start is None)


def test_a_portals_info_list_outside_a_table(tmp_path):
    page = PORTAL_PAGE.replace("<tr><td>有效性：</td><td>失效</td></tr><tr><td>生效日期：</td><td>2019年03月04日</td></tr>\n"
                               "<tr><td>废止日期：</td><td>2023年06月01日</td></tr>", "")
    page = page.replace("<div><h1>", "<ul><li><span>实施日期：</span>\n 2019年03月04日\n</li>"
                                     "<li><span>失效日期：</span>\n 2029年12月06日\n</li></ul><div><h1>")
    v = read(tmp_path, page, "page.html").meta.validity
    assert (v.effective_from, v.effective_until) == ("2019-03-04", "2029-12-06")
    assert v.status(TODAY) == "in_force"


def test_a_saved_pages_label_lines(tmp_path):
    text = ("索引号：\n0828-2025-22\n成文日期：\n2025-09-29\n有效性：\n有效\n关于印发《某省电价改革实施方案》的通知\n"
            "各有关单位：\n现将方案印发你们。\n一、总体目标\n到2025年底前实现电价全面市场化。\n本方案自印发之日起执行。\n")
    doc = read(tmp_path, text)
    v = doc.meta.validity
    assert (v.issued, v.effective_from, v.stated) == ("2025-09-29", "2025-09-29", "in_force")
    assert doc.meta.date == "2025-09-29"
    assert evidence(v, "status") == ["有效性：有效"]


AMENDED = """# 某省湖泊水域保护条例

1988年7月23日 某省第七届人民代表大会常务委员会第四次会议通过

1997年6月28日 某省第八届人民代表大会常务委员会第三十七次会议《关于修改〈某省湖泊水域保护条例〉的决定》第一次修正

2009年4月1日 某省第十一届人民代表大会常务委员会第十次会议《关于修改〈某省湖泊水域保护条例〉的决定》第二次修正

<!-- INFO END -->

## 第一章 总则

第一条 为了保护湖泊水域，制定本条例。

第二条 本条例自1988年9月1日起施行。
"""


def test_an_amended_regulation_is_dated_by_its_latest_amendment(tmp_path):
    doc = read(tmp_path, AMENDED, "regulation.md")
    v = doc.meta.validity
    assert (v.issued, v.first_adopted, v.amendments) == ("2009-04-01", "1988-07-23", 2)
    assert doc.meta.date == "2009-04-01"
    assert v.effective_from == "1988-09-01" and v.status(TODAY) == "in_force"
    assert evidence(v, "first_adopted")[0].startswith("1988年7月23日")


def test_evidence_points_at_the_clause_that_states_it(tmp_path):
    doc = read(tmp_path, notice("第三条 本办法自2024年4月1日起施行，有效期至2025年12月31日。"))
    by_id = {c.chunk_id: c for c in chunk_document(doc)}
    for e in doc.meta.validity.evidence:
        assert e.chunk_id in by_id and e.text.replace(" ", "") in by_id[e.chunk_id].text.replace(" ", "")
    until = doc.meta.validity.evidence_for("effective_until")[0]
    assert by_id[until.chunk_id].section_path[-1].startswith("第三条")


@pytest.mark.parametrize(("v", "on", "expected"), [
    (Validity(draft=True, effective_from="2020-01-01"), TODAY, "draft"),
    (Validity(effective_from="2027-01-01"), TODAY, "not_yet"),
    (Validity(effective_from="2020-01-01", effective_until="2025-12-31"), TODAY, "expired"),
    (Validity(effective_from="2020-01-01", superseded_by=["new"], superseded_on="2026-02-01"), TODAY, "superseded"),
    (Validity(effective_from="2020-01-01", superseded_by=["new"], superseded_on="2026-02-01"), "2026-01-31", "in_force"),
    (Validity(stated="in_force", issued="2025-12-09"), TODAY, "in_force"),
    (Validity(stated="in_force", issued="2025-12-09"), "2025-01-01", "not_yet"),
    (Validity(issued="2020-01-01"), TODAY, "unknown"),
])
def test_the_status_on_a_date(v, on, expected):
    assert v.status(on) == expected


def test_versions_of_one_title_and_a_repeal_by_number(tmp_path):
    old = read(tmp_path, notice("第三条 本办法自2022年4月1日起施行，有效期至2025年12月31日。",
                                number="某科规〔2022〕1号", signed="2022年3月1日"), "old.txt").meta
    new = read(tmp_path, notice("第三条 本办法自2026年2月1日起施行，有效期3年。原《某市科技企业研发补贴办法》"
                                "（某科规〔2022〕1号）同时废止。", number="某科规〔2026〕1号",
                                signed="2026年1月10日"), "new.txt").meta
    draft = read(tmp_path, "某市科技企业研发补贴办法（征求意见稿）\n第一条 对研发投入给予补贴。\n", "draft.txt").meta
    links = link_versions({"old": old, "new": new, "draft": draft})
    assert core_title(old.title) == core_title(draft.title) == links["old"].chain
    assert links["old"].superseded_by == ["new"] and links["old"].superseded_on == "2026-02-01"
    assert links["new"].supersedes == ["old"] and links["draft"].superseded_by == []
    old.validity.superseded_by, old.validity.superseded_on = ["new"], "2026-02-01"
    assert old.validity.status("2026-01-15") == "expired"  # its own term ran out first
    assert old.validity.status("2025-06-01") == "in_force"
    assert old.validity.status(TODAY) == "superseded"


def test_a_signature_date_broken_at_every_number_is_read(tmp_path):
    # Pages saved line by line at each inline tag break a date into its numbers.
    text = ("关于下达某市电力需求响应资金计划的通知\n各有关单位：\n现下达资金计划\n645\n万元。\n"
            "市工业和信息化局\n202\n5\n年\n12\n月\n9\n日\n")
    doc = read(tmp_path, text)
    assert "2025年12月9日" in doc.paragraphs and doc.meta.validity.issued == "2025-12-09"


def test_a_signer_broken_across_lines_is_read_whole(tmp_path):
    # A joint signature saved line by line may break one unit's name (市工业 / 和信息化局);
    # the line reader then joins its beginning to the line above.
    text = ("关于下达某市电力需求响应资金计划的通知\n各有关单位：\n市工业和信息化局组织开展了需求响应工作。\n"
            "附件：某市补贴资金汇总表\n市工业\n和信息化局\n市财政局\n202\n5\n年\n12\n月\n9\n日\n")
    doc = read(tmp_path, text)
    assert doc.meta.issuer == "市工业和信息化局、市财政局"

"""The 扶持措施 tab in a real Chromium: the table filters and sorts, exports CSV and XLSX,
opens a measure's clause in the panel with its sentence marked, lists the measures of documents
not in force apart, and the company self-check groups the measures; axe-core finds no serious
violation."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from validity_docs import DOCS, TODAY
from web_support import Watched, axe_violations, chromium, dated_server, shot

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def base_url(tmp_path_factory):
    # Statuses follow the date: the server reads them on a fixed day.
    with dated_server(tmp_path_factory.mktemp("web-measures"), DOCS, TODAY) as url:
        yield url


@pytest.fixture(scope="module")
def browser(base_url):
    with chromium() as b:
        yield b


@pytest.fixture(params=["light", "dark"])
def page(browser, base_url, request):
    context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="zh-CN",
                                  color_scheme=request.param, bypass_csp=True, accept_downloads=True)
    page = context.new_page()
    watched = Watched(page, base_url)
    page.goto(base_url + "/")
    page.locator(".index-status.ready").wait_for()
    page.get_by_role("button", name="扶持措施").click()
    page.locator("#m-rows tr").first.wait_for()
    yield page
    try:
        watched.check()
    finally:
        context.close()


def _kinds(page) -> list[str]:
    return page.locator("#m-rows tr td:first-child").all_inner_texts()


def test_table_lists_current_measures_and_keeps_the_others_apart(page):
    from playwright.sync_api import expect

    expect(page.locator("#m-rows tr")).to_have_count(2)
    expect(page.locator("#m-count")).to_contain_text("共2项现行措施")
    expect(page.locator("#m-apart summary")).to_contain_text("（3项）")
    row = page.locator("#m-rows tr", has_text="研发投入")
    expect(row).to_contain_text("最高100万元")
    expect(row).to_contain_text("某市科学技术局")  # no responsibility note: the issuing department
    # A government issued it and no note names a unit: not guessed.
    expect(page.locator("#m-rows tr", has_text="加氢站").locator("td").nth(4)).to_have_text("文件未载明")
    violations = axe_violations(page)
    assert not violations, violations
    dark = page.evaluate("matchMedia('(prefers-color-scheme: dark)').matches")
    shot(page, "measures-table-dark" if dark else "measures-table-light")


def test_filter_and_sort(page):
    from playwright.sync_api import expect

    page.locator("#m-min").fill("200")
    page.get_by_role("button", name="筛选").click()
    expect(page.locator("#m-rows tr")).to_have_count(1)
    expect(page.locator("#m-rows tr")).to_contain_text("加氢站")
    page.locator("#m-min").fill("")
    page.get_by_role("button", name="筛选").click()
    expect(page.locator("#m-rows tr")).to_have_count(2)
    page.get_by_role("button", name="金额").click()
    expect(page.locator("th", has=page.get_by_role("button", name="金额"))).to_have_attribute("aria-sort", "descending")
    assert "建设补贴" in _kinds(page)[0]
    page.get_by_role("button", name="金额").click()
    expect(page.locator("th", has=page.get_by_role("button", name="金额"))).to_have_attribute("aria-sort", "ascending")
    assert _kinds(page)[0] == "补贴"


def test_exports_download_the_rows(page):
    from openpyxl import load_workbook

    with page.expect_download() as done:
        page.get_by_role("button", name="导出 CSV").click()
    text = Path(done.value.path()).read_text(encoding="utf-8-sig")
    assert text.startswith("文件,地区,文件状态") and "某市氢能产业扶持办法" in text
    with page.expect_download() as done:
        page.get_by_role("button", name="导出 XLSX").click()
    book = load_workbook(io.BytesIO(Path(done.value.path()).read_bytes()))
    assert book["扶持措施"].max_row == 3


def test_a_measure_opens_its_clause_with_its_sentence_marked(page):
    from playwright.sync_api import expect

    page.locator("#m-rows tr", has_text="加氢站").get_by_role("button", name="查看原文").click()
    panel = page.locator("#panel")
    expect(panel).to_be_visible()
    expect(panel.locator(".current mark")).to_contain_text("对新建加氢站给予每座300万元建设补贴")
    expect(page.locator("#panel-title")).to_be_focused()


def test_the_self_check_groups_by_the_cited_conditions(page):
    from playwright.sync_api import expect

    page.locator("#p-place").fill("某市")
    page.locator("#p-rd").fill("800")
    page.get_by_role("button", name="开始自查").click()
    likely = page.locator(".match-likely")
    expect(likely.locator("h3")).to_contain_text("条件可能满足")
    expect(likely).to_contain_text("年度研发投入超过500万元")
    expect(likely.locator(".check-met").first).to_be_visible()
    page.locator("#p-rd").fill("100")
    page.get_by_role("button", name="开始自查").click()
    expect(page.locator(".match-not_applicable")).to_contain_text("企业研发投入100万元")
    expect(page.locator(".match-check")).to_contain_text("新建加氢站")  # a beneficiary the profile does not decide
    violations = axe_violations(page)
    assert not violations, violations

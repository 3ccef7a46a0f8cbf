"""Documents' statuses on the chat page, seen in a real Chromium: the badges on source cards and
in the document list, the sentence on an answer quoting a document not in force, and the scope's
status filter."""

from __future__ import annotations

import pytest
from validity_docs import DOCS, TODAY
from web_support import Watched, ask, axe_violations, chromium, dated_server, shot

pytestmark = pytest.mark.integration

EXPIRED_QUESTION = "某县会展展会奖励多少钱？"
CURRENT_QUESTION = "某市科技企业研发补贴最高多少？"


@pytest.fixture(scope="module")
def base_url(tmp_path_factory):
    # Statuses follow the date: the server reads them on a fixed day.
    with dated_server(tmp_path_factory.mktemp("web-validity"), DOCS, TODAY) as url:
        yield url


@pytest.fixture(scope="module")
def browser(base_url):
    with chromium() as b:
        yield b


@pytest.fixture(params=["light", "dark"])
def page(browser, base_url, request):
    # axe is injected as a script, which the page's CSP (script-src 'self') would refuse.
    context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="zh-CN",
                                  color_scheme=request.param, bypass_csp=True)
    page = context.new_page()
    watched = Watched(page, base_url)
    page.goto(base_url + "/")
    page.locator(".index-status.ready").wait_for()
    yield page
    try:
        watched.check()
    finally:
        context.close()


def test_source_cards_show_each_documents_status(page):
    from playwright.sync_api import expect

    ask(page, EXPIRED_QUESTION)
    card = page.locator(".msg-assistant .answer-card").last
    expect(card.locator(".answer-text")).to_contain_text("该文件有效期至2025年12月31日，已失效。")
    badge = card.locator(".source .badge.validity").first
    expect(badge).to_have_text("已失效（有效期至2025年12月31日）")
    expect(badge).to_have_class("badge validity expired")
    expect(card.locator(".source .badge.final").first).to_have_text("正式文件")

    ask(page, CURRENT_QUESTION)
    card = page.locator(".msg-assistant .answer-card").last
    expect(card.locator(".source .badge.validity").first).to_have_text("现行有效（有效期至2029年1月31日）")
    expect(card.locator(".answer-text")).not_to_contain_text("已失效")
    # The badge's colours stay readable (axe's contrast check among the rest).
    assert axe_violations(page) == []
    shot(page, "validity-badges-" + page.evaluate("matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light'"))

    # The preview of a citation carries the badge too.
    card.locator(".answer-text button.cite").first.hover()
    expect(page.locator("#cite-preview .badge.validity")).to_have_text("现行有效（有效期至2029年1月31日）")


def test_the_document_list_shows_statuses_and_the_scope_filters_by_one(page):
    from playwright.sync_api import expect

    page.click(".tab[data-view=docs]")
    replaced = page.locator(".doc-item", has_text="某科规〔2022〕1号")
    expect(replaced.locator(".badge.validity")).to_have_text("已被替代（2026年2月1日起）")
    expect(page.locator(".doc-item", has_text="氢能").locator(".badge.validity")).to_have_text(
        "尚未施行（2027年1月1日起施行）")
    expect(page.locator(".doc-item", has_text="低空").locator(".badge.draft")).to_have_text("征求意见稿")
    expect(page.locator(".doc-item", has_text="非遗").locator(".badge.validity")).to_have_text("效力未知")
    assert axe_violations(page) == []

    page.click(".tab[data-view=chat]")
    bodies: list[dict] = []
    page.on("request", lambda r: bodies.append(r.post_data_json) if r.url.endswith("/api/ask/stream") else None)
    page.select_option("#scope-status", "expired")
    ask(page, "补贴和奖励多少？")
    assert bodies[-1]["filters"] == {"status": "expired"}
    card = page.locator(".msg-assistant .answer-card").last
    expect(card.locator(".answer-scope")).to_have_text("检索范围：只看已失效")
    badges = card.locator(".source .badge.validity")
    expect(badges.first).to_be_visible()
    for badge in badges.all():
        expect(badge).to_contain_text("已失效")

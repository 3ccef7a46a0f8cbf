"""Accessibility of the chat page (axe-core in real Chromium), light and dark, desktop and phone,
with screenshots of each state kept for a look."""

from __future__ import annotations

import pytest
from web_support import Watched, ask, axe_violations, chromium, live_server, settled, shot

pytestmark = pytest.mark.integration

QUESTION = "遂昌加速创新成果转化应用由哪些单位负责？"
SPARK_QUESTION = "浙江星火计划到2030年要培育多少个未来产业先导区？"
SIZES = {"desktop": (1440, 900), "phone": (390, 844)}


@pytest.fixture(scope="module")
def base_url(tmp_path_factory):
    with live_server(tmp_path_factory.mktemp("web-a11y")) as url:
        yield url


@pytest.fixture(scope="module")
def browser(base_url):
    with chromium() as b:
        yield b


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_no_serious_axe_violations(browser, base_url, scheme, size):
    from playwright.sync_api import expect

    width, height = SIZES[size]
    # axe is injected as a script, which the page's CSP (script-src 'self') would refuse.
    context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN",
                                  color_scheme=scheme, bypass_csp=True)
    page = context.new_page()
    watched = Watched(page, base_url)
    try:
        page.goto(base_url + "/")
        settled(page)
        assert page.evaluate("matchMedia('(prefers-color-scheme: dark)').matches") == (scheme == "dark")
        name = f"{size}-{scheme}"
        found: dict[str, list] = {}
        shot(page, f"{name}-welcome")
        found["welcome"] = axe_violations(page)

        # The chat with answers (one from a draft), the clause panel open.
        ask(page, QUESTION)
        ask(page, SPARK_QUESTION)
        shot(page, f"{name}-answer")
        page.locator(".msg-assistant .answer-text button.cite").first.click()
        expect(page.locator(".ctx.current")).to_be_visible()
        shot(page, f"{name}-panel")
        found["chat with panel"] = axe_violations(page)
        page.click("#panel-close")

        # A citation preview and the scope picker.
        page.locator(".msg-assistant .answer-text button.cite").last.focus()
        expect(page.locator("#cite-preview")).to_be_visible()
        shot(page, f"{name}-preview")
        found["preview"] = axe_violations(page)
        page.click("#scope-docs-summary")
        expect(page.locator(".scope-pop")).to_be_visible()
        shot(page, f"{name}-scope")
        found["scope"] = axe_violations(page)
        page.keyboard.press("Escape")

        if size == "phone":
            page.click("#sidebar-toggle")
            expect(page.locator("#sidebar")).to_be_visible()
            # The drawer has slid in: no transition left running, its left edge on screen.
            page.wait_for_function("""() => { const s = document.getElementById("sidebar");
                return s.getAnimations().length === 0 && s.getBoundingClientRect().left >= 0; }""")
            shot(page, f"{name}-conversations")
            found["conversations"] = axe_violations(page)
            page.keyboard.press("Escape")

        # 文件库 with a document's clause tree.
        page.click(".tab[data-view=docs]")
        page.locator(".doc-item", has_text="星火计划").click()
        expect(page.locator(".tree")).to_be_visible()
        shot(page, f"{name}-documents")
        found["documents"] = axe_violations(page)

        bad = [f"{where}: {v['id']} ({v['impact']}) {v['nodes']}"
               for where, violations in found.items() for v in violations]
        assert bad == [], "\n".join(bad)
        watched.check()
    finally:
        context.close()


def test_only_the_finished_answer_is_announced(browser, base_url):
    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN")
    page = context.new_page()
    try:
        page.goto(base_url + "/")
        settled(page)
        live = page.evaluate("[...document.querySelectorAll('[aria-live]')].map(e => e.id)")
        assert live == ["announcer"]  # not the message list, which changes with every piece
        ask(page, QUESTION)
        announced = page.locator("#announcer").inner_text()
        assert announced.startswith("回答：") and "县科技局" in announced
        assert "[" not in announced  # markers are not read out as numbers
    finally:
        context.close()

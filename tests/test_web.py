"""The chat page in a real browser: Playwright driving Debian's Chromium against a live server."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
CORPUS = Path(__file__).resolve().parent.parent / "corpus"
FILES = ("suichang-2024-future-industries-opinions.txt", "zhejiang-spark-plan-2026-2030-draft.txt")
SCREENSHOT_COPY = Path("/tmp/web-screenshot.png")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def base_url(tmp_path_factory):
    """A uvicorn server on a free loopback port in a background thread, stopped at the end."""
    if not CHROMIUM.exists():
        pytest.skip("Debian's Chromium is not installed (apt-get install chromium)")
    pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    import uvicorn

    from assistant.api import create_app
    from assistant.service import Assistant
    from assistant.settings import Settings

    root = tmp_path_factory.mktemp("web")
    corpus = root / "corpus"
    corpus.mkdir()
    for name in FILES:
        shutil.copy(CORPUS / name, corpus / name)
    assistant = Assistant(Settings(embedding_model="hash", index_dir=root / "index", corpus_dir=corpus))
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("ASSISTANT_API_KEY", raising=False)
        app = create_app(assistant)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, name="uvicorn-test", daemon=True)
    thread.start()
    deadline = time.monotonic() + 120  # the lifespan ingests the two files first
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            pytest.fail("the test server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)


def test_chat_citations_and_document_browser(base_url, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900}, locale="zh-CN")
            errors: list[str] = []
            outside: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("request", lambda r: None if r.url.startswith((base_url, "data:"))
                    else outside.append(r.url))

            page.goto(base_url + "/")
            expect(page.locator("#index-status")).to_contain_text("已收录 2 份文件")
            expect(page.locator(".example")).to_have_count(4)
            page.screenshot(path=str(tmp_path / "welcome.png"))

            # Ask; the answer streams in and ends with its sources.
            page.fill("#question", "遂昌加速创新成果转化应用由哪些单位负责？")
            page.press("#question", "Enter")
            card = page.locator(".msg-assistant .answer-card").last
            expect(card.locator(".answer-foot")).to_be_visible(timeout=30_000)
            expect(card.locator(".answer-text")).to_contain_text("县科技局")
            expect(card.locator(".source")).not_to_have_count(0)

            # A citation marker opens the clause, highlighted, with the clauses around it.
            card.locator(".answer-text button.cite").first.click()
            expect(page.locator("#panel")).to_be_visible()
            expect(page.locator("#panel-title")).to_contain_text("遂昌县关于培育发展未来产业的实施意见")
            current = page.locator(".ctx.current")
            expect(current).to_contain_text("加快推进遂昌科技大市场")
            expect(current.locator("mark").first).to_be_visible()
            expect(page.locator("#panel-path")).to_contain_text("（三）加速创新成果转化应用")
            expect(page.locator(".ctx.neighbour")).to_have_count(2)
            chat_shot = tmp_path / "chat.png"
            page.screenshot(path=str(chat_shot))
            shutil.copy(chat_shot, SCREENSHOT_COPY)

            # A follow-up in the same conversation, then a question the documents cannot answer.
            page.fill("#question", "牵头单位是谁？")
            page.press("#question", "Enter")
            expect(page.locator(".msg-assistant .answer-foot")).to_have_count(2, timeout=30_000)
            page.fill("#question", "火星移民计划的预算是多少？")
            page.press("#question", "Enter")
            expect(page.locator(".msg-assistant .answer-foot")).to_have_count(3, timeout=30_000)
            refused = page.locator(".msg-assistant .answer-card").last
            expect(refused.locator(".status-chip.refused")).to_be_visible()
            expect(refused.locator(".related .source")).not_to_have_count(0)
            refused.locator(".related .source").first.click()
            expect(page.locator(".ctx.current")).to_be_visible()
            page.screenshot(path=str(tmp_path / "refused.png"))

            # The document browser: list → clause tree → clause.
            page.click(".tab[data-view=docs]")
            expect(page.locator(".doc-item")).to_have_count(2)
            page.locator(".doc-item", has_text="星火计划").click()
            expect(page.locator(".doc-detail-title")).to_contain_text("星火计划")
            node = page.locator(".tree-node[data-chunk]", has_text="布局培育未来产业先导区")
            node.click()
            expect(page.locator(".ctx.current")).to_contain_text("先导区")
            expect(node).to_have_class("tree-node active")
            page.screenshot(path=str(tmp_path / "documents.png"))
            page.locator(".doc-detail").evaluate("box => box.scrollTo(0, 0)")
            page.screenshot(path=str(tmp_path / "document-top.png"))

            # A narrow (phone) screen: the panel covers the page and closes again.
            page.set_viewport_size({"width": 420, "height": 860})
            page.click("#panel-close")  # it covers the page on a narrow screen
            page.click(".tab[data-view=chat]")
            page.locator(".msg-assistant button.cite").first.click()
            expect(page.locator("#panel")).to_be_visible()
            page.screenshot(path=str(tmp_path / "narrow.png"))
            page.click("#panel-close")
            expect(page.locator("#panel")).to_be_hidden()

            if Path("/usr/share/fonts/opentype/noto").exists():
                assert page.evaluate("document.fonts.check('16px \"Noto Sans CJK SC\"', '中文')")
            assert errors == [], errors
            assert outside == [], f"the page loaded from outside the server: {outside}"
        finally:
            browser.close()

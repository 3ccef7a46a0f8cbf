"""The chat page in a real browser: Playwright driving Debian's Chromium against a live server."""

from __future__ import annotations

import contextlib
import itertools
import re
import threading
import time
from pathlib import Path

import pytest
from web_support import (
    SPARK,
    STATE_TIMEOUT_MS,
    SUICHANG,
    Watched,
    ask,
    chromium,
    live_server,
    settled,
    shot,
)

pytestmark = pytest.mark.integration

SCREENSHOT_COPY = Path("/tmp/web-screenshot.png")
QUESTION = "遂昌加速创新成果转化应用由哪些单位负责？"
SPARK_QUESTION = "浙江星火计划到2030年要培育多少个未来产业先导区？"
SUICHANG_TITLE = "遂昌县关于培育发展未来产业的实施意见"
STREAM = "**/api/ask/stream"


@pytest.fixture(scope="module")
def base_url(tmp_path_factory):
    with live_server(tmp_path_factory.mktemp("web")) as url:
        yield url


@pytest.fixture(scope="module")
def browser(base_url):
    with chromium() as b:
        yield b


@pytest.fixture
def page(browser, base_url):
    """A fresh browser context (empty storage) at the chat page; checked for errors at the end."""
    context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="zh-CN",
                                  permissions=["clipboard-read", "clipboard-write"])
    page = context.new_page()
    watched = Watched(page, base_url)
    page.goto(base_url + "/")
    settled(page)
    yield page
    try:
        watched.check(getattr(page, "allowed_errors", ()))
    finally:
        context.close()


def stream_bodies(page) -> list[dict]:
    """The JSON bodies of every question the page sends from now on."""
    bodies: list[dict] = []
    page.on("request", lambda r: bodies.append(r.post_data_json) if r.url.endswith("/api/ask/stream") else None)
    return bodies


def hold_questions(page) -> list:
    """Questions are held (not sent on) until the test lets them go."""
    held: list = []
    page.route(STREAM, lambda route: held.append(route))
    return held


def release(page, held: list) -> None:
    page.unroute(STREAM)
    for route in held:
        with contextlib.suppress(Exception):  # the page cancelled it meanwhile
            route.continue_()


def test_chat_citations_and_document_browser(page, tmp_path):
    from playwright.sync_api import expect

    expect(page.locator("#index-status")).to_contain_text("已收录 2 份文件")
    # Example questions are drawn from the two indexed documents, none from the rest of the corpus.
    expect(page.locator(".example")).to_have_count(4)
    examples = page.locator(".example").all_inner_texts()
    assert all(("遂昌" in e) != ("浙江" in e) for e in examples), examples
    assert not any("成都" in e or "杭州" in e for e in examples), examples
    # No empty "新对话" waits in the list before a first question.
    expect(page.locator(".conv")).to_have_count(0)
    ask(page, QUESTION)
    card = page.locator(".msg-assistant .answer-card").last
    expect(card.locator(".answer-text")).to_contain_text("县科技局")
    expect(card.locator(".source")).not_to_have_count(0)
    expect(card).not_to_contain_text("用时")
    # One clause cited sentence by sentence shows its marker once.
    shown = card.locator(".answer-text").evaluate("""e => { const c = e.cloneNode(true);
        c.querySelectorAll('.cite').forEach(b => b.replaceWith('[' + b.dataset.n + ']'));
        return c.textContent; }""")
    assert "[1]" in shown and not re.search(r"\[(\d+)\]\[\1\]", shown), shown

    # A citation marker opens the clause, highlighted, with the clauses around it; the
    # focus moves to the panel and comes back when it closes.
    cite = card.locator(".answer-text button.cite").first
    cite.click()
    expect(page.locator("#panel")).to_be_visible()
    expect(page.locator("#panel-title")).to_be_focused()
    expect(page.locator("#panel-title")).to_contain_text(SUICHANG_TITLE)
    expect(page.locator("#panel-meta .badge.final")).to_have_text("正式文件")
    current = page.locator(".ctx.current")
    expect(current).to_contain_text("加快推进遂昌科技大市场")
    expect(current.locator("mark").first).to_be_visible()
    expect(page.locator("#panel-path")).to_contain_text("（三）加速创新成果转化应用")
    expect(page.locator(".ctx.neighbour")).to_have_count(2)
    # Unit names and labels never break inside a word.
    for unit in current.locator(".units .nowrap").all():
        assert unit.evaluate("e => getComputedStyle(e).whiteSpace") == "nowrap"
    chat_shot = shot(page, "test-chat")
    SCREENSHOT_COPY.write_bytes(chat_shot.read_bytes())
    page.keyboard.press("Escape")
    expect(page.locator("#panel")).to_be_hidden()
    expect(cite).to_be_focused()

    # A follow-up in the same conversation: how it was understood is said above its answer.
    ask(page, "牵头单位是谁？")
    follow = page.locator(".msg-assistant .answer-card").last
    expect(follow.locator(".understood")).to_contain_text("结合上文理解为：")
    expect(follow.locator(".understood")).to_contain_text("加速创新成果转化应用")
    assert follow.locator(".understood, .answer-text").evaluate_all(
        "els => els.map(e => e.className)")[0] == "understood"  # before the answer's text
    # Then a question the documents cannot answer.
    ask(page, "火星移民计划的预算是多少？")
    refused = page.locator(".msg-assistant .answer-card").last
    expect(refused.locator(".status-chip.refused")).to_be_visible()
    expect(refused.locator(".related .source")).not_to_have_count(0)
    refused.locator(".related .source").first.click()
    expect(page.locator(".ctx.current")).to_be_visible()

    # The document browser: list → clause tree (one tab stop, arrow keys) → clause.
    page.click(".tab[data-view=docs]")
    expect(page.locator(".doc-item")).to_have_count(2)
    page.fill("#doc-search", "星火")
    expect(page.locator(".doc-item")).to_have_count(1)
    page.locator(".doc-item").click()
    expect(page.locator(".doc-detail-title")).to_contain_text("星火计划")
    tree = page.locator(".tree[role=tree]")
    assert tree.locator("[role=treeitem][tabindex='0']").count() == 1
    assert tree.locator("[role=treeitem]").count() > 10
    node = page.locator(".tree-item[data-chunk]", has_text="布局培育未来产业先导区").first
    node.click()
    expect(page.locator(".ctx.current")).to_contain_text("先导区")
    expect(node).to_have_class(re.compile(r"\bactive\b"))
    expect(node).to_be_focused()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    expect(page.locator(".ctx.current")).not_to_contain_text("布局培育未来产业先导区")
    shot(page, "test-documents")

    # A narrow (phone) screen: the panel is a sheet over the page and closes again.
    page.set_viewport_size({"width": 390, "height": 844})
    page.click("#panel-close")
    page.click(".tab[data-view=chat]")
    page.locator(".msg-assistant button.cite").first.click()
    expect(page.locator("#panel")).to_be_visible()
    box = page.locator("#panel").bounding_box()
    assert box["y"] > 60 and box["width"] == 390  # a bottom sheet, full width
    shot(page, "test-narrow")
    page.click("#panel-close")
    expect(page.locator("#panel")).to_be_hidden()

    if Path("/usr/share/fonts/opentype/noto").exists():
        assert page.evaluate("document.fonts.check('16px \"Noto Sans CJK SC\"', '中文')")


def test_new_conversation_while_an_answer_is_pending_sends_no_history(page):
    from playwright.sync_api import expect

    bodies = stream_bodies(page)
    held = hold_questions(page)
    page.fill("#question", QUESTION)
    page.press("#question", "Enter")
    expect(page.locator("#stop")).to_be_visible()
    assert len(held) == 1
    page.click("#new-chat")
    expect(page.locator("#messages > li")).to_have_count(0)
    expect(page.locator("#welcome")).to_be_visible()
    release(page, held)  # a late answer must not come back into the new conversation

    ask(page, "那星火计划呢？", answers_before=0)
    assert "history" not in bodies[-1], bodies[-1]
    expect(page.locator("#messages > li.msg-user")).to_have_count(1)
    expect(page.locator("#messages")).not_to_contain_text(QUESTION)
    # The next follow-up carries this conversation's turn only.
    ask(page, "先导区有多少个？")
    history = bodies[-1]["history"]
    assert [m["content"] for m in history if m["role"] == "user"] == ["那星火计划呢？"]
    # The first conversation kept its question, marked as stopped.
    expect(page.locator(".conv")).to_have_count(2)
    page.locator(".conv-open", has_text="遂昌加速").click()
    expect(page.locator(".msg-user .bubble")).to_have_text([QUESTION])
    expect(page.locator(".stopped-note")).to_be_visible()


def test_stop_cancels_the_request(page):
    from playwright.sync_api import expect

    held = hold_questions(page)
    page.fill("#question", QUESTION)
    page.press("#question", "Enter")
    expect(page.locator("#stop")).to_be_visible()
    expect(page.locator("#send")).to_be_hidden()
    # The fetch is aborted: its request fails.
    with page.expect_event("requestfailed", lambda r: r.url.endswith("/api/ask/stream")):
        page.click("#stop")
    expect(page.locator(".stopped-note")).to_have_text("已停止回答。")
    expect(page.locator("#send")).to_be_visible()
    expect(page.locator("#stop")).to_be_hidden()
    release(page, held)
    # 重新回答 asks again.
    page.click(".retry-button")
    expect(page.locator(".msg-assistant .answer-foot .copy-button")).to_have_count(1)
    expect(page.locator(".msg-user")).to_have_count(1)


def test_conversations_survive_a_reload_and_can_be_renamed_and_deleted(page):
    from playwright.sync_api import expect

    ask(page, QUESTION)
    answer = page.locator(".answer-text").last.inner_text()
    page.reload()
    settled(page)
    expect(page.locator(".msg-user .bubble")).to_have_text([QUESTION])
    expect(page.locator(".answer-text").last).to_have_text(answer)
    expect(page.locator(".source .badge.final")).to_be_visible()
    expect(page.locator(".conv.active .conv-title")).to_have_text(QUESTION[:28])

    # The restored conversation goes on: the follow-up carries its history.
    bodies = stream_bodies(page)
    ask(page, "牵头单位是谁？")
    assert bodies[-1]["history"][0] == {"role": "user", "content": QUESTION}

    page.locator(".conv.active .conv-action", has_text="改名").click()
    page.fill("#rename-input", "遂昌成果转化")
    page.click("#rename button[value=ok]")
    expect(page.locator(".conv.active .conv-title")).to_have_text("遂昌成果转化")
    page.click("#new-chat")
    ask(page, SPARK_QUESTION, answers_before=0)
    page.reload()
    settled(page)
    expect(page.locator(".conv")).to_have_count(2)
    expect(page.locator(".msg-user .bubble")).to_have_text([SPARK_QUESTION])
    page.locator(".conv", has_text="遂昌成果转化").locator(".conv-action", has_text="删除").click()
    page.click("#confirm-ok")
    expect(page.locator(".conv")).to_have_count(1)
    page.reload()
    expect(page.locator(".conv")).to_have_count(1)
    expect(page.locator(".conv-title")).to_have_text([re.compile("浙江星火计划")])


def test_scope_filters_reach_the_request_and_show_in_the_answer(page):
    from playwright.sync_api import expect

    bodies = stream_bodies(page)
    page.select_option("#scope-status", "final")
    ask(page, SPARK_QUESTION)
    assert bodies[-1]["filters"] == {"status": "final"}
    card = page.locator(".msg-assistant .answer-card").last
    expect(card.locator(".answer-scope")).to_have_text("检索范围：只看正式文件")
    for source in card.locator(".source").all():  # nothing from the draft
        expect(source).not_to_contain_text("征求意见稿")

    # Documents and level from the scope bar.
    page.click("#scope-clear")
    page.click("#scope-docs-summary")
    page.locator(".scope-doc", has_text="星火计划").locator("input").check()
    page.select_option("#scope-level", "province")
    ask(page, SPARK_QUESTION)
    assert bodies[-1]["filters"] == {"doc_ids": [SPARK], "level": "province"}
    expect(page.locator(".answer-scope").last).to_contain_text("只看省级")

    # 只问这份文件 from 文件库 sets the scope to that document.
    page.click("#scope-clear")
    page.click(".tab[data-view=docs]")
    page.locator(".doc-item", has_text="遂昌").click()
    page.click("text=只问这份文件")
    expect(page.locator("#question")).to_be_focused()
    ask(page, QUESTION)
    assert bodies[-1]["filters"] == {"doc_ids": [SUICHANG]}
    expect(page.locator(".answer-scope").last).to_contain_text(SUICHANG_TITLE)


def test_errors_are_chinese_with_retry_and_the_status_dot_follows_the_server(page):
    from playwright.sync_api import expect

    page.allowed_errors = ("net::ERR_FAILED",)  # the loads this test makes fail
    # The server is unreachable for every request the page makes from now on.
    unreachable = ("**/api/**", "**/readyz")
    for pattern in unreachable:
        page.route(pattern, lambda route: route.abort())
    page.fill("#question", QUESTION)
    page.press("#question", "Enter")
    expect(page.locator(".error-text")).to_have_text("无法连接到服务器，请确认服务正在运行。")
    expect(page.locator("#index-status")).to_have_class(re.compile(r"\bdown\b"))
    expect(page.locator("#index-status")).to_have_text("服务器无法连接")
    for pattern in unreachable:
        page.unroute(pattern)
    # The dot asks again on its own every few seconds while the server is down.
    expect(page.locator("#index-status")).to_have_class(re.compile(r"\bready\b"))
    page.click(".retry-button")
    expect(page.locator(".answer-foot .copy-button")).to_have_count(1)
    expect(page.locator(".error-text")).to_have_count(0)


def test_keyboard_only_upload_and_delete(page, tmp_path):
    from playwright.sync_api import expect

    upload = tmp_path / "测试县量子计算措施.txt"
    upload.write_text("测试县关于促进量子计算产业发展的若干措施\n\n一、发展目标\n"
                      "到2027年，全县培育量子计算企业15家。\n", encoding="utf-8")

    # Listening from the start keeps Chromium's choosers intercepted all along: a chooser that
    # opened between two waits would stay open, unseen, and block the next one.
    choosers: list = []
    page.on("filechooser", lambda chooser: choosers.append(chooser))

    def tab_to(selector: str, limit: int = 40) -> None:
        for _ in range(limit):
            page.keyboard.press("Tab")
            if page.evaluate("s => document.activeElement.matches(s)", selector):
                return
        pytest.fail(f"{selector} is not reachable with Tab")

    page.locator("body").focus()
    tab_to(".tab[data-view=docs]")
    page.keyboard.press("Enter")
    expect(page.locator("#view-docs")).to_be_visible()
    tab_to("#upload-input")
    expect(page.locator("#upload-input")).to_be_focused()
    # Enter on the focused file input opens a file chooser.
    with page.expect_file_chooser() as opened:
        page.keyboard.press("Enter")
    opened.value.set_files(str(upload))
    expect(page.locator("#upload-status")).to_contain_text("已收录《测试县关于促进量子计算产业发展的若干措施》")
    expect(page.locator(".doc-item")).to_have_count(3)
    expect(page.locator(".doc-detail-title")).to_be_focused()
    expect(page.locator(".doc-detail .badge", has_text="上传")).to_be_visible()

    # Replace it with a new version (the file input of 替换文件 is in the tab order too).
    tab_to("#replace-input")
    page.set_input_files("#replace-input", files=[{
        "name": "测试县量子计算措施-修订.txt", "mimeType": "text/plain",
        "buffer": upload.read_text(encoding="utf-8").replace("15家", "25家").encode("utf-8")}])
    expect(page.locator("#upload-status")).to_contain_text("已替换为《测试县关于促进量子计算产业发展的若干措施》")
    expect(page.locator(".doc-item")).to_have_count(3)
    expect(page.locator(".doc-detail .badge", has_text="修订")).to_be_visible()  # the new file name

    tab_to(".doc-actions .button-danger-outline")
    page.keyboard.press("Enter")
    expect(page.locator("#confirm")).to_be_visible()
    tab_to("#confirm-ok", limit=3)
    page.keyboard.press("Enter")
    expect(page.locator("#upload-status")).to_contain_text("已删除")
    expect(page.locator(".doc-item")).to_have_count(2)
    # Corpus documents cannot be deleted from the page.
    page.locator(".doc-item", has_text="遂昌").click()
    expect(page.locator(".doc-actions button", has_text="删除")).to_have_count(0)
    # A bad file is refused in Chinese.
    page.allowed_errors = ("status of 400",)  # the browser logs the refused upload
    page.set_input_files("#upload-input", files=[{"name": "setup.exe", "mimeType": "application/octet-stream",
                                                  "buffer": b"MZ\x90\x00"}])
    expect(page.locator("#upload-status")).to_contain_text("不支持这种文件类型")


def test_an_upload_shows_its_job_progress_and_a_failed_job_says_why(browser, tmp_path):
    """The page follows the upload's job: its progress while it runs, then the result; a file
    that is received but cannot be indexed fails its job, and the page says so."""
    from playwright.sync_api import expect

    with live_server(tmp_path) as url:
        context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="zh-CN")
        page = context.new_page()
        watched = Watched(page, url)
        try:
            page.goto(url + "/")
            settled(page)
            page.click(".tab[data-view=docs]")
            # The job's first polls are answered as "running" until the test lets them through.
            polls: list[str] = []
            released = False

            def running(route) -> None:
                polls.append(route.request.url)
                if released:
                    route.continue_()
                else:
                    route.fulfill(json={"state": "running", "status_url": route.request.url,
                                        "progress": {"stage": "embed", "done": 3, "total": 9}})

            page.route("**/api/jobs/*", running)
            page.set_input_files("#upload-input", files=[{
                "name": "量子.txt", "mimeType": "text/plain",
                "buffer": "测试县关于促进量子计算产业发展的若干措施\n\n一、发展目标\n到2027年培育企业15家。\n"
                          .encode()}])
            expect(page.locator("#upload-status")).to_contain_text("正在向量化 量子.txt（3/9）")
            released = True
            expect(page.locator("#upload-status")).to_contain_text("已收录《测试县关于促进量子计算产业发展的若干措施》")
            assert polls and all("/api/jobs/" in u for u in polls)
            page.unroute("**/api/jobs/*")

            # Looks like a PDF when received, cannot be read when indexed.
            page.set_input_files("#upload-input", files=[{
                "name": "扫描件.pdf", "mimeType": "application/pdf",
                "buffer": b"%PDF-1.7\n garbage \x00\x01 no xref"}])
            expect(page.locator("#upload-status")).to_contain_text("未能收录 扫描件.pdf")
            expect(page.locator("#upload-status")).to_have_class(re.compile(r"\berror\b"))
            expect(page.locator(".doc-item")).to_have_count(3)  # the two files and the upload
            watched.check()
        finally:
            context.close()


def test_the_key_is_asked_for_and_a_wrong_one_is_said_to_be_wrong(browser, tmp_path):
    from playwright.sync_api import expect

    with live_server(tmp_path, api_key="s3cret") as url:
        context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="zh-CN")
        page = context.new_page()
        try:
            page.goto(url + "/")
            expect(page.locator("#auth")).to_be_visible()
            expect(page.locator("#auth-key")).to_be_focused()
            expect(page.locator("#index-status")).to_have_text("需要访问密钥")
            page.fill("#auth-key", "wrong")
            page.press("#auth-key", "Enter")
            expect(page.locator("#auth-error")).to_have_text("保存的密钥不正确，请重新输入。")
            page.fill("#auth-key", "s3cret")
            page.press("#auth-key", "Enter")
            expect(page.locator("#auth")).to_be_hidden()
            expect(page.locator("#index-status")).to_contain_text("已收录 2 份文件")
            ask(page, QUESTION)
            expect(page.locator(".source").first).to_contain_text(SUICHANG_TITLE)
        finally:
            context.close()


def test_stop_ends_the_answer_on_the_server(browser, tmp_path):
    """An answer that would never end, stopped after its second piece: the server stops
    writing it (the answer's generator is closed) instead of going on for nobody."""
    from playwright.sync_api import expect

    produced: list[int] = []
    closed = threading.Event()

    def endless_answers(assistant) -> None:
        def ask_stream(*args, **kwargs):
            try:
                for i in itertools.count(1):
                    produced.append(i)
                    yield f"第{i}段。"
                    time.sleep(0.05)  # the model's pace (not a wait of the test)
            finally:
                closed.set()

        assistant.ask_stream = ask_stream

    with live_server(tmp_path, prepare=endless_answers) as url:
        context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="zh-CN")
        page = context.new_page()
        try:
            page.goto(url + "/")
            settled(page)
            page.fill("#question", QUESTION)
            page.press("#question", "Enter")
            expect(page.locator(".answer-text")).to_contain_text("第2段")
            page.click("#stop")
            expect(page.locator(".stopped-note")).to_be_visible()
            expect(page.locator(".answer-text")).to_contain_text("第1段")  # the part kept
            assert closed.wait(STATE_TIMEOUT_MS / 1000), \
                f"the server went on writing the stopped answer ({len(produced)} pieces)"
        finally:
            context.close()


def test_two_tabs_keep_each_others_conversations(page, base_url):
    from playwright.sync_api import expect

    other = page.context.new_page()  # same browser profile: the same storage
    other.goto(base_url + "/")
    settled(other)
    ask(page, QUESTION)
    ask(other, SPARK_QUESTION)
    # Each tab has its own conversation on screen and lists the other's.
    expect(other.locator(".conv")).to_have_count(2)
    expect(page.locator(".conv")).to_have_count(2)
    expect(other.locator(".msg-user .bubble")).to_have_text([SPARK_QUESTION])
    page.reload()
    settled(page)
    expect(page.locator(".conv")).to_have_count(2)
    expect(page.locator(".msg-user .bubble")).to_have_text([QUESTION])

    # A conversation deleted in one tab does not come back from the other.
    page.click("#new-chat")
    ask(page, "牵头单位是谁？", answers_before=0)
    other.locator(".conv", has_text="遂昌加速").locator(".conv-action", has_text="删除").click()
    other.click("#confirm-ok")
    expect(page.locator(".conv")).to_have_count(2)
    ask(page, "那星火计划呢？")
    other.reload()
    expect(other.locator(".conv-title")).to_have_text(["牵头单位是谁？", re.compile("浙江星火计划")])
    other.close()

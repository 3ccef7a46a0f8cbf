"""How the chat page reads: the panel marks what the answer quotes, neighbouring clauses do not
repeat their headings, the scope controls look alike, and text wraps between words (never
inside a title's word or a 文号) without leaving a character alone on a line."""

from __future__ import annotations

import re

import pytest
from web_support import SUICHANG, Watched, ask, chromium, live_server, settled

pytestmark = pytest.mark.integration

QUESTION = "遂昌加速创新成果转化应用由哪些单位负责？"
SPARK_QUESTION = "浙江星火计划到2030年要培育多少个未来产业先导区？"
SUICHANG_TITLE = "遂昌县关于培育发展未来产业的实施意见"


@pytest.fixture(scope="module")
def base_url(tmp_path_factory):
    with live_server(tmp_path_factory.mktemp("web-reading")) as url:
        yield url


@pytest.fixture(scope="module")
def browser(base_url):
    with chromium() as b:
        yield b


@pytest.fixture
def page(browser, base_url):
    context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="zh-CN",
                                  permissions=["clipboard-read", "clipboard-write"])
    page = context.new_page()
    watched = Watched(page, base_url)
    page.goto(base_url + "/")
    settled(page)
    yield page
    try:
        watched.check()
    finally:
        context.close()


def test_the_panel_marks_the_quoted_span_not_the_whole_clause(page, base_url):
    from playwright.sync_api import expect

    answer = page.request.post(base_url + "/api/ask", data={"question": QUESTION}).json()
    first = answer["citations"][0]
    quoted = [q["text"] for q in first["quotes"]]
    assert quoted, first  # the answer quotes its clause
    ask(page, QUESTION)
    page.locator(".msg-assistant .answer-text button.cite").first.click()
    current = page.locator(".ctx.current .ctx-text")
    expect(current.locator("mark").first).to_be_visible()
    marks = current.locator("mark").all_inner_texts()
    assert marks and all(any(m in q for q in quoted) for m in marks), (marks, quoted)
    assert "".join(marks) != first["text"]  # a span, not the clause
    expect(current).to_have_text(first["text"])  # the clause is all there, only some marked

    # The clauses around it: each heading once, in its label, not again in its text.
    neighbours = page.locator(".ctx.neighbour")
    expect(neighbours).to_have_count(2)
    for box in neighbours.all():
        heading = box.locator(".ctx-path").inner_text()
        text = box.locator(".ctx-text").inner_text()
        assert heading and text and not text.startswith(heading), (heading, text[:40])

    # The document's number is never broken across lines.
    expect(page.locator("#panel-meta .nowrap", has_text="遂政办发〔2024〕11号")).to_have_count(1)


def test_the_scope_controls_share_one_style(page):
    styles = page.evaluate("""() => ["scope-docs-summary", "scope-level", "scope-status"].map((id) => {
        const s = getComputedStyle(document.getElementById(id));
        return [s.height, s.borderTopWidth, s.borderTopStyle, s.borderTopColor, s.borderRadius,
                s.fontSize, s.backgroundColor, s.backgroundImage, s.paddingLeft, s.paddingRight,
                s.color, s.appearance];
    })""")
    assert styles[0] == styles[1] == styles[2], styles


def test_titles_break_between_words_and_text_leaves_no_orphans(browser, base_url):
    """On a phone, where titles wrap: no word of a title is split across two lines."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    page = context.new_page()
    try:
        page.goto(base_url + "/")
        settled(page)
        ask(page, QUESTION)
        page.locator(".msg-assistant .answer-text button.cite").first.click()
        title = page.locator("#panel-title")
        # Break opportunities between the title's words (from the browser's word dictionary).
        assert title.evaluate("e => e.querySelectorAll('wbr').length") >= 3
        split = page.evaluate("""() => {
            const out = [];
            for (const box of document.querySelectorAll("#panel-title, .source-doc")) {
                const style = getComputedStyle(box);
                const lineHeight = parseFloat(style.lineHeight) || parseFloat(style.fontSize) * 1.5;
                const walker = document.createTreeWalker(box, NodeFilter.SHOW_TEXT);
                for (let node = walker.nextNode(); node; node = walker.nextNode()) {
                    const range = document.createRange();
                    range.selectNodeContents(node);
                    const tops = new Set([...range.getClientRects()].map((r) => Math.round(r.top / lineHeight)));
                    if (tops.size > 1) out.push(node.nodeValue);
                }
            }
            return out;
        }""")
        assert split == [], f"words broken across lines: {split}"
        # The title did wrap (the check above saw lines to break).
        lines = title.evaluate("""e => { const r = document.createRange(); r.selectNodeContents(e);
            return new Set([...r.getClientRects()].map((x) => Math.round(x.top))).size; }""")
        assert lines > 1
        wrap = page.evaluate("""() => Object.fromEntries(
            [".answer-text", ".msg-user .bubble", "#panel-title", ".source-doc"].map((s) => {
                const st = getComputedStyle(document.querySelector(s));
                return [s, st.textWrapStyle || st.textWrap]; }))""")
        assert wrap[".answer-text"] == wrap[".msg-user .bubble"] == "pretty", wrap
        assert wrap["#panel-title"] == wrap[".source-doc"] == "balance", wrap
    finally:
        context.close()


def test_search_finds_a_number_written_with_full_width_digits(page, base_url):
    from playwright.sync_api import expect

    page.click(".tab[data-view=docs]")
    page.fill("#doc-search", "遂政办发〔２０２４〕１１号")
    expect(page.locator(".doc-item")).to_have_count(1)
    expect(page.locator(".doc-item")).to_contain_text("遂昌")
    assert page.locator(".doc-item").get_attribute("data-doc") == SUICHANG


def test_copy_gives_clean_text_with_numbered_sources(page):
    from playwright.sync_api import expect

    ask(page, QUESTION)
    page.click(".copy-button")
    expect(page.locator(".copy-button")).to_have_text("已复制")
    text = page.evaluate("navigator.clipboard.readText()")
    body, _, sources = text.partition("\n\n来源：\n")
    assert "县科技局" in body and "[1]" in body
    assert not re.search(r"[。；，、）][0-9]", body), body  # no marker glued into the text
    assert sources.startswith(f"[1] 《{SUICHANG_TITLE}》 三、重点举措 （三）加速创新成果转化应用"), sources

    # Copying a selection of the answer writes the markers as [n] too.
    page.evaluate("""() => {
        const r = document.createRange();
        r.selectNodeContents(document.querySelector('.answer-text'));
        const s = getSelection(); s.removeAllRanges(); s.addRange(r);
        document.execCommand('copy');
    }""")
    selected = page.evaluate("navigator.clipboard.readText()")
    assert "[1]" in selected and not re.search(r"。[0-9]", selected), selected



def test_a_drafts_source_card_and_preview_say_draft(page):
    from playwright.sync_api import expect

    ask(page, SPARK_QUESTION)
    card = page.locator(".msg-assistant .answer-card").last
    source = card.locator(".source").first
    expect(source.locator(".badge.draft")).to_have_text("征求意见稿")
    expect(source.locator(".source-meta")).to_contain_text("浙江省 · 省级")
    cite = card.locator(".answer-text button.cite").first
    expect(cite).to_have_class(re.compile(r"\bdraft\b"))  # marked where it is cited too
    assert cite.get_attribute("aria-label") == "出处 1（征求意见稿）"
    assert cite.bounding_box()["width"] >= 24 and cite.bounding_box()["height"] >= 24
    cite.hover()
    preview = page.locator("#cite-preview")
    expect(preview).to_be_visible()
    expect(preview).to_contain_text("征求意见稿")
    expect(preview).to_contain_text("浙江省")
    page.mouse.move(5, 5)
    expect(preview).to_be_hidden()
    cite.focus()  # keyboard users get the same preview
    expect(preview).to_be_visible()
    assert cite.get_attribute("aria-describedby") == "cite-preview"



def test_text_helpers_of_the_page(page):
    """Titles, markers and ranges as the page writes them (its own module, in the browser)."""
    got = page.evaluate("""async () => {
        const u = await import('/util.js');
        const range = u.rangeText('span', '', '行动方案（2026—2030年）');
        return {
            nested: u.bookTitle('《杭州市未来产业培育行动计（2024-2026年）》（征求意见稿）起草说明'),
            wrapped: u.bookTitle('《遂昌县关于培育发展未来产业的实施意见》'),
            plain: u.bookTitle('遂昌县关于培育发展未来产业的实施意见'),
            repeated: u.displayText('甲。[1]乙。[1][1]丙。[1]\\n丁。[2][1][2]'),
            path: u.joinPath(['三、重点举措', '（三）加速创新成果转化应用']),
            range: [...range.childNodes].map((n) => n.nodeType === 3 ? n.nodeValue
                : n.nodeName === 'WBR' ? '|' : '<' + n.textContent + '>'),
        };
    }""")
    assert got["nested"] == "《〈杭州市未来产业培育行动计（2024-2026年）〉（征求意见稿）起草说明》"
    assert got["wrapped"] == got["plain"] == "《遂昌县关于培育发展未来产业的实施意见》"
    assert got["repeated"] == "甲。乙。丙。[1]\n丁。[2][1]"
    assert got["path"] == "三、重点举措\u00a0›\u00a0（三）加速创新成果转化应用"
    # Words are separated by <wbr> (shown as |), the year range is one unbroken piece.
    assert got["range"] == ["行动", "|", "方案（", "<2026—2030年>", "）"]
    assert "右侧" not in page.locator("#welcome").inner_text()

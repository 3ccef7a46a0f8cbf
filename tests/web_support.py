"""What the browser tests of the chat page share: a live server on a small hash-embedding
index, Debian's Chromium through Playwright, and axe-core for accessibility checks."""

from __future__ import annotations

import re
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from helpers import free_port

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
#: A final county document and a provincial draft: enough for citations, scope and badges.
FILES = ("suichang-2024-future-industries-opinions.txt", "zhejiang-spark-plan-2026-2030-draft.txt")
SUICHANG = "suichang-2024-future-industries-opinions"
SPARK = "zhejiang-spark-plan-2026-2030-draft"
AXE = ROOT / "tests" / "js" / "node_modules" / "axe-core" / "axe.min.js"
#: Screenshots are kept here after a run, to be looked at.
SHOTS = Path("/tmp/web-screenshots")
#: How long a browser expectation waits for its state (ms). Every wait is on a state, so this is
#: only the bound after which a state that never comes fails the test: generous, because CI
#: shares two cores with other work and a loaded machine answers a question in seconds.
STATE_TIMEOUT_MS = 60_000


def _generous_expectations() -> None:
    try:
        from playwright.sync_api import expect
    except ImportError:  # the browser tests skip themselves
        return
    expect.set_options(timeout=STATE_TIMEOUT_MS)


_generous_expectations()


@contextmanager
def live_server(root: Path, api_key: str | None = None, prepare: Callable | None = None,
                documents: dict[str, str] | None = None) -> Iterator[str]:
    """A uvicorn server on a free loopback port in a background thread, stopped at the end.

    With ``api_key`` the API needs it (ASSISTANT_API_KEY); ``prepare(assistant)`` may change
    the assistant before the app is built; ``documents`` (name → text) are indexed instead of
    the two corpus files.
    """
    if not CHROMIUM.exists():
        pytest.skip("Debian's Chromium is not installed (apt-get install chromium)")
    pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    import uvicorn

    from assistant.api import create_app
    from assistant.service import Assistant
    from assistant.settings import Settings

    corpus = root / "corpus"
    corpus.mkdir()
    if documents:
        for name, text in documents.items():
            (corpus / f"{name}.txt").write_text(text, encoding="utf-8")
    else:
        for name in FILES:
            shutil.copy(CORPUS / name, corpus / name)
    assistant = Assistant(Settings(embedding_model="hash", index_dir=root / "index", corpus_dir=corpus))
    if prepare:
        prepare(assistant)
    with pytest.MonkeyPatch.context() as mp:
        if api_key:
            mp.setenv("ASSISTANT_API_KEY", api_key)
        else:
            mp.delenv("ASSISTANT_API_KEY", raising=False)
        mp.delenv("ASSISTANT_CORS_ORIGINS", raising=False)
        app = create_app(assistant)
    port = free_port()
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


@contextmanager
def dated_server(root: Path, documents: dict[str, str], today: str) -> Iterator[str]:
    """:func:`live_server` over ``documents`` whose statuses are read on ``today`` (ASSISTANT_TODAY),
    so that in force, expired and not yet are fixed whatever the date of the run."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ASSISTANT_TODAY", today)
        with live_server(root, documents=documents) as url:
            yield url


@contextmanager
def chromium() -> Iterator:
    """Debian's Chromium, driven by Playwright."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


class Watched:
    """A page with its script errors and any request to another host recorded."""

    def __init__(self, page, base_url: str) -> None:
        self.page = page
        self.errors: list[str] = []
        self.outside: list[str] = []
        page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("request", lambda r: None if r.url.startswith((base_url, "data:"))
                else self.outside.append(r.url))

    def check(self, allowed_errors: tuple[str, ...] = ()) -> None:
        """No script errors (but the expected failed loads) and nothing from other hosts."""
        errors = [e for e in self.errors if not any(a in e for a in allowed_errors)]
        assert errors == [], errors
        assert self.outside == [], f"the page loaded from outside the server: {self.outside}"


def settled(page) -> None:
    """Wait until the page has loaded: the server answered (the dot is ready) and the document
    list arrived (the dot names the documents). Nothing the page asks on load is then pending."""
    from playwright.sync_api import expect

    status = page.locator("#index-status")
    expect(status).to_have_class(re.compile(r"\bready\b"))
    expect(status).to_contain_text("已收录")


def ask(page, question: str, answers_before: int | None = None) -> None:
    """Type a question, send it with Enter, and wait for its finished answer."""
    from playwright.sync_api import expect

    done = page.locator(".msg-assistant .answer-foot")
    before = done.count() if answers_before is None else answers_before
    page.fill("#question", question)
    page.press("#question", "Enter")
    expect(done).to_have_count(before + 1)


def axe_violations(page) -> list[dict]:
    """axe-core's serious and critical violations on the page as it is now."""
    if not AXE.exists():
        pytest.skip("axe-core is not installed: run 'npm ci' in tests/js")
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.add_script_tag(path=str(AXE))
    found = page.evaluate("""async () => {
        // target-size (WCAG 2.2 AA: 24×24 px) is off by default in axe: checked here too.
        const result = await axe.run(document, {resultTypes: ["violations"],
                                                rules: {"target-size": {enabled: true}}});
        return result.violations.map((v) => ({id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.slice(0, 4).map((n) => n.target.join(" ") + " :: " + n.failureSummary)}));
    }""")
    return [v for v in found if v["impact"] in ("serious", "critical")]


def shot(page, name: str) -> Path:
    """A full-window screenshot under SHOTS."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path

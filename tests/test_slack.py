"""The Slack bot, end to end against a fake Slack Web API on 127.0.0.1.

Signed requests go through the real Bolt app in HTTP mode (mounted in a Starlette test
client); the test asserts what the fake Web API received. Nothing reaches the real Slack.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import shutil
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

pytest.importorskip("slack_bolt")

from starlette.testclient import TestClient  # noqa: E402

from assistant import slack  # noqa: E402
from assistant.types import Answer, Citation, Clause, RetrievedClause  # noqa: E402

SECRET = "test-signing-secret"
TOKEN = "xoxb-test-token"
BOT_USER = "UBOT"
BOT_ID = "BBOT"
TEAM = "T0TEST"
HUMAN = "UHUMAN"
CHANNEL = "C0POLICY"

ROOT = Path(__file__).resolve().parent.parent
SUICHANG = ROOT / "corpus" / "suichang-2024-future-industries-opinions.txt"
# A clause that tries to ping the channel, mention a user and inject a link.
HOSTILE_DOC = """青田县关于数字平台服务的实施意见

一、总体要求
（一）平台公告服务。青田县数字平台公告栏发布 <!channel> 提醒和 <@U0ADMIN> 通知，申报入口见 <https://evil.example|click> 页面，研发 & 转化补助按季度发放。（责任单位：县数字办、县财政局）
（二）数据共享服务。推动部门数据共享，建立数据目录。（责任单位：县数据局）
"""


# --- a fake Slack Web API ------------------------------------------------------------------


class FakeSlack:
    """Answers the Web API methods the bot uses and records every call."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict]] = []
        self.threads: dict[tuple[str, str], list[dict]] = {}
        self.lock = threading.Lock()
        self._ts = itertools.count(1)
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # keep the test output clean
                pass

            def do_GET(self) -> None:
                self._serve()

            def do_POST(self) -> None:
                self._serve()

            def _serve(self) -> None:
                url = urllib.parse.urlsplit(self.path)
                args = {k: v[0] for k, v in urllib.parse.parse_qs(url.query).items()}
                raw = self.rfile.read(int(self.headers.get("content-length") or 0)).decode()
                if raw:
                    # The SDK sends JSON for some methods and form-encoded bodies for others.
                    if "json" in (self.headers.get("content-type") or ""):
                        args.update(json.loads(raw))
                    else:
                        for k, v in urllib.parse.parse_qs(raw).items():
                            args[k] = _maybe_json(v[0])
                status, payload = fake.reply(url.path, args)
                data = payload.encode() if isinstance(payload, str) else json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json; charset=utf-8")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/api/"

    def response_url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/respond/{name}"

    def start(self) -> FakeSlack:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)

    def next_ts(self) -> str:
        return f"1700001000.{next(self._ts):06d}"

    def add_message(self, channel: str, ts: str, text: str, user: str = HUMAN,
                    thread_ts: str | None = None, **extra) -> dict:
        """Put a message into a thread, as Slack has it when the event is sent."""
        message = {"type": "message", "user": user, "text": text, "ts": ts,
                   "thread_ts": thread_ts or ts, **extra}
        with self.lock:
            self.threads.setdefault((channel, thread_ts or ts), []).append(message)
        return message

    def reply(self, path: str, args: dict) -> tuple[int, dict | str]:
        method = path.rsplit("/", 1)[-1]
        with self.lock:
            self.calls.append((method if path.startswith("/api/") else path, args))
        if path.startswith("/respond/"):
            return 200, "ok"  # a response URL answers plain "ok"
        if method == "auth.test":
            return 200, {"ok": True, "user_id": BOT_USER, "bot_id": BOT_ID, "team_id": TEAM,
                         "user": "policy", "team": "Test", "url": "https://test.example/"}
        if method == "conversations.replies":
            with self.lock:
                messages = list(self.threads.get((args["channel"], args["ts"]), []))
            return 200, {"ok": True, "messages": messages, "has_more": False}
        if method == "chat.postMessage":
            ts = self.next_ts()
            message = {"type": "message", "user": BOT_USER, "bot_id": BOT_ID, "text": args.get("text", ""),
                       "ts": ts, "thread_ts": args.get("thread_ts") or ts}
            with self.lock:
                if args.get("thread_ts"):
                    self.threads.setdefault((args["channel"], args["thread_ts"]), []).append(message)
            return 200, {"ok": True, "channel": args["channel"], "ts": ts, "message": message}
        if method == "chat.postEphemeral":
            return 200, {"ok": True, "message_ts": self.next_ts()}
        if method == "views.open":
            return 200, {"ok": True, "view": {"id": "V0CLAUSE", **(args.get("view") or {})}}
        return 200, {"ok": False, "error": "unknown_method"}

    def sent(self, method: str) -> list[dict]:
        """The arguments of every call of ``method`` (or to a path under it, "/respond/") so far."""
        with self.lock:
            return [a for m, a in self.calls if m == method or (method.endswith("/") and m.startswith(method))]

    def wait_for(self, method: str, n: int = 1, timeout: float = 10.0) -> list[dict]:
        """The calls of ``method`` once there are ``n`` (bounded wait for lazy listeners)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            calls = self.sent(method)
            if len(calls) >= n:
                return calls
            time.sleep(0.02)
        return self.sent(method)


def _maybe_json(value: str):
    if value[:1] in "[{":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


# --- fixtures and helpers ------------------------------------------------------------------


@pytest.fixture(scope="module")
def fake_slack():
    server = FakeSlack().start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def policy_assistant(tmp_path_factory):
    """A fast assistant (hash embedding) over 遂昌's opinions and a hostile test document."""
    from assistant.service import Assistant
    from assistant.settings import Settings

    root = tmp_path_factory.mktemp("slack")
    corpus = root / "corpus"
    corpus.mkdir()
    shutil.copy(SUICHANG, corpus / SUICHANG.name)
    (corpus / "qingtian-platform-notice.txt").write_text(HOSTILE_DOC, encoding="utf-8")
    assistant = Assistant(Settings(embedding_model="hash", index_dir=root / "index", corpus_dir=corpus))
    assert assistant.ingest([corpus]).count("failed") == 0
    return assistant


@pytest.fixture(scope="module")
def bolt_app(fake_slack, policy_assistant):
    return slack.create_app(policy_assistant, token=TOKEN, signing_secret=SECRET,
                            base_url=fake_slack.api_url, process_before_response=True)


@pytest.fixture(scope="module")
def http(bolt_app):
    with TestClient(slack.create_asgi_app(bolt_app)) as client:
        yield client


@pytest.fixture(autouse=True)
def _clean_calls(fake_slack):
    with fake_slack.lock:
        fake_slack.calls.clear()


def sign(body: str, timestamp: int | None = None, secret: str = SECRET) -> dict:
    """The headers Slack sends with a request: timestamp and v0 HMAC-SHA256 signature."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return {"x-slack-request-timestamp": ts, "x-slack-signature": f"v0={digest}"}


_event_ids = itertools.count(1)


def event_body(event: dict, event_id: str | None = None) -> str:
    return json.dumps({
        "token": "legacy", "team_id": TEAM, "api_app_id": "A0APP", "type": "event_callback",
        "event_id": event_id or f"Ev{next(_event_ids):08d}", "event_time": int(time.time()),
        "event": {"event_ts": event.get("ts"), **event},
        "authorizations": [{"team_id": TEAM, "user_id": BOT_USER, "is_bot": True}],
    }, ensure_ascii=False)


def post_event(http, body: str, **headers):
    return http.post(slack.EVENTS_PATH, content=body.encode(),
                     headers={"content-type": "application/json", **sign(body), **headers})


def post_form(http, form: dict):
    body = urllib.parse.urlencode(form)
    return http.post(slack.EVENTS_PATH, content=body.encode(),
                     headers={"content-type": "application/x-www-form-urlencoded", **sign(body)})


def mention(http, fake, text: str, thread_ts: str | None = None, channel: str = CHANNEL,
            event_id: str | None = None):
    """A user @-mentions the bot in a channel (the message is in Slack before the event)."""
    ts = fake.next_ts()
    full = f"<@{BOT_USER}> {text}"
    fake.add_message(channel, ts, full, thread_ts=thread_ts)
    event = {"type": "app_mention", "user": HUMAN, "text": full, "ts": ts, "channel": channel}
    if thread_ts:
        event["thread_ts"] = thread_ts
    response = post_event(http, event_body(event, event_id))
    assert response.status_code == 200, response.text
    return ts


def button_values(post: dict) -> list[str]:
    """The chunk ids behind a reply's show-clause buttons."""
    return [e["value"] for b in post["blocks"] if b["type"] == "actions" for e in b["elements"]]


def block_text(blocks: list[dict]) -> str:
    """All text in a list of blocks, for assertions."""
    out = []
    for b in blocks:
        if "text" in b:
            out.append(b["text"]["text"])
        for e in b.get("elements", []):
            out.append(e["text"]["text"] if e.get("type") == "button" else e.get("text", ""))
    return "\n".join(out)


QUESTION = "遂昌加速创新成果转化应用由哪些单位负责？"


# --- answers in threads --------------------------------------------------------------------


def test_mention_is_answered_in_its_thread_with_citations(http, fake_slack):
    ts = mention(http, fake_slack, QUESTION)
    posts = fake_slack.sent("chat.postMessage")
    assert len(posts) == 1
    post = posts[0]
    assert post["channel"] == CHANNEL and post["thread_ts"] == ts
    assert "县科技局" in post["text"]
    blocks = post["blocks"]
    assert blocks[0]["type"] == "section" and "县科技局" in blocks[0]["text"]["text"]
    context = [b for b in blocks if b["type"] == "context"]
    assert "[1] 《遂昌县关于培育发展未来产业的实施意见》三、重点举措 （三）加速创新成果转化应用" in block_text(context)
    buttons = [e for b in blocks if b["type"] == "actions" for e in b["elements"]]
    assert buttons and all(e["action_id"].startswith(slack.SHOW_CLAUSE) for e in buttons)
    assert all(len(e["text"]["text"]) <= slack.MAX_BUTTON_CHARS for e in buttons)
    assert post["unfurl_links"] is False


def test_reply_in_an_existing_thread_uses_that_thread(http, fake_slack):
    parent = fake_slack.next_ts()
    fake_slack.add_message(CHANNEL, parent, "大家看看遂昌这份文件")
    mention(http, fake_slack, QUESTION, thread_ts=parent)
    assert fake_slack.sent("chat.postMessage")[0]["thread_ts"] == parent


def test_follow_up_in_the_thread_uses_the_earlier_question(http, fake_slack):
    first = mention(http, fake_slack, QUESTION)
    first_post = fake_slack.wait_for("chat.postMessage")[0]
    mention(http, fake_slack, "牵头单位是谁？", thread_ts=first)
    posts = fake_slack.wait_for("chat.postMessage", 2)
    assert len(posts) == 2
    follow = posts[1]
    assert follow["thread_ts"] == first
    assert "县科技局" in follow["text"] and "加速创新成果转化应用" in follow["text"]
    assert "结合上文理解为" in block_text(follow["blocks"])
    assert button_values(follow)[0] == button_values(first_post)[0]
    assert any(m == "conversations.replies" for m, _ in fake_slack.calls)


def test_follow_up_falls_back_to_memory_when_the_thread_cannot_be_read(bolt_app, fake_slack,
                                                                       monkeypatch):
    from slack_sdk.errors import SlackApiError

    bot = bolt_app.policy_bot
    bot.memory.add("C0PRIVATE", "1.000001", QUESTION, "……")

    class NoHistoryClient:
        def conversations_replies(self, **_):
            raise SlackApiError("missing_scope", {"ok": False, "error": "missing_scope"})

    history = bot.thread_history(NoHistoryClient(), "C0PRIVATE", "1.000001", "1.000009",
                                 BOT_USER, BOT_ID, direct=False)
    assert history[0] == {"role": "user", "content": QUESTION}


def test_direct_message_is_answered(http, fake_slack):
    ts = fake_slack.next_ts()
    fake_slack.add_message("D0DIRECT", ts, QUESTION)
    event = {"type": "message", "channel_type": "im", "user": HUMAN, "text": QUESTION,
             "ts": ts, "channel": "D0DIRECT"}
    assert post_event(http, event_body(event)).status_code == 200
    posts = fake_slack.sent("chat.postMessage")
    assert len(posts) == 1 and posts[0]["channel"] == "D0DIRECT" and posts[0]["thread_ts"] == ts
    assert "县科技局" in posts[0]["text"]


def test_document_text_is_escaped(http, fake_slack):
    mention(http, fake_slack, "青田县数字平台公告栏发布什么提醒？研发转化补助怎么发放？")
    post = fake_slack.sent("chat.postMessage")[0]
    everything = post["text"] + "\n" + block_text(post["blocks"])
    # The composer cuts sentences at the ASCII "!", so the answer may hold "&lt;![1]channel";
    # the full clause (see the show-clause test) keeps it whole.
    assert "&lt;!" in everything and "channel&gt;" in everything
    assert "&lt;@U0ADMIN&gt;" in everything
    assert "&lt;https://evil.example|click&gt;" in everything
    assert "研发&amp;转化" in everything
    assert "<!channel>" not in everything and "<@U0ADMIN>" not in everything
    assert "<https://" not in everything
    assert all(t.get("verbatim") for b in post["blocks"] if b["type"] == "section" for t in [b["text"]])


def test_refusal_says_so_and_lists_the_nearest_clauses(http, fake_slack):
    mention(http, fake_slack, "火星殖民基地的建设补贴标准是多少？")
    post = fake_slack.sent("chat.postMessage")[0]
    assert post["text"].startswith("未在已收录的文件中找到")
    text = block_text(post["blocks"])
    assert slack.REFUSAL_NEAREST in text
    buttons = [e for b in post["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert 1 <= len(buttons) <= 3


def test_empty_mention_gets_help(http, fake_slack):
    ts = mention(http, fake_slack, "")
    post = fake_slack.sent("chat.postMessage")[0]
    assert post["thread_ts"] == ts and "/policy" in post["text"]


def test_error_becomes_a_polite_reply_with_details_only_in_the_log(http, fake_slack,
                                                                   policy_assistant, monkeypatch,
                                                                   caplog):
    def broken(*_args, **_kwargs):
        raise RuntimeError("index exploded at /secret/path")

    monkeypatch.setattr(policy_assistant, "ask", broken)
    ts = mention(http, fake_slack, QUESTION)
    post = fake_slack.sent("chat.postMessage")[0]
    assert post["text"] == slack.ERROR_TEXT and post["thread_ts"] == ts
    assert "exploded" not in json.dumps(post, ensure_ascii=False)
    assert "index exploded" in caplog.text


# --- security and hygiene ------------------------------------------------------------------


def test_bad_signature_is_rejected(http, fake_slack):
    body = event_body({"type": "app_mention", "user": HUMAN, "text": f"<@{BOT_USER}> {QUESTION}",
                       "ts": fake_slack.next_ts(), "channel": CHANNEL})
    response = http.post(slack.EVENTS_PATH, content=body.encode(),
                         headers={"content-type": "application/json", **sign(body, secret="wrong")})
    assert response.status_code == 401
    assert fake_slack.sent("chat.postMessage") == []


def test_old_timestamp_is_rejected(http, fake_slack):
    body = event_body({"type": "app_mention", "user": HUMAN, "text": f"<@{BOT_USER}> {QUESTION}",
                       "ts": fake_slack.next_ts(), "channel": CHANNEL})
    response = http.post(slack.EVENTS_PATH, content=body.encode(),
                         headers={"content-type": "application/json",
                                  **sign(body, timestamp=int(time.time()) - 600)})
    assert response.status_code == 401
    assert fake_slack.sent("chat.postMessage") == []


def test_retries_and_redeliveries_are_answered_once(http, fake_slack):
    ts = fake_slack.next_ts()
    body = event_body({"type": "app_mention", "user": HUMAN, "text": f"<@{BOT_USER}> {QUESTION}",
                       "ts": ts, "channel": CHANNEL})
    assert post_event(http, body).status_code == 200
    retry = post_event(http, body, **{"x-slack-retry-num": "1", "x-slack-retry-reason": "http_timeout"})
    assert retry.status_code == 200
    assert post_event(http, body).status_code == 200  # same event_id, no retry header
    # The same message as a second event (new event_id) is not answered twice either.
    again = json.loads(body)
    again["event_id"] = "EvSameMessage"
    assert post_event(http, json.dumps(again, ensure_ascii=False)).status_code == 200
    assert len(fake_slack.sent("chat.postMessage")) == 1


@pytest.mark.parametrize("extra", [
    {"bot_id": "B0OTHER", "subtype": "bot_message"},
    {"bot_id": "B0OTHER"},
    {"user": BOT_USER, "bot_id": BOT_ID},
])
def test_bot_messages_are_ignored(http, fake_slack, extra):
    event = {"type": "message", "channel_type": "im", "user": "U0SOMEBOT", "text": QUESTION,
             "ts": fake_slack.next_ts(), "channel": "D0DIRECT", **extra}
    assert post_event(http, event_body(event)).status_code == 200
    mention_event = {**event, "type": "app_mention", "channel": CHANNEL}
    mention_event.pop("channel_type")
    assert post_event(http, event_body(mention_event)).status_code == 200
    assert fake_slack.sent("chat.postMessage") == []


def test_message_edits_and_channel_chatter_are_ignored(http, fake_slack):
    edited = {"type": "message", "subtype": "message_changed", "channel_type": "im",
              "channel": "D0DIRECT", "ts": fake_slack.next_ts(),
              "message": {"text": QUESTION, "user": HUMAN}}
    chatter = {"type": "message", "channel_type": "channel", "channel": CHANNEL, "user": HUMAN,
               "text": QUESTION, "ts": fake_slack.next_ts()}
    for event in (edited, chatter):
        assert post_event(http, event_body(event)).status_code == 200
    assert fake_slack.sent("chat.postMessage") == []


# --- slash command and buttons -------------------------------------------------------------


def test_slash_command_acks_then_answers(http, fake_slack):
    response = post_form(http, {
        "token": "legacy", "team_id": TEAM, "channel_id": CHANNEL, "user_id": HUMAN,
        "command": "/policy", "text": QUESTION, "response_url": fake_slack.response_url("cmd1"),
        "trigger_id": "trigger.cmd1", "api_app_id": "A0APP",
    })
    assert response.status_code == 200
    assert slack.SEARCHING_TEXT in response.text
    answers = fake_slack.wait_for("/respond/")  # the answer comes from a lazy listener
    assert len(answers) == 1
    answer = answers[0]
    assert answer["response_type"] == "in_channel"
    assert "县科技局" in answer["text"]
    assert "《遂昌县关于培育发展未来产业的实施意见》" in block_text(answer["blocks"])


def test_empty_slash_command_gets_help(http, fake_slack):
    response = post_form(http, {"team_id": TEAM, "channel_id": CHANNEL, "user_id": HUMAN,
                                "command": "/policy", "text": "  ",
                                "response_url": fake_slack.response_url("cmd2")})
    assert response.status_code == 200 and "/policy" in response.text
    time.sleep(0.1)
    assert fake_slack.sent("/respond/") == []


def test_too_long_questions_are_refused_politely(http, fake_slack, policy_assistant):
    long_question = "遂昌" * policy_assistant.settings.max_question_chars
    ts = mention(http, fake_slack, long_question)
    post = fake_slack.sent("chat.postMessage")[0]
    assert post["thread_ts"] == ts and "问题太长了" in post["text"]
    response = post_form(http, {"team_id": TEAM, "channel_id": CHANNEL, "user_id": HUMAN,
                                "command": "/policy", "text": long_question,
                                "response_url": fake_slack.response_url("cmd3")})
    assert response.status_code == 200 and "问题太长了" in response.text
    time.sleep(0.1)
    assert fake_slack.sent("/respond/") == []


def _click(http, fake_slack, chunk_id: str, trigger_id: str | None = "trigger.click"):
    payload = {
        "type": "block_actions", "team": {"id": TEAM}, "user": {"id": HUMAN},
        "api_app_id": "A0APP", "channel": {"id": CHANNEL},
        "container": {"type": "message", "channel_id": CHANNEL, "message_ts": "1.1", "thread_ts": "1.0"},
        "response_url": fake_slack.response_url("click"),
        "actions": [{"type": "button", "action_id": f"{slack.SHOW_CLAUSE}_0", "block_id": "b1",
                     "value": chunk_id, "action_ts": str(time.time())}],
    }
    if trigger_id:
        payload["trigger_id"] = trigger_id
    response = post_form(http, {"payload": json.dumps(payload, ensure_ascii=False)})
    assert response.status_code == 200


def test_show_clause_button_opens_the_full_clause(http, fake_slack):
    mention(http, fake_slack, "青田县数字平台公告栏发布什么提醒？")
    post = fake_slack.sent("chat.postMessage")[0]
    chunk_id = button_values(post)[0]
    _click(http, fake_slack, chunk_id)
    views = fake_slack.wait_for("views.open")
    assert len(views) == 1 and views[0]["trigger_id"] == "trigger.click"
    view = views[0]["view"]
    assert view["type"] == "modal" and len(view["title"]["text"]) <= 24
    text = block_text(view["blocks"])
    assert "《青田县关于数字平台服务的实施意见》" in text
    assert "（一）平台公告服务。" in text and "&lt;!channel&gt;" in text and "<!channel>" not in text


def test_show_clause_without_trigger_posts_an_ephemeral_message(http, fake_slack, policy_assistant):
    clause = next(c for c in policy_assistant.retriever.view.clauses if "加速创新成果转化应用" in c.label)
    _click(http, fake_slack, clause.chunk_id, trigger_id=None)
    sent = fake_slack.wait_for("chat.postEphemeral")
    assert len(sent) == 1 and sent[0]["user"] == HUMAN and sent[0]["channel"] == CHANNEL
    assert "县科技局" in block_text(sent[0]["blocks"])


def test_unknown_clause_says_it_is_gone(http, fake_slack):
    _click(http, fake_slack, "no-such-chunk")
    view = fake_slack.wait_for("views.open")[0]["view"]
    assert slack.CLAUSE_GONE_TEXT in block_text(view["blocks"])


# --- Block Kit limits and text handling ----------------------------------------------------


def _clause(i: int, text: str = "条款内容。") -> Clause:
    return Clause(chunk_id=f"c{i}", doc_id="d", doc_title="很长的文件标题" * 8,
                  section_path=["一、总则", f"（{i}）第{i}项" + "很长的条款标题" * 10],
                  label=f"《{'很长的文件标题' * 8}》一、总则 （{i}）第{i}项" + "很长的条款标题" * 10,
                  text=text)


def test_long_answers_stay_within_slack_limits():
    clauses = [_clause(i) for i in range(30)]
    cites = [Citation(n=i + 1, doc_id="d", doc_title=c.doc_title, section_path=c.section_path,
                      label=c.label, text=c.text, chunk_id=c.chunk_id) for i, c in enumerate(clauses)]
    long_answer = ("这是一句很长的回答，包含 <!here> & 符号。" * 2000)
    answer = Answer(question="q", answer=long_answer, answered=True, citations=cites,
                    notice="结合上文理解为：q")
    blocks = slack.answer_blocks(answer)
    assert len(blocks) <= slack.MAX_MESSAGE_BLOCKS
    for b in blocks:
        if b["type"] == "section":
            assert 0 < len(b["text"]["text"]) <= 3000
            assert "<!here>" not in b["text"]["text"]
        if b["type"] == "context":
            assert len(b["elements"]) <= 10
            assert all(len(e["text"]) <= 3000 for e in b["elements"])
        if b["type"] == "actions":
            assert len(b["elements"]) <= 25
            assert all(len(e["text"]["text"]) <= 75 for e in b["elements"])
            ids = [e["action_id"] for e in b["elements"]]
            assert len(ids) == len(set(ids))
    assert slack.CUT_NOTE in block_text(blocks)
    assert len(block_text(blocks)) <= 12_000
    assert len(slack.fallback_text(answer)) <= slack.MAX_FALLBACK_CHARS


def test_refusal_blocks_list_three_nearest_clauses():
    retrieved = [RetrievedClause(clause=_clause(i), score=1.0 / (i + 1)) for i in range(5)]
    answer = Answer(question="q", answer="未在已收录的文件中找到能回答该问题的内容。可能相关的条款：a；b；c。",
                    answered=False, retrieved=retrieved)
    blocks = slack.answer_blocks(answer)
    assert blocks[0]["text"]["text"] == "未在已收录的文件中找到能回答该问题的内容。"
    buttons = [e for b in blocks if b["type"] == "actions" for e in b["elements"]]
    assert [e["value"] for e in buttons] == ["c0", "c1", "c2"]


def test_long_clause_is_split_for_the_modal():
    view = slack.clause_view(_clause(1, "一句条款<内容>&。" * 600))
    sections = [b for b in view["blocks"] if b["type"] == "section"]
    assert len(sections) > 2 and all(len(b["text"]["text"]) <= 3000 for b in sections)
    assert len(view["blocks"]) <= slack.MAX_MODAL_BLOCKS
    assert "&lt;内容&gt;&amp;" in block_text(sections) and "<内容>" not in block_text(sections)
    huge = slack.clause_blocks(_clause(2, "很长的条款。" * 20000), slack.MAX_MESSAGE_BLOCKS)
    assert len(huge) <= slack.MAX_MESSAGE_BLOCKS and len(block_text(huge)) <= 12_000
    assert slack.CUT_NOTE in block_text(huge)


def test_split_never_cuts_an_entity():
    pieces = slack.split_escaped("&" * 2500, limit=1000)
    assert all(len(p) <= 1000 for p in pieces)
    assert slack.unescape("".join(pieces)) == "&" * 2500
    assert all(not p.endswith(("&", "&a", "&am", "&amp")) for p in pieces)


def test_question_text_strips_mentions_and_links():
    assert slack.question_text(f"<@{BOT_USER}>  遂昌 &amp; 丽水 &lt;2028&gt;？") == "遂昌 & 丽水 <2028>？"
    assert slack.question_text("<@U1|bob> 看 <https://x.example|这份文件> 和 <#C1|policy> <!here>") == \
        "看 这份文件 和 #policy"
    assert slack.escape("<!channel> & <@U1>") == "&lt;!channel&gt; &amp; &lt;@U1&gt;"


def test_recent_keys_are_bounded():
    keys = slack.RecentKeys(size=3)
    assert all(keys.add(k) for k in "abcd")
    assert keys.add("a")  # forgotten: the oldest key was dropped
    assert not keys.add("d")


# --- configuration -------------------------------------------------------------------------


def test_missing_bot_token_is_a_clear_error(monkeypatch, fake_assistant):
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    with pytest.raises(slack.SlackConfigError, match="SLACK_BOT_TOKEN"):
        slack.create_app(fake_assistant, signing_secret=SECRET)


def test_unreachable_api_is_a_clear_error(fake_assistant):
    with pytest.raises(slack.SlackConfigError, match="cannot reach the Slack Web API"):
        slack.create_app(fake_assistant, token=TOKEN, signing_secret=SECRET,
                         base_url="http://127.0.0.1:9/api/")  # the discard port: nothing listens


def test_http_mode_needs_the_signing_secret(monkeypatch):
    monkeypatch.delenv("SLACK_SIGNING_SECRET", raising=False)
    monkeypatch.delenv("SLACK_APP_TOKEN", raising=False)
    monkeypatch.setenv("SLACK_BOT_TOKEN", TOKEN)
    with pytest.raises(slack.SlackConfigError, match="SLACK_SIGNING_SECRET"):
        slack.run(http=True)


def test_api_url_comes_from_the_environment(monkeypatch, fake_slack, fake_assistant):
    monkeypatch.setenv("ASSISTANT_SLACK_API_URL", fake_slack.api_url.rstrip("/"))
    monkeypatch.delenv("SLACK_SIGNING_SECRET", raising=False)
    app = slack.create_app(fake_assistant, token=TOKEN)
    assert app.client.base_url == fake_slack.api_url
    assert fake_slack.sent("auth.test")  # the token was checked against the fake server
    # Without a signing secret no HTTP request verifies, not even one signed with an empty key.
    body = event_body({"type": "app_mention", "user": HUMAN, "text": "x", "ts": "1.2", "channel": CHANNEL})
    with TestClient(slack.create_asgi_app(app)) as client:
        response = client.post(slack.EVENTS_PATH, content=body.encode(),
                               headers={"content-type": "application/json", **sign(body, secret="")})
        assert response.status_code == 401
        assert client.get("/healthz").text == "ok"


# --- hardened HTTP entry point ---------------------------------------------------------------


def test_malformed_timestamp_is_401_not_a_crash(http, fake_slack):
    body = event_body({"type": "app_mention", "user": HUMAN, "text": f"<@{BOT_USER}> {QUESTION}",
                       "ts": fake_slack.next_ts(), "channel": CHANNEL})
    headers = {**sign(body), "x-slack-request-timestamp": "abc", "content-type": "application/json"}
    r = http.post(slack.EVENTS_PATH, content=body.encode(), headers=headers)
    assert r.status_code == 401 and "not a number" in r.json()["detail"]
    assert fake_slack.sent("chat.postMessage") == []


def test_unsigned_bodies_are_refused_unread_and_unlogged(http, fake_slack, caplog):
    marker = "UNSIGNED-BODY-MARKER"
    caplog.set_level("DEBUG")
    r = http.post(slack.EVENTS_PATH, content=json.dumps({"type": "event_callback", "x": marker}),
                  headers={"content-type": "application/json"})
    assert r.status_code == 401 and "missing" in r.json()["detail"]
    # Over the limit: refused by its declared length, and counted when it is sent in chunks.
    huge = b"a" * (slack.MAX_EVENT_BYTES + 1)
    r = http.post(slack.EVENTS_PATH, content=huge, headers={"content-type": "application/json"})
    assert r.status_code == 413 and "limit" in r.json()["detail"]

    def chunks():
        for _ in range(slack.MAX_EVENT_BYTES // 65536 + 2):
            yield b"b" * 65536

    r = http.post(slack.EVENTS_PATH, content=chunks(), headers={"content-type": "application/json"})
    assert r.status_code == 413
    assert marker not in caplog.text and "aaaaaaaa" not in caplog.text


def test_a_huge_earlier_thread_message_is_cut_before_it_is_embedded(http, fake_slack, policy_assistant,
                                                                    monkeypatch):
    seen: list[int] = []
    embeddings = policy_assistant.embeddings
    original = embeddings.embed_query

    def spy(text: str):
        seen.append(len(text.encode()))
        return original(text)

    monkeypatch.setattr(embeddings, "embed_query", spy)
    root = mention(http, fake_slack, "遂昌" * 1500)  # 3,000 characters: refused politely itself
    fake_slack.wait_for("chat.postMessage")
    mention(http, fake_slack, "牵头单位是谁？", thread_ts=root)
    posts = fake_slack.wait_for("chat.postMessage", 2)
    assert posts[-1]["thread_ts"] == root
    from assistant.index.retrieval import MAX_EMBED_QUERY_BYTES

    assert seen and max(seen) <= MAX_EMBED_QUERY_BYTES

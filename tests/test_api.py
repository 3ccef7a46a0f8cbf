"""The HTTP API through the real app (FastAPI's TestClient) on a small hash-embedding index."""

from __future__ import annotations

import io
import json
import shutil
import zipfile
from pathlib import Path

import pytest

pytest.importorskip("fastapi")
from fastapi.testclient import TestClient  # noqa: E402
from helpers import finish_job, upload_file  # noqa: E402

from assistant.api import MAX_JSON_BYTES, answer_pieces, create_app, safe_file_name  # noqa: E402
from assistant.service import Assistant  # noqa: E402
from assistant.settings import Settings  # noqa: E402

CORPUS = Path(__file__).resolve().parent.parent / "corpus"
SUICHANG = "suichang-2024-future-industries-opinions"
SPARK = "zhejiang-spark-plan-2026-2030-draft"
QUESTION = "遂昌加速创新成果转化应用由哪些单位负责？"
PUBLIC_KEYS = {"question", "answer", "answered", "citations", "retrieved", "latency_ms"}
CITATION_KEYS = {"n", "doc_id", "doc_title", "section_path", "label", "text", "chunk_id", "quotes", "status",
                 "status_date", "status_label", "role"}

UPLOAD_TEXT = """测试县关于促进量子计算产业发展的若干措施

一、发展目标
到2027年，全县培育量子计算企业15家，建成量子计算公共算力平台1个。

二、支持措施
（一）加大资金支持。对新落户的量子计算企业给予最高200万元的落户奖励。（责任单位：县科技局、县财政局）
"""


def make_assistant(root: Path, files: tuple[str, ...] = (SUICHANG, SPARK), **overrides) -> Assistant:
    """An assistant with the hash embedding on a fresh index over copies of corpus files."""
    corpus = root / "corpus"
    corpus.mkdir(parents=True)
    for name in files:
        shutil.copy(CORPUS / f"{name}.txt", corpus / f"{name}.txt")
    settings = Settings(embedding_model="hash", index_dir=root / "data" / "index",
                        corpus_dir=corpus, **overrides)
    return Assistant(settings)


def app_for(assistant: Assistant, monkeypatch: pytest.MonkeyPatch, api_key: str | None = None,
            cors: str | None = None):
    """The app with the auth and CORS environment as given (create_app reads it)."""
    for name, value in (("ASSISTANT_API_KEY", api_key), ("ASSISTANT_CORS_ORIGINS", cors)):
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    return create_app(assistant)


@pytest.fixture(scope="module")
def shared(tmp_path_factory):
    """One assistant and app for the read-only tests; the lifespan ingests and warms up."""
    assistant = make_assistant(tmp_path_factory.mktemp("api"))
    with pytest.MonkeyPatch.context() as mp:
        app = app_for(assistant, mp)
    with TestClient(app) as client:
        yield assistant, client


@pytest.fixture
def client(shared) -> TestClient:
    return shared[1]


def parse_sse(text: str) -> list[tuple[str, str]]:
    """(event, data) pairs of a server-sent-events body; comments (pings) are skipped."""
    events = []
    for block in text.replace("\r\n", "\n").split("\n\n"):
        name, data = "message", []
        for line in block.split("\n"):
            if not line or line.startswith(":"):
                continue
            field, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if field == "event":
                name = value
            elif field == "data":
                data.append(value)
        if data:
            events.append((name, "\n".join(data)))
    return events


# --- questions ------------------------------------------------------------------------------


def test_ask_returns_the_public_answer_shape(shared):
    assistant, client = shared
    r = client.post("/api/ask", json={"question": QUESTION})
    assert r.status_code == 200
    body = r.json()
    assert PUBLIC_KEYS <= set(body) <= PUBLIC_KEYS | {"notice", "confidence"}
    assert set(body) == set(assistant.ask(QUESTION).public())
    # The scorer decided this answer: its confidence is a probability.
    assert 0 < body["confidence"] <= 1
    assert body["answered"] is True and body["question"] == QUESTION
    assert "县科技局" in body["answer"] and "[1]" in body["answer"]
    assert body["citations"] and all(set(c) == CITATION_KEYS for c in body["citations"])
    assert body["citations"][0]["doc_id"] == SUICHANG
    assert body["retrieved"] and body["latency_ms"] > 0


def test_ask_applies_filters_and_k(client):
    r = client.post("/api/ask", json={"question": "未来产业的发展目标是什么？", "k": 3,
                                      "filters": {"doc_ids": [SPARK]}})
    assert r.status_code == 200
    retrieved = r.json()["retrieved"]
    assert 0 < len(retrieved) <= 3
    assert {x["doc_id"] for x in retrieved} == {SPARK}
    r = client.post("/api/ask", json={"question": "未来产业的发展目标是什么？",
                                      "filters": {"level": "county"}})
    assert {x["doc_id"] for x in r.json()["retrieved"]} == {SUICHANG}


def test_ask_passes_history_through(shared, monkeypatch):
    assistant, client = shared
    seen = {}
    real_ask = assistant.ask

    def spy(question, **kwargs):
        seen.update(kwargs)
        return real_ask(question, **kwargs)

    monkeypatch.setattr(assistant, "ask", spy)
    history = [{"role": "user", "content": QUESTION}, {"role": "assistant", "content": "县科技局。[1]"}]
    r = client.post("/api/ask", json={"question": "牵头单位是谁？", "history": history})
    assert r.status_code == 200, r.text
    assert seen["history"] == history
    assert r.json()["answer"]


def test_bad_questions_are_422_with_a_clear_message(client):
    for path in ("/api/ask", "/api/ask/stream"):
        r = client.post(path, json={"question": "   "})
        assert r.status_code == 422
        assert "empty" in r.json()["detail"]
    r = client.post("/api/ask", json={"question": "字" * 2500})
    assert r.status_code == 422 and "limit" in r.json()["detail"]
    assert client.post("/api/ask", json={}).status_code == 422
    assert client.post("/api/ask", json={"question": QUESTION, "k": 0}).status_code == 422
    r = client.post("/api/ask", json={"question": QUESTION, "history": [{"role": "system", "content": "x"}]})
    assert r.status_code == 422


def test_too_large_bodies_are_413(client):
    big = json.dumps({"question": "问" * (MAX_JSON_BYTES // 2)}).encode()
    r = client.post("/api/ask", content=big, headers={"content-type": "application/json"})
    assert r.status_code == 413 and "limit" in r.json()["detail"]

    def chunked():  # no Content-Length: counted while it is read
        for _ in range(10):
            yield b" " * (MAX_JSON_BYTES // 4)

    r = client.post("/api/ask", content=chunked(), headers={"content-type": "application/json"})
    assert r.status_code == 413


def test_stream_sends_text_pieces_then_the_whole_answer(client):
    r = client.post("/api/ask/stream", json={"question": QUESTION})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/event-stream")
    events = parse_sse(r.text)
    names = [name for name, _ in events]
    assert names[-1] == "answer" and set(names[:-1]) == {"delta"} and len(names) >= 3
    final = json.loads(events[-1][1])
    assert set(final) >= PUBLIC_KEYS and final["citations"]
    text = "".join(json.loads(data)["text"] for name, data in events if name == "delta")
    assert text == final["answer"]


def test_answer_pieces_keep_markers_with_their_sentence():
    assert answer_pieces("甲。[1]乙！[1][2]丙") == ["甲。[1]", "乙！[1][2]", "丙"]
    assert answer_pieces("") == []
    text = "未在已收录的文件中找到。可能相关的条款：《甲》一；《乙》二。"
    assert "".join(answer_pieces(text)) == text


# --- documents and clauses ------------------------------------------------------------------


def test_documents_list(client):
    r = client.get("/api/documents")
    assert r.status_code == 200
    docs = {d["doc_id"]: d for d in r.json()["documents"]}
    assert set(docs) == {SUICHANG, SPARK}
    sc = docs[SUICHANG]
    assert sc["title"] == "遂昌县关于培育发展未来产业的实施意见"
    assert sc["issuer"] and sc["doc_number"] == "遂政办发〔2024〕11号" and sc["date"] == "2024-10-31"
    assert sc["status"] == "final" and docs[SPARK]["status"] == "draft"
    assert sc["clauses"] > 5
    assert "source" not in sc  # server paths stay on the server


def _flatten(nodes):
    for node in nodes:
        yield node
        yield from _flatten(node["children"])


def test_document_detail_has_the_clause_tree(client):
    r = client.get(f"/api/documents/{SPARK}")
    assert r.status_code == 200
    doc = r.json()
    assert doc["title"].startswith("浙江省实施“星火计划”")
    nodes = list(_flatten(doc["tree"]))
    ordinals = [c["ordinal"] for n in nodes for c in n["chunks"]]
    assert len(ordinals) == doc["clauses"]
    assert ordinals == sorted(ordinals)  # depth-first order is document order
    for node in nodes:
        for child in node["children"]:
            assert child["path"][:-1] == node["path"] and child["path"][-1] == child["title"]
    titles = [n["title"] for n in doc["tree"]]
    assert "一、总体要求" in titles and "三、重点任务" in titles
    tasks = next(n for n in doc["tree"] if n["title"] == "三、重点任务")
    assert len(tasks["children"]) >= 3


def test_chunk_has_its_neighbours(client):
    doc = client.get(f"/api/documents/{SUICHANG}").json()
    ids = [c["chunk_id"] for n in _flatten(doc["tree"]) for c in n["chunks"]]
    middle = client.get(f"/api/chunks/{ids[5]}").json()
    assert middle["clause"]["chunk_id"] == ids[5]
    assert middle["previous"]["chunk_id"] == ids[4] and middle["next"]["chunk_id"] == ids[6]
    assert middle["previous"]["ordinal"] < middle["clause"]["ordinal"] < middle["next"]["ordinal"]
    assert middle["document"]["doc_id"] == SUICHANG and middle["clause"]["section_path"]
    assert client.get(f"/api/chunks/{ids[0]}").json()["previous"] is None
    assert client.get(f"/api/chunks/{ids[-1]}").json()["next"] is None


def test_unknown_document_or_chunk_is_404(client):
    r = client.get("/api/documents/no-such-doc")
    assert r.status_code == 404 and "no-such-doc" in r.json()["detail"]
    assert client.get("/api/chunks/0000000000000000").status_code == 404


# --- uploads --------------------------------------------------------------------------------


@pytest.fixture
def upload_app(tmp_path, monkeypatch):
    """A fresh index (one document) that the upload tests may change."""
    assistant = make_assistant(tmp_path, (SUICHANG,), max_upload_bytes=50_000)
    with TestClient(app_for(assistant, monkeypatch)) as client:
        yield assistant, client


def _upload(client, name: str, data: bytes):
    return client.post("/api/documents", files={"file": (name, data, "application/octet-stream")})


def test_upload_of_a_text_file_is_indexed_and_answerable(upload_app, tmp_path):
    assistant, client = upload_app
    before = assistant.store.count()
    r = _upload(client, "测试县 量子计算措施.txt", UPLOAD_TEXT.encode("utf-8"))
    assert r.status_code == 202, r.text
    assert r.json()["kind"] == "upload" and r.json()["file_name"] == "测试县-量子计算措施.txt"
    job = finish_job(client, r)
    assert job["state"] == "done" and job["error"] is None, job
    assert job["progress"]["stage"] and job["progress"]["done"] == job["progress"]["total"] > 0
    body = job["result"]
    assert body["status"] == "indexed" and body["clauses"] > 0
    assert body["document"]["title"] == "测试县关于促进量子计算产业发展的若干措施"
    stored = tmp_path / "data" / "index" / "uploads" / body["file_name"]
    assert stored.is_file() and stored.read_bytes() == UPLOAD_TEXT.encode("utf-8")
    assert assistant.store.count() > before
    assert body["doc_id"] in {d["doc_id"] for d in client.get("/api/documents").json()["documents"]}

    answer = client.post("/api/ask", json={"question": "测试县到2027年要培育多少家量子计算企业？"}).json()
    assert answer["answered"] and "15家" in answer["answer"]
    assert answer["citations"][0]["doc_id"] == body["doc_id"]
    # The same file again changes nothing.
    again = upload_file(client, "测试县 量子计算措施.txt", UPLOAD_TEXT.encode("utf-8"))
    assert again["result"]["status"] == "unchanged"
    listed = client.get("/api/jobs").json()["jobs"]
    assert [j["id"] for j in listed[:2]] == [again["id"], job["id"]]  # newest first


def test_unknown_job_is_404(upload_app):
    _, client = upload_app
    r = client.get("/api/jobs/no-such-job")
    assert r.status_code == 404 and "no job with id" in r.json()["detail"]


def test_an_upload_that_cannot_be_parsed_fails_its_job_and_leaves_nothing(upload_app, tmp_path):
    """The content passes the checks made while it is received, then fails to parse."""
    assistant, client = upload_app
    before = assistant.store.count()
    job = upload_file(client, "report.pdf", b"%PDF-1.7\n1 0 obj << /Type /Catalog >>\n garbage \x00\x01 no xref")
    assert job["state"] == "failed" and "report.pdf" in job["error"] and "PDF" in job["error"]
    assert assistant.store.count() == before
    uploads = tmp_path / "data" / "index" / "uploads"
    assert list(uploads.iterdir()) == []
    # The worker goes on: the next upload is indexed.
    assert upload_file(client, "q.txt", UPLOAD_TEXT.encode("utf-8"))["state"] == "done"


@pytest.mark.parametrize(("name", "data", "reason"), [
    ("setup.pdf", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" * 20, "not a PDF"),
    ("notes.docx", b"PK\x03\x04 this is no zip", "not a Word"),
    ("tool.txt", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" * 30, "binary"),
    ("setup.exe", b"MZ\x90\x00", "unsupported file type"),
    ("empty.txt", b"", "empty"),
])
def test_bad_uploads_are_400_and_leave_nothing_behind(upload_app, tmp_path, name, data, reason):
    assistant, client = upload_app
    before = assistant.store.count()
    r = _upload(client, name, data)
    assert r.status_code == 400, r.text
    assert reason in r.json()["detail"]
    assert assistant.store.count() == before
    uploads = tmp_path / "data" / "index" / "uploads"
    assert not uploads.exists() or list(uploads.iterdir()) == []


def test_docx_without_word_document_is_400(upload_app):
    assistant, client = upload_app
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("hello.txt", "not a word file")
    r = _upload(client, "letter.docx", buf.getvalue())
    assert r.status_code == 400 and "word/document.xml" in r.json()["detail"]


def test_upload_over_the_size_limit_is_413(upload_app, tmp_path):
    assistant, client = upload_app
    r = _upload(client, "big.txt", ("一、目标\n" + "文字" * 40_000).encode("utf-8"))
    assert r.status_code == 413
    uploads = tmp_path / "data" / "index" / "uploads"
    assert not uploads.exists() or list(uploads.iterdir()) == []


def test_safe_file_name():
    assert safe_file_name("../../etc/passwd.txt") == "passwd.txt"
    assert safe_file_name("a b/c d.PDF") == "c-d.pdf"
    assert safe_file_name("...txt.md") == "txt.md"
    assert safe_file_name(".md") == "upload.md"


# --- OpenAI-compatible front ----------------------------------------------------------------


def test_openai_chat_completion(client):
    r = client.post("/v1/chat/completions", json={
        "model": "policy-assistant", "temperature": 0,
        "messages": [{"role": "system", "content": "你是助手"}, {"role": "user", "content": QUESTION}],
    })
    assert r.status_code == 200
    body = r.json()
    assert body["object"] == "chat.completion" and body["id"].startswith("chatcmpl-")
    choice = body["choices"][0]
    assert choice["finish_reason"] == "stop" and choice["message"]["role"] == "assistant"
    content = choice["message"]["content"]
    assert "县科技局" in content and "\n\n来源：\n[1] 《遂昌县关于培育发展未来产业的实施意见》" in content
    assert body["citations"] and set(body["citations"][0]) == CITATION_KEYS


def test_openai_history_and_content_parts(shared, monkeypatch):
    assistant, client = shared
    seen = {}
    real_ask = assistant.ask

    def spy(question, **kwargs):
        seen["question"], seen["history"] = question, kwargs.get("history")
        return real_ask(question, **kwargs)

    monkeypatch.setattr(assistant, "ask", spy)
    r = client.post("/v1/chat/completions", json={"model": "policy-assistant", "messages": [
        {"role": "user", "content": QUESTION},
        {"role": "assistant", "content": "县科技局。[1]\n\n来源：\n[1] 《遂昌》"},
        {"role": "user", "content": [{"type": "text", "text": "牵头单位是谁？"}]},
    ]})
    assert r.status_code == 200
    assert seen["question"] == "牵头单位是谁？"
    assert seen["history"] == [{"role": "user", "content": QUESTION},
                               {"role": "assistant", "content": "县科技局。[1]"}]


def test_openai_stream(client):
    messages = [{"role": "user", "content": QUESTION}]
    full = client.post("/v1/chat/completions", json={"model": "policy-assistant", "messages": messages}).json()
    r = client.post("/v1/chat/completions", json={"model": "policy-assistant", "messages": messages, "stream": True})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
    datas = [data for _, data in parse_sse(r.text)]
    assert datas[-1] == "[DONE]"
    chunks = [json.loads(d) for d in datas[:-1]]
    assert all(c["object"] == "chat.completion.chunk" for c in chunks)
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    assert len({c["id"] for c in chunks}) == 1
    text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks)
    assert text == full["choices"][0]["message"]["content"]
    last = chunks[-1]
    assert last["choices"][0]["finish_reason"] == "stop" and last["citations"] == full["citations"]


def test_openai_errors_use_openai_shape(client):
    r = client.post("/v1/chat/completions", json={"model": "policy-assistant", "messages": [{"role": "system", "content": "hi"}]})
    assert r.status_code == 422 and "user" in r.json()["error"]["message"]
    r = client.post("/v1/chat/completions", json={"model": "policy-assistant", "messages": [{"role": "user", "content": ""}]})
    assert r.status_code == 422 and "empty" in r.json()["error"]["message"]
    r = client.post("/v1/chat/completions", json={"model": "policy-assistant", "messages": []})
    assert r.status_code == 422 and r.json()["error"]["message"]


def test_openai_models(client):
    body = client.get("/v1/models").json()
    assert body["object"] == "list" and body["data"][0]["id"] == "policy-assistant"


# --- auth, CORS, health, UI -----------------------------------------------------------------


def test_auth_when_a_key_is_set(shared, monkeypatch):
    assistant, _ = shared
    client = TestClient(app_for(assistant, monkeypatch, api_key="s3cret"))
    for path in ("/api/documents", "/v1/models"):
        r = client.get(path)
        assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
        assert client.get(path, headers={"Authorization": "Bearer wrong"}).status_code == 401
        assert client.get(path, headers={"Authorization": "Bearer s3cret"}).status_code == 200
    assert client.post("/api/ask", json={"question": QUESTION}).status_code == 401
    assert "API key" in client.get("/v1/models").json()["error"]["message"]
    # Health checks and the page itself stay open (the page asks for the key).
    assert client.get("/healthz").status_code == 200
    assert client.get("/").status_code == 200


def test_no_auth_and_no_cors_by_default(client):
    assert client.get("/api/documents").status_code == 200
    r = client.get("/api/documents", headers={"Origin": "https://example.org"})
    assert "access-control-allow-origin" not in r.headers


def test_cors_when_origins_are_set(shared, monkeypatch):
    assistant, _ = shared
    client = TestClient(app_for(assistant, monkeypatch, cors="https://a.example, https://b.example"))
    r = client.options("/api/ask", headers={"Origin": "https://b.example",
                                            "Access-Control-Request-Method": "POST"})
    assert r.status_code == 200 and r.headers["access-control-allow-origin"] == "https://b.example"
    r = client.get("/api/documents", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in r.headers


def test_health_and_readiness(client, tmp_path, monkeypatch):
    health = client.get("/healthz").json()
    assert health["status"] == "ok" and health["jobs"] == {"queued": 0, "running": 0}
    assert health["index"]["clauses"] > 0
    r = client.get("/readyz")
    assert r.status_code == 200 and r.json()["clauses"] > 0
    empty = Assistant(Settings(embedding_model="hash", index_dir=tmp_path / "index",
                               corpus_dir=tmp_path / "none"))
    r = TestClient(app_for(empty, monkeypatch)).get("/readyz")  # no lifespan: nothing ingested
    assert r.status_code == 503 and r.json()["status"] == "empty"


def test_web_ui_is_served_and_self_contained(client):
    r = client.get("/")
    assert r.status_code == 200 and "政策问答助手" in r.text
    assert "default-src 'self'" in r.headers["content-security-policy"]
    assert client.get("/app.js").status_code == 200 and client.get("/app.css").status_code == 200
    assert client.get("/docs").status_code == 200
    web = Path(__file__).resolve().parent.parent / "assistant" / "web"
    for path in web.iterdir():
        text = path.read_text(encoding="utf-8")
        # Nothing is loaded from another host.
        for pattern in ("src=\"http", "href=\"http", "url(http", "@import", "fetch(\"http"):
            assert pattern not in text, f"{path.name} loads from the network: {pattern}"
        # Answer and document text go in as text only.
        for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write"):
            assert sink not in text, f"{path.name} uses {sink}"

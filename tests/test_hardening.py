"""Bad input and operator mistakes: every case gets a clear 4xx/503 or a one-line error.

HTTP cases run against the real app (hash embedding, Chroma on disk; a real Chroma server
that is stopped); CLI cases through the real command line in-process; the cost of a
follow-up after a huge earlier turn against the real default embedding model.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import sys
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from helpers import chroma_server, free_port, upload_file
from typer.testing import CliRunner

from assistant.api import MAX_NAME_BYTES, create_app
from assistant.cli import app as cli
from assistant.index.retrieval import MAX_EMBED_QUERY_BYTES
from assistant.service import Assistant
from assistant.settings import Settings

CORPUS = Path(__file__).resolve().parent.parent / "corpus"
SUICHANG = "suichang-2024-future-industries-opinions"
QUESTION = "遂昌加速创新成果转化应用由哪些单位负责？"
DOC = "某县关于培育新能源产业的实施意见\n一、发展目标\n到2027年，新能源产业产值达到200亿元。\n"


def _clean_env(monkeypatch) -> None:
    for name in list(os.environ):
        if name.startswith(("ASSISTANT_", "SLACK_")):
            monkeypatch.delenv(name)


@pytest.fixture(scope="module")
def shared(tmp_path_factory):
    root = tmp_path_factory.mktemp("hardening")
    corpus = root / "corpus"
    corpus.mkdir()
    shutil.copy(CORPUS / f"{SUICHANG}.txt", corpus)
    assistant = Assistant(Settings(embedding_model="hash", index_dir=root / "index", corpus_dir=corpus))
    with pytest.MonkeyPatch.context() as mp:
        _clean_env(mp)
        app = create_app(assistant)
    with TestClient(app) as client:
        yield assistant, client


@pytest.fixture
def client(shared) -> TestClient:
    return shared[1]


# --- bodies that are not what the route reads ------------------------------------------------


def test_a_binary_body_is_415_and_never_logged(client, caplog):
    caplog.set_level("DEBUG")
    body = b"\xff\xfe\x00BINARY-BODY-MARKER" + bytes(range(256)) * 40
    for path in ("/api/ask", "/api/ask/stream", "/v1/chat/completions"):
        r = client.post(path, content=body, headers={"content-type": "application/octet-stream"})
        assert r.status_code == 415, (path, r.text)
        message = r.json()["error"]["message"] if path.startswith("/v1") else r.json()["detail"]
        assert "application/json" in message
    assert "BINARY-BODY-MARKER" not in caplog.text


def test_invalid_json_is_422_without_echoing_the_body(client):
    r = client.post("/api/ask", content=b'{"question": INVALID-MARKER', headers={"content-type": "application/json"})
    assert r.status_code == 422 and "INVALID-MARKER" not in r.text


@pytest.mark.parametrize("raw", [
    '{"question": "\\ud800遂昌"}',
    '{"question": "牵头单位呢？", "history": [{"role": "user", "content": "遂昌\\udfff"}]}',
])
def test_a_lone_surrogate_is_422(client, raw):
    r = client.post("/api/ask", content=raw.encode(), headers={"content-type": "application/json"})
    assert r.status_code == 422 and "surrogate" in r.text, r.text
    r = client.post("/api/ask/stream", content=raw.encode(), headers={"content-type": "application/json"})
    assert r.status_code == 422


def test_a_lone_surrogate_in_an_openai_message_is_422(client):
    raw = '{"messages": [{"role": "user", "content": "\\ud800"}]}'
    r = client.post("/v1/chat/completions", content=raw.encode(), headers={"content-type": "application/json"})
    assert r.status_code == 422 and "surrogate" in r.json()["error"]["message"]


def test_a_300_character_chinese_file_name_is_stored(shared, tmp_path):
    assistant, client = shared
    name = "关于促进新能源产业发展的若干措施" * 19 + ".txt"  # 305 characters, 913 bytes
    job = upload_file(client, name, DOC.encode())
    assert job["state"] == "done", job
    stored = job["result"]["file_name"]
    assert stored.endswith(".txt") and len(stored.encode()) <= MAX_NAME_BYTES
    assert (assistant.settings.upload_folder / stored).read_bytes() == DOC.encode()


# --- filters, auth -----------------------------------------------------------------------------


@pytest.mark.parametrize(("filters", "reason"), [
    ({"doc_ids": ["nosuch"]}, "unknown document id 'nosuch'"),
    ({"level": "galaxy"}, "unknown level 'galaxy'"),
    ({"status": "secret"}, "unknown status 'secret'"),
])
def test_unknown_filters_are_422_with_the_reason(client, filters, reason):
    for path in ("/api/ask", "/api/ask/stream"):
        r = client.post(path, json={"question": QUESTION, "filters": filters})
        assert r.status_code == 422 and reason in r.json()["detail"], r.text


def test_the_key_is_checked_before_the_body_is_read(shared, monkeypatch):
    assistant, _ = shared
    monkeypatch.setenv("ASSISTANT_API_KEY", "s3cret")
    client = TestClient(create_app(assistant))
    for body in (b"x" * (1 << 20), b"{not json", b'{"question": "\\ud800"}'):
        r = client.post("/api/ask", content=body, headers={"content-type": "application/json"})
        assert r.status_code == 401 and "API key" in r.json()["detail"]
    r = client.post("/v1/chat/completions", content=b"x" * (1 << 20))
    assert r.status_code == 401 and r.json()["error"]["type"] == "authentication_error"


# --- a Chroma server that stops under the running app ------------------------------------------


@pytest.mark.integration
def test_a_stopped_chroma_server_is_503_json(tmp_path, monkeypatch):
    with chroma_server(tmp_path / "srv") as (url, proc):
        corpus = tmp_path / "corpus"
        corpus.mkdir()
        (corpus / "a.txt").write_text(DOC, encoding="utf-8")
        assistant = Assistant(Settings(chroma_url=url, corpus_dir=corpus,
                                       index_dir=tmp_path / "index", embedding_model="hash"))
        _clean_env(monkeypatch)
        with TestClient(create_app(assistant)) as client:
            assert client.get("/readyz").status_code == 200
            proc.terminate()
            proc.wait(timeout=30)
            for method, path, body in (("post", "/api/ask", {"question": "新能源产业产值目标是多少？"}),
                                       ("get", "/api/documents", None)):
                r = getattr(client, method)(path, json=body) if body else getattr(client, method)(path)
                assert r.status_code == 503, (path, r.text)
                assert "Chroma server" in r.json()["detail"]
            r = client.post("/v1/chat/completions", json={"messages": [{"role": "user", "content": "产值目标？"}]})
            assert r.status_code == 503 and r.json()["error"]["type"] == "server_error"
            assert client.get("/readyz").status_code == 503


# --- question text limits ----------------------------------------------------------------------


def test_every_question_text_is_capped(shared, monkeypatch):
    assistant, client = shared
    limit = assistant.settings.max_question_chars
    queries: list[int] = []
    embedded: list[int] = []
    retrieve, embed = assistant.retriever.retrieve, assistant.embeddings.embed_query
    monkeypatch.setattr(assistant.retriever, "retrieve",
                        lambda q, *a, **k: (queries.append(len(q)), retrieve(q, *a, **k))[1])
    monkeypatch.setattr(assistant.embeddings, "embed_query",
                        lambda q: (embedded.append(len(q.encode())), embed(q))[1])
    huge = "遂昌县重点发展哪些未来产业？" * 1400  # 19,600 characters
    r = client.post("/api/ask", json={"question": "牵头单位呢？",
                                      "history": [{"role": "user", "content": huge}]})
    assert r.status_code == 200
    r = client.post("/v1/chat/completions", json={"messages": [
        {"role": "user", "content": "遂昌" * 1500}, {"role": "assistant", "content": "好的"},
        {"role": "user", "content": "牵头单位呢？"}]})
    assert r.status_code == 200
    assert client.post("/api/ask", json={"question": "问" * (limit + 1)}).status_code == 422
    assert queries and max(queries) <= limit
    assert embedded and max(embedded) <= MAX_EMBED_QUERY_BYTES


@pytest.mark.slow
def test_a_follow_up_after_a_huge_turn_costs_at_most_ten_normal_questions(real_assistant):
    history = [{"role": "user", "content": (CORPUS / "chengdu-2024-future-industries-opinions.txt")
                .read_text(encoding="utf-8")[:20_000]}, {"role": "assistant", "content": "……"}]

    def seconds(ask) -> float:
        started = time.perf_counter()
        ask()
        return time.perf_counter() - started

    real_assistant.ask(QUESTION)  # warm
    normal, follow_up = [], []
    for _ in range(7):  # interleaved, so that other load on the machine weighs on both alike
        normal.append(seconds(lambda: real_assistant.ask(QUESTION)))
        follow_up.append(seconds(lambda: real_assistant.ask("牵头单位呢？", history=history)))
    ratio = statistics.median(follow_up) / statistics.median(normal)
    assert ratio <= 10, f"{statistics.median(follow_up):.3f} s against {statistics.median(normal):.3f} s"


# --- the command line ----------------------------------------------------------------------------


@pytest.fixture
def cli_env(tmp_path, monkeypatch):
    """An empty folder to run in, with the hash embedding and an index of its own."""
    _clean_env(monkeypatch)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ASSISTANT_EMBEDDING_MODEL", "hash")
    monkeypatch.setenv("ASSISTANT_INDEX_DIR", str(tmp_path / "index"))
    return tmp_path


def invoke(*args: str, env: dict | None = None):
    result = CliRunner().invoke(cli, list(args), env=env)
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    return result, errors


def assert_one_line(result, errors, code: int, *words: str) -> None:
    assert result.exit_code == code, (result.stdout, result.stderr)
    assert len(errors) == 1 and "Traceback" not in result.stderr, result.stderr
    for word in words:
        assert word in errors[0], errors[0]


def test_run_outside_the_checkout_says_the_corpus_is_missing(cli_env):
    for args in (["ask", QUESTION], ["serve", "--port", str(free_port())], ["docs"]):
        result, errors = invoke(*args)
        assert_one_line(result, errors, 2, "corpus folder", "does not exist", "ASSISTANT_CORPUS_DIR")


@pytest.mark.parametrize(("env", "words"), [
    ({"ASSISTANT_LLM_PROVIDER": "openai"}, ["ASSISTANT_LLM_MODEL"]),
    ({"ASSISTANT_LLM_PROVIDER": "galaxy", "ASSISTANT_LLM_MODEL": "m"}, ["unknown", "galaxy"]),
    ({"ASSISTANT_LLM_PROVIDER": "openai", "ASSISTANT_LLM_MODEL": "m"}, ["ASSISTANT_LLM_BASE_URL"]),
])
def test_llm_misconfiguration_is_one_line(cli_env, env, words):
    slack = {"SLACK_BOT_TOKEN": "xoxb-x", "SLACK_SIGNING_SECRET": "s"}
    for args, extra in ((["ask", QUESTION], {}), (["serve", "--port", str(free_port())], {}),
                        (["slack", "--http", "--port", str(free_port())], slack)):
        result, errors = invoke(*args, env={**env, **extra})
        assert_one_line(result, errors, 2, *words)


def test_a_missing_llm_extra_is_one_line(cli_env, monkeypatch):
    monkeypatch.setitem(sys.modules, "langchain_ollama", None)  # as if not installed
    result, errors = invoke("ask", QUESTION, env={"ASSISTANT_LLM_PROVIDER": "ollama",
                                                 "ASSISTANT_LLM_MODEL": "qwen2.5:7b"})
    assert_one_line(result, errors, 2, "pip install")


@pytest.fixture
def indexed(cli_env):
    corpus = cli_env / "corpus"
    corpus.mkdir()
    shutil.copy(CORPUS / f"{SUICHANG}.txt", corpus)
    result, _ = invoke("ingest")
    assert result.exit_code == 0, result.stderr
    return cli_env


def test_ingest_exits_non_zero_when_a_file_fails(indexed):
    result, errors = invoke("ingest", "missing.pdf")
    assert_one_line(result, errors, 1, "1 of 1 files failed")
    assert "no such file" in result.stdout
    (indexed / "broken.pdf").write_bytes(b"%PDF-1.7 garbage")
    result, errors = invoke("ingest", "corpus", "broken.pdf")
    assert_one_line(result, errors, 1, "1 of 2 files failed")


@pytest.mark.parametrize(("args", "words"), [
    (["--doc", "nosuch"], ["unknown document id 'nosuch'", "assistant docs"]),
    (["--level", "galaxy"], ["unknown level 'galaxy'", "county"]),
    (["--status", "secret"], ["unknown status 'secret'"]),
])
def test_unknown_filters_are_errors_not_answers(indexed, args, words):
    result, errors = invoke("ask", QUESTION, *args)
    assert_one_line(result, errors, 2, *words)


def test_k_below_one_is_refused(indexed):
    result = CliRunner().invoke(cli, ["ask", QUESTION, "--k", "0"])
    assert result.exit_code == 2 and "--k" in result.stderr


def test_docs_json_and_the_table_keep_whole_ids(indexed):
    result, _ = invoke("docs", "--json")
    assert result.exit_code == 0
    assert [d["doc_id"] for d in json.loads(result.stdout)["documents"]] == [SUICHANG]
    narrow = CliRunner().invoke(cli, ["docs"], env={"COLUMNS": "50"})
    assert narrow.exit_code == 0 and SUICHANG in narrow.stdout


def test_uploads_go_to_the_upload_dir_when_it_is_set(tmp_path, monkeypatch):
    _clean_env(monkeypatch)
    assistant = Assistant(Settings(embedding_model="hash", index_dir=tmp_path / "index",
                                   corpus_dir=tmp_path / "corpus", upload_dir=tmp_path / "files"))
    client = TestClient(create_app(assistant))
    assert upload_file(client, "a.txt", DOC.encode())["state"] == "done"
    assert (tmp_path / "files" / "a.txt").read_bytes() == DOC.encode()
    assert not (tmp_path / "index" / "uploads").exists()

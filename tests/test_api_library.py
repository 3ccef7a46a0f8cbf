"""Deleting and replacing uploaded documents through the real app on a hash-embedding index."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

pytest.importorskip("fastapi")
from fastapi.testclient import TestClient  # noqa: E402
from helpers import upload_file  # noqa: E402

from assistant.api import create_app  # noqa: E402
from assistant.service import Assistant  # noqa: E402
from assistant.settings import Settings  # noqa: E402

CORPUS = Path(__file__).resolve().parent.parent / "corpus"
SUICHANG = "suichang-2024-future-industries-opinions"

QUANTUM = """测试县关于促进量子计算产业发展的若干措施

一、发展目标
到2027年，全县培育量子计算企业15家，建成量子计算公共算力平台1个。
"""
QUANTUM_V2 = QUANTUM.replace("15家", "25家")


@pytest.fixture
def library(tmp_path, monkeypatch):
    """A fresh index over one corpus file; ``key`` set as the API key."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(CORPUS / f"{SUICHANG}.txt", corpus / f"{SUICHANG}.txt")
    assistant = Assistant(Settings(embedding_model="hash", index_dir=tmp_path / "data" / "index",
                                   corpus_dir=corpus))
    monkeypatch.setenv("ASSISTANT_API_KEY", "key")
    monkeypatch.delenv("ASSISTANT_CORS_ORIGINS", raising=False)
    app = create_app(assistant)
    with TestClient(app, headers={"Authorization": "Bearer key"}) as client:
        yield assistant, client, app.state.uploads.folder


def _upload(client, name: str, text: str, path: str = "/api/documents") -> dict:
    """Upload (or replace) and wait for the job; the finished job's report."""
    job = upload_file(client, name, text.encode("utf-8"), path)
    assert job["state"] == "done", job
    return job["result"]


def _ask(client) -> dict:
    return client.post("/api/ask", json={"question": "测试县到2027年要培育多少家量子计算企业？"}).json()


def test_uploads_are_listed_and_deleted_with_their_clauses(library):
    assistant, client, folder = library
    before = assistant.store.count()
    doc_id = _upload(client, "quantum.txt", QUANTUM)["doc_id"]
    listed = client.get("/api/uploads").json()
    assert listed["doc_ids"] == [doc_id] and {".txt", ".pdf", ".docx"} <= set(listed["suffixes"])
    assert "15家" in _ask(client)["answer"]

    r = client.delete(f"/api/documents/{doc_id}")
    assert r.status_code == 200, r.text
    assert r.json() == {"status": "removed", "doc_id": doc_id}
    assert assistant.store.count() == before
    assert not (folder / "quantum.txt").exists()
    assert client.get(f"/api/documents/{doc_id}").status_code == 404
    assert client.get("/api/uploads").json()["doc_ids"] == []
    assert "15家" not in _ask(client)["answer"]  # the retriever no longer finds it


def test_corpus_documents_and_unknown_ids_cannot_be_deleted(library):
    assistant, client, _ = library
    before = assistant.store.count()
    r = client.delete(f"/api/documents/{SUICHANG}")
    assert r.status_code == 409 and "not an upload" in r.json()["detail"]
    assert client.delete("/api/documents/no-such-doc").status_code == 404
    assert assistant.store.count() == before


def test_the_routes_need_the_key_when_one_is_set(library):
    _, client, _ = library
    doc_id = _upload(client, "quantum.txt", QUANTUM)["doc_id"]
    for method, path in (("GET", "/api/uploads"), ("DELETE", f"/api/documents/{doc_id}")):
        r = client.request(method, path, headers={"Authorization": "Bearer wrong"})
        assert r.status_code == 401
    assert client.get(f"/api/documents/{doc_id}").status_code == 200  # still there


def test_replace_under_another_name_swaps_the_document(library):
    assistant, client, folder = library
    old_id = _upload(client, "quantum.txt", QUANTUM)["doc_id"]
    body = _upload(client, "quantum-v2.txt", QUANTUM_V2, f"/api/documents/{old_id}/replace")
    assert body["replaced"] == old_id and body["status"] == "indexed"
    assert body["document"]["title"] == "测试县关于促进量子计算产业发展的若干措施"
    assert sorted(p.name for p in folder.iterdir()) == ["quantum-v2.txt"]
    assert client.get("/api/uploads").json()["doc_ids"] == [body["doc_id"]]
    answer = _ask(client)["answer"]
    assert "25家" in answer and "15家" not in answer


def test_a_bad_replacement_keeps_the_old_document(library):
    _, client, folder = library
    old_id = _upload(client, "quantum.txt", QUANTUM)["doc_id"]
    r = client.post(f"/api/documents/{old_id}/replace",
                    files={"file": ("new.exe", b"MZ\x90\x00", "application/octet-stream")})
    assert r.status_code == 400 and "unsupported file type" in r.json()["detail"]
    assert sorted(p.name for p in folder.iterdir()) == ["quantum.txt"]
    assert "15家" in _ask(client)["answer"]


def test_a_replacement_may_be_as_large_as_an_upload(library):
    """The replace route has the upload body limit, not the small limit of JSON routes."""
    _, client, folder = library
    old_id = _upload(client, "quantum.txt", QUANTUM)["doc_id"]
    big = QUANTUM_V2 + "\n二、附则\n" + "".join(f"第{i}项措施由县科技局负责解释。" for i in range(5000))
    assert len(big.encode("utf-8")) > 200_000
    body = _upload(client, "quantum.txt", big, f"/api/documents/{old_id}/replace")
    assert body["replaced"] == old_id and body["status"] == "indexed"
    assert "25家" in _ask(client)["answer"]


def test_a_replacement_that_fails_to_index_keeps_the_old_document(library):
    """Received (it looks like a PDF) but unreadable: the job fails, the old file stays."""
    _, client, folder = library
    old_id = _upload(client, "quantum.txt", QUANTUM)["doc_id"]
    job = upload_file(client, "new.pdf", b"%PDF-1.7\n garbage \x00\x01 no xref",
                      f"/api/documents/{old_id}/replace")
    assert job["state"] == "failed" and job["kind"] == "replace" and "new.pdf" in job["error"]
    assert sorted(p.name for p in folder.iterdir()) == ["quantum.txt"]
    assert client.get("/api/uploads").json()["doc_ids"] == [old_id]
    assert "15家" in _ask(client)["answer"]

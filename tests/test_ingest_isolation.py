"""One bad file never stops an ingest: it fails with its reason, every other file indexes."""

from __future__ import annotations

import pytest

from assistant import service


@pytest.fixture
def folder(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "good.txt").write_text("示范县实施意见\n一、目标\n到2027年建成示范区。\n", encoding="utf-8")
    (docs / "twice.txt").write_text("示范办法\n第一条 本办法自公布之日起施行。\n第一条 本办法自公布之日起施行。\n",
                                    encoding="utf-8")
    (docs / "broken.pdf").write_bytes(b"%PDF-1.4 not really a pdf")
    (docs / "page.html").write_text("<html><body><p>示范市通知</p><p>一、要求</p><p>做好工作。</p></body></html>",
                                    encoding="utf-8")
    return docs


def test_a_failure_while_chunking_or_storing_fails_only_that_file(fake_assistant, folder, monkeypatch):
    real_chunk = service.chunk_document

    def chunk(doc, max_chars=600):
        if doc.meta.doc_id == "good":
            raise RuntimeError("chunker broke")
        return real_chunk(doc, max_chars)

    monkeypatch.setattr(service, "chunk_document", chunk)
    report = fake_assistant.ingest([folder])
    by_name = {f.path.rsplit("/", 1)[-1]: f for f in report.files}
    assert by_name["good.txt"].status == "failed" and "chunker broke" in by_name["good.txt"].error
    assert by_name["broken.pdf"].status == "failed" and "PDF" in by_name["broken.pdf"].error
    assert by_name["twice.txt"].status == "indexed"  # identical clauses, distinct ids
    assert by_name["page.html"].status == "indexed"
    docs = {c.doc_id for c in fake_assistant.store.all_clauses()}
    assert docs == {"twice", "page"}


def test_a_store_failure_fails_only_that_file(fake_assistant, folder, monkeypatch):
    store = fake_assistant.store
    real = store.replace_document

    def replace(doc_id, clauses, vectors, **kwargs):
        if doc_id == "twice":
            raise ValueError("store refused")
        return real(doc_id, clauses, vectors, **kwargs)

    monkeypatch.setattr(store, "replace_document", replace)
    report = fake_assistant.ingest([folder])
    assert {f.path.rsplit("/", 1)[-1] for f in report.files if f.status == "failed"} == {"twice.txt", "broken.pdf"}
    assert {c.doc_id for c in store.all_clauses()} == {"good", "page"}
    # The refused document's clauses, written with the others' before its commit, are gone.
    assert store.collection.count() == store.count()

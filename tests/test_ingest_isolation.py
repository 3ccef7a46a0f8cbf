"""One bad file never stops an ingest: it fails with its reason, every other file indexes."""

from __future__ import annotations

import re

import pytest

from assistant import service
from assistant.index import ingest
from assistant.index.embeddings import EmbeddingError


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


def test_a_text_the_model_refuses_fails_only_its_file(fake_assistant, folder, monkeypatch):
    embeddings = fake_assistant.embeddings
    real = embeddings.embed_documents

    def embed(texts):
        if any("示范区" in t for t in texts):
            raise ValueError("text refused")
        return real(texts)

    monkeypatch.setattr(embeddings, "embed_documents", embed)
    report = fake_assistant.ingest([folder])
    by_name = {f.path.rsplit("/", 1)[-1]: f for f in report.files}
    assert by_name["good.txt"].status == "failed" and "text refused" in by_name["good.txt"].error
    paths = [f.path for f in report.files]  # in file order, failed and indexed alike
    assert paths == sorted(paths) and len(paths) == 4
    assert by_name["twice.txt"].status == by_name["page.html"].status == "indexed"
    assert {c.doc_id for c in fake_assistant.store.all_clauses()} == {"twice", "page"}


def test_a_model_that_cannot_embed_at_all_stops_the_ingest_once(fake_assistant, folder, monkeypatch):
    def down(texts):
        raise EmbeddingError("cannot reach the embeddings server at http://127.0.0.1:9/v1")

    monkeypatch.setattr(fake_assistant.embeddings, "embed_documents", down)
    with pytest.raises(EmbeddingError, match="cannot reach"):
        fake_assistant.ingest([folder])
    assert fake_assistant.store.count() == 0


def test_a_batch_of_files_is_looked_up_and_written_in_one_call_each(fake_assistant, folder, monkeypatch):
    store = fake_assistant.store
    calls = {"upsert": 0, "lookups": 0}
    real_upsert, real_lookup = store.collection.upsert, store.cached_vectors

    def upsert(**kwargs):
        calls["upsert"] += 1
        return real_upsert(**kwargs)

    def lookup(hashes):
        calls["lookups"] += 1
        return real_lookup(hashes)

    monkeypatch.setattr(store.collection, "upsert", upsert)
    monkeypatch.setattr(store, "cached_vectors", lookup)
    report = fake_assistant.ingest([folder])
    assert report.count("indexed") == 3
    assert calls == {"upsert": 1, "lookups": 1}  # three documents, one batch
    # Each document is still committed on its own record.
    assert {d for d, _ in store.version()} == {"good", "twice", "page"}
    # Small batches: one write per batch, the same index.
    monkeypatch.setattr(ingest, "INGEST_BATCH_CLAUSES", 1)
    calls.update(upsert=0, lookups=0)
    (folder / "good.txt").write_text("示范县实施意见\n一、目标\n到2028年建成示范区。\n", encoding="utf-8")
    (folder / "page.html").write_text("<html><body><p>示范市通知</p><p>一、要求</p><p>做好。</p></body></html>",
                                      encoding="utf-8")
    assert fake_assistant.ingest([folder]).count("indexed") == 2
    assert calls == {"upsert": 2, "lookups": 2}
    assert store.collection.count() == store.count()


def test_the_cli_bar_shows_files_clauses_and_clauses_per_second(folder, tmp_path):
    from typer.testing import CliRunner

    from assistant.cli import app

    env = {"ASSISTANT_EMBEDDING_MODEL": "hash", "ASSISTANT_INDEX_DIR": str(tmp_path / "index"),
           "COLUMNS": "160"}
    result = CliRunner().invoke(app, ["ingest", str(folder)], env=env)
    assert result.exit_code == 1  # broken.pdf fails
    bar = [line for line in result.stderr.splitlines() if line.startswith("files")]
    assert bar and re.search(r"4/4 +[\d,]+ clauses, [\d,]+ clauses/s", bar[-1]), result.stderr

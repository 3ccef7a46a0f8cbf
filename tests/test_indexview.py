"""The index view: BM25 as Okapi scores it, maps built once, saved and loaded by version."""

from __future__ import annotations

import math
import os
from pathlib import Path

import pytest

from assistant.index import indexview
from assistant.index.indexview import IndexView, SavedViews
from assistant.language.segment import bm25_tokens
from assistant.service import Assistant
from assistant.settings import Settings
from assistant.types import Clause, DocumentMeta, Filters

CORPUS = Path(__file__).resolve().parent.parent / "corpus"

os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")


def clause(doc: str, n: int, path: list[str], text: str, kind: str = "clause",
           level: str = "county", status: str = "final") -> Clause:
    meta = DocumentMeta(doc_id=doc, title=f"{doc}县“{doc}计划”实施意见", level=level, status=status)
    return Clause(chunk_id=f"{doc}-{n}", doc_id=doc, doc_title=meta.title, section_path=path,
                  label=f"{doc} {n}", text=text, kind=kind, ordinal=n, meta=meta)


CLAUSES = [
    clause("甲", 0, [], "甲县人民政府 甲府发〔2024〕1号", kind="header"),
    clause("甲", 1, ["一、发展目标"], "到2027年，储能产业产值达到100亿元。"),
    clause("甲", 2, ["二、重点任务"], "下设：（一）储能基地；（二）氢能示范"),
    clause("甲", 3, ["二、重点任务", "（一）储能基地"], "建设储能基地，储能电站10座。"),
    clause("甲", 4, ["二、重点任务", "（二）氢能示范"], "开展氢能示范，储能与氢能协同。"),
    clause("乙", 1, ["一、发展目标"], "到2027年，氢能产业产值达到50亿元。", status="draft"),
    clause("乙", 2, ["二、区域布局", "1.丙镇"], "丙镇重点发展储能装备。", level="city", status="draft"),
]


def okapi(corpus: list[list[str]], query: list[str], k1=1.5, b=0.75, eps=0.25) -> list[float]:
    """Okapi BM25 written out from its formula: the reference the matrix must reproduce."""
    n = len(corpus)
    avgdl = sum(map(len, corpus)) / n
    df: dict[str, int] = {}
    for doc in corpus:
        for t in set(doc):
            df[t] = df.get(t, 0) + 1
    idf = {t: math.log(n - f + 0.5) - math.log(f + 0.5) for t, f in df.items()}
    floor = eps * sum(idf.values()) / len(idf)
    idf = {t: (v if v >= 0 else floor) for t, v in idf.items()}
    return [sum(idf.get(q, 0.0) * doc.count(q) * (k1 + 1)
                / (doc.count(q) + k1 * (1 - b + b * len(doc) / avgdl)) for q in query)
            for doc in corpus]


def test_lexical_scores_are_okapi_bm25_with_filters_inside():
    view = IndexView.build(CLAUSES)
    corpus = [bm25_tokens(c.embed_text()) for c in view.clauses]
    for question in ("储能产业产值达到多少？", "氢能示范 氢能", "丙镇储能装备", "未出现的词"):
        terms = bm25_tokens(question)
        expected = okapi(corpus, terms)
        got = view.lexical.scores(terms)
        assert got == pytest.approx(expected, abs=1e-9)
        order = [i for i in sorted(range(len(expected)), key=lambda i: -expected[i]) if expected[i] > 0]
        assert [view.clauses.index(c) for c, _ in view.search(terms, 3)] == order[:3]
        drafts = [i for i in order if view.clauses[i].meta.status == "draft"]
        assert [view.clauses.index(c) for c, _ in view.search(terms, 5, Filters(status="draft"))] == drafts
        only = [i for i in order if view.clauses[i].doc_id == "甲" and view.clauses[i].meta.level == "county"]
        got_only = view.search(terms, 9, Filters(doc_ids=["甲"], level="county"))
        assert [view.clauses.index(c) for c, _ in got_only] == only
    assert view.search(bm25_tokens("储能"), 5, Filters(doc_ids=["没有这个文件"])) == []
    # A term in more than half the clauses weighs a quarter of the average idf, not below zero.
    assert min(view.idf.values()) > 0 and view.idf["储能"] < view.idf["氢能"]


def test_maps_answer_what_the_composer_asks():
    view = IndexView.build(CLAUSES)
    parent = view.by_path[("甲", ("二、重点任务",))]
    assert [c.chunk_id for c in view.children_of(parent)] == ["甲-3", "甲-4"]
    assert view.children_of(view.by_id["甲-3"]) == []
    assert view.headers == {"甲": view.by_id["甲-0"]}
    assert [c.chunk_id for c in view.under_headings(["丙镇"])] == ["乙-2"]
    assert view.short_names["甲计划"] == ["甲"]
    assert view.identities["乙"][2] == "乙县“乙计划”实施意见"
    assert [c.chunk_id for c in view.by_doc["甲"]] == ["甲-0", "甲-1", "甲-2", "甲-3", "甲-4"]


def test_heading_lookup_finds_every_path_naming_a_stem_once():
    from assistant.language.text import normalize
    from assistant.service import chunk_file

    clauses = [c for f in sorted(CORPUS.glob("*.txt")) for c in chunk_file(f)[1]]
    view = IndexView.build(clauses, version="v")
    for stems in (["杭州"], ["人才", "资金"], ["重点任务", "任务"], ["不在任何标题里的词"]):
        want = [c.chunk_id for c in view.clauses
                if any(s in normalize(" ".join(c.section_path)) for s in stems)]
        assert [c.chunk_id for c in view.under_headings(stems)] == want


def test_a_saved_view_is_loaded_not_rebuilt(tmp_path, monkeypatch):
    saved = SavedViews(tmp_path)
    view = IndexView.build(CLAUSES, version="v1")
    saved.save(view)
    loaded = saved.load("v1")
    assert loaded is not None and [c.chunk_id for c in loaded.clauses] == [c.chunk_id for c in view.clauses]
    assert saved.load("v2") is None
    (tmp_path / next(p.name for p in tmp_path.iterdir())).write_bytes(b"torn")
    assert saved.load("v1") is None  # a torn file is ignored, never fatal
    for i in range(5):
        saved.save(IndexView.build(CLAUSES[:2], version=f"w{i}"))
    assert len(list(tmp_path.glob("view-*.pkl"))) == indexview.KEEP_SAVED
    assert saved.latest().version == "w4"


@pytest.fixture
def corpus_dir(tmp_path):
    folder = tmp_path / "corpus"
    folder.mkdir()
    for i in (1, 2):
        (folder / f"p{i}.txt").write_text(
            f"某县关于培育第{i}类新能源产业的实施意见\n一、发展目标\n"
            f"到2027年，第{i}类新能源产业产值达到{100 * i + 7}亿元。\n", encoding="utf-8")
    return folder


def test_an_opened_index_loads_its_view_and_follows_the_version(tmp_path, corpus_dir, monkeypatch):
    settings = Settings(index_dir=tmp_path / "index", corpus_dir=corpus_dir, embedding_model="hash")
    writer = Assistant(settings)
    writer.ingest([corpus_dir])
    version = writer.store.version_token()
    assert writer.retriever.view.version == version
    assert "__index_version__" not in {d["doc_id"] for d in writer.documents()}

    def no_tokenising(*args, **kwargs):
        raise AssertionError("the saved view should have been loaded")

    monkeypatch.setattr(indexview, "_document_part", no_tokenising)
    reader = Assistant(settings)
    assert reader.retriever.view.version == version  # loaded from the saved view
    assert reader.ask("第2类新能源产业产值达到多少亿元？").citations[0].doc_id == "p2"
    monkeypatch.undo()

    (corpus_dir / "p3.txt").write_text("某县关于培育第3类新能源产业的实施意见\n一、发展目标\n"
                                       "到2027年，第3类新能源产业产值达到307亿元。\n", encoding="utf-8")
    writer.ingest([corpus_dir])
    assert writer.store.version_token() != version
    reader.retriever._checked = 0.0  # as if the check interval had passed
    answer = reader.ask("第3类新能源产业产值达到多少亿元？")
    assert answer.answered and answer.citations[0].doc_id == "p3"
    assert reader.store.delete_document("p3") > 0
    reader.retriever._checked = 0.0
    assert "p3" not in reader.retriever.view.by_doc and "p3" not in reader.retriever.view.generations
    # A deletion killed after its tombstone: the document is gone for every read.
    before = reader.store.version_token()
    reader.store._versioned("p2", {"deleted": True, "written": 0.0})
    assert reader.store.version_token() != before
    assert set(reader.store.generations()) == {"p1"}

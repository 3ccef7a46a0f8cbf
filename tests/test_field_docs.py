"""Real documents as published: gov.cn pages, Guangzhou pages with site chrome, Markdown laws.

The 105 files live in ``../shared/field-docs`` beside the checkout (skipped when absent). They
are a sample of the world, not a target: these tests check properties every document must
have — nothing lost, nothing duplicated, no site chrome, true titles and 文号 — not the
contents of particular files.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from helpers import assert_text_kept_once

from assistant.language.text import normalize
from assistant.reading.chunking import body_lines, chunk_document
from assistant.reading.parsing import parse_file

FIELD = Path(__file__).resolve().parents[2] / "shared" / "field-docs"
pytestmark = pytest.mark.skipif(not (FIELD / "manifest.jsonl").exists(),
                                reason="../shared/field-docs is not beside the checkout")

# Site chrome that must never reach a clause (labels of page furniture, not of documents).
CHROME = ["浏览次数", "分享到", "扫一扫在手机", "网站地图", "当前位置", "ICP备", "网站标识码",
          "打印本页", "关闭窗口", "发布日期：", "浏览量：", "主办：", "无障碍阅读", "长者助手",
          "版权所有", "扫码进入"]


def _manifest() -> list[dict]:
    if not (FIELD / "manifest.jsonl").exists():
        return []
    return [json.loads(line) for line in (FIELD / "manifest.jsonl").read_text().splitlines()]


@pytest.fixture(scope="module")
def field_docs():
    out = {}
    for entry in _manifest():
        doc = parse_file(FIELD / entry["file"])
        out[entry["file"]] = (entry, doc, chunk_document(doc))
    return out


def _reference_sentences(path: Path) -> list[str]:
    """Sentences of the file as a reader sees them, found without any of the reader's logic."""
    if path.suffix == ".html":
        import lxml.html

        root = lxml.html.fromstring(path.read_bytes())
        for bad in root.xpath("//script|//style|//noscript|//title"):
            bad.drop_tree()
        text = "\n".join(root.itertext())
    else:
        text = path.read_text(encoding="utf-8")
    out = []
    # A text node may hold several paragraphs, each indented by two ideographic spaces.
    text = re.sub(r"[\u3000]{2,}", "\n", text)
    for s in re.findall(r"[^。！？\n]+[。！？]", text):
        n = normalize(s)
        if len(n) >= 15 and len(re.findall(r"[\u4e00-\u9fff]", n)) >= 10:
            out.append(n)
    return out


def test_every_field_document_reads_and_chunks(field_docs):
    assert len(field_docs) == len(_manifest()) >= 100
    for name, (_, _, clauses) in field_docs.items():
        assert clauses, name
        assert len({c.chunk_id for c in clauses}) == len(clauses), name


def test_body_sentences_are_kept(field_docs):
    kept = {}
    for name, (_, doc, clauses) in field_docs.items():
        # A page's headline is kept as the document's title, cited with every clause.
        text = normalize(doc.meta.title + "".join(line for c in clauses for line in body_lines(c)))
        ref = _reference_sentences(FIELD / name)
        if ref:
            kept[name] = sum(s in text for s in ref) / len(ref)
    assert min(kept.values()) >= 0.95, sorted(kept.items(), key=lambda kv: kv[1])[:5]
    assert sum(kept.values()) / len(kept) >= 0.99


def test_every_character_lands_in_exactly_one_clause(field_docs):
    for name, (_, doc, clauses) in field_docs.items():
        assert_text_kept_once(doc, clauses, name)


def test_no_site_chrome_in_any_clause(field_docs):
    for name, (_, _, clauses) in field_docs.items():
        for clause in clauses:
            for marker in CHROME:
                assert marker not in clause.text, (name, marker, clause.text[:120])


def test_titles_and_document_numbers_match_the_manifest(field_docs):
    checked = right = 0
    for entry, doc, _ in field_docs.values():
        if not (entry.get("doc_number") or entry["file"].endswith(".md")):
            continue  # the Guangzhou entries name their pages, not the documents' titles
        checked += 1
        title = re.sub(r"\(\d{4}-\d{2}-\d{2}\)$", "", entry["title"])
        ok = normalize(doc.meta.title) == normalize(title)
        if entry.get("doc_number"):
            ok = ok and normalize(doc.meta.doc_number or "") == normalize(entry["doc_number"])
        if entry.get("issuer"):
            ok = ok and normalize(doc.meta.issuer or "") == normalize(entry["issuer"])
        right += ok
    assert checked >= 55
    assert right / checked >= 0.95


def test_every_article_has_its_chapter_in_its_path(field_docs):
    articles = 0
    for name, (_, doc, clauses) in field_docs.items():
        if not any(re.match(r"第[一二三四五六七八九十百]+章", p) for p in doc.paragraphs):
            continue
        for clause in clauses:
            path = clause.section_path
            if path and re.match(r"第[一二三四五六七八九十百零]+条", path[-1]) and not path[0].startswith("附件"):
                articles += 1
                assert re.match(r"第[一二三四五六七八九十百零]+[编章]", path[0]), (name, path)
    assert articles > 100


def test_no_table_row_becomes_a_heading(field_docs):
    for name, (_, _, clauses) in field_docs.items():
        for clause in clauses:
            assert not any("｜" in part for part in clause.section_path), (name, clause.section_path)


@pytest.mark.slow
def test_field_documents_and_corpus_ingest_into_one_index(tmp_path, corpus_dir):
    from assistant.service import Assistant
    from assistant.settings import Settings

    assistant = Assistant(Settings(index_dir=tmp_path / "index", corpus_dir=corpus_dir,
                                   embedding_model="hash"))
    report = assistant.ingest([FIELD / e["file"] for e in _manifest()] + [corpus_dir])
    assert report.count("failed") == 0, [f.error for f in report.files if f.status == "failed"]
    assert report.count("indexed") == len(_manifest()) + 5
    assert assistant.store.count() == sum(f.clauses for f in report.files)

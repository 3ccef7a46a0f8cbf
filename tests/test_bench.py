"""The library-scale benchmark: its scaled libraries and its report (``evals/bench.py``)."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

from assistant.reading.parsing import parse_file
from assistant.service import Assistant
from assistant.settings import Settings

ROOT = Path(__file__).resolve().parent.parent


def _load(name: str):
    sys.path.insert(0, str(ROOT / "evals"))
    spec = importlib.util.spec_from_file_location(name, ROOT / "evals" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_copies_are_distinct_documents_with_the_same_structure(tmp_path):
    library = _load("scaled_library")
    questions = [json.loads(line)["question"]
                 for line in (ROOT / "evals" / "gold.jsonl").read_text(encoding="utf-8").splitlines()]
    files = library.build_library(ROOT / "corpus", 3, tmp_path / "a", questions)
    again = library.build_library(ROOT / "corpus", 3, tmp_path / "b", questions)
    assert len(files) == 15
    assert [f.read_bytes() for f in files] == [f.read_bytes() for f in again]  # deterministic
    chunker = Assistant(Settings(embedding_model="hash"))
    docs = [parse_file(f) for f in files]
    assert len({d.meta.title for d in docs}) == 15 and len({d.meta.doc_id for d in docs}) == 15
    counts = {d.meta.doc_id: len(chunker.chunk(d)) for d in docs}
    for original in (ROOT / "corpus").glob("*.txt"):
        # Figures move, the numbering that makes clauses does not.
        assert counts[f"{original.stem}-copy001"] == counts[f"{original.stem}-copy002"] == counts[original.stem]
    suichang = (tmp_path / "a" / "suichang-2024-future-industries-opinions-copy001.txt").read_text(encoding="utf-8")
    assert "遂昌" not in suichang and "2028年" in suichang  # other place, years kept
    assert "80亿元" not in suichang and "81亿元" in suichang  # figures raised by the copy number


def test_the_report_prints_the_ratios_against_the_first_library():
    bench = _load("bench")
    row = {"library": "1×", "files": 5, "failed": 0, "clauses": 182, "ingest_s": 4.0,
           "ingest_cpu_s": 2.0, "embed_s": 0.2, "clauses_per_s": 45.5, "ms_per_clause_ex_embed": 20.0,
           "first_answer_s": 2.0, "p50_ms": 30.0, "p95_ms": 50.0, "answered": 33, "questions": 40,
           "ingest_rss_mb": 200.0, "answer_rss_mb": 300.0, "peak_rss_mb": 300.0}
    big = {**row, "library": "100×", "files": 500, "failed": 2, "ms_per_clause_ex_embed": 25.0,
           "p50_ms": 60.0, "first_answer_s": 8.0, "peak_rss_mb": 900.0}
    text = bench.table([row, big])
    assert "| 100× | 500 (2 failed) |" in text and "33/40" in text
    assert ("100× vs 1×: answer p50 2.00×, first answer 4.00×, ingest per clause (ex-embedding) "
            "1.25×, peak RSS 3.00×") in text

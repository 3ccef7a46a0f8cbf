"""Speed benchmark of the offline pipeline: cold ingest, no-change re-ingest, retrieval, answers.

Run: python evals/bench.py [--index DIR]. Targets (2 cores): cold ingest ≤ 60 s with model
load, unchanged re-run ≤ 3 s, retrieval ≤ 50 ms p50 warm, whole answer ≤ 150 ms p50 warm.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from assistant.evaluation import load_gold
from assistant.service import Assistant
from assistant.settings import Settings


def main() -> None:
    """Measure and print the figures as JSON."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--index", type=Path, default=None, help="index folder (default: a temp dir)")
    parser.add_argument("--gold", type=Path, default=Path("evals/gold.jsonl"))
    args = parser.parse_args()
    index = args.index or Path(tempfile.mkdtemp(prefix="bench-index-"))
    shutil.rmtree(index, ignore_errors=True)

    t = time.perf_counter()
    assistant = Assistant(Settings(index_dir=index))
    assistant.ingest()
    cold = time.perf_counter() - t
    t = time.perf_counter()
    assistant.ingest()
    rerun = time.perf_counter() - t

    questions = [i.question for i in load_gold(args.gold)]
    assistant.ask(questions[0])  # warm-up
    retrieval, answers = [], []
    for q in questions:
        t = time.perf_counter()
        assistant.retriever.retrieve(q, k=5)
        retrieval.append((time.perf_counter() - t) * 1000)
        answers.append(assistant.ask(q).latency_ms)
    size = sum(p.stat().st_size for p in index.rglob("*") if p.is_file())
    print(json.dumps({
        "cold_ingest_s": round(cold, 2),
        "unchanged_reingest_s": round(rerun, 2),
        "retrieval_p50_ms": round(statistics.median(retrieval), 1),
        "answer_p50_ms": round(statistics.median(answers), 1),
        "answer_p95_ms": round(sorted(answers)[int(len(answers) * 0.95)], 1),
        "index_bytes": size,
        "clauses": assistant.store.count(),
    }, indent=1))
    if args.index is None:
        shutil.rmtree(index, ignore_errors=True)


if __name__ == "__main__":
    main()

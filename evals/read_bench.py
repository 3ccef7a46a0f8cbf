"""Reading throughput: files → documents → clauses, without embedding or storing.

Run: python evals/read_bench.py [FOLDER …] (default ../shared/field-docs and corpus/). Prints,
per file type and in all, documents, characters of cleaned text, clauses, and characters per
second (the median of ``--repeat`` passes; the first pass also warms the imports). With
``--measures`` each document's support measures are read too, as the index view reads them.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections import defaultdict
from pathlib import Path

from assistant.reading.chunking import chunk_document
from assistant.reading.measures import document_measures
from assistant.reading.parsing import SUPPORTED_SUFFIXES, parse_file


def _files(roots: list[Path]) -> list[Path]:
    out = []
    for root in roots:
        paths = [root] if root.is_file() else sorted(root.rglob("*"))
        out += [p for p in paths if p.is_file() and p.suffix.lower() in SUPPORTED_SUFFIXES]
    return out


def main() -> None:
    """Measure and print the figures as JSON."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("folders", nargs="*", type=Path,
                        default=[Path("../shared/field-docs"), Path("corpus")])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--measures", action="store_true",
                        help="also read each document's support measures (as the index view does)")
    args = parser.parse_args()
    files = [p for p in _files(args.folders) if p.name != "README.md"]
    per_type: dict[str, dict] = defaultdict(lambda: {"docs": 0, "chars": 0, "clauses": 0, "s": []})
    for n in range(args.repeat + 1):
        seconds: dict[str, float] = defaultdict(float)
        for path in files:
            kind = path.suffix.lower().lstrip(".")
            t = time.perf_counter()
            doc = parse_file(path)
            clauses = chunk_document(doc)
            if args.measures:
                document_measures(clauses)
            seconds[kind] += time.perf_counter() - t
            if n == 1:
                per_type[kind]["docs"] += 1
                per_type[kind]["chars"] += len(doc.text)
                per_type[kind]["clauses"] += len(clauses)
        if n:  # pass 0 warms the imports and caches
            for kind, s in seconds.items():
                per_type[kind]["s"].append(s)
    report = {}
    for kind, f in sorted(per_type.items()):
        s = statistics.median(f["s"])
        report[kind] = {"docs": f["docs"], "chars": f["chars"], "clauses": f["clauses"],
                        "seconds": round(s, 3), "chars_per_s": round(f["chars"] / s)}
    total_s = sum(r["seconds"] for r in report.values())
    total_chars = sum(r["chars"] for r in report.values())
    report["all"] = {"docs": sum(r["docs"] for r in report.values()), "chars": total_chars,
                     "clauses": sum(r["clauses"] for r in report.values()),
                     "seconds": round(total_s, 3), "chars_per_s": round(total_chars / total_s)}
    print(json.dumps(report, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()

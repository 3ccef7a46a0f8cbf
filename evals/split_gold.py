"""Assign every gold item to ``dev`` or ``test`` by the document section its evidence is in.

Paraphrases of one clause share their evidence, so they share a section and land in the same
split: a threshold tuned on dev never sees a rewording of a test question. The split is a
hash of the section (document and first two levels of its path), so it is stable as items are
added; unanswerable items without evidence are split by the hash of the document tag and id.
An item with ``"split_pinned": true`` keeps the split it names: items written for one split
(comparison items written to tune the comparison answers on dev) stay there even when their
first evidence span lies in a section of the other split.

    python evals/split_gold.py evals/gold.jsonl [--corpus corpus]
"""

from __future__ import annotations

import argparse
import hashlib
import json
from pathlib import Path

from assistant.language.text import normalize
from assistant.service import chunk_file


def section_key(evidence: list[str], clauses) -> str | None:
    """``doc_id/level1/level2`` of the clause holding the first evidence span, if any."""
    for span in evidence:
        want = normalize(span)
        for c in clauses:
            if want in normalize(c.text):
                return "/".join([c.doc_id, *c.section_path[:2]])
    return None


def split_of(key: str) -> str:
    """``dev`` or ``test`` for a group key, by its hash (half and half on average)."""
    return "dev" if int(hashlib.sha1(key.encode("utf-8")).hexdigest(), 16) % 2 == 0 else "test"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("gold", type=Path)
    parser.add_argument("--corpus", type=Path, default=Path("corpus"))
    args = parser.parse_args()
    clauses = [c for p in sorted(args.corpus.iterdir()) if p.is_file() for c in chunk_file(p)[1]]
    lines = []
    for line in args.gold.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        item = json.loads(line)
        if item.get("split_pinned") and item.get("split") in ("dev", "test"):
            lines.append(json.dumps(item, ensure_ascii=False))
            continue
        key = section_key(item.get("evidence", []), clauses)
        if key is None:
            key = f"{(item.get('tags') or ['-'])[-1]}/{item['id']}"
        item["split"] = split_of(key)
        lines.append(json.dumps(item, ensure_ascii=False))
    args.gold.write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()

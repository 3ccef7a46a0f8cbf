"""Draw the seeded sample of measures read from the field documents that is checked by hand.

Run: ``python evals/measures_field_sample.py [FOLDER] [--n 100] [--seed 21] > sample.jsonl``
(default ``../shared/field-docs``). Every measure of every document is read (as at ingest,
nothing indexed), then ``n`` are drawn with ``random.Random(seed)``; each line gives the
measure's id, document, fields and sentence, for a person to judge against the sentence.
The judged list is ``evals/measures_field_check.jsonl``: the same lines with ``ok`` (is this a
measure the sentence grants, with its amounts and beneficiary read right) and ``reason``;
``--score FILE`` prints its precision.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.reading.chunking import chunk_document  # noqa: E402
from assistant.reading.measures import document_measures  # noqa: E402
from assistant.reading.parsing import SUPPORTED_SUFFIXES, ParseError, parse_file  # noqa: E402


def all_measures(folder: Path) -> list[dict]:
    """Every measure of the documents in ``folder``, in file order."""
    out = []
    for path in sorted(folder.iterdir()):
        if path.suffix.lower() not in SUPPORTED_SUFFIXES or path.name == "README.md":
            continue
        try:
            doc = parse_file(path)
        except ParseError:
            continue
        for m in document_measures(chunk_document(doc)):
            out.append({"id": m.id, "file": path.name, "kind": m.kind, "beneficiary": m.beneficiary,
                        "amounts": [a.text for a in m.amounts], "rates": [r.text for r in m.rates],
                        "conditions": m.conditions, "units": m.units, "span": m.span.text})
    return out


def main() -> None:
    """Print the sample, or score a judged list."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", nargs="?", type=Path, default=ROOT.parent / "shared" / "field-docs")
    parser.add_argument("--n", type=int, default=100)
    parser.add_argument("--seed", type=int, default=21)
    parser.add_argument("--score", type=Path, help="a judged list: print its precision")
    args = parser.parse_args()
    if args.score:
        rows = [json.loads(x) for x in args.score.read_text(encoding="utf-8").splitlines() if x.strip()]
        ok = sum(1 for r in rows if r["ok"])
        print(f"{ok} of {len(rows)} right: precision {ok / len(rows):.3f}")
        return
    found = all_measures(args.folder)
    print(f"{len(found)} measures in {args.folder}", file=sys.stderr)
    for m in random.Random(args.seed).sample(found, min(args.n, len(found))):
        print(json.dumps(m, ensure_ascii=False))


if __name__ == "__main__":
    main()

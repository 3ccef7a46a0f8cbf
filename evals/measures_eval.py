"""Score the support measures read from documents against a gold list.

Run: ``python evals/measures_eval.py GOLD --docs FOLDER [--json OUT] [--show]``
(e.g. ``python evals/measures_eval.py ../shared/dev-world/measures.jsonl --docs ../shared/dev-world/docs``).

GOLD is JSONL, one measure a line: ``{"id", "doc", "evidence", "beneficiary", "amount": [...],
"rate": [...], "units": [...], "conditions": [...], "basis"}`` (the dev-world format; ``doc`` is a
file name in FOLDER). Each document is read and chunked as at ingest and its measures are
extracted (``assistant.reading.measures``); nothing is indexed.

How each figure is judged (text compared in its matching form: NFKC, no whitespace or
punctuation; money by its value in yuan, rates by value or as written):

- **found** (recall): some extracted measure of the document has a span holding the evidence,
  and shares an amount or a rate with the gold (or neither has any). Where several qualify,
  the one sharing most figures is taken.
- **amounts right** (of those found): every gold amount and rate is among the extracted ones,
  and every extracted one is a gold amount or rate or is written in the gold's conditions or
  basis (a ceiling per company that the gold keeps as a condition, 单个企业年度…不超过2000万元).
- **beneficiary right** (of those found): one contains the other, or at least 0.6 of the gold's
  character bigrams are in the extracted phrase and it is at most twice as long (+10).
- **units right** (of those found): both empty, or the extracted lead unit is a gold unit and
  every extracted unit is one; units match when one contains the other once a leading place
  name (上海市, 海南省, 省, 市) is dropped.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import unicodedata
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.reading.chunking import chunk_document  # noqa: E402
from assistant.reading.measures import document_measures  # noqa: E402
from assistant.reading.parsing import parse_file  # noqa: E402

_MONEY = re.compile(r"([\d.]+)\s*(亿|万|千)?元")


def norm(text: str) -> str:
    """Matching form: NFKC, no whitespace, punctuation or symbols."""
    text = unicodedata.normalize("NFKC", text or "")
    return "".join(ch for ch in text if unicodedata.category(ch)[0] not in "PSZ" and not ch.isspace())


def yuan(text: str) -> float | None:
    """The value in yuan of a gold amount as written (300万元/年 → 3000000)."""
    m = _MONEY.search(unicodedata.normalize("NFKC", text).replace(" ", ""))
    if not m:
        return None
    return round(float(m.group(1)) * {"亿": 1e8, "万": 1e4, "千": 1e3}.get(m.group(2) or "", 1), 4)


def rate_value(text: str) -> float | None:
    """A gold rate's value (30% → 0.3; a ratio 1∶1 → 0.5)."""
    t = unicodedata.normalize("NFKC", text)
    m = re.search(r"([\d.]+)\s*%", t)
    if m:
        return round(float(m.group(1)) / 100, 6)
    m = re.search(r"(\d+)\s*[:∶]\s*(\d+)", t)
    if m:
        a, b = float(m.group(1)), float(m.group(2))
        return round(a / (a + b), 6)
    return None


def figures(gold: dict) -> set[tuple[str, float]]:
    out = {("money", v) for a in gold.get("amount", []) if (v := yuan(a)) is not None}
    return out | {("rate", v) for r in gold.get("rate", []) if (v := rate_value(r)) is not None}


def extracted_figures(m: dict) -> set[tuple[str, float]]:
    out = {("money", round(a["yuan"], 4)) for a in m["amounts"] if a.get("yuan") is not None}
    return out | {("rate", round(r["value"], 6)) for r in m["rates"] if r.get("value") is not None}


def amounts_right(gold: dict, m: dict) -> bool:
    want, got = figures(gold), extracted_figures(m)
    if not want <= got:
        return False
    aside = norm(" ".join(gold.get("conditions", [])) + (gold.get("basis") or ""))
    aside_values = {("money", v) for t in re.findall(r"[\d.]+\s*(?:亿|万|千)?元", unicodedata.normalize("NFKC", aside))
                    if (v := yuan(t)) is not None}
    aside_values |= {("rate", v) for t in re.findall(r"[\d.]+%", unicodedata.normalize("NFKC", aside))
                     if (v := rate_value(t)) is not None}
    return all(f in want or f in aside_values for f in got)


def _bigrams(text: str) -> set[str]:
    return {text[i:i + 2] for i in range(len(text) - 1)}


def beneficiary_right(gold: str, got: str | None) -> bool:
    g = norm(re.sub(r"（[^）]*）|\([^)]*\)", "", gold or ""))
    e = norm(re.sub(r"（[^）]*）|\([^)]*\)", "", got or ""))
    if not g or not e:
        return not g and not e
    if g in e or e in g:
        return True
    grams = _bigrams(g)
    share = len(grams & _bigrams(e)) / max(1, len(grams))
    return share >= 0.6 and len(e) <= 2 * len(g) + 10


_PLACE_PREFIX = re.compile(r"^(?:[\u4e00-\u9fff]{2,3}?(?:省|市|自治区))|^(?:省|市|县|区)")


def _unit_key(unit: str) -> str:
    return _PLACE_PREFIX.sub("", norm(unit)) or norm(unit)


def _same_unit(a: str, b: str) -> bool:
    ka, kb = _unit_key(a), _unit_key(b)
    return ka in kb or kb in ka


def units_right(gold: list[str], got: list[str]) -> bool:
    if not gold or not got:
        return not gold and not got
    if not any(_same_unit(got[0], g) for g in gold):
        return False
    return all(any(_same_unit(u, g) for g in gold) for u in got)


def measures_of(path: Path) -> list[dict]:
    """The measures extracted from one file, as JSON dicts."""
    doc = parse_file(path)
    return [m.model_dump() for m in document_measures(chunk_document(doc))]


def evaluate(gold_items: list[dict], docs: Path) -> dict:
    """Per-document and overall figures, and a line per gold measure."""
    by_doc: dict[str, list[dict]] = {}
    rows = []
    for g in gold_items:
        if g["doc"] not in by_doc:
            by_doc[g["doc"]] = measures_of(docs / g["doc"])
        evidence = norm(g["evidence"])
        want = figures(g)
        best, best_shared = None, -1
        for m in by_doc[g["doc"]]:
            if evidence not in norm(m["span"]["text"]):
                continue
            got = extracted_figures(m)
            shared = len(want & got)
            if (shared or (not want and not got)) and shared > best_shared:
                best, best_shared = m, shared
        row = {"id": g["id"], "doc": g["doc"], "found": best is not None}
        if best is not None:
            row.update(amounts=amounts_right(g, best), beneficiary=beneficiary_right(g.get("beneficiary", ""), best["beneficiary"]),
                       units=units_right(g.get("units", []), best["units"]), measure=best["id"],
                       got_beneficiary=best["beneficiary"], got_units=best["units"],
                       got_figures=sorted(extracted_figures(best)))
        rows.append(row)
    per_doc: dict[str, dict] = defaultdict(lambda: defaultdict(int))
    for r in rows:
        for key in ("all", r["doc"]):
            d = per_doc[key]
            d["gold"] += 1
            if r["found"]:
                d["found"] += 1
                d["amounts"] += r["amounts"]
                d["beneficiary"] += r["beneficiary"]
                d["units"] += r["units"]
    for key, d in per_doc.items():
        d["extracted"] = sum(len(v) for v in by_doc.values()) if key == "all" else len(by_doc.get(key, []))
    return {"figures": {k: _rates(d) for k, d in per_doc.items()}, "rows": rows}


def _rates(d: dict) -> dict:
    found = d["found"] or 1
    return {"gold": d["gold"], "extracted": d["extracted"], "found": d["found"],
            "recall": round(d["found"] / d["gold"], 3), "amounts_right": round(d["amounts"] / found, 3),
            "beneficiary_right": round(d["beneficiary"] / found, 3), "units_right": round(d["units"] / found, 3)}


def main() -> None:
    """Score and print the figures (``--show`` adds the measures that missed)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("gold", type=Path)
    parser.add_argument("--docs", type=Path, required=True, help="the folder of the documents the gold names")
    parser.add_argument("--json", type=Path, help="write the figures and rows here")
    parser.add_argument("--show", action="store_true", help="print each gold measure that is not right")
    args = parser.parse_args()
    items = [json.loads(line) for line in args.gold.read_text(encoding="utf-8").splitlines() if line.strip()]
    result = evaluate(items, args.docs)
    print(f"{'document':58} {'gold':>4} {'found':>5} {'recall':>6} {'amounts':>7} {'benef.':>6} {'units':>6}")
    for name, f in sorted(result["figures"].items(), key=lambda kv: (kv[0] == "all", kv[0])):
        print(f"{name[:58]:58} {f['gold']:>4} {f['found']:>5} {f['recall']:>6.3f} {f['amounts_right']:>7.3f} "
              f"{f['beneficiary_right']:>6.3f} {f['units_right']:>6.3f}")
    if args.show:
        gold = {g["id"]: g for g in items}
        for r in result["rows"]:
            if r["found"] and r["amounts"] and r["beneficiary"] and r["units"]:
                continue
            g = gold[r["id"]]
            print(f"\n{r['id']} found={r['found']} {g['evidence']}")
            if r["found"]:
                print(f"  amounts {r['amounts']}: gold {g['amount']} {g['rate']} got {r['got_figures']}")
                print(f"  beneficiary {r['beneficiary']}: gold {g['beneficiary']} | got {r['got_beneficiary']}")
                print(f"  units {r['units']}: gold {g['units']} | got {r['got_units']}")
    if args.json:
        args.json.write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()

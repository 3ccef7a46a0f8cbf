"""Validity read from documents against a gold file: dates exact, status right, unknown kept.

Run: python evals/validity_eval.py GOLD [--docs FOLDER] [--ingest] [--json]

GOLD is JSONL, one document a line: ``doc`` (its file name), ``issued``, ``effective_from``,
``effective_until`` (``YYYY-MM-DD`` or null), ``status_on_YYYY-MM-DD`` (the status on that
date), ``supersedes`` and, for gold over several folders, ``source`` (``corpus`` or
``field-docs``). The files are looked up in ``--docs``, else by their source (``corpus/``,
``../shared/field-docs``), else in ``docs/`` beside the gold file. Every file of those folders is
read so that versions link as in an index (a document repealed by another is superseded).

By default files are read without indexing (fast); ``--ingest`` indexes them into a temporary
index with the configured embedding model and reads validity from the index view, as the
assistant answers with it.

Printed: dates exact per field and overall (over every gold date field: a stated date read
exactly, a null read as null), status right, and the ``unknown`` check: every document whose
gold is ``unknown`` read as ``unknown`` (none guessed in force). Exit 1 below ``--floor``.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

from assistant.index.versions import link_versions
from assistant.language.text import normalize
from assistant.reading.parsing import SUPPORTED_SUFFIXES, ParseError, parse_file
from assistant.types import DocumentMeta

FIELDS = ("issued", "effective_from", "effective_until")
ROOT = Path(__file__).resolve().parent.parent
#: The team's shared folder beside the checkout (``../shared``), or beside a folder above it.
SHARED = next((p / "shared" for p in ROOT.parents if (p / "shared" / "field-docs").is_dir()),
              ROOT.parent / "shared")
SOURCES = {"corpus": ROOT / "corpus", "field-docs": SHARED / "field-docs",
           "dev-world": SHARED / "dev-world" / "docs"}


def load_gold(path: Path) -> tuple[list[dict], str]:
    """The gold lines and the date their status is given on."""
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    keys = {k for r in rows for k in r if k.startswith("status_on_")}
    if len(keys) != 1:
        raise SystemExit(f"{path}: expected one status_on_YYYY-MM-DD key, found {sorted(keys)}")
    return rows, keys.pop().removeprefix("status_on_")


def folder_of(row: dict, gold: Path, docs: Path | None) -> Path:
    """Where the document of a gold line is."""
    if docs is not None:
        return docs
    if row.get("source") in SOURCES:
        return SOURCES[row["source"]]
    beside = gold.parent / "docs"
    return beside if beside.is_dir() else gold.parent


def read_folders(folders: set[Path]) -> dict[Path, DocumentMeta]:
    """Every readable file of the folders → its metadata, with versions linked across them."""
    metas: dict[Path, DocumentMeta] = {}
    for folder in folders:
        for path in sorted(folder.iterdir()):
            if path.suffix.lower() in SUPPORTED_SUFFIXES and path.name != "README.md":
                try:
                    metas[path] = parse_file(path).meta
                except ParseError as exc:
                    print(f"{path.name}: {exc}", file=sys.stderr)
    _link(metas)
    return metas


def _link(metas: dict[Path, DocumentMeta]) -> None:
    by_id = {m.doc_id: m for m in metas.values()}
    for doc_id, link in link_versions(by_id).items():
        v = by_id[doc_id].validity
        if v is not None:
            v.superseded_by, v.superseded_on = link.superseded_by, link.superseded_on


def ingest_folders(folders: set[Path]) -> dict[Path, DocumentMeta]:
    """Index the folders in a temporary index and read each document's metadata from the view."""
    from assistant.service import Assistant
    from assistant.settings import Settings

    with tempfile.TemporaryDirectory() as tmp:
        assistant = Assistant(Settings(index_dir=Path(tmp)))
        assistant.ingest(sorted(folders))
        view = assistant.retriever.view
        out = {}
        for clauses in view.by_doc.values():
            meta = clauses[0].meta
            if meta is not None:
                out[Path(meta.source).resolve()] = meta
        return out


def evaluate(rows: list[dict], as_of: str, metas: dict[Path, DocumentMeta], gold: Path,
             docs: Path | None) -> dict:
    """Compare each gold line with the validity read; the figures and the mismatches."""
    by_path = {p.resolve(): m for p, m in metas.items()}
    exact = {f: 0 for f in FIELDS}
    stated = {f: [0, 0] for f in FIELDS}  # read exactly, stated in gold
    false_dates = 0
    status_right = 0
    unknown_gold = unknown_kept = guessed_in_force = 0
    misses = []
    for row in rows:
        path = (folder_of(row, gold, docs) / row["doc"]).resolve()
        meta = by_path.get(path)
        if meta is None or meta.validity is None:
            misses.append({"doc": row["doc"], "error": "not read"})
            continue
        v = meta.validity
        got = {"issued": v.issued, "effective_from": v.effective_from, "effective_until": v.effective_until,
               "status": v.status(as_of)}
        want_status = row[f"status_on_{as_of}"]
        wrong = {}
        for f in FIELDS:
            if got[f] == row[f]:
                exact[f] += 1
            else:
                wrong[f] = (got[f], row[f])
            if row[f] is not None:
                stated[f][1] += 1
                stated[f][0] += got[f] == row[f]
            elif got[f] is not None:
                false_dates += 1
        if got["status"] == want_status:
            status_right += 1
        else:
            wrong["status"] = (got["status"], want_status)
        if want_status == "unknown":
            unknown_gold += 1
            unknown_kept += got["status"] == "unknown"
            guessed_in_force += got["status"] == "in_force"
        if row.get("supersedes") and not any(normalize(row["supersedes"]).startswith(normalize(s)[:8])
                                             or normalize(s) in normalize(row["supersedes"])
                                             for s in v.supersedes):
            wrong["supersedes"] = (v.supersedes, row["supersedes"])
        if wrong:
            misses.append({"doc": row["doc"], **{k: {"read": a, "gold": b} for k, (a, b) in wrong.items()}})
    n = len(rows)
    return {
        "documents": n,
        "as_of": as_of,
        "dates_exact": {f: round(exact[f] / n, 3) for f in FIELDS},
        "dates_exact_overall": round(sum(exact.values()) / (n * len(FIELDS)), 3),
        "stated_dates_read": {f: f"{a}/{b}" for f, (a, b) in stated.items()},
        "dates_read_where_gold_is_null": false_dates,
        "status_right": round(status_right / n, 3),
        "unknown": {"gold": unknown_gold, "read_unknown": unknown_kept, "read_in_force": guessed_in_force},
        "misses": misses,
    }


def main() -> None:
    """Read, compare, print; exit 1 when dates or status fall below ``--floor``."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("gold", type=Path)
    parser.add_argument("--docs", type=Path, default=None, help="The folder of the gold's files.")
    parser.add_argument("--ingest", action="store_true", help="Index the files and read the index view.")
    parser.add_argument("--json", action="store_true", help="Print the figures as JSON.")
    parser.add_argument("--floor", type=float, default=0.0, help="Least dates exact and status right.")
    args = parser.parse_args()
    rows, as_of = load_gold(args.gold)
    folders = {folder_of(r, args.gold, args.docs).resolve() for r in rows}
    metas = ingest_folders(folders) if args.ingest else read_folders(folders)
    report = evaluate(rows, as_of, metas, args.gold, args.docs)
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=1))
    else:
        print(f"{report['documents']} documents, status on {as_of}")
        print("dates exact:", report["dates_exact"], "overall", report["dates_exact_overall"])
        print("stated dates read exactly:", report["stated_dates_read"],
              "| dates read where gold is null:", report["dates_read_where_gold_is_null"])
        print("status right:", report["status_right"])
        print("unknown:", report["unknown"])
        for miss in report["misses"]:
            print("  miss:", json.dumps(miss, ensure_ascii=False))
    if min(report["dates_exact_overall"], report["status_right"]) < args.floor:
        sys.exit(1)


if __name__ == "__main__":
    main()

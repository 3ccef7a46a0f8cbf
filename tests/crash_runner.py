"""Run the real ``assistant`` command, killing itself with SIGKILL at a chosen write step.

    python tests/crash_runner.py STEP N -- ingest corpus/
    python tests/crash_runner.py check [QUESTION]

``STEP`` is ``<ClauseStore method>:<before|after>`` (or ``none``), and the process is killed
at the ``N``-th call of that method: ``_write_clauses`` writes the new generations' clauses of
an ingest batch (in Chroma calls of :data:`BATCH` clauses, so ``upsert:after`` lands in the
middle of a document), ``_commit`` makes one document's generation current, ``_drop_other_generations`` deletes the old one. The kill is a real ``SIGKILL``: no
``finally``, no flush, no atexit.

``check`` opens the index of the environment's settings as a new process would and prints
JSON: every visible document's clause texts, the committed and stored clause counts, the
upload folder's files, and whether QUESTION is answered.
"""

from __future__ import annotations

import json
import os
import signal
import sys

#: Clauses per Chroma write while crash-testing, so one document takes several writes.
BATCH = 4
#: An ingest batch holds about two of the test's documents (about ten clauses each), so a
#: kill also lands between documents written together and committed one by one.
DOCS_PER_BATCH = 5


def _arm(step: str, n: int) -> None:
    from assistant.index import ingest, store

    store.WRITE_BATCH = store.STAGE_BATCH = BATCH
    ingest.INGEST_BATCH_CLAUSES = DOCS_PER_BATCH * BATCH
    name, _, when = step.partition(":")
    calls = 0
    if name == "upsert":  # inside _write_clauses, between two batches of one document
        import chromadb.api.models.Collection as collection_module

        owner, attr = collection_module.Collection, "upsert"
    else:
        owner, attr = store.ClauseStore, name
    original = getattr(owner, attr)

    def wrapped(self, *args, **kwargs):
        nonlocal calls
        calls += 1
        if when == "before" and calls == n:
            os.kill(os.getpid(), signal.SIGKILL)
        result = original(self, *args, **kwargs)
        if when == "after" and calls == n:
            os.kill(os.getpid(), signal.SIGKILL)
        return result

    setattr(owner, attr, wrapped)


def _check(question: str | None) -> None:
    from assistant.service import Assistant

    assistant = Assistant()
    store = assistant.store  # opening cleans what a crashed writer left
    docs: dict[str, list[str]] = {}
    for clause in store.all_clauses():
        docs.setdefault(clause.doc_id, []).append(clause.text)
    folder = assistant.settings.upload_folder
    answer = assistant.ask(question) if docs and question else None
    print(json.dumps({
        "docs": {d: sorted(texts) for d, texts in docs.items()},
        "sources": {src: list(v) for src, v in store.sources().items()},
        "committed": store.count(),
        "stored": store.collection.count(),
        "uploads": sorted(p.name for p in folder.iterdir()) if folder.is_dir() else [],
        "upload_dir": str(folder.resolve()),
        "answered": bool(answer and answer.answered),
    }, ensure_ascii=False))


def main(argv: list[str]) -> None:
    """Arm the kill, then run the CLI with the remaining arguments."""
    if argv[:1] == ["check"]:
        _check(argv[1] if len(argv) > 1 else None)
        return
    step, n, sep, *args = argv
    assert sep == "--", "usage: crash_runner.py STEP N -- ARGS..."
    if step != "none":
        _arm(step, int(n))
    from assistant.cli import app

    app(args, prog_name="assistant")


if __name__ == "__main__":
    main(sys.argv[1:])

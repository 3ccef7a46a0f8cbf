"""Shared by tests: hand-made clauses, the text-kept-once check, free ports, a Chroma server."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from assistant.language.text import normalize
from assistant.reading.chunking import body_lines
from assistant.reading.tables import HEADER_ROW
from assistant.types import Clause, PolicyDocument, RetrievedClause


def retrieved_clause(n: int, title: str, path: list[str], text: str) -> RetrievedClause:
    """Clause number ``n`` of a document titled ``title``, as retrieval would return it."""
    c = Clause(chunk_id=f"c{n}", doc_id=f"d{n}", doc_title=title, section_path=path,
               label=f"《{title}》{' '.join(path)}", text=text)
    return RetrievedClause(clause=c, score=1.0 / n)


class FixedRetriever:
    """Retrieval over a fixed list: returns the clauses of the requested documents in order."""

    def __init__(self, retrieved: list[RetrievedClause]) -> None:
        from assistant.index.indexview import IndexView

        self.retrieved = retrieved
        self.view = IndexView.build([r.clause for r in retrieved])

    def retrieve(self, query, k=5, filters=None):
        """The fixed clauses in their order, each with its real BM25 score for ``query`` over
        these clauses (the answer's scorer weighs it)."""
        from assistant.language.segment import bm25_tokens

        scores = {c.chunk_id: s for c, s in self.view.search(bm25_tokens(query), len(self.retrieved))}
        kept = [r for r in self.retrieved if filters is None or filters.accepts(r.clause)][:k]
        return [r.model_copy(update={"bm25_score": scores.get(r.clause.chunk_id, 0.0)}) for r in kept]


#: The refusal threshold of composers over a handful of made-up clauses. The fitted thresholds
#: are calibrated on whole documents retrieved with real scores (evals/fit_scorer.py, measured
#: by the evaluations); a fixture of two clauses without retrieval scores tests what the
#: composer can and cannot answer (scope, eligibility, which candidate wins), not calibration.
#: So the threshold applies to the best candidate's probability, not to the answerability
#: model's, which weighs whole questions over whole documents.
FIXTURE_THRESHOLD = 0.02


def fixture_composer(retriever):
    """The extractive composer over a fixture's retriever, refusing below
    :data:`FIXTURE_THRESHOLD` of the shipped candidate scorer."""
    from dataclasses import replace

    from assistant.answering.composer import ExtractiveComposer
    from assistant.answering.scorer import Scorer

    return ExtractiveComposer(retriever, refusal_threshold=FIXTURE_THRESHOLD,
                              scorer=replace(Scorer.load(), answerability={}))


def composer_over(*retrieved: RetrievedClause):
    """The extractive composer over exactly these clauses, as retrieval returns them."""
    return fixture_composer(FixedRetriever(list(retrieved)))


def assert_text_kept_once(doc: PolicyDocument, clauses: list[Clause], name: str = "") -> None:
    """Every character of the document's body lands in exactly one clause, each paragraph whole.

    A table's header row is carried into its rows rather than kept as a line of its own, and
    generated lines (lists of children, the metadata summary) are not document text.
    """
    body = [p for i, p in enumerate(doc.paragraphs) if doc.kind(i) != HEADER_ROW]
    got = [line for c in clauses for line in body_lines(c)]
    assert Counter("".join(map(normalize, got))) == Counter("".join(map(normalize, body))), name
    joined = normalize("".join(got))
    for p in body:
        assert normalize(p) in joined, (name, p[:60])


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def chroma_server(folder: Path) -> Iterator[tuple[str, subprocess.Popen]]:
    """A real ``chroma run`` on 127.0.0.1 storing in ``folder``: (its URL, its process).

    Waits until it accepts connections; stops it on exit unless the test already did.
    """
    chroma = shutil.which("chroma") or str(Path(sys.executable).parent / "chroma")
    port = free_port()
    proc = subprocess.Popen([chroma, "run", "--host", "127.0.0.1", "--port", str(port),
                             "--path", str(folder)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, env={**os.environ, "ANONYMIZED_TELEMETRY": "False"})
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.3)
        yield f"http://127.0.0.1:{port}", proc
    finally:
        if proc.poll() is None:
            proc.terminate()
            proc.wait(timeout=30)


def finish_job(client, response, timeout: float = 60.0) -> dict:
    """Follow a ``202`` upload to its job (``client`` is a TestClient or an httpx client) and
    return the finished job: ``state`` is ``done`` (``result``) or ``failed`` (``error``)."""
    assert response.status_code == 202, response.text
    accepted = response.json()
    assert response.headers["location"] == accepted["status_url"] == f"/api/jobs/{accepted['id']}"
    assert accepted["state"] in ("queued", "running", "done", "failed")
    deadline = time.monotonic() + timeout
    while True:
        job = client.get(accepted["status_url"]).json()
        if job["state"] in ("done", "failed"):
            assert job["id"] == accepted["id"] and job["finished_at"]
            assert (job["result"] is None) == (job["state"] == "failed")
            return job
        assert time.monotonic() < deadline, f"job still {job['state']} after {timeout} s"
        time.sleep(0.02)


def upload_file(client, name: str, data: bytes, path: str = "/api/documents") -> dict:
    """Upload a file and wait for its job; the finished job."""
    return finish_job(client, client.post(path, files={"file": (name, data, "application/octet-stream")}))


def wait_for_http(url: str, alive, what: str, seconds: float = 60.0, interval: float = 0.2,
                  timeout: float = 2.0) -> None:
    """Poll ``url`` until it answers 200; fail with ``what`` once ``alive()`` is false (the
    server thread or process has ended) or ``seconds`` have passed."""
    import httpx

    deadline = time.time() + seconds
    while True:
        try:
            if httpx.get(url, timeout=timeout).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        assert alive() and time.time() < deadline, what
        time.sleep(interval)


def wait_until_ready(proc: subprocess.Popen, url: str, seconds: float = 90.0) -> None:
    """Wait for a started ``assistant serve`` to answer ``/readyz``; stop it and fail if it
    exits or is not ready in time."""
    import httpx

    deadline = time.time() + seconds
    while time.time() < deadline:
        assert proc.poll() is None, proc.stderr.read().decode()[-2000:] if proc.stderr else ""
        try:
            if httpx.get(url + "/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    proc.terminate()
    proc.wait(timeout=30)
    raise AssertionError("the server did not get ready")

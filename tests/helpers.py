"""Small builders shared by tests: hand-made clauses, free ports, a real Chroma server."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from assistant.types import Clause, RetrievedClause


def retrieved_clause(n: int, title: str, path: list[str], text: str) -> RetrievedClause:
    """Clause number ``n`` of a document titled ``title``, as retrieval would return it."""
    c = Clause(chunk_id=f"c{n}", doc_id=f"d{n}", doc_title=title, section_path=path,
               label=f"《{title}》{' '.join(path)}", text=text)
    return RetrievedClause(clause=c, score=1.0 / n)


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

"""What the API's routers share: the assistant and catalogue of the app, and clause shapes."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path

from fastapi import Request
from fastapi.responses import JSONResponse

from ..index.versions import Versions
from ..reading.standing import public
from ..service import Assistant
from ..types import Clause, today


def get_assistant(request: Request) -> Assistant:
    """The app's shared assistant (a FastAPI dependency)."""
    return request.app.state.assistant


def get_catalog(request: Request) -> Catalog:
    """The app's clause catalogue (a FastAPI dependency)."""
    return request.app.state.catalog


def is_openai_path(request: Request) -> bool:
    """Whether the request is for the OpenAI-compatible front (errors in OpenAI's shape)."""
    return request.url.path.startswith("/v1/")


def openai_error(status: int, message: str, kind: str = "invalid_request_error",
                 code: str | int | None = None, param: str | None = None) -> JSONResponse:
    """An error in OpenAI's response shape (``code`` is OpenAI's, e.g. ``model_not_found``;
    the HTTP status when there is none)."""
    return JSONResponse({"error": {"message": message, "type": kind, "param": param,
                                   "code": status if code is None else code}},
                        status_code=status)


@dataclass
class Snapshot:
    """The indexed clauses at one version of the index, and their documents' versions."""

    version: object
    by_doc: dict[str, list[Clause]] = field(default_factory=dict)
    by_id: dict[str, Clause] = field(default_factory=dict)
    versions: Versions | None = None


class Catalog:
    """The indexed clauses grouped by document, cached between requests.

    The clauses come from the retriever's index view, which is reloaded when the index version
    moves (an upload, or another process's ingest), so the snapshot follows it.
    """

    def __init__(self, assistant: Assistant) -> None:
        self.assistant = assistant
        self._snapshot: Snapshot | None = None
        self._lock = threading.Lock()

    def snapshot(self) -> Snapshot:
        """The current clauses, read again only when the index changed."""
        view = self.assistant.retriever.view
        with self._lock:
            if self._snapshot is None or self._snapshot.version != view.version:
                self._snapshot = Snapshot(version=view.version, by_doc=view.by_doc, by_id=view.by_id,
                                          versions=view.versions)
            return self._snapshot

    def invalidate(self) -> None:
        """Forget the snapshot (after an ingest)."""
        with self._lock:
            self._snapshot = None


def document_summary(clauses: list[Clause], versions: Versions | None = None,
                     as_of: str | None = None) -> dict:
    """A document's metadata, clause count and validity on ``as_of`` (default today), from its
    clauses (all carry the same meta) and the index's versions."""
    first = clauses[0]
    meta = first.meta
    day = as_of or today()
    validity = versions.public(first.doc_id, day) if versions is not None else \
        public(meta.validity if meta else None, day)
    return {
        "doc_id": first.doc_id,
        "title": meta.title if meta else first.doc_title,
        "issuer": meta.issuer if meta else None,
        "doc_number": meta.doc_number if meta else None,
        "date": meta.date if meta else None,
        "status": meta.status if meta else None,
        "level": meta.level if meta else None,
        "region": meta.region if meta else None,
        # The file name only: the server's folders are none of the client's business.
        "file_name": Path(meta.source).name if meta and meta.source else None,
        "clauses": len(clauses),
        "validity": validity,
    }


def clause_tree(clauses: list[Clause]) -> list[dict]:
    """Nest clauses by their section paths, in document order.

    Each node is ``{title, path, chunks: [{chunk_id, ordinal, kind}], children}``; a heading
    without a clause of its own has no chunks, a long clause split in parts has several.
    """
    roots: list[dict] = []
    nodes: dict[tuple[str, ...], dict] = {}
    for clause in sorted(clauses, key=lambda c: c.ordinal):
        path = tuple(clause.section_path) or ("正文",)
        for depth in range(1, len(path) + 1):
            key = path[:depth]
            if key not in nodes:
                node = {"title": key[-1], "path": list(key), "chunks": [], "children": []}
                nodes[key] = node
                (nodes[key[:-1]]["children"] if depth > 1 else roots).append(node)
        nodes[path]["chunks"].append(
            {"chunk_id": clause.chunk_id, "ordinal": clause.ordinal, "kind": clause.kind}
        )
    return roots


def clause_public(clause: Clause) -> dict:
    """The JSON shape of one clause (its document metadata is given separately)."""
    return clause.model_dump(exclude={"meta", "start", "end"})

"""The clause store: one seam over Chroma. Chroma's types stay inside this file.

The collection is named from a hash of what shapes its vectors (embedding model, chunker
version and clause size), so a model change opens a new collection and never mixes vectors;
the model id is also recorded on the collection and checked on every open.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import urlparse

from langchain_core.embeddings import Embeddings

from .embeddings import model_id
from .types import Clause

# Bump when the chunker's output changes, so that old indexes are not reused.
CHUNKER_VERSION = "8"

os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")


class StoreError(Exception):
    """The index cannot be opened or used; the message says how to fix it."""


def text_hash(text: str) -> str:
    """Hash of the exact text that is embedded: the key of the vector cache."""
    return hashlib.sha1(text.encode()).hexdigest()


def _chroma_embedding_function(embeddings: Embeddings):
    """Wrap our embeddings for Chroma, so it never falls back to its downloading default."""
    from chromadb.api.types import EmbeddingFunction

    class ProjectEmbeddingFunction(EmbeddingFunction):
        def __init__(self, inner: Embeddings) -> None:
            self.inner = inner

        def __call__(self, input):  # noqa: A002 - Chroma's signature
            return self.inner.embed_documents(list(input))

        def embed_query(self, input):  # noqa: A002
            return [self.inner.embed_query(t) for t in input]

        @staticmethod
        def name() -> str:
            return "policy-assistant"

        def get_config(self) -> dict:
            return {"model_id": model_id(self.inner)}

        @staticmethod
        def build_from_config(config: dict):
            raise StoreError(
                "this collection must be opened through the assistant, which supplies "
                f"its embedding model ({config.get('model_id')})"
            )

        def default_space(self):
            return "cosine"

    return ProjectEmbeddingFunction(embeddings)


class ClauseStore:
    """Clauses with their vectors in a Chroma collection (embedded on disk, or a server)."""

    def __init__(
        self,
        embeddings: Embeddings,
        index_dir: Path | str = ".assistant/index",
        chroma_url: str | None = None,
        prefix: str = "clauses",
        shape: str = "",
    ) -> None:
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        self.embeddings = embeddings
        self.model_id = model_id(embeddings)
        chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
        if chroma_url:
            url = urlparse(chroma_url)
            try:
                self.client = chromadb.HttpClient(
                    host=url.hostname or "127.0.0.1",
                    port=url.port or 8000,
                    ssl=url.scheme == "https",
                    settings=chroma_settings,
                )
            except Exception as exc:
                raise StoreError(
                    f"cannot reach the Chroma server at {chroma_url} ({exc}); start it with "
                    "`chroma run --host 127.0.0.1 --port PORT --path DIR` or unset "
                    "ASSISTANT_CHROMA_URL to use the embedded index"
                ) from exc
            self.location = chroma_url
        else:
            Path(index_dir).mkdir(parents=True, exist_ok=True)
            self.client = chromadb.PersistentClient(path=str(index_dir), settings=chroma_settings)
            self.location = str(index_dir)
        digest = hashlib.sha1(f"{self.model_id}|{CHUNKER_VERSION}|{shape}".encode()).hexdigest()[:10]
        self.name = f"{prefix}-{digest}"
        self.collection = self.client.get_or_create_collection(
            self.name,
            embedding_function=_chroma_embedding_function(embeddings),
            metadata={"embedding_model": self.model_id, "chunker": CHUNKER_VERSION,
                      "hnsw:space": "cosine"},
        )
        recorded = (self.collection.metadata or {}).get("embedding_model")
        if recorded and recorded != self.model_id:
            raise StoreError(
                f"the index {self.name} was built with {recorded}, not {self.model_id}; "
                "re-ingest into a new index directory or set ASSISTANT_EMBEDDING_MODEL back"
            )

    # --- reading ---------------------------------------------------------------------------

    def count(self) -> int:
        """Number of clauses in the index."""
        return self.collection.count()

    def sources(self) -> dict[str, tuple[str, str]]:
        """source path → (doc_id, file hash) for every indexed file."""
        out: dict[str, tuple[str, str]] = {}
        for meta in self._all_metadatas():
            out[meta["source"]] = (meta["doc_id"], meta["file_hash"])
        return out

    def all_clauses(self) -> list[Clause]:
        """Every clause in the index, in document order."""
        clauses = [Clause.model_validate_json(m["clause"]) for m in self._all_metadatas()]
        clauses.sort(key=lambda c: (c.doc_id, c.ordinal))
        return clauses

    def _all_metadatas(self) -> list[dict]:
        out, offset, page = [], 0, 1000
        while True:
            got = self.collection.get(include=["metadatas"], limit=page, offset=offset)
            out.extend(got["metadatas"] or [])
            if len(got["ids"]) < page:
                return out
            offset += page

    def cached_vectors(self, hashes: Iterable[str]) -> dict[str, list[float]]:
        """Vectors already in the index for these text hashes (embedded once, reused)."""
        hashes = sorted(set(hashes))
        found: dict[str, list[float]] = {}
        for i in range(0, len(hashes), 500):
            got = self.collection.get(
                where={"text_hash": {"$in": hashes[i:i + 500]}},
                include=["embeddings", "metadatas"],
            )
            for meta, vector in zip(got["metadatas"] or [], got["embeddings"] if got["embeddings"] is not None else [], strict=False):
                found[meta["text_hash"]] = [float(x) for x in vector]
        return found

    def search(self, vector: list[float], n: int, where: dict | None = None) -> list[tuple[Clause, float]]:
        """The ``n`` clauses nearest to ``vector`` with their cosine similarity."""
        total = self.count()
        if total == 0:
            return []
        got = self.collection.query(
            query_embeddings=[vector], n_results=min(n, total), where=where or None,
            include=["metadatas", "distances"],
        )
        metas = got["metadatas"][0] if got["metadatas"] else []
        dists = got["distances"][0] if got["distances"] else []
        return [(Clause.model_validate_json(m["clause"]), 1.0 - float(d)) for m, d in zip(metas, dists, strict=False)]

    # --- writing ---------------------------------------------------------------------------

    def replace_document(self, doc_id: str, clauses: list[Clause], vectors: list[list[float]]) -> None:
        """Put a document's clauses in place of its old ones (new first, so reads never see a gap)."""
        if clauses:
            self.collection.upsert(
                ids=[c.chunk_id for c in clauses],
                embeddings=vectors,
                documents=[c.text for c in clauses],
                metadatas=[self._metadata(c) for c in clauses],
            )
        keep = {c.chunk_id for c in clauses}
        old = self.collection.get(where={"doc_id": doc_id}, include=[])
        stale = [i for i in old["ids"] if i not in keep]
        if stale:
            self.collection.delete(ids=stale)

    def delete_source(self, source: str) -> int:
        """Remove every clause that came from ``source``; returns how many."""
        old = self.collection.get(where={"source": source}, include=[])
        if old["ids"]:
            self.collection.delete(ids=old["ids"])
        return len(old["ids"])

    @staticmethod
    def _metadata(c: Clause) -> dict:
        meta = c.meta
        return {
            "doc_id": c.doc_id,
            "source": meta.source if meta else "",
            "file_hash": meta.file_hash if meta else "",
            "status": meta.status if meta else "",
            "level": (meta.level or "") if meta else "",
            "kind": c.kind,
            "text_hash": text_hash(c.embed_text()),
            "clause": json.dumps(c.model_dump(mode="json"), ensure_ascii=False),
        }

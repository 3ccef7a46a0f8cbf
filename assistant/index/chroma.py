"""Chroma, opened the one way the project uses it: our embedding function on every collection,
telemetry off, an embedded index on disk or a Chroma server. Chroma's types stay in this module
and :mod:`assistant.index.store`.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from urllib.parse import urlparse

from langchain_core.embeddings import Embeddings

from .embeddings import model_id


class StoreError(Exception):
    """The index cannot be opened or used; the message says how to fix it."""


class StaleReadError(StoreError):
    """A search met clauses that another process deleted meanwhile: reload and ask again."""


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


def open_client(chroma_url: str | None, index_dir: Path | str):
    """(client, location, Chroma settings): a Chroma server's client when ``chroma_url`` is
    set, else an embedded index in ``index_dir`` (created when missing)."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    if chroma_url:
        url = urlparse(chroma_url)
        try:
            client = chromadb.HttpClient(
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
        return client, chroma_url, chroma_settings
    Path(index_dir).mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(index_dir), settings=chroma_settings), str(index_dir), chroma_settings


def open_collections(client, name: str, embeddings: Embeddings, model: str, chunker: str):
    """The clause collection ``name`` and its ``-docs`` collection of commit records."""
    function = _chroma_embedding_function(embeddings)
    collection = client.get_or_create_collection(
        name, embedding_function=function,
        metadata={"embedding_model": model, "chunker": chunker, "hnsw:space": "cosine"},
    )
    # One record per document; its vector is a placeholder (never searched).
    docs = client.get_or_create_collection(
        f"{name}-docs", embedding_function=function, metadata={"hnsw:space": "l2"},
    )
    return collection, docs

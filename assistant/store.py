"""The clause store: one seam over Chroma. Chroma's types stay inside this file.

The collection is named from a hash of what shapes its vectors (embedding model, chunker
version and clause size), so a model change opens a new collection and never mixes vectors;
the model id is also recorded on the collection and checked on every open.

Crash consistency: a document's clauses are written under a fresh *generation* (ids
``<chunk_id>#<gen>``) that no reader sees yet; then one record in a small second collection
(``<name>-docs``: doc_id → generation, source, file hash, clause count) makes that
generation the document's current one; only then are the older generations deleted. An ingest
writes the clauses of a batch of documents in one call (:meth:`ClauseStore.stage`), each under
its own generation, and then commits the documents one by one. A crash
at any point leaves either the old version or the new one visible, never a mix, and the
file hash is recorded by the same single write, so a re-run re-indexes what did not commit.
Clauses of uncommitted generations are invisible to every read and deleted when the index is
opened by a process that can take the write lock (no other writer is running).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import time
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlparse

from langchain_core.embeddings import Embeddings

from .embeddings import model_id
from .types import Clause

# Bump when the chunker's output changes, so that old indexes are not reused.
CHUNKER_VERSION = "8"
#: How clauses are laid out in the collection (generations and commit records).
STORE_LAYOUT = "gen1"
#: Clauses written per Chroma call.
WRITE_BATCH = 500
#: Clauses of several documents written per Chroma call on ingest (see :meth:`ClauseStore.stage`).
STAGE_BATCH = 4000
#: With a Chroma server (no shared lock file), uncommitted clauses older than this are leftovers
#: of a crashed writer; younger ones may belong to a writer that is still running.
ORPHAN_AGE_SECONDS = 3600

log = logging.getLogger(__name__)

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
        self._lock_path: Path | None = None
        if chroma_url:
            url = urlparse(chroma_url)
            self.location = chroma_url
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
        else:
            Path(index_dir).mkdir(parents=True, exist_ok=True)
            self.client = chromadb.PersistentClient(path=str(index_dir), settings=chroma_settings)
            self.location = str(index_dir)
            self._lock_path = Path(index_dir) / ".write.lock"
        digest = hashlib.sha1(
            f"{self.model_id}|{CHUNKER_VERSION}|{shape}|{STORE_LAYOUT}".encode()
        ).hexdigest()[:10]
        self.name = f"{prefix}-{digest}"
        function = _chroma_embedding_function(embeddings)
        try:
            self.collection = self.client.get_or_create_collection(
                self.name, embedding_function=function,
                metadata={"embedding_model": self.model_id, "chunker": CHUNKER_VERSION,
                          "hnsw:space": "cosine"},
            )
            # One record per document; its vector is a placeholder (never searched).
            self.docs = self.client.get_or_create_collection(
                f"{self.name}-docs", embedding_function=function, metadata={"hnsw:space": "l2"},
            )
        except Exception as exc:
            raise self._error(exc) from exc
        recorded = (self.collection.metadata or {}).get("embedding_model")
        if recorded and recorded != self.model_id:
            raise StoreError(
                f"the index {self.name} was built with {recorded}, not {self.model_id}; "
                "re-ingest into a new index directory or set ASSISTANT_EMBEDDING_MODEL back"
            )
        self._clean_on_open()

    def _error(self, exc: Exception) -> StoreError:
        if isinstance(exc, StoreError):
            return exc
        hint = ("check that the Chroma server is running" if self._lock_path is None
                else "check the index folder (free disk space, permissions)")
        return StoreError(f"the index at {self.location} cannot be used "
                          f"({exc.__class__.__name__}: {exc}); {hint}")

    # --- the write lock and cleaning at open ------------------------------------------------

    @contextmanager
    def writing(self) -> Iterator[None]:
        """Hold the index's write lock (embedded index) while changing it.

        The lock is a ``flock`` on a file in the index folder, so the kernel releases it when
        the process dies, however it dies; it tells an opening process whether uncommitted
        clauses belong to a running writer or are leftovers of a crash.
        """
        if self._lock_path is None:
            yield
            return
        with self._lock_path.open("a") as f:
            fcntl.flock(f, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(f, fcntl.LOCK_UN)

    def _clean_on_open(self) -> None:
        if self._lock_path is None:
            self.clean(older_than=ORPHAN_AGE_SECONDS)
            return
        with self._lock_path.open("a") as f:
            try:
                fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return  # another process is writing: its clauses are not leftovers
            try:
                self.clean()
            finally:
                fcntl.flock(f, fcntl.LOCK_UN)

    def clean(self, older_than: float | None = None) -> int:
        """Delete clauses of generations that never became current (a writer crashed).

        ``older_than`` (seconds) spares recent ones, which may belong to a running writer.
        Returns how many were deleted.
        """
        try:
            current = self._current()
            committed = sum(int(m.get("clauses", 0)) for m in current.values())
            # A generation is committed only after all its clauses are written, so when the
            # stored count equals the committed count there is nothing to look for.
            if self.collection.count() == committed:
                return 0
            cutoff = time.time() - older_than if older_than is not None else None
            stale = [
                i for i, m in self._all_records()
                if current.get(m.get("doc_id"), {}).get("gen") != m.get("gen")
                and (cutoff is None or float(m.get("written", 0)) < cutoff)
            ]
            for i in range(0, len(stale), WRITE_BATCH):
                self.collection.delete(ids=stale[i:i + WRITE_BATCH])
        except Exception as exc:
            raise self._error(exc) from exc
        if stale:
            log.info("removed %d clauses left by an interrupted ingest", len(stale))
        return len(stale)

    # --- reading ---------------------------------------------------------------------------

    def _current(self) -> dict[str, dict]:
        """doc_id → its commit record (gen, source, file_hash, clauses)."""
        got = self.docs.get(include=["metadatas"])
        return {i: dict(m or {}) for i, m in zip(got["ids"], got["metadatas"] or [], strict=False)}

    def count(self) -> int:
        """Number of clauses in the index (of the current version of every document)."""
        try:
            return sum(int(m.get("clauses", 0)) for m in self._current().values())
        except Exception as exc:
            raise self._error(exc) from exc

    def version(self) -> tuple[tuple[str, str], ...]:
        """(doc_id, generation) of every document: changes whenever a document does."""
        try:
            return tuple(sorted((d, str(m.get("gen"))) for d, m in self._current().items()))
        except Exception as exc:
            raise self._error(exc) from exc

    def sources(self) -> dict[str, tuple[str, str]]:
        """source path → (doc_id, file hash) for every indexed file."""
        try:
            return {m["source"]: (doc_id, m["file_hash"]) for doc_id, m in self._current().items()}
        except Exception as exc:
            raise self._error(exc) from exc

    def all_clauses(self) -> list[Clause]:
        """Every clause in the index, in document order."""
        try:
            current = self._current()
            clauses = [Clause.model_validate_json(m["clause"]) for _, m in self._all_records()
                       if current.get(m.get("doc_id"), {}).get("gen") == m.get("gen")]
        except Exception as exc:
            raise self._error(exc) from exc
        clauses.sort(key=lambda c: (c.doc_id, c.ordinal))
        return clauses

    def _all_records(self) -> list[tuple[str, dict]]:
        out, offset, page = [], 0, 1000
        while True:
            got = self.collection.get(include=["metadatas"], limit=page, offset=offset)
            out.extend(zip(got["ids"], got["metadatas"] or [], strict=False))
            if len(got["ids"]) < page:
                return out
            offset += page

    def cached_vectors(self, hashes: Iterable[str]) -> dict[str, list[float]]:
        """Vectors already in the index for these text hashes (embedded once, reused).

        Clauses of any generation count: a vector depends only on its text and the model.
        """
        hashes = sorted(set(hashes))
        found: dict[str, list[float]] = {}
        try:
            for i in range(0, len(hashes), 500):
                got = self.collection.get(
                    where={"text_hash": {"$in": hashes[i:i + 500]}},
                    include=["embeddings", "metadatas"],
                )
                vectors = got["embeddings"] if got["embeddings"] is not None else []
                for meta, vector in zip(got["metadatas"] or [], vectors, strict=False):
                    found[meta["text_hash"]] = [float(x) for x in vector]
        except Exception as exc:
            raise self._error(exc) from exc
        return found

    def search(self, vector: list[float], n: int, where: dict | None = None) -> list[tuple[Clause, float]]:
        """The ``n`` clauses nearest to ``vector`` with their cosine similarity."""
        try:
            gens = sorted({str(m.get("gen")) for m in self._current().values()})
            total = self.collection.count()
            if not gens or total == 0:
                return []
            visible = {"gen": {"$in": gens}}
            got = self.collection.query(
                query_embeddings=[vector], n_results=min(n, total),
                where={"$and": [visible, where]} if where else visible,
                include=["metadatas", "distances"],
            )
        except Exception as exc:
            raise self._error(exc) from exc
        metas = got["metadatas"][0] if got["metadatas"] else []
        dists = got["distances"][0] if got["distances"] else []
        return [(Clause.model_validate_json(m["clause"]), 1.0 - float(d)) for m, d in zip(metas, dists, strict=False)]

    # --- writing ---------------------------------------------------------------------------

    def stage(self, documents: list[tuple[list[Clause], list[list[float]]]]) -> list[tuple[str, float]]:
        """Write several documents' clauses, each under a new generation no reader sees yet.

        One Chroma write for many documents: each write costs far more than its clauses (the
        vector index is brought up to date per call, at a cost that grows with the index).
        Returns each document's (generation, time written), for :meth:`replace_document`'s
        ``staged``; a generation never committed is deleted by :meth:`discard` or at open.
        """
        staged = [(uuid.uuid4().hex[:16], time.time()) for _ in documents]
        try:
            self._write_clauses([(gen, written, c, v)
                                 for (gen, written), (clauses, vectors) in zip(staged, documents, strict=True)
                                 for c, v in zip(clauses, vectors, strict=True)], STAGE_BATCH)
        except Exception as exc:
            raise self._error(exc) from exc
        return staged

    def discard(self, staged: tuple[str, float], clauses: list[Clause]) -> None:
        """Delete clauses :meth:`stage` wrote and that will not be committed."""
        try:
            ids = [f"{c.chunk_id}#{staged[0]}" for c in clauses]
            for i in range(0, len(ids), WRITE_BATCH):
                self.collection.delete(ids=ids[i:i + WRITE_BATCH])
        except Exception as exc:
            raise self._error(exc) from exc

    def replace_document(self, doc_id: str, clauses: list[Clause], vectors: list[list[float]],
                         source: str | None = None, file_hash: str | None = None,
                         staged: tuple[str, float] | None = None) -> None:
        """Make ``clauses`` the document's current version, in three steps.

        The new clauses are written under a new generation (invisible), one record makes that
        generation current (the commit), and the older generations are deleted. ``source``
        and ``file_hash`` default to those in the clauses' metadata. ``staged``: the clauses
        were already written by :meth:`stage` under that generation.
        """
        meta = clauses[0].meta if clauses else None
        source = source if source is not None else (meta.source if meta else "")
        file_hash = file_hash if file_hash is not None else (meta.file_hash if meta else "")
        gen, written = staged or (uuid.uuid4().hex[:16], time.time())
        try:
            if staged is None:
                self._write_clauses([(gen, written, c, v) for c, v in zip(clauses, vectors, strict=True)])
            self._commit(doc_id, {"gen": gen, "source": source or "", "file_hash": file_hash or "",
                                  "clauses": len(clauses), "written": written})
            self._drop_other_generations(doc_id, gen)
        except Exception as exc:
            raise self._error(exc) from exc

    def _write_clauses(self, rows: list[tuple[str, float, Clause, list[float]]],
                       batch: int | None = None) -> None:
        """Write (generation, time written, clause, vector) rows, ``batch`` per Chroma call."""
        batch = batch or WRITE_BATCH
        for i in range(0, len(rows), batch):
            part = rows[i:i + batch]
            self.collection.upsert(
                ids=[f"{c.chunk_id}#{gen}" for gen, _, c, _ in part],
                embeddings=[v for _, _, _, v in part],
                documents=[c.text for _, _, c, _ in part],
                metadatas=[{**self._metadata(c), "gen": gen, "written": written}
                           for gen, written, c, _ in part],
            )

    def _commit(self, doc_id: str, record: dict) -> None:
        # One record in one call: Chroma applies it whole or not at all.
        self.docs.upsert(ids=[doc_id], embeddings=[[1.0]], metadatas=[record])

    def _drop_other_generations(self, doc_id: str, keep: str | None) -> int:
        old = self.collection.get(where={"doc_id": doc_id}, include=["metadatas"])
        stale = [i for i, m in zip(old["ids"], old["metadatas"] or [], strict=False)
                 if keep is None or (m or {}).get("gen") != keep]
        for i in range(0, len(stale), WRITE_BATCH):
            self.collection.delete(ids=stale[i:i + WRITE_BATCH])
        return len(stale)

    def delete_document(self, doc_id: str) -> int:
        """Remove a document (its record first, so it disappears at once); returns its clause count."""
        try:
            record = self._current().get(doc_id)
            if record is None:
                return 0
            self.docs.delete(ids=[doc_id])
            self._drop_other_generations(doc_id, None)
        except Exception as exc:
            raise self._error(exc) from exc
        return int(record.get("clauses", 0))

    def delete_source(self, source: str) -> int:
        """Remove every document that came from ``source``; returns how many clauses."""
        try:
            doc_ids = [d for d, m in self._current().items() if m.get("source") == source]
        except Exception as exc:
            raise self._error(exc) from exc
        return sum(self.delete_document(d) for d in doc_ids)

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

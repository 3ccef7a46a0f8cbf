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

Many processes: every commit and every deletion also writes a new *index version* token (one
more record in the docs collection, never listed as a document), in the same Chroma call as the
commit record (a deletion first writes a tombstone record the same way), so no crash can leave
a changed index under an old version. A process reads that one
record before answering (:meth:`ClauseStore.version_token`) and reloads what changed when it
moved; it keeps the current generation of every document in memory (the index view), so a
query names them instead of reading every commit record.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import time
import uuid
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from langchain_core.embeddings import Embeddings

from ..types import Clause
from .chroma import StaleReadError, StoreError, open_client, open_collections, text_hash
from .embeddings import model_id

# Bump when the chunker's output (clauses, or the measures read from them) changes, so that old
# indexes are not reused.
CHUNKER_VERSION = "17"
#: How clauses are laid out in the collection (generations and commit records).
STORE_LAYOUT = "gen1"
#: Clauses written per Chroma call.
WRITE_BATCH = 500
#: Clauses of several documents written per Chroma call on ingest (see :meth:`ClauseStore.stage`).
STAGE_BATCH = 4000
#: With a Chroma server (no shared lock file), uncommitted clauses older than this are leftovers
#: of a crashed writer; younger ones may belong to a writer that is still running.
ORPHAN_AGE_SECONDS = 3600
#: Id of the record in the docs collection that holds the index version token.
VERSION_ID = "__index_version__"

log = logging.getLogger(__name__)

os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")


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
        self.embeddings = embeddings
        self.model_id = model_id(embeddings)
        self.client, self.location, _ = open_client(chroma_url, index_dir)
        self._lock_path: Path | None = None if chroma_url else Path(index_dir) / ".write.lock"
        #: The last index version this process wrote (its own writes need no reopening).
        self.written_token: str | None = None
        self._derived_token: str | None = None
        digest = hashlib.sha1(
            f"{self.model_id}|{CHUNKER_VERSION}|{shape}|{STORE_LAYOUT}".encode()
        ).hexdigest()[:10]
        self.name = f"{prefix}-{digest}"
        #: Where index views of this collection are kept (a local folder, also with a server).
        where = self.name if not chroma_url else (
            f"{self.name}-{hashlib.sha1(chroma_url.encode()).hexdigest()[:8]}")
        self.view_dir = Path(index_dir) / "views" / where
        try:
            self.collection, self.docs = self._collections(self.client)
        except Exception as exc:
            raise self._error(exc) from exc
        recorded = (self.collection.metadata or {}).get("embedding_model")
        if recorded and recorded != self.model_id:
            raise StoreError(
                f"the index {self.name} was built with {recorded}, not {self.model_id}; "
                "re-ingest into a new index directory or set ASSISTANT_EMBEDDING_MODEL back"
            )
        self._clean_on_open()

    def _collections(self, client):
        return open_collections(client, self.name, self.embeddings, self.model_id, CHUNKER_VERSION)

    def reopen(self) -> None:
        """Open an embedded index afresh, so that another process's writes are searched too.

        Embedded Chroma keeps a collection's vector index in memory per process, loaded once;
        what another process adds or deletes reaches it only when opened again. A Chroma
        server is one owner for every client: nothing to do. Searches already running finish
        on the old client.
        """
        if self._lock_path is None:
            return
        from chromadb.api.shared_system_client import SharedSystemClient

        try:
            # A fresh Chroma system for the folder. The one it replaces may still serve a
            # search on another thread (or another store of this process): it is left to
            # go with its last user, never stopped here.
            SharedSystemClient._identifier_to_system.pop(self.location, None)
            SharedSystemClient._identifier_to_refcount.pop(self.location, None)
            client, _, _ = open_client(None, self.location)
            collection, docs = self._collections(client)
        except Exception as exc:
            raise self._error(exc) from exc
        self.client, self.collection, self.docs = client, collection, docs

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
        return {i: dict(m or {}) for i, m in zip(got["ids"], got["metadatas"] or [], strict=False)
                if i != VERSION_ID and not (m or {}).get("deleted")}

    def version_token(self) -> str:
        """The index version: one small read, changed by every commit and deletion.

        An index written before tokens existed has none until its next write; its version is
        then derived from the documents' generations (the same in every process), once: any
        later write adds the token.
        """
        try:
            got = self.docs.get(ids=[VERSION_ID], include=["metadatas"])
            if got["ids"]:
                return str((got["metadatas"][0] or {}).get("token", ""))
            if self._derived_token is None:
                self._derived_token = "g" + hashlib.sha1(repr(self.version()).encode()).hexdigest()[:16]
            return self._derived_token
        except Exception as exc:
            raise self._error(exc) from exc

    def _versioned(self, doc_id: str, record: dict) -> None:
        """Write a document's record and a new index version in one Chroma call."""
        token = uuid.uuid4().hex
        self.docs.upsert(ids=[doc_id, VERSION_ID], embeddings=[[1.0], [1.0]],
                         metadatas=[record, {"token": token, "written": time.time()}])
        self.written_token = token

    def generations(self) -> dict[str, str]:
        """doc_id → its current generation."""
        try:
            return {d: str(m.get("gen")) for d, m in self._current().items()}
        except Exception as exc:
            raise self._error(exc) from exc

    def clauses_of(self, gens: Iterable[str]) -> list[Clause]:
        """The clauses of these generations (a document's current one each), in document order."""
        gens = sorted(set(gens))
        clauses: list[Clause] = []
        try:
            for i in range(0, len(gens), 100):
                offset, page = 0, 2000
                while True:
                    got = self.collection.get(where={"gen": {"$in": gens[i:i + 100]}},
                                              include=["metadatas"], limit=page, offset=offset)
                    clauses += [Clause.model_validate_json(m["clause"]) for m in got["metadatas"] or []]
                    if len(got["ids"]) < page:
                        break
                    offset += page
        except Exception as exc:
            raise self._error(exc) from exc
        clauses.sort(key=lambda c: (c.doc_id, c.ordinal))
        return clauses

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

    def search(self, vector: list[float], n: int, where: dict | None = None,
               generations: dict[str, str] | None = None,
               clauses: Mapping[str, Clause] | None = None) -> list[tuple[Clause, float]]:
        """The ``n`` clauses nearest to ``vector`` with their cosine similarity.

        ``generations`` (doc_id → current generation) and ``clauses`` (chunk_id → clause), as
        the caller's index view knows them, spare reading every commit record and the clauses'
        stored metadata. The nearest clauses are asked for without naming the generations (the
        fast path); only when some of them are not current (an ingest is under way) is the
        query repeated limited to the current generations. Raises :class:`StaleReadError` when
        Chroma meets clauses another process just deleted.
        """
        try:
            if generations is None:
                generations = {d: str(m.get("gen")) for d, m in self._current().items()}
            if not generations:
                return []
            got = self._query(vector, n + 5, where, clauses)
            hits = [(c, d) for c, gen, d in got if c is not None and generations.get(c.doc_id) == gen]
            if len(hits) < min(n, len(got)):
                visible = {"gen": {"$in": sorted(set(generations.values()))}}
                got = self._query(vector, n, {"$and": [visible, where]} if where else visible, clauses)
                hits = [(c, d) for c, _, d in got if c is not None]
        except Exception as exc:
            raise self._read_error(exc) from exc
        return [(c, 1.0 - d) for c, d in hits[:n]]

    def _read_error(self, exc: Exception) -> StoreError:
        """A failed read: stale (another process deleted what this one was reading) or not."""
        if "finding id" in str(exc):
            return StaleReadError(f"the index changed during the search ({exc})")
        return self._error(exc)

    def nearest_among(self, vector: list[float], n: int, clauses: list[Clause],
                      generations: Mapping[str, str]) -> list[tuple[Clause, float]]:
        """The ``n`` of ``clauses`` nearest to ``vector`` (cosine similarity), exactly.

        For a search limited to a few documents: their vectors are read by id and compared
        here, where Chroma would first select the ids by their metadata (its cost grows with
        the whole index). A clause another process deleted meanwhile is simply not found.
        """
        if not clauses:
            return []
        by_key = {f"{c.chunk_id}#{generations.get(c.doc_id)}": c for c in clauses}
        try:
            got = self.collection.get(ids=list(by_key), include=["embeddings"])
        except Exception as exc:
            raise self._read_error(exc) from exc
        if got["embeddings"] is None or not len(got["ids"]):
            return []
        matrix = np.asarray(got["embeddings"], dtype=np.float32)
        query = np.asarray(vector, dtype=np.float32)
        norms = np.linalg.norm(matrix, axis=1) * (np.linalg.norm(query) or 1.0)
        sims = matrix @ query / np.where(norms == 0, 1.0, norms)
        top = np.argsort(-sims, kind="stable")[:n]
        return [(by_key[got["ids"][i]], float(sims[i])) for i in top]

    def _query(self, vector: list[float], n: int, where: dict | None,
               clauses: Mapping[str, Clause] | None) -> list[tuple[Clause | None, str, float]]:
        """(clause, generation, distance) of the nearest; with ``clauses`` the clauses come
        from it (ids are ``<chunk_id>#<gen>``; None: not in the caller's version) and Chroma
        returns no metadata."""
        # No count first (it costs as much as a query on a large index): Chroma returns fewer
        # results when fewer are stored.
        got = self.collection.query(
            query_embeddings=[vector], n_results=n, where=where,
            include=["distances"] if clauses is not None else ["metadatas", "distances"])
        ids = got["ids"][0] if got["ids"] else []
        dists = got["distances"][0] if got["distances"] else []
        out = []
        if clauses is not None:
            for i, d in zip(ids, dists, strict=False):
                chunk_id, _, gen = i.rpartition("#")
                out.append((clauses.get(chunk_id), gen, float(d)))
            return out
        metas = got["metadatas"][0] if got["metadatas"] else []
        for m, d in zip(metas, dists, strict=False):
            m = m or {}
            out.append((Clause.model_validate_json(m["clause"]), str(m.get("gen")), float(d)))
        return out

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
        # One call: Chroma applies it whole or not at all; the index version moves with it.
        self._versioned(doc_id, record)

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
            # A tombstone and the new version in one write; the record goes once the clauses
            # have (a tombstone left by a crash is skipped by every read).
            self._versioned(doc_id, {"deleted": True, "written": time.time()})
            self._drop_other_generations(doc_id, None)
            self.docs.delete(ids=[doc_id])
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

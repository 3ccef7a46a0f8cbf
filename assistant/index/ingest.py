"""Building the index from files: read, chunk, embed and store them, a batch at a time.

A file is read and chunked (:mod:`assistant.reading`), the vectors of its clauses are looked up
by text or embedded, and its clauses become current in the store in one commit
(:meth:`ClauseStore.replace_document`); a file that fails does so alone, with its reason.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from langchain_core.embeddings import Embeddings

from ..reading.parsing import SUPPORTED_SUFFIXES, ParseError, file_hash, parse_file
from ..types import Clause, FileReport, IngestReport, PolicyDocument
from .embeddings import EmbeddingError
from .store import ClauseStore, StoreError, text_hash

log = logging.getLogger(__name__)

#: progress(stage, done, total): called while ingesting.
Progress = Callable[[str, int, int], None]

#: Clauses read before a batch is embedded and written (see :meth:`Assistant.ingest`).
INGEST_BATCH_CLAUSES = 2000


@dataclass
class _Prepared:
    """A file read and chunked, waiting for its batch to be embedded and stored."""

    path: Path
    source: str
    doc_id: str
    clauses: list[Clause]


class Ingester:
    """Indexes files into one clause store with one embedding model and one way of chunking."""

    def __init__(self, store: ClauseStore, embeddings: Embeddings,
                 chunk: Callable[[PolicyDocument], list[Clause]], max_upload_bytes: int,
                 batch_size: int) -> None:
        self.store = store
        self.embeddings = embeddings
        self.chunk = chunk
        self.max_upload_bytes = max_upload_bytes
        self.batch_size = batch_size

    def ingest(self, roots: list[Path], prune: bool = False,
               progress: Progress | None = None) -> IngestReport:
        """Index the files under ``roots`` (files or folders); the caller holds the store's
        write lock (:meth:`ClauseStore.writing`).

        Unchanged files are skipped, a changed file replaces its clauses, each distinct clause
        text is embedded once (vectors are reused by content hash), and a file that cannot be
        read is reported without stopping the others. ``prune`` removes the clauses of files
        that no longer exist under the given folders.

        Files are read in batches: the vectors a batch already has are looked up once, the
        rest embedded across its files, and its clauses written in one store call, while each
        document still becomes current on its own (see :meth:`ClauseStore.replace_document`).
        ``progress`` gets ("files", done, total), ("embed", done, total) per batch, and
        ("clauses", indexed, read so far).
        """
        report = IngestReport()
        files = list(_collect_files(roots, report))
        known = self.store.sources()
        used_ids = {doc_id: src for src, (doc_id, _) in known.items()}
        counts = [0, 0]  # clauses indexed, clauses read
        batch: list[_Prepared] = []
        for i, path in enumerate(files):
            if progress:
                progress("files", i, len(files))
            item = self._prepare(path, known, used_ids)
            if isinstance(item, FileReport):
                report.files.append(item)
                continue
            batch.append(item)
            counts[1] += len(item.clauses)
            if sum(len(b.clauses) for b in batch) >= INGEST_BATCH_CLAUSES:
                report.files.extend(self._index_batch(batch, known, progress, counts))
                batch = []
        report.files.extend(self._index_batch(batch, known, progress, counts))
        # Reports in the order of the files (a batch reports when it is written).
        order = {str(path): i for i, path in enumerate(files)}
        report.files.sort(key=lambda f: order.get(f.path, -1))
        if progress:
            progress("files", len(files), len(files))
        if prune:
            report.files.extend(self._prune(roots, known))
        return report

    def _prepare(self, path: Path, known, used_ids) -> _Prepared | FileReport:
        """A file read, parsed and chunked, or its report (unchanged or failed)."""
        source = str(path.resolve())
        try:
            data = path.read_bytes()
        except OSError as exc:
            return FileReport(path=str(path), status="failed", error=f"cannot read: {exc}")
        if len(data) > self.max_upload_bytes:
            return FileReport(path=str(path), status="failed",
                              error=f"file is larger than {self.max_upload_bytes} bytes")
        digest = file_hash(data)
        if source in known and known[source][1] == digest:
            return FileReport(path=str(path), status="unchanged", doc_id=known[source][0])
        try:
            doc = parse_file(path)
        except ParseError as exc:
            return FileReport(path=str(path), status="failed", error=str(exc))
        except Exception as exc:  # a reader library failing in an unforeseen way
            log.exception("unexpected failure parsing %s", path)
            return FileReport(path=str(path), status="failed",
                              error=f"cannot parse ({exc.__class__.__name__}: {exc})")
        doc.meta.source = source
        doc.meta.file_hash = digest
        owner = used_ids.get(doc.meta.doc_id)
        if owner and owner != source:  # same file name in another folder
            doc.meta.doc_id = f"{doc.meta.doc_id}-{hashlib.sha1(source.encode()).hexdigest()[:6]}"
        used_ids[doc.meta.doc_id] = source
        try:
            clauses = self.chunk(doc)
        except Exception as exc:  # one bad file must never stop the others
            log.exception("failed to chunk %s", path)
            return FileReport(path=str(path), status="failed", doc_id=doc.meta.doc_id,
                              error=f"cannot index ({exc.__class__.__name__}: {exc})")
        return _Prepared(path, source, doc.meta.doc_id, clauses)

    def _index_batch(self, batch: list[_Prepared], known, progress, counts) -> list[FileReport]:
        """Embed and store a batch of prepared files; one report per file, in order."""
        if not batch:
            return []
        errors: dict[int, str] = {}
        try:
            embedded = self._embed_batch(batch, progress)
        except EmbeddingError:
            raise  # the model or its server is unusable: no file can be indexed, say so once
        except Exception:  # find the files whose text the model refuses
            log.exception("embedding a batch of %d files failed; embedding file by file", len(batch))
            embedded = {}
            for item in batch:
                try:
                    embedded.update(self._embed_batch([item], None))
                except EmbeddingError:
                    raise
                except Exception as exc:
                    errors[id(item)] = f"cannot embed ({exc.__class__.__name__}: {exc})"
        staged: list[tuple[str, float] | None] = [None] * len(batch)
        ready = [i for i, item in enumerate(batch) if id(item) in embedded]
        try:
            for i, gen in zip(ready, self.store.stage(
                    [(batch[i].clauses, embedded[id(batch[i])][0]) for i in ready]), strict=True):
                staged[i] = gen
        except Exception:  # each file writes its own clauses below, and fails alone
            log.exception("writing a batch of %d files failed; writing file by file", len(batch))
        reports = []
        for item, gen in zip(batch, staged, strict=True):
            if id(item) not in embedded:
                reports.append(self._failed(item, errors.get(id(item), "cannot embed")))
                continue
            vectors, n_embedded = embedded[id(item)]
            try:
                if item.source in known and known[item.source][0] != item.doc_id:
                    self.store.delete_source(item.source)
                self.store.replace_document(item.doc_id, item.clauses, vectors,
                                            **({"staged": gen} if gen else {}))
            except Exception as exc:  # one bad file must never stop the others
                if isinstance(exc, StoreError) and not self._store_answers():
                    raise  # the index itself is down: no file can be indexed, say so once
                log.exception("failed to index %s", item.path)
                if gen:
                    with contextlib.suppress(StoreError):
                        self.store.discard(gen, item.clauses)
                reports.append(self._failed(item, f"cannot index ({exc.__class__.__name__}: {exc})"))
                continue
            counts[0] += len(item.clauses)
            reports.append(FileReport(path=str(item.path), status="indexed", doc_id=item.doc_id,
                                      clauses=len(item.clauses), embedded=n_embedded))
        if progress:
            progress("clauses", counts[0], counts[1])
        return reports

    @staticmethod
    def _failed(item: _Prepared, error: str) -> FileReport:
        return FileReport(path=str(item.path), status="failed", doc_id=item.doc_id, error=error)

    def _store_answers(self) -> bool:
        try:
            self.store.count()
        except StoreError:
            return False
        return True

    def _embed_batch(self, batch: list[_Prepared], progress) -> dict[int, tuple[list[list[float]], int]]:
        """id(item) → (its clauses' vectors, how many of its texts were embedded now).

        The store is asked once for the batch's known vectors; each missing distinct text is
        embedded once, in batches that span files.
        """
        texts = [[c.embed_text() for c in item.clauses] for item in batch]
        hashes = [[text_hash(t) for t in ts] for ts in texts]
        cache = self.store.cached_vectors(h for hs in hashes for h in hs)
        missing = list(dict.fromkeys(t for ts, hs in zip(texts, hashes, strict=True)
                                     for t, h in zip(ts, hs, strict=True) if h not in cache))
        fresh: set[str] = set()
        size = getattr(self.embeddings, "batch_size", None) or self.batch_size
        for i in range(0, len(missing), size):
            chunk = missing[i:i + size]
            for text, vector in zip(chunk, self.embeddings.embed_documents(chunk), strict=True):
                cache[text_hash(text)] = vector
                fresh.add(text_hash(text))
            if progress:
                progress("embed", min(i + size, len(missing)), len(missing))
        out = {}
        for item, hs in zip(batch, hashes, strict=True):
            new = {h for h in hs if h in fresh}
            fresh -= new  # a text two files share counts as embedded for the first
            out[id(item)] = ([cache[h] for h in hs], len(new))
        return out

    def _prune(self, roots: list[Path], known) -> list[FileReport]:
        out = []
        resolved = [str(r.resolve()) for r in roots]
        for source, (doc_id, _) in known.items():
            under = any(source == r or source.startswith(r.rstrip("/") + "/") for r in resolved)
            if under and not Path(source).exists():
                n = self.store.delete_source(source)
                out.append(FileReport(path=source, status="removed", doc_id=doc_id, clauses=n))
        return out


def _collect_files(roots: list[Path], report: IngestReport) -> Iterable[Path]:
    for root in roots:
        if root.is_dir():
            for path in sorted(root.rglob("*")):
                if path.is_file() and path.suffix.lower() in SUPPORTED_SUFFIXES and not path.name.startswith("."):
                    yield path
        elif root.is_file():
            yield root
        else:
            report.files.append(FileReport(path=str(root), status="failed", error="no such file or folder"))



"""The one object every front end calls: ``ingest()``, ``ask()``, ``documents()``."""

from __future__ import annotations

import contextlib
import hashlib
import logging
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from langchain_core.embeddings import Embeddings

from .answering import followup
from .answering.composer import Composer, ExtractiveComposer, build_chain
from .index.embeddings import EmbeddingError, get_embeddings
from .index.retrieval import HybridRetriever
from .index.store import ClauseStore, StoreError, text_hash
from .language import crosslingual
from .reading.chunking import chunk_document, window_chunks
from .reading.injection import flag_clauses
from .reading.parsing import SUPPORTED_SUFFIXES, ParseError, file_hash, parse_file
from .settings import Settings
from .types import Answer, Clause, FileReport, Filters, IngestReport, PolicyDocument

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

#: The values the ``level`` and ``status`` filters accept.
LEVELS = ("national", "province", "city", "county")
STATUSES = ("draft", "final")


class QuestionError(ValueError):
    """A question that cannot be asked (empty, too long); the message says why."""


class SetupError(RuntimeError):
    """The assistant cannot work as configured (no corpus, no index); the message says what to do."""


class Assistant:
    """Ingests policy documents into the clause index and answers questions with citations."""

    def __init__(self, settings: Settings | None = None, embeddings: Embeddings | None = None,
                 composer: Composer | None = None) -> None:
        self.settings = settings or Settings()
        self._embeddings = embeddings
        self._store: ClauseStore | None = None
        self._retriever: HybridRetriever | None = None
        self._composer = composer
        self._rewriter = None
        self._ingest_lock = threading.Lock()
        self._open_lock = threading.Lock()

    # --- lazy parts (cheap constructor: --help and imports stay fast) -----------------------

    @property
    def embeddings(self) -> Embeddings:
        """The embedding model from settings, loaded on first use."""
        if self._embeddings is None:
            self._embeddings = get_embeddings(self.settings.embedding_model, self.settings)
        return self._embeddings

    @property
    def store(self) -> ClauseStore:
        """The clause index, opened on first use."""
        with self._open_lock:
            if self._store is None:
                s = self.settings
                self._store = ClauseStore(
                    self.embeddings, s.index_dir, s.chroma_url, s.collection_prefix,
                    shape=self._shape(),
                )
        return self._store

    def _shape(self) -> str:
        s = self.settings
        if s.chunking == "window":
            return f"window={s.window_chars}/{s.window_overlap}"
        return f"max_clause_chars={s.max_clause_chars}"

    def chunk(self, doc: PolicyDocument) -> list[Clause]:
        """Cut a parsed document into chunks as the settings say."""
        s = self.settings
        if s.chunking == "window":
            return flag_clauses(window_chunks(doc, s.window_chars, s.window_overlap))
        if s.chunking != "clause":
            raise ValueError(f"unknown chunking {s.chunking!r}: use clause or window")
        return flag_clauses(chunk_document(doc, s.max_clause_chars))

    @property
    def retriever(self) -> HybridRetriever:
        """The hybrid retriever over the store."""
        if self._retriever is None:
            s = self.settings
            self._retriever = HybridRetriever(self.store, self.embeddings, s.retrieval_mode,
                                              s.candidate_k, s.rrf_k, s.dense_weight,
                                              s.specifics_weight)
        return self._retriever

    @property
    def composer(self) -> Composer:
        """The answer composer: offline extractive by default, a language model when configured.

        With ``ASSISTANT_LLM_PROVIDER`` set, the prompts are loaded and checked here, so a
        broken template fails on the first use, before any model call.
        """
        if self._composer is None:
            extractive = ExtractiveComposer(
                self.retriever, self.settings.refusal_threshold, self.settings.max_answer_sentences
            )
            if self.settings.llm_enabled:
                from .answering import llm

                self._composer, self._rewriter = llm.build(self.settings, extractive)
            else:
                self._composer = extractive
        return self._composer

    def check_llm(self) -> None:
        """Build the language-model composer now (prompts checked) when one is configured."""
        if self.settings.llm_enabled:
            _ = self.composer

    def standalone(self, question: str, history: list[dict] | None) -> str:
        """The question made standalone from the conversation (by the model when configured).

        Every history turn and the result are capped at ``max_question_chars``: the question
        limit holds for what is retrieved and embedded, however long the conversation.
        """
        history = self.cap_history(history)
        if history:
            _ = self.composer  # builds the rewriter with it
            rewriter = getattr(self, "_rewriter", None)
            if rewriter is not None:
                return self._cap(rewriter.rewrite(question, history))
        return self._cap(followup.rewrite(question, history))

    def _cap(self, text: str) -> str:
        limit = self.settings.max_question_chars
        return text if len(text) <= limit else text[-limit:]

    def cap_history(self, history: list[dict] | None) -> list[dict] | None:
        """The conversation with each turn cut to ``max_question_chars`` (its start kept).

        Raises :class:`QuestionError` for a turn that is not ``{role, content}`` text.
        """
        if not history:
            return None
        limit = self.settings.max_question_chars
        out = []
        for i, turn in enumerate(history):
            content = turn.get("content") if isinstance(turn, dict) else None
            if not isinstance(content, str):
                raise QuestionError(f"history turn {i + 1} has no text content")
            _check_text(content, f"history turn {i + 1}")
            out.append({**turn, "content": content[:limit]})
        return out

    def check_filters(self, filters: Filters | None) -> None:
        """:class:`QuestionError` for a filter naming an unknown document, level or status."""
        if filters is None:
            return
        if filters.level and filters.level not in LEVELS:
            raise QuestionError(f"unknown level {filters.level!r}: use one of {', '.join(LEVELS)}")
        if filters.status and filters.status not in STATUSES:
            raise QuestionError(f"unknown status {filters.status!r}: use one of {', '.join(STATUSES)}")
        if filters.doc_ids:
            known = self.retriever.view.generations
            unknown = [d for d in filters.doc_ids if d not in known]
            if unknown:
                raise QuestionError(
                    f"unknown document id {', '.join(map(repr, unknown))}: `assistant docs` "
                    "(or GET /api/documents) lists the indexed ids")

    # --- ingest ---------------------------------------------------------------------------

    def ingest(self, paths: Iterable[Path | str] | None = None, prune: bool = False,
               progress: Progress | None = None) -> IngestReport:
        """Index files and folders (default: the corpus folder).

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
        started = time.perf_counter()
        roots = [Path(p) for p in (paths or [self.settings.corpus_dir])]
        report = IngestReport()
        # The store's write lock too: another process opening the index meanwhile must not
        # take this ingest's uncommitted clauses for a crash's leftovers.
        with self._ingest_lock, self.store.writing():
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
            self.retriever.refresh()
        report.seconds = time.perf_counter() - started
        return report

    def _prepare(self, path: Path, known, used_ids) -> _Prepared | FileReport:
        """A file read, parsed and chunked, or its report (unchanged or failed)."""
        source = str(path.resolve())
        try:
            data = path.read_bytes()
        except OSError as exc:
            return FileReport(path=str(path), status="failed", error=f"cannot read: {exc}")
        if len(data) > self.settings.max_upload_bytes:
            return FileReport(path=str(path), status="failed",
                              error=f"file is larger than {self.settings.max_upload_bytes} bytes")
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
        size = getattr(self.embeddings, "batch_size", None) or self.settings.embedding_batch_size
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

    def ensure_index(self, progress: Progress | None = None) -> IngestReport | None:
        """Ingest the corpus folder when the index is empty (the first question on a fresh checkout).

        Raises :class:`SetupError` when the index is empty and the corpus folder does not
        exist: answering "not found" from an empty index would look like a real answer.
        """
        if self.retriever.view.clauses or self.store.count() > 0:
            return None
        corpus = Path(self.settings.corpus_dir)
        if not corpus.is_dir():
            raise SetupError(
                f"the index at {self.store.location} is empty and the corpus folder "
                f"{corpus.resolve()} does not exist: run from the project folder, set "
                "ASSISTANT_CORPUS_DIR, or index files with `assistant ingest PATH`"
            )
        return self.ingest([corpus], progress=progress)

    # --- questions ------------------------------------------------------------------------

    def check_question(self, question: str) -> str:
        """The question stripped, or :class:`QuestionError` if it cannot be asked."""
        q = (question or "").strip()
        if not q:
            raise QuestionError("the question is empty: type a question about the documents")
        if len(q) > self.settings.max_question_chars:
            raise QuestionError(
                f"the question is {len(q)} characters long; the limit is "
                f"{self.settings.max_question_chars} (ASSISTANT_MAX_QUESTION_CHARS)"
            )
        _check_text(q, "the question")
        return q

    def ask(self, question: str, k: int | None = None, filters: Filters | None = None,
            composer: Composer | None = None, history: list[dict] | None = None) -> Answer:
        """Answer a question from the indexed documents, with citations.

        ``history`` is the conversation so far ([{role, content}]); a follow-up question is
        made standalone from it before retrieval.
        """
        q = self.check_question(question)
        self.ensure_index()
        self.check_filters(filters)
        started = time.perf_counter()
        standalone = crosslingual.expand(self.standalone(q, history), self.place_aliases(),
                                          self.retriever.view.idf)
        chain = build_chain(self.retriever, composer or self.composer, k or self.settings.top_k,
                            filters)
        answer: Answer = chain.invoke(standalone)
        return self._finish(answer, q, standalone, started)

    def ask_stream(self, question: str, k: int | None = None, filters: Filters | None = None,
                   composer: Composer | None = None,
                   history: list[dict] | None = None) -> Iterator[str | Answer]:
        """Answer as a stream: text pieces, then the finished :class:`Answer` as the last item.

        With a language model the pieces are its sentences as they pass verification; the
        extractive answer is cut into sentences. The pieces joined are the final answer text
        (unless a model fails mid-answer; the final answer is always the one to keep).
        """
        q = self.check_question(question)
        self.ensure_index()
        self.check_filters(filters)
        started = time.perf_counter()
        standalone = crosslingual.expand(self.standalone(q, history), self.place_aliases(),
                                          self.retriever.view.idf)
        retrieved = self.retriever.retrieve(standalone, k=k or self.settings.top_k, filters=filters)
        chosen = composer or self.composer
        emitted = ""
        answer: Answer | None = None
        if hasattr(chosen, "stream"):
            for item in chosen.stream(standalone, retrieved, filters=filters):
                if isinstance(item, Answer):
                    answer = item
                else:
                    emitted += item
                    yield item
        if answer is None:
            answer = chosen.compose(standalone, retrieved, filters=filters)
        if answer.answer.startswith(emitted):
            yield from text_pieces(answer.answer[len(emitted):])
        yield self._finish(answer, q, standalone, started)

    def _finish(self, answer: Answer, q: str, standalone: str, started: float) -> Answer:
        answer.question = q
        if standalone != q:
            understood = f"结合上文理解为：{standalone}"
            answer.notice = f"{understood}；{answer.notice}" if answer.notice else understood
        answer.latency_ms = (time.perf_counter() - started) * 1000
        return answer

    def place_aliases(self) -> dict[str, str]:
        """pinyin → Chinese names of the places the indexed documents name (per index version)."""
        return self.retriever.view.place_aliases

    def documents(self) -> list[dict]:
        """The indexed documents with their metadata and clause counts."""
        docs = [{**(clauses[0].meta.model_dump() if clauses[0].meta else {}), "clauses": len(clauses)}
                for clauses in self.retriever.view.by_doc.values()]
        return sorted(docs, key=lambda d: d["doc_id"])


_PIECE = re.compile(r".+?(?:[。！？!?；;\n]+(?:\[\d+\])*|\Z)", re.S)


def _check_text(text: str, what: str) -> None:
    """:class:`QuestionError` for text that is not valid Unicode (a lone surrogate from JSON)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise QuestionError(
            f"{what} holds an invalid character ({text[exc.start]!r} at position {exc.start}, "
            "a lone surrogate): send well-formed UTF-8 text") from None


def text_pieces(text: str) -> list[str]:
    """A text cut after each sentence, keeping the ``[n]`` markers that follow it."""
    return [p for p in _PIECE.findall(text) if p] if text else []


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


def chunk_file(path: Path | str, max_chars: int = 600) -> tuple[PolicyDocument, list[Clause]]:
    """Parse and chunk one file without indexing it."""
    doc = parse_file(Path(path))
    return doc, chunk_document(doc, max_chars)

"""The one object every front end calls: ``ingest()``, ``ask()``, ``documents()``."""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from pathlib import Path

from langchain_core.embeddings import Embeddings

from .answering import eligibility, followup, measure_answers, measure_table
from .answering import validity as validity_answers
from .answering.composer import Composer, ExtractiveComposer, anchors_of, build_chain
from .answering.eligibility import CompanyProfile
from .answering.frame import Conversation
from .answering.measure_table import MeasureFilters
from .answering.refusal import refusal_answer
from .index.embeddings import get_embeddings
from .index.ingest import Ingester, Progress
from .index.retrieval import HybridRetriever
from .index.store import ClauseStore
from .language import crosslingual
from .language.lexicon import STATUS_LABELS
from .language.places import place_stem, places
from .language.segment import bm25_tokens
from .reading.chunking import chunk_document, window_chunks
from .reading.dates import check_date
from .reading.injection import flag_clauses
from .reading.parsing import parse_file
from .settings import Settings
from .types import (
    REFUSAL_PREFIX,
    VALIDITY_STATES,
    Answer,
    Clause,
    Filters,
    IngestReport,
    PolicyDocument,
    Understood,
    today,
)

log = logging.getLogger(__name__)


#: The values the ``level`` and ``status`` filters accept: a status is a document's status on
#: the filter's date (one of the six validity states); ``final`` keeps its old meaning, a
#: document issued in final form whatever its term.
LEVELS = ("national", "province", "city", "county")
STATUSES = (*VALIDITY_STATES, "final")


#: Clauses matching the last answer's words that are checked for its quotes.
ANCHOR_SEARCH = 20


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
        """:class:`QuestionError` for a filter naming an unknown document, level or status, or
        a date that is not one."""
        if filters is None:
            return
        if filters.level and filters.level not in LEVELS:
            raise QuestionError(f"unknown level {filters.level!r}: use one of {', '.join(LEVELS)}")
        if filters.status and filters.status not in STATUSES:
            raise QuestionError(f"unknown status {filters.status!r}: use one of {', '.join(STATUSES)}")
        if filters.as_of:
            self.check_as_of(filters.as_of)
        if filters.doc_ids:
            known = self.retriever.view.generations
            unknown = [d for d in filters.doc_ids if d not in known]
            if unknown:
                raise QuestionError(
                    f"unknown document id {', '.join(map(repr, unknown))}: `assistant docs` "
                    "(or GET /api/documents) lists the indexed ids")

    @staticmethod
    def check_as_of(as_of: str | None) -> str:
        """The date statuses are evaluated on: ``as_of`` checked (``YYYY-MM-DD``), else today;
        :class:`QuestionError` for a value that is not a date."""
        if as_of is None or not str(as_of).strip():
            return today()
        try:
            return check_date(str(as_of))
        except ValueError as exc:
            raise QuestionError(str(exc)) from None

    # --- ingest ---------------------------------------------------------------------------

    def ingest(self, paths: Iterable[Path | str] | None = None, prune: bool = False,
               progress: Progress | None = None) -> IngestReport:
        """Index files and folders (default: the corpus folder); see :class:`Ingester`.

        Unchanged files are skipped, a changed file replaces its clauses, and a file that
        cannot be read is reported without stopping the others; ``prune`` removes the
        clauses of files that no longer exist under the given folders.
        """
        started = time.perf_counter()
        roots = [Path(p) for p in (paths or [self.settings.corpus_dir])]
        ingester = Ingester(self.store, self.embeddings, self.chunk, self.settings.max_upload_bytes,
                            self.settings.embedding_batch_size)
        # The store's write lock too: another process opening the index meanwhile must not
        # take this ingest's uncommitted clauses for a crash's leftovers.
        with self._ingest_lock, self.store.writing():
            report = ingester.ingest(roots, prune=prune, progress=progress)
            self.retriever.refresh()
        report.seconds = time.perf_counter() - started
        return report

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
            composer: Composer | None = None, history: list[dict] | None = None,
            as_of: str | None = None) -> Answer:
        """Answer a question from the indexed documents, with citations.

        ``history`` is the conversation so far ([{role, content}]); a follow-up question is
        made standalone from it before retrieval. ``as_of`` (``YYYY-MM-DD``, default today)
        is the date a status filter and the citations' statuses are read on.
        """
        filters = self._dated(filters, as_of)
        q, rewritten, standalone, started = self._understood(question, filters, history)
        filters, none = self._by_status(filters)
        if none is not None:
            return self._finish(none(standalone), q, rewritten, standalone, started, filters.on())
        chain = build_chain(self.retriever, composer or self.composer, k or self.settings.top_k,
                            filters, self.conversation(q, history))
        answer: Answer = chain.invoke(standalone)
        return self._finish(answer, q, rewritten, standalone, started, filters.on())

    def ask_stream(self, question: str, k: int | None = None, filters: Filters | None = None,
                   composer: Composer | None = None, history: list[dict] | None = None,
                   as_of: str | None = None) -> Iterator[str | Understood | Answer]:
        """Answer as a stream: text pieces, then the finished :class:`Answer` as the last item.

        A follow-up made standalone first yields :class:`Understood` (the question as it is
        answered), before any text. With a language model the pieces are its sentences as
        they pass verification; the extractive answer is cut into sentences. The pieces joined
        are the final answer text (unless a model fails mid-answer; the final answer is always
        the one to keep).
        """
        filters = self._dated(filters, as_of)
        q, rewritten, standalone, started = self._understood(question, filters, history)
        if rewritten != q:
            yield Understood(rewritten)
        filters, none = self._by_status(filters)
        if none is not None:
            answer = self._finish(none(standalone), q, rewritten, standalone, started, filters.on())
            yield from text_pieces(answer.answer)
            yield answer
            return
        retrieved = self.retriever.retrieve(standalone, k=k or self.settings.top_k, filters=filters)
        chosen = composer or self.composer
        conversation = self.conversation(q, history)
        emitted = ""
        answer: Answer | None = None
        if hasattr(chosen, "stream"):
            for item in chosen.stream(standalone, retrieved, filters=filters, conversation=conversation):
                if isinstance(item, Answer):
                    answer = item
                else:
                    emitted += item
                    yield item
        if answer is None:
            answer = chosen.compose(standalone, retrieved, filters=filters, conversation=conversation)
        finished = self._finish(answer, q, rewritten, standalone, started, filters.on())
        # The rest of the text, with the sentence on a source not in force that finishing adds.
        if finished.answer.startswith(emitted):
            yield from text_pieces(finished.answer[len(emitted):])
        yield finished

    def ranked(self, question: str, depth: int) -> list[str]:
        """The texts of the first ``depth`` clauses retrieved for a standalone ``question`` (an
        English one with its Chinese terms), as an answer retrieves them."""
        return [r.clause.text for r in self.retriever.retrieve(self._expanded(question), k=depth)]

    def _expanded(self, question: str) -> str:
        """The question as it is retrieved: an English one with its Chinese terms too."""
        return crosslingual.expand(question, self.place_aliases(), self.retriever.view.idf)

    def conversation(self, question: str, history: list[dict] | None) -> Conversation | None:
        """What the conversation adds to ``question`` (None outside a conversation)."""
        history = self.cap_history(history)
        if not history:
            return None
        return Conversation(anchors=self.anchors(history), own=followup.own_words(question, history),
                            asked=question)

    def anchors(self, history: list[dict] | None) -> list[str]:
        """The clauses the conversation's last answer quoted (a follow-up such as “这条谁负责？”
        speaks of them): the clauses that best match the answer's words and hold one of its
        sentences."""
        last = next((str(t.get("content", "")) for t in reversed(history or [])
                     if t.get("role") == "assistant"), "")
        if not last.strip():
            return []
        near = [c for c, _ in self.retriever.view.search(bm25_tokens(last), ANCHOR_SEARCH)]
        return anchors_of(last, near)

    def _understood(self, question: str, filters: Filters | None,
                    history: list[dict] | None) -> tuple[str, str, str, float]:
        """(the question checked, the follow-up made standalone from ``history``, the question
        as it is retrieved and answered (an English one with its Chinese terms too), when
        answering started)."""
        q = self.check_question(question)
        self.ensure_index()
        self.check_filters(filters)
        started = time.perf_counter()
        rewritten = self.standalone(q, history)
        standalone = self._expanded(rewritten)
        return q, rewritten, standalone, started

    def _finish(self, answer: Answer, q: str, rewritten: str, standalone: str, started: float,
                as_of: str | None = None) -> Answer:
        """Every composer's answer, finished alike: the question as asked, how a follow-up was
        understood, and each citation's status on ``as_of`` with a sentence on a quoted
        document that is not in force (:func:`assistant.answering.validity.annotate`)."""
        answer.question = q
        if rewritten != q:
            answer.understood = rewritten
        validity_answers.annotate(answer, self.retriever.view, as_of or today(), standalone)
        answer.latency_ms = (time.perf_counter() - started) * 1000
        return answer

    @staticmethod
    def _dated(filters: Filters | None, as_of: str | None) -> Filters:
        """The filters with the date statuses are read on (``as_of``, the filters' own, today)."""
        filters = replace(filters) if filters is not None else Filters()
        filters.as_of = as_of or filters.as_of or today()
        return filters

    def _by_status(self, filters: Filters) -> tuple[Filters, Callable[[str], Answer] | None]:
        """A status filter turned into the documents that have that status on its date (a
        status follows the date; it is not a stored field), and the refusal to give when none has."""
        if not filters.status:
            return filters, None
        view = self.retriever.view
        passing = view.versions.with_status(filters.status, filters.on())
        ids = [d for d in passing if not filters.doc_ids or d in filters.doc_ids]
        narrowed = Filters(doc_ids=ids, level=filters.level, as_of=filters.as_of)
        if ids:
            return narrowed, None
        label = STATUS_LABELS.get(filters.status, "正式印发")
        reason = f"{REFUSAL_PREFIX}{filters.on()}状态为“{label}”的文件。"
        return narrowed, lambda question: refusal_answer(question, [], reason)

    def place_aliases(self) -> dict[str, str]:
        """pinyin → Chinese names of the places the indexed documents name (per index version)."""
        return self.retriever.view.place_aliases

    def measures(self, filters: MeasureFilters | None = None, as_of: str | None = None) -> dict:
        """The support measures that pass ``filters``, each with its document's status on
        ``as_of`` (default today): those of documents in force, not yet in force or of unknown
        standing in ``measures``, those of expired, replaced or draft documents in
        ``not_current``. An unknown document id is a :class:`QuestionError`."""
        day = self.check_as_of(as_of)
        filters = filters or MeasureFilters()
        if filters.doc_ids:
            self.check_filters(Filters(doc_ids=filters.doc_ids))
        return measure_table.table(self.retriever.view, filters, day)

    def measures_answer(self, text: str, as_of: str | None = None) -> Answer:
        """The top support measures for a place and topic words (“成都 人工智能”), as a cited
        list the way a question about them is answered (Slack's ``/policy measures``)."""
        words = self.check_question(text)
        self.ensure_index()
        day = self.check_as_of(as_of)
        started = time.perf_counter()
        named = places(words)
        topic = [w for w in re.split(r"[\s,，、]+", words)
                 if w and not any(place_stem(w) == p or w == p for p in named)]
        answer = measure_answers.listing(words, self.retriever.view, named, topic, Filters(as_of=day))
        return self._finish(answer, words, words, started, day)

    def match_measures(self, profile: CompanyProfile, filters: MeasureFilters | None = None,
                       as_of: str | None = None) -> dict:
        """The eligibility self-check: the current measures (those of documents in force or of
        unknown standing) grouped by what ``profile`` decides of their cited conditions."""
        day = self.check_as_of(as_of)
        found = self.measures(filters, day)
        view = self.retriever.view
        return eligibility.match(found["measures"], profile, day,
                                 lambda doc_id, place: measure_table.of_place(view, doc_id, place))

    def documents(self, as_of: str | None = None) -> list[dict]:
        """The indexed documents with their metadata, clause counts and validity on ``as_of``
        (``YYYY-MM-DD``, default today)."""
        day = self.check_as_of(as_of)
        view = self.retriever.view
        docs = [{**(clauses[0].meta.model_dump(exclude={"validity"}) if clauses[0].meta else {"doc_id": d}),
                 "clauses": len(clauses), "validity": view.versions.public(d, day)}
                for d, clauses in view.by_doc.items()]
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


def chunk_file(path: Path | str, max_chars: int = 600) -> tuple[PolicyDocument, list[Clause]]:
    """Parse and chunk one file without indexing it."""
    doc = parse_file(Path(path))
    return doc, chunk_document(doc, max_chars)

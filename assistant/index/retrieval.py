"""Hybrid retrieval: BM25 over jieba-segmented text plus dense search, fused by reciprocal rank.

Both search the retriever's index view (:mod:`assistant.index.indexview`), which follows the index
version: the lexical side is the view's BM25 matrix, the dense side asks Chroma for the
view's current generations of each document.
"""

from __future__ import annotations

import logging
import math
import re
import threading
import time

from langchain_core.embeddings import Embeddings

from ..language.segment import QUOTED_TERM, bm25_tokens
from ..language.text import nfkc
from ..types import Clause, Filters, RetrievedClause, today
from .indexview import IndexView, SavedViews
from .store import ClauseStore, StaleReadError, StoreError

log = logging.getLogger(__name__)

def rrf(rankings: list[list[Clause]], k: int = 60,
        weights: list[float] | None = None) -> list[tuple[Clause, float]]:
    """Reciprocal rank fusion: a clause's score is the sum of w/(k + rank) over the rankings."""
    scores: dict[str, float] = {}
    by_id: dict[str, Clause] = {}
    for ranking, weight in zip(rankings, weights or [1.0] * len(rankings), strict=True):
        for rank, clause in enumerate(ranking, start=1):
            scores[clause.chunk_id] = scores.get(clause.chunk_id, 0.0) + weight / (k + rank)
            by_id[clause.chunk_id] = clause
    return sorted(((by_id[i], s) for i, s in scores.items()), key=lambda x: -x[1])


_YEAR_OR_NUMBER = re.compile(r"\d+(?:\.\d+)?")


def specifics(question: str) -> list[str]:
    """Numbers, years and quoted names a question mentions; a clause stating them is likelier."""
    q = nfkc(question)
    return [n for n in _YEAR_OR_NUMBER.findall(q) if len(n) >= 2 or n != "0"] + QUOTED_TERM.findall(q)


#: UTF-8 bytes of a query that are embedded (BM25 and the composer see all of it). Bytes
#: track tokens in both scripts: a Chinese character (3 bytes) is about one token, an English
#: word (about 5 bytes) about one and a half; 300 bytes is about 100 Chinese characters.
MAX_EMBED_QUERY_BYTES = 300
#: A filtered dense search over at most this many clauses compares their vectors directly:
#: reading vectors by id costs about 0.02 ms a clause, so 500 stay below one filtered Chroma
#: query on a 10,000-clause index (measured on 2 cores with evals/bench.py's 100× library).
EXACT_SEARCH_LIMIT = 500
#: A wide filter looks through this many times the nearest clauses that should hold the ones
#: it needs (by the share of clauses it passes), at most ``DENSE_WIDE_MAX``, before asking
#: Chroma with the filter: an unfiltered search of 2,000 costs about 7 ms at 18,200 clauses,
#: a filtered one over a third of them 33–39 ms.
DENSE_OVERSAMPLE = 4
DENSE_WIDE_MAX = 2000


class HybridRetriever:
    """BM25 and dense retrieval over one clause store, fused by reciprocal rank fusion."""

    def __init__(
        self,
        store: ClauseStore,
        embeddings: Embeddings,
        mode: str = "hybrid",
        candidate_k: int = 30,
        rrf_k: int = 60,
        dense_weight: float = 1.0,
        specifics_weight: float = 0.5,
        check_interval: float = 0.5,
    ) -> None:
        if mode not in ("hybrid", "bm25", "dense"):
            raise ValueError(f"unknown retrieval mode {mode!r}: use hybrid, bm25 or dense")
        self.store = store
        self.embeddings = embeddings
        self.mode = mode
        self.candidate_k = candidate_k
        self.rrf_k = rrf_k
        self.dense_weight = dense_weight
        self.specifics_weight = specifics_weight
        #: Seconds between two reads of the index version (another process may have written).
        self.check_interval = check_interval
        #: Least seconds between two reopenings of an embedded index another process wrote.
        self.reopen_interval = 5.0
        self._view: IndexView | None = None
        self._checked = 0.0
        self._vectors_behind = False
        self._reopened = -self.reopen_interval
        self._lock = threading.Lock()
        self._saved = SavedViews(getattr(store, "view_dir", None))

    def refresh(self) -> IndexView:
        """Read the index version now and reload the view if it moved (after an ingest).

        When another process wrote, an embedded index is also reopened so that its vectors
        are searched, at most once every ``reopen_interval`` seconds (reopening costs about
        a second on a large index): meanwhile its new clauses are found by BM25 alone.
        """
        with self._lock:
            token = self.store.version_token()
            now = self._checked = time.monotonic()
            if self._view is not None and self._view.version != token \
                    and token != getattr(self.store, "written_token", token):
                self._vectors_behind = True
            if self._vectors_behind and now - self._reopened >= self.reopen_interval:
                self.store.reopen()
                self._vectors_behind, self._reopened = False, now
            if self._view is None or self._view.version != token:
                self._view = self._open(token, self._view)
            return self._view

    def _open(self, token: str, previous: IndexView | None) -> IndexView:
        """The view of version ``token``: saved by the process that wrote it, or built here."""
        view = self._saved.load(token)
        if view is not None:
            log.info("loaded the saved index view %s (%d clauses)", token, len(view.clauses))
            return view
        # Only the documents changed since the newest view at hand are read and tokenised.
        view = IndexView.from_store(self.store, token, previous or self._saved.latest())
        # Saved by the process that wrote this version, or that opened the index without a
        # saved view; a process following another's ingest step by step does not write a
        # file per step. And only if no write landed meanwhile: it holds exactly this version.
        mine = token == getattr(self.store, "written_token", None)
        if (mine or previous is None) and self.store.version_token() == token:
            self._saved.save(view)
        return view

    @property
    def view(self) -> IndexView:
        """The index view at the store's current version.

        The version is read at most once every ``check_interval`` seconds: another process's
        ingest is seen within that time.
        """
        view = self._view
        if view is None or time.monotonic() - self._checked >= self.check_interval:
            view = self.refresh()
        return view

    def _dense(self, vector: list[float], n: int, filters: Filters | None,
               view: IndexView) -> tuple[list[tuple[Clause, float]], IndexView]:
        """Dense search among the view's current generations, robust to another process's
        deletions: the view is reloaded (the index reopened) and the search asked once more,
        then left out. Returns the hits and the view they were found in."""
        where = filters.where() if filters else None
        try:
            return self._dense_in(vector, n, filters, where, view), view
        except StaleReadError:
            pass
        except StoreError:
            self._checked = 0.0  # the index failed: the next request checks it, not the view
            raise
        with self._lock:  # deleted under us: reopening cannot wait
            self.store.reopen()
            self._vectors_behind, self._reopened = False, time.monotonic()
        view = self.refresh()
        try:
            return self._dense_in(vector, n, filters, where, view), view
        except StaleReadError as exc:
            log.warning("dense search left out: %s", exc)
            return [], view

    def _dense_in(self, vector: list[float], n: int, filters: Filters | None, where: dict | None,
                  view: IndexView) -> list[tuple[Clause, float]]:
        """Dense search within ``filters``, by the cheapest exact way.

        Chroma selects a filtered search's ids from their metadata first, at a cost that grows
        with the whole index (10–26 ms at 18,200 clauses against under 1 ms unfiltered). So a
        filter that leaves few clauses (a question scoped to its documents) compares their
        vectors directly; a filter that leaves many takes the nearest of an unfiltered search
        when enough of them pass, and asks Chroma with the filter only when they do not.
        """
        if where is None:
            return self.store.search(vector, n, None, view.generations, view.by_id)
        rows = view.rows(filters)  # counted first: a wide filter's clauses are not listed
        if len(rows) <= EXACT_SEARCH_LIMIT:
            return self.store.nearest_among(vector, n, [view.clauses[i] for i in rows],
                                            view.generations)
        # As many nearest clauses as should hold n that pass, were passing unrelated to nearness.
        share = len(rows) / max(len(view.clauses), 1)
        wide_n = min(DENSE_WIDE_MAX, math.ceil(n * DENSE_OVERSAMPLE / share))
        wide = self.store.search(vector, wide_n, None, view.generations, view.by_id)
        hits = [(c, s) for c, s in wide if filters.accepts(c)]
        if len(hits) >= n:
            return hits[:n]
        return self.store.search(vector, n, where, view.generations, view.by_id)

    def retrieve(self, query: str, k: int = 5, filters: Filters | None = None) -> list[RetrievedClause]:
        """The ``k`` best clauses for ``query``; of a document's versions, the one in force first."""
        n = max(self.candidate_k, k)
        view = self.view
        as_of = filters.on() if filters else today()
        filters = narrowed(filters, view)
        if filters is not None and filters.doc_ids == []:
            return []  # no document has the status asked for on that date
        dense: list[tuple[Clause, float]] = []
        sparse: list[tuple[Clause, float]] = []
        if self.mode in ("hybrid", "dense"):
            # The embedding's cost grows with the square of its input; the head of a long
            # query carries its topic, and embedding models are trained on short queries.
            head = query.encode()[:MAX_EMBED_QUERY_BYTES].decode(errors="ignore")
            vector = self.embeddings.embed_query(head)
            dense, view = self._dense(vector, n, filters, view)
        if self.mode in ("hybrid", "bm25"):
            sparse = view.search(bm25_tokens(query), n, filters)
        dense_by_id = {c.chunk_id: s for c, s in dense}
        sparse_by_id = {c.chunk_id: s for c, s in sparse}
        pairs = [(r, w) for r, w in (([c for c, _ in dense], self.dense_weight),
                                       ([c for c, _ in sparse], 1.0)) if r]
        fused = rrf([r for r, _ in pairs], self.rrf_k, [w for _, w in pairs])
        fused = prefer_current(self._rerank(query, fused), view, as_of)[:k]
        return [
            RetrievedClause(
                clause=c, score=round(s, 6),
                dense_score=dense_by_id.get(c.chunk_id), bm25_score=sparse_by_id.get(c.chunk_id),
            )
            for c, s in fused
        ]

    def _rerank(self, query: str, fused: list[tuple[Clause, float]]) -> list[tuple[Clause, float]]:
        """Prefer clauses that state the numbers, years and quoted names the question mentions.

        This joins the fusion as one more ranking over the same candidates: a question about
        “2030年” targets should find the clause that says 2030, not only the one on the topic.
        """
        wanted = [normalize_term(x) for x in specifics(query)]
        if not fused or not wanted or self.mode != "hybrid":
            return fused
        order = [c for c, _ in fused]

        def hits(c: Clause) -> int:
            # The clause's own words: a title such as “（2026—2030年）” states nothing.
            text = normalize_term(c.text)
            return sum(1 for w in wanted if w in text)

        stating = sorted((c for c in order if hits(c)), key=lambda c: -hits(c))
        if not stating:
            return fused
        return rrf([order, stating], self.rrf_k, [1.0, self.specifics_weight])


def narrowed(filters: Filters | None, view: IndexView) -> Filters | None:
    """``filters`` with a status turned into the documents that have it on the filter's date
    (``doc_ids == []`` when none does): a status is not a stored field, it follows the date."""
    if filters is None or not filters.status:
        return filters
    passing = view.versions.with_status(filters.status, filters.on())
    ids = [d for d in passing if not filters.doc_ids or d in filters.doc_ids]
    return Filters(doc_ids=ids, level=filters.level, as_of=filters.as_of)


#: Statuses whose clauses give way to the version in force of the same document.
_GIVES_WAY = ("superseded", "expired", "draft", "not_yet")


def prefer_current(fused: list[tuple[Clause, float]], view: IndexView,
                   as_of: str) -> list[tuple[Clause, float]]:
    """Clauses of a replaced, expired or draft version moved after the clauses of the version
    in force of the same document (a chain of versions), when both were found; all else keeps
    its rank. An answer then quotes the version that applies."""
    versions = view.versions
    statuses = versions.statuses(as_of)
    last_current: dict[str, int] = {}
    for i, (c, _) in enumerate(fused):
        chain = versions.chain(c.doc_id)
        if chain and statuses.get(c.doc_id) == "in_force":
            last_current[chain] = i
    if not last_current:
        return fused
    out: list[tuple[Clause, float]] = []
    waiting: dict[str, list[tuple[Clause, float]]] = {}
    for i, (c, s) in enumerate(fused):
        chain = versions.chain(c.doc_id)
        if chain in last_current and i < last_current[chain] and statuses.get(c.doc_id) in _GIVES_WAY:
            waiting.setdefault(chain, []).append((c, s))
            continue
        out.append((c, s))
        if chain in last_current and i == last_current[chain]:
            out.extend(waiting.pop(chain, []))
    return out


def normalize_term(text: str) -> str:
    """Lower-case NFKC text without spaces, for matching numbers and names."""
    return re.sub(r"\s+", "", nfkc(text).lower())

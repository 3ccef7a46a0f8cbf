"""Lexical search: BM25 over our own index terms, scored from bm25s's sparse matrix.

The terms are ours (:func:`assistant.index.retrieval.bm25_tokens`: jieba search-mode words, Latin
terms, quoted names, Chinese bigrams); bm25s is given them already tokenised, as ids into a
vocabulary this module keeps, and turns them into a sparse document-term score matrix once per
index version. A query sums the matrix columns of its terms (no Python loop over the clauses),
limits the scores by a boolean mask (the filters), and takes the top ``n`` by partial selection.

The variant is the classic Okapi BM25 (k1 1.5, b 0.75, idf ``log((N - df + 0.5) / (df + 0.5))``)
with the one adjustment of the Okapi implementation the retrieval was tuned with: a term found in
more than half the clauses (negative idf) weighs a quarter of the average idf instead.
"""

from __future__ import annotations

import numpy as np

K1 = 1.5
B = 0.75
#: A term in more than half the clauses weighs this share of the average idf.
EPSILON = 0.25


class Vocabulary:
    """Term → id, growing as new clauses bring new terms (ids are never reused)."""

    def __init__(self) -> None:
        self.ids: dict[str, int] = {}

    def encode(self, terms: list[str]) -> np.ndarray:
        """The ids of ``terms``, adding the new ones."""
        ids = self.ids
        return np.fromiter((ids.setdefault(t, len(ids)) for t in terms), dtype=np.int32,
                           count=len(terms))

    def lookup(self, terms: list[str]) -> list[int]:
        """The ids of the known ``terms`` (unknown terms match nothing)."""
        return [self.ids[t] for t in terms if t in self.ids]


class LexicalIndex:
    """BM25 scores of every (clause, term) pair in a sparse matrix, built by bm25s."""

    def __init__(self, docs: list[np.ndarray], vocabulary: Vocabulary) -> None:
        import bm25s

        self.vocabulary = vocabulary
        self.size = len(docs)
        n_terms = len(vocabulary.ids)
        # Document frequency of every term, for the idf the composer weighs terms by too.
        df = np.zeros(n_terms, dtype=np.int64)
        for ids in docs:
            df[np.unique(ids)] += 1
        self.df = df
        self.idf = _okapi_idf(df, self.size)
        self._bm25 = None
        if self.size and int(df.sum()):
            # bm25s builds the term-frequency part; its Lucene idf (positive for every term)
            # is then swapped for the Okapi idf, one factor per term column.
            model = bm25s.BM25(k1=K1, b=B, method="robertson", idf_method="lucene",
                               dtype="float64")
            model.index(bm25s.tokenization.Tokenized(ids=[d.tolist() for d in docs],
                                                      vocab=dict(vocabulary.ids)),
                        show_progress=False)
            with np.errstate(divide="ignore", invalid="ignore"):
                lucene = np.log(1 + (self.size - df + 0.5) / (df + 0.5))
            # bm25s's term-frequency part leaves out Okapi's constant (k1 + 1) factor.
            scale = np.where(df > 0, (K1 + 1) * self.idf / lucene, 0.0)
            indptr = model.scores["indptr"]
            columns = np.repeat(np.arange(len(indptr) - 1), np.diff(indptr))
            model.scores["data"] = model.scores["data"] * scale[columns]
            self._bm25 = model

    def term_weights(self) -> dict[str, float]:
        """term → idf, for the terms the clauses use."""
        return {t: float(self.idf[i]) for t, i in self.vocabulary.ids.items() if self.df[i]}

    def scores(self, terms: list[str]) -> np.ndarray:
        """The BM25 score of every clause for a query's terms (a repeated term counts again)."""
        ids = [i for i in self.vocabulary.lookup(terms) if i < len(self.df) and self.df[i]]
        if self._bm25 is None or not ids:
            return np.zeros(self.size, dtype=np.float64)
        # The terms' columns of the matrix summed in one pass (bincount is several times
        # faster than bm25s's scattered adds when a common term's column spans the index).
        m = self._bm25.scores
        indptr = m["indptr"]
        spans = [np.arange(indptr[i], indptr[i + 1]) for i in ids]
        at = np.concatenate(spans)
        return np.bincount(m["indices"][at], weights=m["data"][at], minlength=self.size)

    def top(self, terms: list[str], n: int, mask: np.ndarray | None = None) -> list[tuple[int, float]]:
        """The ``n`` best clause positions with positive scores, best first (within ``mask``)."""
        # Rounded: sums of the same terms in another order differ in the last bits, and a tie
        # must stay a tie (broken by index order) however the sum was taken.
        scores = np.round(self.scores(terms), 9)
        if mask is not None:
            scores = np.where(mask, scores, 0.0)
        hits = np.flatnonzero(scores > 0)
        if len(hits) > n:
            # The n-th best score by partial selection; every clause tied with it stays in
            # the running, so that ties are broken by index order, as a full sort would.
            nth = -np.partition(-scores[hits], n - 1)[n - 1]
            hits = hits[scores[hits] >= nth]
        hits = hits[np.lexsort((hits, -scores[hits]))][:n]
        return [(int(i), float(scores[i])) for i in hits]


def _okapi_idf(df: np.ndarray, n: int) -> np.ndarray:
    present = df > 0
    idf = np.zeros(len(df), dtype=np.float64)
    if not n or not present.any():
        return idf
    idf[present] = np.log(n - df[present] + 0.5) - np.log(df[present] + 0.5)
    average = float(idf[present].sum()) / int(present.sum())
    idf[present & (idf < 0)] = EPSILON * average
    return idf

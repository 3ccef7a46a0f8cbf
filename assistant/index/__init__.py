"""The index: clauses → vectors and terms → the clauses that best match a question.

Takes clauses from :mod:`assistant.reading` (``ingest`` reads, chunks, embeds and stores
files a batch at a time); keeps them in Chroma (``store`` over ``chroma``) with vectors from
``embeddings``; keeps what answering needs about the whole index (BM25 matrix, clauses by
document and section, titles and places, and each document's versions and status on a date from
``versions``) in the ``indexview``, saved per index version with the BM25 weights of
``lexical``; and gives
:class:`~assistant.types.RetrievedClause` rankings from ``retrieval`` (BM25 and dense search
fused by reciprocal rank, the version in force of a document first). Knows nothing of
questions beyond their words.
"""

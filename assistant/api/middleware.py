"""ASGI middleware of the API: the key check and the body limit run before any body is parsed."""

from __future__ import annotations

import secrets
from collections.abc import Callable

from fastapi import HTTPException
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

AUTH_MESSAGE = ("missing or wrong API key: send the header "
                "'Authorization: Bearer <ASSISTANT_API_KEY>'")


def _error(path: str, status: int, message: str, headers: dict | None = None) -> JSONResponse:
    if path.startswith("/v1/"):
        kind = "authentication_error" if status == 401 else "invalid_request_error"
        body = {"error": {"message": message, "type": kind, "code": status}}
    else:
        body = {"detail": message}
    return JSONResponse(body, status_code=status, headers=headers)


class ApiKeyMiddleware:
    """401 for ``/api`` and ``/v1`` requests without the right bearer key.

    Checked on the headers alone, before the body is read: a client without the key cannot
    make the server read or parse anything it sends.
    """

    def __init__(self, app: ASGIApp, api_key: str, prefixes: tuple[str, ...] = ("/api", "/v1")) -> None:
        self.app = app
        self.key = api_key.encode()
        self.prefixes = prefixes

    def _guarded(self, path: str) -> bool:
        return any(path == p or path.startswith(p + "/") for p in self.prefixes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Refuse the request, or pass it on unchanged."""
        if scope["type"] != "http" or scope.get("method") == "OPTIONS" or not self._guarded(scope["path"]):
            await self.app(scope, receive, send)
            return
        header = dict(scope["headers"]).get(b"authorization", b"")
        scheme, _, token = header.partition(b" ")
        if scheme.lower() != b"bearer" or not secrets.compare_digest(token.strip(), self.key):
            response = _error(scope["path"], 401, AUTH_MESSAGE, {"WWW-Authenticate": "Bearer"})
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


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
            await _error(scope["path"], 413, message)(scope, receive, send)
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

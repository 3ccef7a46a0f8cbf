"""The Slack Bolt app and its HTTP entry points (``/slack/events``), and the ``run`` command.

Requests are checked before Bolt sees them: a body over :data:`MAX_EVENT_BYTES` is refused
while it is read (413), and a missing, malformed, stale or wrong signature is refused (401)
before the body is parsed, so unsigned requests cost nothing and are never logged.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import re
import secrets
import time
from collections.abc import Awaitable, Callable

from slack_bolt import App, BoltRequest, BoltResponse
from slack_bolt.adapter.starlette.handler import to_bolt_request, to_starlette_response
from slack_bolt.error import BoltError
from slack_sdk import WebClient
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from ..service import Assistant
from .blocks import SHOW_CLAUSE, question_text
from .bot import SEARCHING_TEXT, SLASH_COMMAND, PolicyBot, is_direct

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
#: Slack's requests are a few kilobytes (a button click carries its message's blocks).
MAX_EVENT_BYTES = 1 << 20


class SlackConfigError(RuntimeError):
    """The Slack bot cannot start (a token or the signing secret is missing or rejected)."""


# --- the Bolt app --------------------------------------------------------------------------


def _api_url(base_url: str | None) -> str | None:
    url = base_url or os.environ.get("ASSISTANT_SLACK_API_URL") or None
    # WebClient joins method names onto the base URL, which therefore has to end in "/".
    return url if url is None or url.endswith("/") else url + "/"


def create_app(assistant: Assistant | None = None, *, token: str | None = None,
               signing_secret: str | None = None, base_url: str | None = None,
               process_before_response: bool = False) -> App:
    """The Slack Bolt app over ``assistant`` (from the environment's settings by default).

    ``token`` defaults to ``SLACK_BOT_TOKEN``, ``signing_secret`` to ``SLACK_SIGNING_SECRET``
    and ``base_url`` to ``ASSISTANT_SLACK_API_URL`` (the Slack Web API otherwise). The token
    is checked with ``auth.test`` here, which also tells the bot its own user and bot ids.
    ``process_before_response`` answers before the HTTP response is sent (for tests and
    function-as-a-service hosts); the slash command is acknowledged first either way.
    The returned app carries its :class:`PolicyBot` as ``app.policy_bot``.
    """
    token = token or os.environ.get("SLACK_BOT_TOKEN")
    if not token:
        raise SlackConfigError("SLACK_BOT_TOKEN is not set: copy the Bot User OAuth Token "
                               "(xoxb-…) from the Slack app's OAuth & Permissions page")
    secret = signing_secret or os.environ.get("SLACK_SIGNING_SECRET")
    if not secret:
        # Socket Mode needs no signing secret; a random one makes sure that no HTTP request
        # passes verification instead of every request signed with an empty key.
        secret = secrets.token_hex(32)
        log.info("SLACK_SIGNING_SECRET is not set: HTTP requests will be rejected (Socket Mode only)")
    url = _api_url(base_url)
    # A client of our own only when the API URL is overridden: Bolt checks the token with
    # auth.test while it starts, and that call must already go to the overriding URL.
    client = {"client": WebClient(token=token, base_url=url)} if url else {"token": token}
    try:
        app = App(signing_secret=secret, name="policy-assistant",
                  process_before_response=process_before_response, **client)
    except BoltError as exc:
        raise SlackConfigError(f"Slack rejected SLACK_BOT_TOKEN: {exc}") from exc
    except OSError as exc:  # DNS, refused connection, TLS: Slack (or the proxy) is unreachable
        raise SlackConfigError(f"cannot reach the Slack Web API at {url or 'https://slack.com/api/'} "
                               f"to check SLACK_BOT_TOKEN: {exc}") from exc

    bot = PolicyBot(assistant or Assistant())
    app.policy_bot = bot
    app.policy_signing_secret = secret  # checked by the HTTP endpoint before Bolt parses  # the bot's state (seen events, thread memory), for tests and operators

    @app.middleware
    def skip_redeliveries(req: BoltRequest, body: dict, next: Callable[[], BoltResponse]):
        """Acknowledge Slack's retries and redelivered events without answering again."""
        retry = req.headers.get("x-slack-retry-num")
        if retry:
            # A retry means Slack missed our acknowledgement; the first delivery is already
            # being answered, possibly by another process, so this one only acknowledges.
            reason = (req.headers.get("x-slack-retry-reason") or ["?"])[0]
            log.info("Slack retry %s of event %s (%s): acknowledged, not answered again",
                     retry[0], body.get("event_id"), reason)
            return BoltResponse(status=200, body="")
        event_id = body.get("event_id")
        if event_id and not bot.seen.add(f"event:{event_id}"):
            log.info("event %s delivered again: acknowledged, not answered again", event_id)
            return BoltResponse(status=200, body="")
        return next()

    @app.event("app_mention")
    def on_mention(event: dict, client: WebClient, context) -> None:
        if is_direct(event):
            return  # a direct message is answered once, as a message.im event
        bot.on_message(event, client, context.bot_user_id, context.bot_id)

    @app.event("message")
    def on_message(event: dict, client: WebClient, context) -> None:
        # Only direct messages: in channels the bot answers when it is mentioned.
        if event.get("channel_type") == "im":
            bot.on_message(event, client, context.bot_user_id, context.bot_id)

    def ack_command(ack: Callable[..., object], command: dict) -> None:
        # Shown only to the user who typed the command: help, a problem, or "searching".
        ack(text=bot.question_problem(question_text(command.get("text", ""))) or SEARCHING_TEXT)

    def answer_command(command: dict, respond: Callable[..., object]) -> None:
        if not bot.question_problem(question_text(command.get("text", ""))):
            bot.on_command(command, respond)

    # Acknowledged at once (Slack's 3 s limit), answered by a lazy listener afterwards.
    app.command(SLASH_COMMAND)(ack=ack_command, lazy=[answer_command])

    @app.action(re.compile(rf"^{SHOW_CLAUSE}(_\d+)?$"))
    def on_show_clause(ack: Callable[..., object], body: dict, action: dict, client: WebClient) -> None:
        ack()
        bot.on_show_clause(body, action, client)

    return app


async def read_limited(request: Request, limit: int = MAX_EVENT_BYTES) -> bytes | None:
    """The request body, or None as soon as it passes ``limit`` bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return None
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            return None
    return bytes(body)


def signature_problem(headers, body: bytes, secret: str, now: float | None = None) -> str | None:
    """Why a request is not signed by Slack with ``secret`` (None when it is).

    Slack signs ``v0:<timestamp>:<body>`` with HMAC-SHA256; a timestamp more than five
    minutes away from now is refused, so a captured request cannot be replayed.
    """
    timestamp = headers.get("x-slack-request-timestamp", "")
    signature = headers.get("x-slack-signature", "")
    if not timestamp or not signature:
        return "missing X-Slack-Request-Timestamp or X-Slack-Signature"
    if not timestamp.isdigit():
        return "X-Slack-Request-Timestamp is not a number of seconds"
    if abs((now or time.time()) - int(timestamp)) > 300:
        return "X-Slack-Request-Timestamp is more than five minutes away from now"
    base = b"v0:" + timestamp.encode() + b":" + body
    expected = "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, signature):
        return "the signature does not match"
    return None


def events_endpoint(app: App) -> Callable[[Request], Awaitable[Response]]:
    """A Starlette/FastAPI endpoint that hands Slack's HTTP requests to ``app``.

    :func:`events_route` wraps it in a route for the main API. The body is read up to
    :data:`MAX_EVENT_BYTES` (413 beyond) and its signature checked (401) before Bolt parses
    it; the work runs in the thread pool so answering never blocks the event loop.
    """
    secret = app.policy_signing_secret

    async def slack_events(request: Request) -> Response:
        body = await read_limited(request)
        if body is None:
            return JSONResponse({"detail": f"the request body is larger than the limit of "
                                           f"{MAX_EVENT_BYTES} bytes"}, status_code=413)
        problem = signature_problem(request.headers, body, secret)
        if problem:
            log.info("refused a Slack request from %s: %s",
                     request.client.host if request.client else "?", problem)
            return JSONResponse({"detail": f"not a signed Slack request: {problem}"}, status_code=401)
        bolt_response = await run_in_threadpool(app.dispatch, to_bolt_request(request, body))
        return to_starlette_response(bolt_response)

    return slack_events


def events_route(app: App, path: str = EVENTS_PATH) -> Route:
    """The POST route for ``app``, to add to a Starlette or FastAPI app.

    The main API serves its web page from a mount at ``/``, which matches every path, so the
    route goes first: ``api.router.routes.insert(0, events_route(create_app(assistant)))``.
    """
    return Route(path, events_endpoint(app), methods=["POST"], include_in_schema=False)


def create_asgi_app(app: App, path: str = EVENTS_PATH) -> Starlette:
    """An ASGI app serving ``app`` at ``path`` (POST) and ``/healthz``, for HTTP mode."""

    async def healthz(_request: Request) -> Response:
        return PlainTextResponse("ok")

    return Starlette(routes=[events_route(app, path), Route("/healthz", healthz, methods=["GET"])])


def run(http: bool = False, port: int = 3000, host: str = "127.0.0.1") -> None:
    """Run the Slack bot until interrupted.

    Socket Mode when ``SLACK_APP_TOKEN`` is set and ``http`` is false; otherwise an HTTP
    server on ``host:port`` receiving events, commands and button clicks at ``/slack/events``.
    The index is loaded (and on a fresh checkout built) before the first event arrives.
    """
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app_token = os.environ.get("SLACK_APP_TOKEN")
    socket_mode = bool(app_token) and not http
    if not socket_mode and not os.environ.get("SLACK_SIGNING_SECRET"):
        raise SlackConfigError(
            "SLACK_SIGNING_SECRET is not set: HTTP mode verifies every request with it (Basic "
            "Information → App Credentials); or set SLACK_APP_TOKEN to use Socket Mode")
    if not os.environ.get("SLACK_BOT_TOKEN"):
        raise SlackConfigError("SLACK_BOT_TOKEN is not set: copy the Bot User OAuth Token "
                               "(xoxb-…) from the Slack app's OAuth & Permissions page")
    assistant = Assistant()
    assistant.check_llm()  # a misconfigured model stops the start, not the first answer
    log.info("loading the index (the first start indexes %s)", assistant.settings.corpus_dir)
    assistant.ensure_index()
    log.info("index ready: %d clauses", assistant.store.count())
    app = create_app(assistant)
    if socket_mode:
        from slack_bolt.adapter.socket_mode import SocketModeHandler

        log.info("connecting to Slack in Socket Mode")
        SocketModeHandler(app, app_token).start()
        return
    import uvicorn

    log.info("receiving Slack requests on http://%s:%d%s", host, port, EVENTS_PATH)
    uvicorn.run(create_asgi_app(app), host=host, port=port, log_level="info",
                timeout_graceful_shutdown=5)

"""``POST /api/ask`` and ``POST /api/ask/stream``: answers with citations."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from typing import Literal

from fastapi import APIRouter, Depends
from fastapi.concurrency import iterate_in_threadpool, run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field
from sse_starlette.sse import EventSourceResponse

from ..service import Assistant
from ..types import Answer, Filters, Understood
from .common import get_assistant

log = logging.getLogger(__name__)

#: Largest JSON body of the question routes: a question is at most a few thousand characters.
MAX_JSON_BYTES = 64 * 1024

router = APIRouter(prefix="/api", tags=["assistant"])


class Turn(BaseModel):
    """One earlier turn of the conversation."""

    role: Literal["user", "assistant"]
    content: str = Field(max_length=20_000)


class FiltersIn(BaseModel):
    """Optional limits on what is retrieved."""

    model_config = ConfigDict(extra="forbid")

    doc_ids: list[str] | None = Field(None, max_length=200, description="Only these documents.")
    level: str | None = Field(None, description="national, province, city or county.")
    status: str | None = Field(
        None, description="The documents' status on as_of: in_force, expired, not_yet, draft, "
                          "superseded or unknown (final: any document issued in final form).")

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
    as_of: str | None = Field(None, description="The date statuses are read on, YYYY-MM-DD "
                                                "(default: today): the status filter and each "
                                                "citation's status.")
    history: list[Turn] | None = Field(
        None, max_length=100, description="Earlier turns, oldest first, for follow-up questions."
    )

    def history_dicts(self) -> list[dict] | None:
        """The history as ``[{role, content}]``."""
        return [t.model_dump() for t in self.history] if self.history else None


def sse(events: AsyncIterator[dict]) -> EventSourceResponse:
    """A server-sent-events response (no-store, unbuffered by proxies, pinged every 15 s)."""
    return EventSourceResponse(events, sep="\n", ping=15)


async def stream_answer(assistant: Assistant, question: str, k: int | None,
                        filters: Filters | None, history: list[dict] | None,
                        as_of: str | None = None) -> AsyncIterator[str | Understood | Answer]:
    """The question as understood (a follow-up only), text pieces as the composer produces
    them (a language model's verified sentences), then the finished answer; each step runs in
    a worker thread."""
    items = assistant.ask_stream(question, k=k, filters=filters, history=history or None, as_of=as_of)
    async for item in iterate_in_threadpool(items):
        yield item


def check_request(assistant: Assistant, question: str, filters: Filters | None,
                  history: list[dict] | None, as_of: str | None = None) -> None:
    """Every check a question passes before it is answered (:class:`QuestionError` if not),
    so that a stream starts only for a question that can be answered."""
    assistant.check_question(question)
    assistant.cap_history(history)
    assistant.ensure_index()
    assistant.check_filters(filters)
    assistant.check_as_of(as_of)


@router.post("/ask", summary="Answer a question with citations")
def ask_route(body: AskRequest, assistant: Assistant = Depends(get_assistant)) -> dict:
    """The answer in the shape of ``assistant ask --json``."""
    filters = body.filters.to_filters() if body.filters else None
    # By keyword: the service's signature may grow.
    return assistant.ask(body.question, k=body.k, filters=filters,
                         history=body.history_dicts(), as_of=body.as_of).public()


@router.post("/ask/stream", summary="Answer a question as server-sent events")
async def ask_stream(body: AskRequest, assistant: Assistant = Depends(get_assistant)) -> EventSourceResponse:
    """``delta`` events carry the answer text piece by piece (``{"text": …}``); the last
    event, ``answer``, carries the whole answer with its citations. A follow-up made
    standalone from the history first gets an ``understood`` event (``{"question": …}``). A
    failure after the stream started is an ``error`` event (``{"detail": …}``).
    """
    history = body.history_dicts()
    filters = body.filters.to_filters() if body.filters else None
    # A bad question, filter or history is a 4xx, not a stream.
    await run_in_threadpool(check_request, assistant, body.question, filters, history, body.as_of)

    async def events() -> AsyncIterator[dict]:
        try:
            async for item in stream_answer(assistant, body.question, body.k, filters, history, body.as_of):
                if isinstance(item, Answer):
                    yield {"event": "answer", "data": json.dumps(item.public(), ensure_ascii=False)}
                elif isinstance(item, Understood):
                    yield {"event": "understood",
                           "data": json.dumps({"question": item.question}, ensure_ascii=False)}
                else:
                    yield {"event": "delta", "data": json.dumps({"text": item}, ensure_ascii=False)}
                await asyncio.sleep(0)  # let each piece go out on its own
        except Exception as exc:
            log.exception("answering a streamed question failed")
            yield {"event": "error", "data": json.dumps({"detail": str(exc)}, ensure_ascii=False)}

    return sse(events())

"""``POST /v1/chat/completions`` and ``GET /v1/models``: an OpenAI-compatible front.

The last user message is the question, earlier user and assistant turns are the history.
Replies end with a numbered source list (来源：) and carry the citations in a top-level
``citations`` field. The one model is ``policy-assistant``; another name is answered as OpenAI
answers it (404, ``model_not_found``). System and tool messages are read by no one: answers
come from the documents only, in Chinese, whatever a system message asks (its language, tone
or persona). ``usage`` counts characters, not tokens (no language model is involved):
``prompt_tokens`` the characters of the question and the history used, ``completion_tokens``
those of the reply's content.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Depends
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from ..service import Assistant, QuestionError
from ..types import Answer, Understood
from .ask import check_request, sse, stream_answer
from .common import get_assistant, openai_error

log = logging.getLogger(__name__)

#: The model name the OpenAI-compatible front reports.
MODEL_ID = "policy-assistant"
#: OpenAI clients resend the whole conversation, source lists included, on every turn.
MAX_CHAT_BYTES = 256 * 1024
SOURCES_HEADING = "来源："

router = APIRouter(prefix="/v1", tags=["openai"])


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


class StreamOptions(BaseModel):
    """OpenAI's ``stream_options``: ``include_usage`` adds a last chunk with the usage."""

    model_config = ConfigDict(extra="allow")

    include_usage: bool = False


class ChatRequest(BaseModel):
    """An OpenAI chat-completions request; sampling parameters are accepted and ignored, and so
    are system messages (answers come from the documents only)."""

    model_config = ConfigDict(extra="allow")

    model: str | None = Field(None, description=f"{MODEL_ID} (the only model; another is 404).")
    messages: list[ChatMessage] = Field(min_length=1, max_length=500)
    stream: bool = False
    stream_options: StreamOptions | None = None


def usage(question: str, history: list[dict], reply: str) -> dict:
    """OpenAI's ``usage``, counted in characters: the question and history read, the reply."""
    prompt = len(question) + sum(len(turn["content"]) for turn in history)
    return {"prompt_tokens": prompt, "completion_tokens": len(reply),
            "total_tokens": prompt + len(reply)}


def unknown_model(name: str | None) -> JSONResponse | None:
    """OpenAI's answer to a model it does not serve (None for this assistant or no name)."""
    if name is None or name == MODEL_ID:
        return None
    return openai_error(404, f"The model `{name}` does not exist; this server answers as "
                        f"`{MODEL_ID}` (GET /v1/models).", code="model_not_found", param="model")


# A piece ends after a sentence's closing punctuation and the [n] markers that follow it.
_PIECE = re.compile(r".+?(?:[。！？!?；;\n]+(?:\[\d+\])*|\Z)", re.S)


def answer_pieces(text: str) -> list[str]:
    """The answer cut after each sentence (keeping its ``[n]`` markers), for streaming."""
    return _PIECE.findall(text) if text else []


def sources_block(answer: Answer) -> str:
    """The numbered source list appended to an OpenAI-style message ('' without citations)."""
    if not answer.citations:
        return ""
    return "\n\n" + SOURCES_HEADING + "\n" + "\n".join(
        f"[{c.n}] {c.label}" + (f"【{c.status_label}】" if c.status_label else "") for c in answer.citations)


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


@router.get("/models", summary="The model list (one model: this assistant)")
def list_models() -> dict:
    """OpenAI's model list shape."""
    return {"object": "list", "data": [
        {"id": MODEL_ID, "object": "model", "created": 0, "owned_by": "policy-assistant"},
    ]}


@router.post("/chat/completions", summary="OpenAI-compatible chat completions")
async def chat_completions(body: ChatRequest, assistant: Assistant = Depends(get_assistant)):
    """The last user message is the question, earlier user and assistant turns the history;
    system messages are ignored (answers come from the documents, in Chinese).

    The message ends with a numbered source list (来源：[1] 《…》…), and the citations are
    also given as a top-level ``citations`` field (in the final chunk when streaming).
    ``usage`` counts characters: the question and history read, and the reply. A model other
    than ``policy-assistant`` is 404 ``model_not_found``.
    """
    refused = unknown_model(body.model)
    if refused is not None:
        return refused
    question, history = split_chat(body.messages)
    await run_in_threadpool(check_request, assistant, question, None, history)
    created = int(time.time())
    cid = f"chatcmpl-{uuid.uuid4().hex[:24]}"

    if not body.stream:
        answer = await run_in_threadpool(lambda: assistant.ask(question, history=history or None))
        content = answer.answer + sources_block(answer)
        return {
            "id": cid, "object": "chat.completion", "created": created, "model": MODEL_ID,
            "choices": [{"index": 0, "finish_reason": "stop", "message": {
                "role": "assistant", "content": content}}],
            "usage": usage(question, history, content),
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
            async for item in stream_answer(assistant, question, None, None, history):
                if isinstance(item, Answer):
                    answer = item
                    continue
                if isinstance(item, Understood):
                    continue  # OpenAI's stream has no place for it: the answer's text only
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
            streamed += "\n\n" + answer.answer
        if answer.citations:
            yield {"data": chunk({"content": sources_block(answer)})}
            streamed += sources_block(answer)
        yield {"data": chunk({}, "stop", citations=[c.model_dump() for c in answer.citations],
                             answered=answer.answered)}
        if body.stream_options and body.stream_options.include_usage:
            # As OpenAI sends it: one more chunk, with no choices and the usage.
            yield {"data": json.dumps({"id": cid, "object": "chat.completion.chunk",
                                       "created": created, "model": MODEL_ID, "choices": [],
                                       "usage": usage(question, history, streamed)},
                                      ensure_ascii=False)}
        yield {"data": "[DONE]"}

    return sse(events())

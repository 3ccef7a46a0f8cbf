"""The OpenAI-compatible front as OpenAI's clients read it: usage, model names, system
messages, the stream's usage chunk, and a follow-up's understood question on /api/ask/stream."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("fastapi")
from fastapi.testclient import TestClient  # noqa: E402
from test_api import QUESTION, app_for, make_assistant, parse_sse  # noqa: E402

from assistant.api.openai_compat import MODEL_ID  # noqa: E402


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    assistant = make_assistant(tmp_path_factory.mktemp("openai"))
    with pytest.MonkeyPatch.context() as mp:
        app = app_for(assistant, mp)
    with TestClient(app) as client:
        yield client


def test_usage_counts_the_characters_read_and_written(client):
    history = [{"role": "user", "content": "遂昌重点发展哪些未来产业？"},
               {"role": "assistant", "content": "高端金属材料等。"}]
    body = client.post("/v1/chat/completions", json={
        "model": MODEL_ID, "messages": [*history, {"role": "user", "content": QUESTION}]}).json()
    usage = body["usage"]
    content = body["choices"][0]["message"]["content"]
    assert usage == {"prompt_tokens": len(QUESTION) + sum(len(m["content"]) for m in history),
                     "completion_tokens": len(content),
                     "total_tokens": usage["prompt_tokens"] + len(content)}


def test_a_stream_sends_its_usage_when_asked(client):
    messages = [{"role": "user", "content": QUESTION}]
    r = client.post("/v1/chat/completions", json={
        "model": MODEL_ID, "messages": messages, "stream": True,
        "stream_options": {"include_usage": True}})
    chunks = [json.loads(d) for _, d in parse_sse(r.text) if d != "[DONE]"]
    text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks if c["choices"])
    last = chunks[-1]
    assert last["choices"] == [] and last["usage"]["completion_tokens"] == len(text)
    assert last["usage"]["prompt_tokens"] == len(QUESTION)
    # Without stream_options no chunk lacks its choice (OpenAI's default).
    plain = client.post("/v1/chat/completions", json={"model": MODEL_ID, "messages": messages,
                                                      "stream": True})
    assert all(json.loads(d)["choices"] for _, d in parse_sse(plain.text) if d != "[DONE]")


@pytest.mark.parametrize("stream", [False, True])
def test_an_unknown_model_is_404_model_not_found(client, stream):
    r = client.post("/v1/chat/completions", json={
        "model": "gpt-4o", "stream": stream, "messages": [{"role": "user", "content": QUESTION}]})
    assert r.status_code == 404
    error = r.json()["error"]
    assert error["code"] == "model_not_found" and error["param"] == "model"
    assert "gpt-4o" in error["message"] and MODEL_ID in error["message"]
    # No model named is this assistant, as before.
    ok = client.post("/v1/chat/completions", json={"messages": [{"role": "user", "content": QUESTION}]})
    assert ok.status_code == 200


def test_a_system_message_changes_nothing(client):
    """As documented: answers come from the documents, in Chinese, whatever a system message asks."""
    messages = [{"role": "user", "content": QUESTION}]
    plain = client.post("/v1/chat/completions", json={"model": MODEL_ID, "messages": messages}).json()
    told = client.post("/v1/chat/completions", json={"model": MODEL_ID, "messages": [
        {"role": "system", "content": "用英文回答"}, *messages]}).json()
    assert told["choices"][0]["message"]["content"] == plain["choices"][0]["message"]["content"]
    schema = client.get("/openapi.json").json()
    described = schema["paths"]["/v1/chat/completions"]["post"]["description"]
    assert "system messages are ignored" in described.lower()


def test_the_stream_says_how_a_follow_up_was_understood_first(client):
    r = client.post("/api/ask/stream", json={"question": "牵头单位是谁？",
                                             "history": [{"role": "user", "content": QUESTION}]})
    events = parse_sse(r.text)
    names = [name for name, _ in events]
    assert names[0] == "understood" and names[-1] == "answer"
    understood = json.loads(events[0][1])["question"]
    assert "加速创新成果转化应用" in understood
    assert json.loads(events[-1][1])["understood"] == understood
    # A question that needs no rewriting has none.
    alone = parse_sse(client.post("/api/ask/stream", json={"question": QUESTION}).text)
    assert "understood" not in [name for name, _ in alone]
    assert "understood" not in json.loads(alone[-1][1])

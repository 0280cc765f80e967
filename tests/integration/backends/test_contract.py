"""The Backend contract, held by every backend against its loopback fake.

Each test asserts on what crosses the boundary: the request the fake received
and the OpenAI-shaped values the backend returns.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

import anyio
import pytest
from backend_cases import KINDS, Case, backend_for, fake_for

from fakes import FakeLlamaCpp, Fault, Reply, ToolCall
from smarterrouter.backends.base import ChatRequest, EmbedRequest, ManagedBackend
from smarterrouter.errors import BackendError, BackendTimeout, BackendUnavailable

pytestmark = pytest.mark.anyio

QUESTION = "Name three colors."
WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather in a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
    },
}


def chat_request(case: Case, **extra: Any) -> ChatRequest:
    body = {"model": "smarterrouter/main", "messages": [{"role": "user", "content": QUESTION}]}
    return ChatRequest(model=case.chat_model, body={**body, **extra})


async def collect(chunks: AsyncIterator[dict[str, Any]]) -> list[dict[str, Any]]:
    async with contextlib.aclosing(chunks) as stream:
        return [chunk async for chunk in stream]


def content_of(chunks: list[dict[str, Any]]) -> str:
    return "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"])


def tool_calls_of(chunks: list[dict[str, Any]]) -> dict[int, dict[str, str]]:
    """Tool-call deltas reassembled by index, as OpenAI clients do."""
    calls: dict[int, dict[str, str]] = {}
    for chunk in chunks:
        for delta in (
            (chunk["choices"][0]["delta"].get("tool_calls") or []) if chunk["choices"] else []
        ):
            call = calls.setdefault(delta["index"], {"name": "", "arguments": ""})
            function = delta.get("function") or {}
            call["name"] += function.get("name") or ""
            call["arguments"] += function.get("arguments") or ""
    return calls


def finish_reasons(chunks: list[dict[str, Any]]) -> list[str]:
    return [
        c["choices"][0]["finish_reason"]
        for c in chunks
        if c["choices"] and c["choices"][0]["finish_reason"]
    ]


async def test_list_models_gives_native_names_and_capabilities(case: Case) -> None:
    models = {m.name: m for m in await case.backend.list_models()}
    assert {case.chat_model, case.embed_model} <= models.keys()
    assert {m.backend for m in models.values()} == {case.kind}
    assert not any(name.startswith(case.backend.prefix) for name in models)
    assert "chat" in models[case.chat_model].capabilities
    assert models[case.embed_model].capabilities == frozenset({"embedding"})


async def test_chat_returns_a_completion(case: Case) -> None:
    answer = await case.backend.chat(chat_request(case, temperature=0))
    assert answer["object"] == "chat.completion"
    (choice,) = answer["choices"]
    assert choice["message"]["role"] == "assistant"
    assert choice["message"]["content"] == case.fake.reply.content
    assert choice["finish_reason"] == "stop"
    usage = answer["usage"]
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"] > 0
    sent = case.last(case.chat_path).json
    assert sent["model"] == case.chat_model
    assert sent["messages"][-1]["content"] == QUESTION
    assert sent["stream"] is False


async def test_stream_yields_chunks_in_order(case: Case) -> None:
    chunks = await collect(case.backend.stream_chat(chat_request(case, stream=True)))
    assert {c["object"] for c in chunks} == {"chat.completion.chunk"}
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    assert content_of(chunks) == case.fake.reply.content
    assert finish_reasons(chunks) == ["stop"]
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop"
    assert case.last(case.chat_path).json["stream"] is True


async def test_stream_with_include_usage_ends_with_a_usage_chunk(case: Case) -> None:
    req = chat_request(case, stream=True, stream_options={"include_usage": True})
    chunks = await collect(case.backend.stream_chat(req))
    assert chunks[-1]["choices"] == []
    assert chunks[-1]["usage"]["total_tokens"] > 0
    assert content_of(chunks) == case.fake.reply.content


async def test_stream_chunks_arrive_before_the_stream_ends(case: Case) -> None:
    # The fake holds the stream after two chunks: a backend that buffered the
    # whole answer would never yield the first chunk.
    case.fake.inject(Fault(pause_after=2, path=case.chat_path))
    stream = case.backend.stream_chat(chat_request(case, stream=True))
    async with contextlib.aclosing(stream):
        with anyio.fail_after(5):
            first = await anext(stream)
        assert first["choices"][0]["delta"]["role"] == "assistant"
        case.fake.resume()
        rest = [chunk async for chunk in stream]
    assert content_of([first, *rest]) == case.fake.reply.content


async def test_stream_closed_early_leaves_the_backend_usable(case: Case) -> None:
    stream = case.backend.stream_chat(chat_request(case, stream=True))
    async with contextlib.aclosing(stream):
        await anext(stream)
    answer = await case.backend.chat(chat_request(case))
    assert answer["choices"][0]["message"]["content"] == case.fake.reply.content


async def test_tool_calls_come_back_in_openai_shape(case: Case) -> None:
    case.fake.reply = Reply(content="", tool_calls=(ToolCall("get_weather", {"city": "Paris"}),))
    answer = await case.backend.chat(chat_request(case, tools=[WEATHER_TOOL]))
    (choice,) = answer["choices"]
    assert choice["finish_reason"] == "tool_calls"
    (call,) = choice["message"]["tool_calls"]
    assert call["id"]
    assert call["type"] == "function"
    assert call["function"]["name"] == "get_weather"
    assert json.loads(call["function"]["arguments"]) == {"city": "Paris"}
    assert case.last(case.chat_path).json["tools"] == [WEATHER_TOOL]


async def test_streamed_tool_calls_reassemble(case: Case) -> None:
    case.fake.reply = Reply(content="", tool_calls=(ToolCall("get_weather", {"city": "Oslo"}),))
    chunks = await collect(
        case.backend.stream_chat(chat_request(case, stream=True, tools=[WEATHER_TOOL]))
    )
    calls = tool_calls_of(chunks)
    assert calls[0]["name"] == "get_weather"
    assert json.loads(calls[0]["arguments"]) == {"city": "Oslo"}
    assert finish_reasons(chunks) == ["tool_calls"]


async def test_embeddings(case: Case) -> None:
    req = EmbedRequest(model=case.embed_model, body={"model": "x", "input": ["first", "second"]})
    answer = await case.backend.embed(req)
    assert answer["object"] == "list"
    assert [d["index"] for d in answer["data"]] == [0, 1]
    for item in answer["data"]:
        assert item["embedding"]
        assert all(isinstance(v, float) for v in item["embedding"])
    sent = case.last(case.embed_path).json
    assert (sent["model"], sent["input"]) == (case.embed_model, ["first", "second"])


async def test_upstream_500_is_a_retryable_backend_error(case: Case) -> None:
    case.fake.inject(Fault(status=500, message="GPU fell over", path=case.chat_path))
    with pytest.raises(BackendError) as caught:
        await case.backend.chat(chat_request(case))
    assert caught.value.retryable is True
    assert caught.value.upstream_status == 500
    assert "GPU fell over" in caught.value.message
    assert caught.value.backend == case.kind


async def test_upstream_400_is_not_retryable(case: Case) -> None:
    case.fake.inject(Fault(status=400, message="context too long", path=case.chat_path))
    with pytest.raises(BackendError) as caught:
        await case.backend.chat(chat_request(case))
    assert caught.value.retryable is False
    assert caught.value.upstream_status == 400
    assert "context too long" in caught.value.message


async def test_stream_refused_raises_before_any_chunk(case: Case) -> None:
    case.fake.inject(Fault(status=503, message="busy", path=case.chat_path))
    got: list[dict[str, Any]] = []
    with pytest.raises(BackendError, match="busy") as caught:
        async with contextlib.aclosing(
            case.backend.stream_chat(chat_request(case, stream=True))
        ) as s:
            async for chunk in s:
                got.append(chunk)
    assert got == []
    assert caught.value.retryable is True


async def test_dying_mid_stream_raises_after_earlier_chunks(case: Case) -> None:
    case.fake.inject(Fault(die_after=3, path=case.chat_path))
    got: list[dict[str, Any]] = []
    with pytest.raises(BackendError) as caught:
        async with contextlib.aclosing(
            case.backend.stream_chat(chat_request(case, stream=True))
        ) as s:
            async for chunk in s:
                got.append(chunk)
    assert got
    assert got[0]["choices"][0]["delta"]["role"] == "assistant"
    assert finish_reasons(got) == []
    assert caught.value.retryable is True


async def test_error_event_mid_stream_raises_with_its_message(case: Case) -> None:
    case.fake.inject(Fault(error_after=2, message="slot 0 crashed", path=case.chat_path))
    got: list[dict[str, Any]] = []
    with pytest.raises(BackendError, match="slot 0 crashed"):
        async with contextlib.aclosing(
            case.backend.stream_chat(chat_request(case, stream=True))
        ) as s:
            async for chunk in s:
                got.append(chunk)
    assert got


async def test_closed_connection_without_answer_is_a_backend_error(case: Case) -> None:
    case.fake.inject(Fault(close=True, path=case.chat_path))
    with pytest.raises(BackendError) as caught:
        await case.backend.chat(chat_request(case))
    assert caught.value.retryable is True


async def test_slow_upstream_is_a_backend_timeout(case: Case) -> None:
    case.fake.inject(Fault(delay=1.0, path=case.chat_path))
    backend = backend_for(case.kind, case.fake.url, read_timeout=0.2)
    try:
        with pytest.raises(BackendTimeout) as caught:
            await backend.chat(chat_request(case))
    finally:
        await backend.aclose()
    assert caught.value.retryable is True


async def test_health(case: Case) -> None:
    await case.backend.health()


@pytest.mark.parametrize("kind", KINDS)
async def test_connection_refused_is_backend_unavailable(kind: str, closed_port_url: str) -> None:
    backend = backend_for(kind, closed_port_url)
    try:
        with pytest.raises(BackendUnavailable) as caught:
            await backend.list_models()
        assert caught.value.retryable is True
        with pytest.raises(BackendUnavailable):
            await backend.health()
        req = ChatRequest(model="m", body={"messages": [{"role": "user", "content": "hi"}]})
        with pytest.raises(BackendUnavailable):
            await collect(backend.stream_chat(req))
    finally:
        await backend.aclose()


# --- managed backends --------------------------------------------------------


MANAGED_MODEL = {"ollama": "llama3.2:3b", "llamacpp": "gemma-copy", "llamaswap": "llama-3.2-3b"}
# llama-swap reports no sizes: the memory manager estimates its models' footprints.
REPORTS_SIZES = {"ollama", "llamacpp"}


@pytest.fixture(params=list(MANAGED_MODEL))
async def managed(request: pytest.FixtureRequest) -> AsyncIterator[tuple[ManagedBackend, str]]:
    kind: str = request.param
    fake = FakeLlamaCpp("router", load_delay=0.1) if kind == "llamacpp" else fake_for(kind)
    with fake:
        backend = backend_for(kind, fake.url)
        assert isinstance(backend, ManagedBackend)
        model = MANAGED_MODEL[kind]
        try:
            yield backend, model
        finally:
            await backend.aclose()


async def test_load_then_loaded_then_unload(managed: tuple[ManagedBackend, str]) -> None:
    backend, model = managed
    assert model not in {m.name for m in await backend.loaded()}
    await backend.load(model)
    loaded = {m.name: m for m in await backend.loaded()}
    assert model in loaded
    assert isinstance(loaded[model].size_bytes, int) == (backend.name in REPORTS_SIZES)
    await backend.unload(model)
    assert model not in {m.name for m in await backend.loaded()}


async def test_load_and_unload_are_idempotent(managed: tuple[ManagedBackend, str]) -> None:
    backend, model = managed
    await backend.load(model)
    await backend.load(model)
    await backend.unload(model)
    await backend.unload(model)
    assert model not in {m.name for m in await backend.loaded()}


async def test_loading_an_unknown_model_is_not_retryable(
    managed: tuple[ManagedBackend, str],
) -> None:
    backend, _ = managed
    with pytest.raises(BackendError) as caught:
        await backend.load("no-such-model")
    error = caught.value
    assert error.retryable is False
    # The server's own "not found", or (llama-swap, which has none) the backend's check.
    assert error.upstream_status == 404 or "does not serve 'no-such-model'" in str(error)

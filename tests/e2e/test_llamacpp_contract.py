"""The backend contract, against a REAL llama-server in router mode.

The same promises the loopback contract suite (tests/integration/backends)
checks against the fakes, minus the injected faults: discovery, chat, streams,
embeddings, refusals, and load/unload. What a real model says is only checked
where these models are reliable (deterministic at temperature 0).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import pytest
from llama_server import ModelIds, ServerProcess

from smarterrouter.backends.base import ChatRequest, EmbedRequest
from smarterrouter.backends.http import make_client
from smarterrouter.backends.llamacpp import LlamaCppBackend
from smarterrouter.errors import BackendError

pytestmark = [pytest.mark.e2e, pytest.mark.anyio]


@pytest.fixture
async def backend(llama_router: ServerProcess) -> AsyncIterator[LlamaCppBackend]:
    client = make_client(llama_router.url, read_timeout=300)
    backend = LlamaCppBackend("real", client, prefix="p/", load_timeout=300)
    try:
        yield backend
    finally:
        await backend.aclose()


def ask(model: str, text: str, **extra: Any) -> ChatRequest:
    body = {
        "messages": [{"role": "user", "content": text}],
        "max_tokens": 6,
        "temperature": 0,
        **extra,
    }
    return ChatRequest(model, body)


async def collect(stream: AsyncIterator[dict[str, Any]]) -> list[dict[str, Any]]:
    return [chunk async for chunk in stream]


async def test_discovery(backend: LlamaCppBackend, llama_model_ids: ModelIds) -> None:
    models = {m.name: m for m in await backend.list_models()}
    assert backend.router_mode is True
    assert set(models) == {
        llama_model_ids.small_chat,
        llama_model_ids.large_chat,
        llama_model_ids.tiny_chat,
        llama_model_ids.embedding,
    }
    assert {m.backend for m in models.values()} == {"real"}
    assert models[llama_model_ids.embedding].capabilities == frozenset({"embedding"})
    assert "chat" in models[llama_model_ids.tiny_chat].capabilities


async def test_chat(backend: LlamaCppBackend, llama_model_ids: ModelIds) -> None:
    question = "What is the capital of France? One word."
    answer = await backend.chat(ask(llama_model_ids.small_chat, question))
    assert answer["object"] == "chat.completion"
    (choice,) = answer["choices"]
    assert "paris" in choice["message"]["content"].lower()
    usage = answer["usage"]
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"] > 0


async def test_stream_in_order_with_usage(
    backend: LlamaCppBackend, llama_model_ids: ModelIds
) -> None:
    req = ask(
        llama_model_ids.tiny_chat,
        "Count: 1, 2, 3,",
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = await collect(backend.stream_chat(req))
    assert {c["object"] for c in chunks} == {"chat.completion.chunk"}
    assert chunks[0]["choices"][0]["delta"].get("role") == "assistant"
    texts = [c["choices"][0]["delta"].get("content") for c in chunks if c["choices"]]
    assert len([t for t in texts if t]) >= 2
    reasons = [c["choices"][0]["finish_reason"] for c in chunks if c["choices"]]
    assert reasons[-1] == "length"
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]["completion_tokens"] == 6


async def test_stream_closed_early_leaves_the_backend_usable(
    backend: LlamaCppBackend, llama_model_ids: ModelIds
) -> None:
    stream = backend.stream_chat(ask(llama_model_ids.tiny_chat, "Hello", stream=True))
    async with contextlib.aclosing(stream):
        await anext(stream)
    answer = await backend.chat(ask(llama_model_ids.tiny_chat, "Hello"))
    assert answer["choices"][0]["message"]["content"]


async def test_embeddings(backend: LlamaCppBackend, llama_model_ids: ModelIds) -> None:
    body = {"input": ["one", "two"]}
    answer = await backend.embed(EmbedRequest(llama_model_ids.embedding, body))
    assert [d["index"] for d in answer["data"]] == [0, 1]
    assert all(len(d["embedding"]) == 384 for d in answer["data"])


async def test_an_unknown_model_is_refused_and_not_retryable(backend: LlamaCppBackend) -> None:
    with pytest.raises(BackendError) as caught:
        await backend.chat(ask("no-such-model", "hi"))
    assert caught.value.retryable is False
    assert caught.value.upstream_status in (400, 404)


async def test_load_loaded_unload(start_llama_router: Any, llama_model_ids: ModelIds) -> None:
    server: ServerProcess = start_llama_router(models_max=2)
    backend = LlamaCppBackend("real", make_client(server.url, read_timeout=300), load_timeout=300)
    model = llama_model_ids.tiny_chat
    try:
        assert model not in {m.name for m in await backend.loaded()}
        await backend.load(model)
        await backend.load(model)  # already loaded: a no-op
        loaded = {m.name: m for m in await backend.loaded()}
        assert model in loaded
        await backend.unload(model)
        await backend.unload(model)  # not loaded: a no-op
        assert model not in {m.name for m in await backend.loaded()}
    finally:
        await backend.aclose()

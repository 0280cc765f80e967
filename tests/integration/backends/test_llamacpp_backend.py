"""LlamaCppBackend against recorded llama-server answers: both modes, load and unload."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from fakes import FakeLlamaCpp
from fakes.recordings import load_recording
from smarterrouter.backends.base import ChatRequest, EmbedRequest
from smarterrouter.backends.http import make_client
from smarterrouter.backends.llamacpp import LlamaCppBackend
from smarterrouter.errors import BackendError, BackendTimeout

pytestmark = pytest.mark.anyio

GEMMA_FILE = "models/gemma-3-270m-q4_k_m.gguf"
HI = {"messages": [{"role": "user", "content": "Name three colors."}]}


@pytest.fixture
async def single() -> AsyncIterator[tuple[FakeLlamaCpp, LlamaCppBackend]]:
    with FakeLlamaCpp("single") as fake:
        backend = LlamaCppBackend("box", make_client(fake.url), poll_interval=0.02)
        yield fake, backend
        await backend.aclose()


async def router_backend(fake: FakeLlamaCpp, load_timeout: float = 5.0) -> LlamaCppBackend:
    return LlamaCppBackend(
        "box", make_client(fake.url), load_timeout=load_timeout, poll_interval=0.02
    )


async def test_single_mode_discovery(single: tuple[FakeLlamaCpp, LlamaCppBackend]) -> None:
    _, backend = single
    (model,) = await backend.list_models()
    assert backend.router_mode is False
    assert model.name == GEMMA_FILE
    assert model.parameter_count_b == pytest.approx(0.268098176)
    assert (model.context_length, model.quantization) == (4096, "Q4_K_M")
    assert model.loaded is True
    (loaded,) = await backend.loaded()
    assert (loaded.name, loaded.size_bytes) == (GEMMA_FILE, 246587904)


async def test_single_mode_replays_the_recorded_answer(
    single: tuple[FakeLlamaCpp, LlamaCppBackend],
) -> None:
    _, backend = single
    answer = await backend.chat(ChatRequest(model=GEMMA_FILE, body=HI))
    recorded = load_recording("llama-server", "chat_completions_nonstream.txt").json()
    assert answer == recorded  # passed through untouched, `timings` included
    stream = [c async for c in backend.stream_chat(ChatRequest(model=GEMMA_FILE, body=HI))]
    assert "".join(c["choices"][0]["delta"].get("content") or "" for c in stream) == "<|im_end|>\n<"


async def test_single_mode_cannot_unload(single: tuple[FakeLlamaCpp, LlamaCppBackend]) -> None:
    _, backend = single
    await backend.load(GEMMA_FILE)  # its one model: nothing to do
    with pytest.raises(BackendError, match="single-model") as caught:
        await backend.unload(GEMMA_FILE)
    assert caught.value.retryable is False
    with pytest.raises(BackendError, match="serves only") as other:
        await backend.load("another-model")
    assert other.value.retryable is False


async def test_single_mode_load_waits_while_the_server_loads(
    single: tuple[FakeLlamaCpp, LlamaCppBackend],
) -> None:
    fake, backend = single
    await backend.list_models()
    fake.loading_for(0.3)
    with pytest.raises(BackendError, match="Loading model") as caught:
        await backend.chat(ChatRequest(model=GEMMA_FILE, body=HI))
    assert (caught.value.upstream_status, caught.value.retryable) == (503, True)
    await backend.load(GEMMA_FILE)
    await backend.health()


async def test_single_chat_server_refuses_embeddings(
    single: tuple[FakeLlamaCpp, LlamaCppBackend],
) -> None:
    _, backend = single
    with pytest.raises(BackendError, match="--embeddings") as caught:
        await backend.embed(EmbedRequest(model=GEMMA_FILE, body={"input": "x"}))
    assert (caught.value.upstream_status, caught.value.retryable) == (501, False)


async def test_router_mode_discovery() -> None:
    with FakeLlamaCpp("router") as fake:
        backend = await router_backend(fake)
        try:
            models = {m.name: m for m in await backend.list_models()}
            assert backend.router_mode is True
            assert set(models) == {"gemma-3-270m-q4_k_m", "gemma-copy", "minilm-link"}
            assert {m.loaded for m in models.values()} == {False}
            assert await backend.loaded() == []
        finally:
            await backend.aclose()


async def test_router_load_waits_for_loaded_and_evicts_past_models_max() -> None:
    with FakeLlamaCpp("router", load_delay=0.2) as fake:
        backend = await router_backend(fake)
        try:
            await backend.load("gemma-copy")
            assert fake.status("gemma-copy") == "loaded"
            [loaded] = await backend.loaded()
            assert (loaded.name, loaded.size_bytes) == ("gemma-copy", 246587904)
            await backend.load("gemma-3-270m-q4_k_m")
            assert [m.name for m in await backend.loaded()] == ["gemma-3-270m-q4_k_m"]
            sent = fake.received("/models/load")[-1].json
            assert sent == {"model": "gemma-3-270m-q4_k_m"}
        finally:
            await backend.aclose()


async def test_router_load_times_out() -> None:
    with FakeLlamaCpp("router", load_delay=5.0) as fake:
        backend = await router_backend(fake, load_timeout=0.2)
        try:
            with pytest.raises(BackendTimeout, match="not loaded"):
                await backend.load("gemma-copy")
        finally:
            await backend.aclose()


async def test_router_keeps_meta_of_a_model_after_unloading_it() -> None:
    with FakeLlamaCpp("router") as fake:
        backend = await router_backend(fake)
        try:
            await backend.load("gemma-copy")
            await backend.list_models()
            await backend.unload("gemma-copy")
            models = {m.name: m for m in await backend.list_models()}
            assert models["gemma-copy"].loaded is False
            assert models["gemma-copy"].parameter_count_b == pytest.approx(0.268098176)
            assert fake.received("/models/unload")[-1].json == {"model": "gemma-copy"}
        finally:
            await backend.aclose()


async def test_router_preset_embeddings_model() -> None:
    with FakeLlamaCpp("router-preset", models_max=2) as fake:
        backend = await router_backend(fake)
        try:
            models = {m.name: m for m in await backend.list_models()}
            assert models["minilm-embed"].capabilities == frozenset({"embedding"})
            assert models["minilm-embed"].loaded is True
            answer = await backend.embed(EmbedRequest(model="minilm-embed", body={"input": "a"}))
            assert len(answer["data"][0]["embedding"]) == 384
            with pytest.raises(BackendError, match="--embeddings"):
                await backend.embed(EmbedRequest(model="gemma-chat", body={"input": "a"}))
        finally:
            await backend.aclose()

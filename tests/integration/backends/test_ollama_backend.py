"""OllamaBackend: what reaches Ollama's native API, and what comes back."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from fakes import FakeOllama
from smarterrouter.backends.base import ChatRequest
from smarterrouter.backends.http import make_client
from smarterrouter.backends.ollama import OllamaBackend
from smarterrouter.errors import BackendError, InvalidRequest

pytestmark = pytest.mark.anyio

PNG = "iVBORw0KGgoAAAANSUhEUg=="


@pytest.fixture
async def backend(fake_ollama: FakeOllama) -> AsyncIterator[OllamaBackend]:
    backend = OllamaBackend("ollama", make_client(fake_ollama.url), keep_alive="30m")
    yield backend
    await backend.aclose()


async def test_models_from_tags_and_show(backend: OllamaBackend, fake_ollama: FakeOllama) -> None:
    models = {m.name: m for m in await backend.list_models()}
    llama = models["llama3.2:3b"]
    assert (llama.family, llama.quantization, llama.context_length) == ("llama", "Q4_K_M", 131072)
    assert llama.parameter_count_b == pytest.approx(3.212749888)
    assert llama.capabilities == frozenset({"chat", "tools"})
    assert models["llava:7b"].capabilities == frozenset({"chat", "vision"})
    assert models["nomic-embed-text:latest"].capabilities == frozenset({"embedding"})
    shown = len(fake_ollama.received("/api/show"))
    await backend.list_models()
    assert len(fake_ollama.received("/api/show")) == shown  # cached per digest


async def test_request_reaches_ollama_translated(
    backend: OllamaBackend, fake_ollama: FakeOllama
) -> None:
    body = {
        "messages": [
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "What is this?"},
                    {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG}"}},
                ],
            }
        ],
        "temperature": 0.1,
        "max_tokens": 64,
        "response_format": {"type": "json_object"},
    }
    await backend.chat(ChatRequest(model="llava:7b", body=body))
    sent = fake_ollama.received("/api/chat")[-1].json
    assert sent == {
        "model": "llava:7b",
        "messages": [{"role": "user", "content": "What is this?", "images": [PNG]}],
        "stream": False,
        "format": "json",
        "options": {"temperature": 0.1, "num_predict": 64},
        "keep_alive": "30m",
    }


async def test_num_predict_cut_finishes_with_length(backend: OllamaBackend) -> None:
    req = ChatRequest(
        model="llama3.2:3b", body={"messages": [{"role": "user", "content": "x"}], "max_tokens": 2}
    )
    answer = await backend.chat(req)
    assert answer["choices"][0]["finish_reason"] == "length"
    assert answer["choices"][0]["message"]["content"] == "Paris is "
    chunks = [c async for c in backend.stream_chat(req)]
    assert chunks[-1]["choices"][0]["finish_reason"] == "length"


async def test_linked_image_is_refused_before_anything_is_sent(
    backend: OllamaBackend, fake_ollama: FakeOllama
) -> None:
    part = {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}}
    req = ChatRequest(model="llava:7b", body={"messages": [{"role": "user", "content": [part]}]})
    with pytest.raises(InvalidRequest):
        await backend.chat(req)
    assert fake_ollama.received("/api/chat") == []


async def test_load_and_unload_use_keep_alive(
    backend: OllamaBackend, fake_ollama: FakeOllama
) -> None:
    await backend.load("llama3.2:3b")
    [loaded] = await backend.loaded()
    assert (loaded.name, loaded.size_bytes, loaded.vram_bytes) == (
        "llama3.2:3b",
        2_519_393_189,
        2_019_393_189,
    )
    await backend.unload("llama3.2:3b")
    sent = [r.json for r in fake_ollama.received("/api/generate")]
    assert sent == [
        {"model": "llama3.2:3b", "stream": False, "keep_alive": "30m"},
        {"model": "llama3.2:3b", "keep_alive": 0, "stream": False},
    ]
    assert await backend.loaded() == []


TOOLS = [{"type": "function", "function": {"name": "now", "parameters": {}}}]


async def test_offered_tools_are_withheld_from_a_model_without_tool_support(
    backend: OllamaBackend, fake_ollama: FakeOllama
) -> None:
    await backend.list_models()
    ask = {"messages": [{"role": "user", "content": "hi"}], "tools": TOOLS}
    answer = await backend.chat(ChatRequest("llava:7b", ask))
    assert answer["choices"][0]["message"]["content"]
    await backend.chat(ChatRequest("llama3.2:3b", ask))
    to_llava, to_llama = (r.json for r in fake_ollama.received("/api/chat"))
    assert "tools" not in to_llava
    assert to_llama["tools"] == TOOLS


async def test_a_required_tool_call_is_not_withheld(backend: OllamaBackend) -> None:
    await backend.list_models()
    ask = {
        "messages": [{"role": "user", "content": "hi"}],
        "tools": TOOLS,
        "tool_choice": "required",
    }
    with pytest.raises(BackendError, match="does not support tools") as caught:
        await backend.chat(ChatRequest("llava:7b", ask))
    assert caught.value.status_code == 400

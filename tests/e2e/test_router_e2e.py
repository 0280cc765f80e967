"""SmarterRouter in front of a REAL llama-server (router mode) with real GGUF models.

The client is the official `openai` SDK. Real models are slow here, so answers are
kept to a few tokens at temperature 0, and assertions are about what the router
does (which model, what shape), plus what these models reliably say.
"""

from __future__ import annotations

import base64
import json
import math
import struct
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import openai
import pytest
from llama_server import ModelIds, ServerProcess

from smarterrouter.settings import Settings
from support.router import RouterServer

pytestmark = pytest.mark.e2e
ROUTER_MODEL = "smarterrouter/main"


def settings_for(llama: ServerProcess, tmp: Path) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        provider="llama.cpp",
        llama_cpp_url=llama.url,
        database_url=f"sqlite:///{tmp / 'router.db'}",
        # Profiling on discovery would load models of its own, beside the tests'.
        profile_on_discovery=False,
    )


@pytest.fixture(scope="module")
def router(
    llama_router: ServerProcess, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RouterServer]:
    with RouterServer(settings_for(llama_router, tmp_path_factory.mktemp("e2e"))) as server:
        yield server


@pytest.fixture(scope="module")
def client(router: RouterServer) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(base_url=router.openai_url, api_key="x", max_retries=0, timeout=300) as c:
        yield c


def test_models_are_discovered_with_their_capabilities(
    router: RouterServer, client: openai.OpenAI, llama_model_ids: ModelIds
) -> None:
    ids = [m.id for m in client.models.list()]
    assert ids[0] == ROUTER_MODEL
    assert ids[1:3] == ["smarterrouter/fast", "smarterrouter/best"]
    assert set(ids[3:]) == {
        llama_model_ids.small_chat,
        llama_model_ids.large_chat,
        llama_model_ids.tiny_chat,
        llama_model_ids.embedding,
    }
    described = {m["name"]: m for m in httpx.get(f"{router.url}/admin/models").json()["models"]}
    assert described[llama_model_ids.embedding]["capabilities"] == ["embedding"]
    assert "chat" in described[llama_model_ids.large_chat]["capabilities"]
    assert described[llama_model_ids.tiny_chat]["parameters_b"] == pytest.approx(0.135, rel=0.01)


def test_easy_and_hard_prompts_go_to_different_models(
    client: openai.OpenAI, llama_model_ids: ModelIds
) -> None:
    easy = client.chat.completions.with_raw_response.create(
        model=ROUTER_MODEL,
        max_tokens=6,
        temperature=0,
        messages=[{"role": "user", "content": "Say hi."}],
    )
    hard = client.chat.completions.with_raw_response.create(
        model=ROUTER_MODEL,
        max_tokens=6,
        temperature=0,
        messages=[
            {
                "role": "user",
                "content": "Design a lock-free concurrent hash map in C++ and prove its operations "
                "are linearizable; discuss the memory-ordering trade-offs.",
            }
        ],
    )
    assert (
        easy.headers["x-smarterrouter-model"] == llama_model_ids.small_chat
    )  # the smallest big enough
    assert hard.headers["x-smarterrouter-model"] == llama_model_ids.large_chat
    for raw in (easy, hard):
        answer = raw.parse()
        assert answer.model == raw.headers["x-smarterrouter-model"]
        assert answer.usage is not None and 0 < answer.usage.completion_tokens <= 6
        assert (answer.choices[0].message.content or "").endswith(f"\nModel: {answer.model}")


def test_a_named_model_answers_correctly(client: openai.OpenAI, llama_model_ids: ModelIds) -> None:
    answer = client.chat.completions.create(
        model=llama_model_ids.small_chat,
        max_tokens=8,
        temperature=0,
        messages=[{"role": "user", "content": "What is the capital of France? One word."}],
    )
    assert "paris" in (answer.choices[0].message.content or "").lower()


def test_streaming_passes_chunks_through_and_signs_the_end(
    client: openai.OpenAI, llama_model_ids: ModelIds
) -> None:
    with client.chat.completions.with_streaming_response.create(
        model=llama_model_ids.small_chat,
        max_tokens=8,
        temperature=0,
        stream=True,
        stream_options={"include_usage": True},
        messages=[{"role": "user", "content": "Count from 1 to 5."}],
    ) as response:
        chunks = list(response.parse())
    deltas = [c.choices[0].delta.content or "" for c in chunks if c.choices]
    assert len([d for d in deltas if d]) >= 3  # token by token, not one block
    assert "".join(deltas).endswith(f"\nModel: {llama_model_ids.small_chat}")
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens > 0


def test_json_schema_output_is_valid_json(client: openai.OpenAI, llama_model_ids: ModelIds) -> None:
    schema = {
        "type": "object",
        "properties": {"answer": {"type": "integer"}},
        "required": ["answer"],
        "additionalProperties": False,
    }
    answer = client.chat.completions.create(
        model=llama_model_ids.small_chat,
        max_tokens=24,
        temperature=0,
        messages=[{"role": "user", "content": "What is 2 + 2? Reply as JSON."}],
        response_format={"type": "json_schema", "json_schema": {"name": "sum", "schema": schema}},
    )
    data = json.loads(answer.choices[0].message.content or "")
    assert data == {"answer": 4}


def _cosine(a: list[float], b: list[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    return dot / (math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b)))


def test_embeddings_are_routed_to_the_embedding_model(
    client: openai.OpenAI, llama_model_ids: ModelIds
) -> None:
    result = client.embeddings.create(
        model=ROUTER_MODEL,
        input=["The cat sits on the mat", "A kitten is resting on a rug", "Stock markets fell"],
    )
    assert result.model == llama_model_ids.embedding
    cat, kitten, stocks = (d.embedding for d in result.data)
    assert len(cat) == 384
    assert _cosine(cat, kitten) > 0.5 > _cosine(cat, stocks)


def test_embeddings_in_base64_are_the_same_vectors_as_floats(router: RouterServer) -> None:
    url = f"{router.openai_url}/embeddings"
    texts = ["one", "two", "three"]
    floats = httpx.post(url, json={"input": texts, "encoding_format": "float"}, timeout=120)
    packed = httpx.post(url, json={"input": texts, "encoding_format": "base64"}, timeout=120)
    assert floats.status_code == packed.status_code == 200
    for plain, encoded in zip(floats.json()["data"], packed.json()["data"], strict=True):
        raw = base64.b64decode(encoded["embedding"])
        decoded = struct.unpack(f"<{len(raw) // 4}f", raw)
        assert decoded == pytest.approx(plain["embedding"], abs=1e-6)
    assert [d["index"] for d in packed.json()["data"]] == [0, 1, 2]


def test_dimensions_the_backend_ignores_are_a_clear_400(router: RouterServer) -> None:
    # llama-server answers with the model's full width whatever `dimensions` says.
    answer = httpx.post(
        f"{router.openai_url}/embeddings", json={"input": "one", "dimensions": 8}, timeout=120
    )
    assert answer.status_code == 400
    error = answer.json()["error"]
    assert error["param"] == "dimensions"
    assert "cannot shorten its embeddings to 8 dimensions" in error["message"]
    assert "384" in error["message"]


def test_router_mode_loads_a_model_on_demand(
    start_llama_router: Callable[..., ServerProcess], tmp_path: Path, llama_model_ids: ModelIds
) -> None:
    llama = start_llama_router(models_max=1)

    def status(model: str) -> str:
        listing = httpx.get(f"{llama.url}/models").json()["data"]
        return str(next(m for m in listing if m["id"] == model)["status"]["value"])

    assert status(llama_model_ids.tiny_chat) == "unloaded"
    with (
        RouterServer(settings_for(llama, tmp_path)) as server,
        openai.OpenAI(base_url=server.openai_url, api_key="x", max_retries=0, timeout=300) as c,
    ):
        answer = c.chat.completions.create(
            model=llama_model_ids.tiny_chat,
            max_tokens=4,
            temperature=0,
            messages=[{"role": "user", "content": "Hello"}],
        )
    assert answer.choices[0].message.content
    assert status(llama_model_ids.tiny_chat) == "loaded"


def test_a_backend_killed_mid_stream_ends_the_stream_with_an_error(
    start_llama_router: Callable[..., ServerProcess], tmp_path: Path, llama_model_ids: ModelIds
) -> None:
    llama = start_llama_router(models_max=1)
    with (
        RouterServer(settings_for(llama, tmp_path)) as server,
        openai.OpenAI(base_url=server.openai_url, api_key="x", max_retries=0, timeout=120) as c,
    ):
        stream = c.chat.completions.create(
            model=llama_model_ids.tiny_chat,
            max_tokens=400,
            temperature=0,
            stream=True,
            messages=[{"role": "user", "content": "Write a long story about a dragon."}],
        )
        received: list[str] = []
        started = time.monotonic()
        with pytest.raises(openai.APIError):
            for chunk in stream:
                if chunk.choices and chunk.choices[0].delta.content:
                    received.append(chunk.choices[0].delta.content)
                if len(received) == 3:
                    threading.Thread(target=llama.stop, daemon=True).start()
        assert len(received) >= 3
        assert time.monotonic() - started < 60  # ended, not hung until a timeout

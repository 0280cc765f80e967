"""The semantic layer: a paraphrase in the same context gets the stored answer,
and nothing else ever does. Real vector index, real near-miss guard."""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Mapping, Sequence
from typing import Any

import pytest

from smarterrouter.cache.embedding import PromptEmbedder
from smarterrouter.cache.memory import MemoryResponseStore
from smarterrouter.cache.response import Lookup, ResponseCache
from smarterrouter.cache.semantic import PromptVector, SemanticCache
from smarterrouter.cache.vector import VectorIndex
from smarterrouter.errors import BackendError, NoCapableModel

pytestmark = pytest.mark.anyio

QUESTION = "What is the capital of France?"
PARAPHRASE = "Tell me the capital city of France."
NEAR_MISS = "What is the capital of Germany?"
# Paraphrase and near miss sit as close to the question as a real model puts them.
VECTORS: dict[str, list[float]] = {
    QUESTION: [1.0, 0.0, 0.0],
    PARAPHRASE: [0.95, 0.31, 0.0],
    NEAR_MISS: [0.97, 0.0, 0.24],
    "Something else entirely": [0.0, 0.0, 1.0],
}


def ask(text: str, **extra: Any) -> dict[str, Any]:
    history = [
        {"role": "system", "content": "Answer in one word."},
        {"role": "user", "content": text},
    ]
    return {"model": "smarterrouter/main", "messages": history, "temperature": 0, **extra}


def answer(content: str = "Paris.") -> dict[str, Any]:
    return {
        "id": "chatcmpl-up",
        "object": "chat.completion",
        "created": 1,
        "model": "qwen3:8b",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": "stop",
            }
        ],
    }


async def embed(text: str) -> PromptVector | None:
    return PromptVector.of(text, VECTORS[text], "minilm")


def make_cache(max_size: int = 10, threshold: float = 0.85) -> ResponseCache:
    semantic = SemanticCache(VectorIndex, threshold=threshold, max_size=max_size)
    store = MemoryResponseStore(max_size=max_size, ttl_seconds=60)
    return ResponseCache(store, semantic=semantic)


async def lookup(cache: ResponseCache, body: Mapping[str, Any], target: str = "main") -> Lookup:
    return await cache.lookup(body, target=target, preference=0.5, embed=embed)


async def cached(cache: ResponseCache, body: Mapping[str, Any], content: str = "Paris.") -> None:
    first = await lookup(cache, body)
    assert first.header == "miss"
    assert await cache.save(first, "qwen3:8b", answer(content))


async def test_a_paraphrase_in_the_same_context_is_a_semantic_hit() -> None:
    cache = make_cache()
    await cached(cache, ask(QUESTION))
    hit = await lookup(cache, ask(PARAPHRASE))
    assert hit.header == "hit-semantic"
    assert hit.answer is not None and hit.answer.completion()["choices"][0]["message"] == {
        "role": "assistant",
        "content": "Paris.",
    }
    assert hit.match is not None and 0.85 <= hit.match.similarity < 1
    assert not await cache.save(hit, "qwen3:8b", answer())  # a hit is never stored again
    layers = await cache.layer_stats()
    assert (layers["semantic"].hits, layers["semantic"].misses) == (1, 1)
    assert (layers["exact"].hits, layers["exact"].misses) == (0, 2)


async def test_a_near_miss_above_the_threshold_is_refused_by_the_guard() -> None:
    cache = make_cache()
    await cached(cache, ask(QUESTION))
    near = await lookup(cache, ask(NEAR_MISS))
    assert near.header == "miss" and near.answer is None
    assert cache.semantic is not None
    assert cache.semantic.refused == 1 and cache.semantic.last_refusal == "names differ"


async def test_below_the_threshold_is_a_miss() -> None:
    cache = make_cache(threshold=0.99)
    await cached(cache, ask(QUESTION))
    assert (await lookup(cache, ask(PARAPHRASE))).header == "miss"


@pytest.mark.parametrize(
    "change",
    [
        {"temperature": 0.0, "seed": 3},
        {"max_tokens": 5},
        {"response_format": {"type": "json_object"}},
        {"tools": [{"type": "function", "function": {"name": "f", "parameters": {}}}]},
        {"stop": ["."]},
    ],
    ids=["seed", "max_tokens", "response_format", "tools", "stop"],
)
async def test_a_paraphrase_with_any_other_difference_misses(change: dict[str, Any]) -> None:
    cache = make_cache()
    await cached(cache, ask(QUESTION))
    assert (await lookup(cache, ask(PARAPHRASE, **change))).header == "miss"


async def test_another_history_target_or_system_prompt_misses() -> None:
    cache = make_cache()
    await cached(cache, ask(QUESTION))
    longer = ask(PARAPHRASE)
    longer["messages"][1:1] = [
        {"role": "user", "content": "Hi"},
        {"role": "assistant", "content": "Hello!"},
    ]
    other_system = copy.deepcopy(ask(PARAPHRASE))
    other_system["messages"][0]["content"] = "Answer at length."
    assert (await lookup(cache, longer)).header == "miss"
    assert (await lookup(cache, other_system)).header == "miss"
    assert (await lookup(cache, ask(PARAPHRASE), target="best")).header == "miss"


async def test_an_answer_gone_from_the_store_is_never_served_by_meaning() -> None:
    cache = make_cache(max_size=1)
    await cached(cache, ask(QUESTION))
    await cached(cache, ask("Something else entirely"), "Other.")  # evicts the first answer
    assert (await lookup(cache, ask(PARAPHRASE))).header == "miss"
    assert cache.semantic is not None
    assert cache.semantic.stats().size == 1  # the stale entry was dropped


async def test_invalidating_a_model_removes_its_semantic_entries() -> None:
    cache = make_cache()
    await cached(cache, ask(QUESTION))
    assert await cache.forget("qwen3:8b") == {"exact": 1, "semantic": 1}
    assert (await lookup(cache, ask(PARAPHRASE))).header == "miss"


async def test_vectors_of_another_embedding_model_are_not_compared() -> None:
    cache = make_cache()
    await cached(cache, ask(QUESTION))

    async def other_model(text: str) -> PromptVector | None:
        return PromptVector.of(text, VECTORS[text], "nomic")

    other = await cache.lookup(ask(PARAPHRASE), target="main", preference=0.5, embed=other_model)
    assert other.header == "miss"


async def test_a_request_without_a_last_user_text_is_never_embedded() -> None:
    asked: list[str] = []

    async def recording(text: str) -> PromptVector | None:
        asked.append(text)
        return await embed(text)

    cache = make_cache()
    body = ask(QUESTION)
    body["messages"].append({"role": "assistant", "content": "Paris"})
    found = await cache.lookup(body, target="main", preference=0.5, embed=recording)
    assert found.header == "miss" and asked == []


def test_the_layer_is_bounded() -> None:
    layer = SemanticCache(VectorIndex, threshold=0.5, max_size=2)
    for i, text in enumerate(["a", "b", "c"]):
        vector = PromptVector.of(text, [1.0, float(i)], "m")
        assert vector is not None
        layer.add(f"key{i}", "ctx", vector, "model")
    stats = layer.stats()
    assert (stats.size, stats.evictions) == (2, 1)
    assert stats.approx_bytes > 0


def test_vectors_that_cannot_be_compared_are_refused() -> None:
    assert PromptVector.of("x", [], "m") is None
    assert PromptVector.of("x", [0.0, 0.0], "m") is None
    assert PromptVector.of("x", [float("nan"), 1.0], "m") is None
    unit = PromptVector.of("x", [3.0, 4.0], "m")
    assert unit is not None and unit.vector == (0.6, 0.8)


# --- the prompt embedder: whatever goes wrong, no vector and no exception ---


def openai_embedding(vector: Sequence[float]) -> dict[str, Any]:
    return {"object": "list", "data": [{"object": "embedding", "index": 0, "embedding": vector}]}


async def test_the_embedder_returns_a_unit_vector() -> None:
    async def embed_text(text: str) -> tuple[str, Mapping[str, Any]]:
        return "minilm", openai_embedding([0.0, 2.0])

    embedder = PromptEmbedder(embed_text, timeout=1)
    prompt = await embedder.embed("hi")
    assert prompt == PromptVector("hi", (0.0, 1.0), "minilm")
    assert embedder.embedder == "minilm" and embedder.failures == 0


async def test_embedding_failures_are_counted_never_raised() -> None:
    async def failing(text: str) -> tuple[str, Mapping[str, Any]]:
        raise BackendError("upstream said 500", backend="gpu")

    async def slow(text: str) -> tuple[str, Mapping[str, Any]]:
        await asyncio.sleep(5)
        return "minilm", openai_embedding([1.0])

    async def malformed(text: str) -> tuple[str, Mapping[str, Any]]:
        return "minilm", {"data": [{"embedding": "AAAA"}]}

    for embed_text, reason in (
        (failing, "upstream said 500"),
        (slow, "no embedding within 0.05s"),
        (malformed, "minilm answered no usable embedding"),
    ):
        embedder = PromptEmbedder(embed_text, timeout=0.05)
        assert await embedder.embed("hi") is None
        assert (embedder.failures, embedder.last_failure) == (1, reason)


async def test_no_embedding_model_turns_the_layer_off_without_counting_a_failure() -> None:
    async def none_served(text: str) -> tuple[str, Mapping[str, Any]]:
        raise NoCapableModel("No embedding model is available")

    embedder = PromptEmbedder(none_served, timeout=1)
    assert await embedder.embed("hi") is None
    assert embedder.failures == 0 and embedder.unavailable == "No embedding model is available"

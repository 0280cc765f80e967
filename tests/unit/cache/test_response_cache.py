"""The ResponseCache front: bypass, miss then hit, only whole answers stored."""

from __future__ import annotations

from typing import Any

import pytest

from smarterrouter.cache.memory import MemoryResponseStore
from smarterrouter.cache.response import ResponseCache, is_complete
from smarterrouter.signature import sign_completion

BODY: dict[str, Any] = {
    "model": "smarterrouter/main",
    "messages": [{"role": "user", "content": "Capital of France?"}],
    "temperature": 0,
}


def completion(finish_reason: str | None = "stop", content: str = "Paris.") -> dict[str, Any]:
    return {
        "id": "chatcmpl-original",
        "object": "chat.completion",
        "created": 1,
        "model": "qwen3:8b",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": finish_reason,
            }
        ],
        "usage": {"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 7},
    }


def make_cache(**kwargs: Any) -> ResponseCache:
    store = MemoryResponseStore(max_size=10, ttl_seconds=60)
    return ResponseCache(store, new_id=lambda: "chatcmpl-new", now=lambda: 2000.0, **kwargs)


async def lookup(cache: ResponseCache, body: dict[str, Any] = BODY, **kwargs: Any) -> Any:
    return await cache.lookup(body, target="smarterrouter/main", preference=0.5, **kwargs)


@pytest.mark.anyio
async def test_miss_then_save_then_hit_with_a_new_identity() -> None:
    cache = make_cache()
    first = await lookup(cache)
    assert first.header == "miss"
    assert await cache.save(first, "qwen3:8b", completion())
    # The streamed form of the same request is answered from the same entry.
    again = await lookup(cache, {**BODY, "stream": True})
    assert again.header == "hit-exact"
    assert again.answer is not None
    answer = cache.hit_completion(again.answer)
    assert answer == {**completion(), "id": "chatcmpl-new", "created": 2000}
    stats = await cache.stats()
    assert (stats.hits, stats.misses) == (1, 1)


@pytest.mark.anyio
async def test_the_stored_answer_is_unsigned_even_when_signed_after_saving() -> None:
    cache = make_cache()
    first = await lookup(cache)
    answer = completion()
    await cache.save(first, "qwen3:8b", answer)
    sign_completion(answer, "\nModel: {model}", "qwen3:8b")  # what the gateway does next
    hit = await lookup(cache)
    assert hit.answer is not None
    stored = cache.hit_completion(hit.answer)
    assert stored["choices"][0]["message"]["content"] == "Paris."


@pytest.mark.anyio
async def test_bypassed_requests_are_not_looked_up_nor_stored() -> None:
    cache = make_cache()
    bypass = await lookup(cache, cache_control="no-cache")
    assert bypass.header == "bypass; reason=cache-control"
    assert bypass.key is None
    assert not await cache.save(bypass, "qwen3:8b", completion())
    assert (await lookup(cache)).header == "miss"
    assert (await cache.stats()).size == 0


@pytest.mark.anyio
async def test_disabled_cache_bypasses() -> None:
    cache = make_cache(enabled=False)
    assert (await lookup(cache)).header == "bypass; reason=disabled"


@pytest.mark.anyio
async def test_sampled_requests_are_cached_only_when_allowed() -> None:
    sampled = {**BODY, "temperature": 0.8}
    assert (await lookup(make_cache(), sampled)).header == "bypass; reason=nondeterministic"
    allowed = make_cache(cache_nondeterministic=True)
    first = await lookup(allowed, sampled)
    await allowed.save(first, "qwen3:8b", completion())
    assert (await lookup(allowed, sampled)).header == "hit-exact"


@pytest.mark.anyio
@pytest.mark.parametrize("finish_reason", [None, "content_filter", "error"])
async def test_unfinished_answers_are_not_stored(finish_reason: str | None) -> None:
    cache = make_cache()
    first = await lookup(cache)
    assert not await cache.save(first, "qwen3:8b", completion(finish_reason))
    assert (await lookup(cache)).header == "miss"


@pytest.mark.anyio
async def test_a_hit_is_not_stored_again_and_invalidate_forgets() -> None:
    cache = make_cache()
    await cache.save(await lookup(cache), "qwen3:8b", completion())
    hit = await lookup(cache)
    assert not await cache.save(hit, "qwen3:8b", completion(content="Other"))
    assert await cache.invalidate(model="other-model") == 0
    assert await cache.invalidate(model="qwen3:8b") == 1
    assert (await lookup(cache)).header == "miss"


def test_is_complete() -> None:
    assert is_complete(completion("stop"))
    assert is_complete(completion("length"))
    assert is_complete(completion("tool_calls"))
    assert not is_complete({"choices": []})
    assert not is_complete({**completion(), "error": {"message": "boom"}})
    assert not is_complete({"choices": [{"finish_reason": "stop"}]})  # no message

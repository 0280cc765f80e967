"""What every ResponseStore promises (cache/store.py), checked on each store.

The same tests run on MemoryResponseStore and on RedisResponseStore against a
real redis-server: the router must behave the same whichever one it was given.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import anyio
import pytest

from smarterrouter.cache import CachedAnswer, CacheStats, ResponseStore

StoreFactory = Callable[..., ResponseStore]

pytestmark = pytest.mark.anyio


def answer(model: str, text: str) -> CachedAnswer:
    return CachedAnswer.of(
        model,
        {
            "object": "chat.completion",
            "model": model,
            "choices": [
                {"index": 0, "message": {"role": "assistant", "content": text},
                 "finish_reason": "stop"}
            ],
        },
    )  # fmt: skip


def weight(key: str, stored: CachedAnswer) -> int:
    return stored.size + len(key)


async def test_an_answer_comes_back_as_it_was_stored(make_store: StoreFactory) -> None:
    store = make_store()
    stored = answer("qwen3:8b", "Paris — “la ville lumière” 🗼")
    await store.put("k1", stored)

    found = await store.get("k1")

    assert found == stored
    assert found is not None and found.completion()["choices"][0]["message"]["content"] == (
        "Paris — “la ville lumière” 🗼"
    )
    assert await store.get("k2") is None
    stats = await store.stats()
    assert (stats.hits, stats.misses, stats.size) == (1, 1, 1)
    assert stats.approx_bytes == weight("k1", stored)


async def test_a_newer_answer_replaces_the_older_one(make_store: StoreFactory) -> None:
    store = make_store()
    await store.put("k", answer("a", "old"))
    newer = answer("b", "new")
    await store.put("k", newer)

    assert await store.get("k") == newer
    stats = await store.stats()
    assert (stats.size, stats.approx_bytes, stats.evictions) == (1, weight("k", newer), 0)
    # The replaced answer's model no longer owns the key.
    assert await store.invalidate("a") == 0
    assert await store.get("k") == newer


async def test_the_least_recently_used_answer_makes_room(make_store: StoreFactory) -> None:
    store = make_store(max_size=2)
    await store.put("a", answer("m", "A"))
    await store.put("b", answer("m", "B"))
    assert await store.get("a") is not None  # a is now more recent than b

    await store.put("c", answer("m", "C"))

    assert await store.get("b") is None
    assert await store.get("a") == answer("m", "A")
    assert await store.get("c") == answer("m", "C")
    stats = await store.stats()
    assert (stats.size, stats.evictions) == (2, 1)
    assert stats.approx_bytes == weight("a", answer("m", "A")) + weight("c", answer("m", "C"))


async def test_an_answer_expires_after_the_ttl(make_store: StoreFactory) -> None:
    store = make_store(ttl_seconds=1.0)
    await store.put("k", answer("m", "soon gone"))
    assert await store.get("k") is not None

    await anyio.sleep(1.3)

    assert await store.get("k") is None
    stats = await store.stats()
    assert (stats.size, stats.expirations, stats.approx_bytes) == (0, 1, 0)


async def test_invalidating_a_model_drops_only_its_answers(make_store: StoreFactory) -> None:
    store = make_store()
    await store.put("k1", answer("llama3:8b", "one"))
    await store.put("k2", answer("llama3:8b", "two"))
    await store.put("k3", answer("qwen3:8b", "three"))

    assert await store.invalidate("llama3:8b") == 2

    assert await store.get("k1") is None
    assert await store.get("k2") is None
    assert await store.get("k3") == answer("qwen3:8b", "three")
    assert await store.invalidate("llama3:8b") == 0
    assert await store.invalidate("no-such-model") == 0
    stats = await store.stats()
    assert (stats.size, stats.approx_bytes) == (1, weight("k3", answer("qwen3:8b", "three")))


async def test_invalidating_everything_empties_the_store(make_store: StoreFactory) -> None:
    store = make_store()
    for i in range(5):
        await store.put(f"k{i}", answer(f"model-{i % 2}", str(i)))

    assert await store.invalidate() == 5

    assert [await store.get(f"k{i}") for i in range(5)] == [None] * 5
    stats = await store.stats()
    assert (stats.size, stats.approx_bytes) == (0, 0)


async def test_model_names_with_separators_stay_apart(make_store: StoreFactory) -> None:
    store = make_store()
    await store.put("k1", answer("cloud/gpt-4o-mini", "one"))
    await store.put("k2", answer("cloud/gpt-4o", "two"))
    await store.put("k3", answer("hf.co/org/model:Q4_K_M", "three"))

    assert await store.invalidate("cloud/gpt-4o") == 1

    assert await store.get("k1") is not None
    assert await store.get("k2") is None
    assert await store.get("k3") is not None


async def test_concurrent_use_keeps_the_bound_and_the_books(make_store: StoreFactory) -> None:
    store = make_store(max_size=20)
    keys = [f"k{i}" for i in range(60)]

    await asyncio.gather(*(store.put(k, answer("m", k)) for k in keys))
    found = await asyncio.gather(*(store.get(k) for k in keys))

    live = {k: a for k, a in zip(keys, found, strict=True) if a is not None}
    assert len(live) == 20
    assert all(a == answer("m", k) for k, a in live.items())  # never another key's answer
    stats = await store.stats()
    assert stats == CacheStats(
        hits=20,
        misses=40,
        evictions=40,
        expirations=0,
        size=20,
        approx_bytes=sum(weight(k, a) for k, a in live.items()),
    )

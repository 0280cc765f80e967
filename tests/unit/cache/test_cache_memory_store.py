"""The in-memory store: LRU order, TTL on an injected clock, counters, invalidation."""

from __future__ import annotations

import asyncio

import pytest

from smarterrouter.cache.memory import MemoryResponseStore
from smarterrouter.cache.store import CachedAnswer


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def answer(text: str, model: str = "m1") -> CachedAnswer:
    return CachedAnswer.of(model, {"choices": [{"message": {"content": text}}]})


@pytest.mark.anyio
async def test_put_then_get_returns_the_answer_and_counts_a_hit() -> None:
    store = MemoryResponseStore(max_size=2, ttl_seconds=60)
    assert await store.get("k") is None
    await store.put("k", answer("a"))
    assert await store.get("k") == answer("a")
    stats = await store.stats()
    assert (stats.hits, stats.misses, stats.size) == (1, 1, 1)


@pytest.mark.anyio
async def test_least_recently_used_goes_first() -> None:
    store = MemoryResponseStore(max_size=2, ttl_seconds=60)
    await store.put("a", answer("a"))
    await store.put("b", answer("b"))
    await store.get("a")  # b is now the least recently used
    await store.put("c", answer("c"))
    assert await store.get("b") is None
    assert await store.get("a") is not None
    assert await store.get("c") is not None
    stats = await store.stats()
    assert (stats.evictions, stats.size) == (1, 2)


@pytest.mark.anyio
async def test_entries_expire_after_the_ttl() -> None:
    clock = Clock()
    store = MemoryResponseStore(max_size=5, ttl_seconds=60, clock=clock)
    await store.put("k", answer("a"))
    clock.now += 59.9
    assert await store.get("k") is not None
    clock.now += 0.1
    assert await store.get("k") is None
    stats = await store.stats()
    assert (stats.expirations, stats.size, stats.approx_bytes) == (1, 0, 0)


@pytest.mark.anyio
async def test_replacing_an_entry_restarts_its_ttl_and_keeps_bytes_right() -> None:
    clock = Clock()
    store = MemoryResponseStore(max_size=5, ttl_seconds=60, clock=clock)
    await store.put("k", answer("a" * 100))
    clock.now += 50
    await store.put("k", answer("b"))
    clock.now += 50
    assert await store.get("k") == answer("b")
    stats = await store.stats()
    assert stats.size == 1
    assert stats.approx_bytes == answer("b").size + len("k")


@pytest.mark.anyio
async def test_invalidate_one_model_or_all() -> None:
    store = MemoryResponseStore(max_size=5, ttl_seconds=60)
    await store.put("a", answer("a", model="m1"))
    await store.put("b", answer("b", model="m2"))
    await store.put("c", answer("c", model="m1"))
    assert await store.invalidate(model="m1") == 2
    assert await store.get("a") is None
    assert await store.get("b") is not None
    assert await store.invalidate() == 1
    assert (await store.stats()).size == 0


@pytest.mark.anyio
async def test_concurrent_use_keeps_the_bounds_and_the_counts() -> None:
    store = MemoryResponseStore(max_size=10, ttl_seconds=60)

    async def worker(n: int) -> None:
        for i in range(50):
            await store.put(f"{n}-{i}", answer(str(i)))
            await asyncio.sleep(0)
            await store.get(f"{n}-{i}")

    await asyncio.gather(*(worker(n) for n in range(8)))
    stats = await store.stats()
    assert stats.size == 10
    assert stats.evictions == 8 * 50 - 10
    assert stats.hits + stats.misses == 8 * 50


def test_bounds_are_checked() -> None:
    with pytest.raises(ValueError):
        MemoryResponseStore(max_size=0, ttl_seconds=60)
    with pytest.raises(ValueError):
        MemoryResponseStore(max_size=1, ttl_seconds=0)


def test_a_cached_answer_hands_out_copies() -> None:
    stored = answer("a")
    first = stored.completion()
    first["choices"][0]["message"]["content"] = "signed"
    assert stored.completion()["choices"][0]["message"]["content"] == "a"

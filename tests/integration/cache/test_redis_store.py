"""What only the Redis store does: share answers and counters between routers, keep
apart routers with other prefixes, and let requests through when Redis is away."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from smarterrouter.cache import CachedAnswer
from smarterrouter.cache.redis_store import CacheStoreUnavailable, RedisResponseStore
from support.ports import free_port
from support.redis_server import PASSWORD, RedisServer, redis_server_binary

pytestmark = [pytest.mark.anyio, pytest.mark.redis]

ANSWER = CachedAnswer.of("qwen3:8b", {"choices": [{"message": {"content": "Paris"}}]})
Opener = Callable[..., RedisResponseStore]


@pytest.fixture
async def open_store(redis_server: RedisServer) -> AsyncIterator[Opener]:
    opened: list[RedisResponseStore] = []

    def open_(prefix: str, url: str = redis_server.url, max_size: int = 10) -> RedisResponseStore:
        opened.append(
            RedisResponseStore.from_url(url, max_size=max_size, ttl_seconds=60, prefix=prefix)
        )
        return opened[-1]

    yield open_
    for store in opened:
        await store.aclose()


async def test_routers_on_one_prefix_share_answers_and_counters(
    open_store: Opener, redis_prefix: str
) -> None:
    one, two = open_store(redis_prefix), open_store(redis_prefix)

    await one.put("k", ANSWER)
    assert await two.get("k") == ANSWER
    assert await two.get("other") is None

    assert await one.stats() == await two.stats()
    stats = await one.stats()
    assert (stats.hits, stats.misses, stats.size) == (1, 1, 1)


async def test_the_size_bound_holds_across_routers(open_store: Opener, redis_prefix: str) -> None:
    one, two = open_store(redis_prefix, max_size=3), open_store(redis_prefix, max_size=3)
    for i in range(4):
        await (one if i % 2 else two).put(f"k{i}", ANSWER)

    assert await one.get("k0") is None  # the least recently used, whoever wrote it
    stats = await two.stats()
    assert (stats.size, stats.evictions) == (3, 1)


async def test_another_prefix_sees_nothing(open_store: Opener, redis_prefix: str) -> None:
    mine, theirs = open_store(redis_prefix), open_store(redis_prefix + "-other-app")
    await mine.put("k", ANSWER)

    assert await theirs.get("k") is None
    assert await theirs.invalidate() == 0
    assert await mine.get("k") == ANSWER


async def test_the_keys_in_redis_carry_the_prefix(
    open_store: Opener, redis_prefix: str, redis_server: RedisServer
) -> None:
    store = open_store(redis_prefix)
    await store.put("k", ANSWER)
    await store.get("k")

    with redis_server.client() as client:
        keys = {k.decode() for k in client.scan_iter(match=f"{redis_prefix}*")}
        ttl = client.pttl(f"{redis_prefix}:cache:entry:k")

    assert keys and all(k.startswith(f"{redis_prefix}:cache:") for k in keys)
    assert 0 < ttl <= 60_000  # Redis itself expires the answer


async def test_an_unreachable_redis_is_a_miss_and_admin_calls_say_so(
    open_store: Opener, redis_prefix: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    nowhere = f"redis://:{PASSWORD}@127.0.0.1:{free_port()}/0"
    store = open_store(redis_prefix, url=nowhere)

    await store.put("k", ANSWER)  # nothing raised: the answer is simply not kept
    assert await store.get("k") is None
    with pytest.raises(CacheStoreUnavailable) as stats_error:
        await store.stats()
    with pytest.raises(CacheStoreUnavailable):
        await store.invalidate("qwen3:8b")

    assert stats_error.value.status_code == 503
    assert f"127.0.0.1:{nowhere.rsplit(':', 1)[1].split('/')[0]}" in stats_error.value.message
    assert store.outage.failures >= 3  # put, then stats and invalidate (get was skipped)
    warnings = [r for r in caplog.records if "unreachable" in r.getMessage()]
    assert len(warnings) == 1  # once in a while, not once per request
    assert PASSWORD not in caplog.text
    assert PASSWORD not in stats_error.value.message


def test_without_redis_server_the_tests_fail_and_say_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty folder: no redis-server on it
    with pytest.raises(pytest.fail.Exception, match=r"redis-server not found.*\./dev setup"):
        redis_server_binary()

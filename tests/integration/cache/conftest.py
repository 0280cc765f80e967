"""The response store tests run on each store: in memory, and in a real Redis.

The Redis one is a throwaway redis-server for the session (tests/support); each
test writes under a prefix of its own, so tests never see each other's keys.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Iterator

import pytest

from smarterrouter.cache import MemoryResponseStore, ResponseStore
from smarterrouter.cache.redis_store import RedisResponseStore
from support.redis_server import RedisServer, redis_server_binary

StoreFactory = Callable[..., ResponseStore]


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    """A redis-server for this session; FAILS (never skips) when none is installed."""
    with RedisServer(redis_server_binary()) as server:
        yield server


@pytest.fixture
def redis_prefix() -> str:
    return f"test-{uuid.uuid4().hex[:10]}"


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
async def make_store(
    request: pytest.FixtureRequest, redis_prefix: str
) -> AsyncIterator[StoreFactory]:
    """Makes stores of one kind; Redis ones made by one test share its prefix."""
    opened: list[RedisResponseStore] = []
    server: RedisServer | None = None
    if request.param == "redis":
        server = request.getfixturevalue("redis_server")

    def make(max_size: int = 100, ttl_seconds: float = 60.0) -> ResponseStore:
        if server is None:
            return MemoryResponseStore(max_size, ttl_seconds)
        store = RedisResponseStore.from_url(
            server.url, max_size=max_size, ttl_seconds=ttl_seconds, prefix=redis_prefix
        )
        opened.append(store)
        return store

    yield make
    for store in opened:
        await store.aclose()

"""Requests per minute per client, counted by the `limits` library.

A moving window: a client cannot double its budget by sending at the edge of
two fixed minutes. Counters live in memory, or in Redis (ROUTER_REDIS_URL) when
several routers share one budget. When Redis cannot be reached, requests are let
through (and the outage logged now and then): a router that refused everyone
whenever Redis blinked would be worse than one that briefly stops counting.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.errors import StorageError
from limits.storage import storage_from_string

from smarterrouter.observability.outage import OutageWatch
from smarterrouter.settings import Settings

if TYPE_CHECKING:
    from redis.asyncio import ConnectionPool

log = logging.getLogger(__name__)

# A request waits at most about this long on a Redis that stopped answering.
REDIS_TIMEOUT = 1.0


@dataclass(frozen=True)
class Budget:
    """A named budget, e.g. ("api", 60 per minute)."""

    name: str
    item: RateLimitItem


class RateLimiter:
    def __init__(
        self, storage: Storage, close: Callable[[], Awaitable[None]] | None = None
    ) -> None:
        self._limiter = MovingWindowRateLimiter(storage)
        self._close = close
        # Only Redis can fail: the memory storage raises nothing of the kind.
        self.outage = OutageWatch("rate-limit counters in Redis", log)

    async def aclose(self) -> None:
        """Close the Redis connections, if any (the app does it at shutdown)."""
        if self._close is not None:
            await self._close()

    async def hit(self, budget: Budget, identity: str) -> float | None:
        """Count one request; None if allowed (or uncountable), else the seconds to wait."""
        if self.outage.cooling_down:
            return None
        try:
            wait = await self._count(budget, identity)
        except StorageError as exc:  # the storage's own errors, wrapped by `limits`
            self.outage.failed(exc.storage_error)
            return None
        self.outage.succeeded()
        return wait

    async def _count(self, budget: Budget, identity: str) -> float | None:
        if await self._limiter.hit(budget.item, budget.name, identity):
            return None
        stats = await self._limiter.get_window_stats(budget.item, budget.name, identity)
        return max(stats.reset_time - time.time(), 0.0)


def per_minute(name: str, count: int) -> Budget:
    return Budget(name, parse(f"{count}/minute"))


def create_limiter(settings: Settings) -> RateLimiter:
    """In memory, or on a Redis connection pool of the limiter's own (closed by aclose)."""
    if settings.redis_url is None:
        return RateLimiter(MemoryStorage())
    pool = _redis_pool(settings.redis_url.removeprefix("async+"))
    return RateLimiter(create_storage(settings, pool), close=pool.aclose)


def create_storage(settings: Settings, pool: ConnectionPool | None = None) -> Storage:
    """The counters' storage; raises limits' ConfigurationError for an unusable URL."""
    if settings.redis_url is None:
        return MemoryStorage()
    # limits picks its async Redis client by scheme; redis:// alone would be the
    # synchronous storage, which would block the event loop.
    url = settings.redis_url
    if not url.startswith("async+"):
        url = "async+" + url
    options: dict[str, Any] = {
        "implementation": "redispy",  # the `redis` package, which the response cache uses
        "key_prefix": f"{settings.redis_key_prefix}:ratelimit",
        "wrap_exceptions": True,
    }
    if pool is not None:
        options["connection_pool"] = pool
    storage = storage_from_string(url, **options)
    assert isinstance(storage, Storage)  # an async+ scheme gives an async storage
    return storage


def _redis_pool(url: str) -> ConnectionPool:
    from redis.asyncio import ConnectionPool
    from redis.asyncio.retry import Retry
    from redis.backoff import NoBackoff

    return ConnectionPool.from_url(
        url,
        socket_connect_timeout=REDIS_TIMEOUT,
        socket_timeout=REDIS_TIMEOUT,
        # One retry, on a fresh connection (a pooled one dies when Redis restarts);
        # redis-py's default of ten with backoff would hold a request for seconds.
        retry=Retry(NoBackoff(), 1),
    )


def retry_after_header(seconds: float) -> str:
    # Whole seconds, rounded up: retrying at the advertised time must succeed.
    return str(max(1, math.ceil(seconds)))

"""Requests per minute per client, counted by the `limits` library.

A moving window: a client cannot double its budget by sending at the edge of
two fixed minutes. Counters live in memory, or in Redis (ROUTER_REDIS_URL) when
several routers share one budget.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.storage import storage_from_string

from smarterrouter.settings import Settings


@dataclass(frozen=True)
class Budget:
    """A named budget, e.g. ("api", 60 per minute)."""

    name: str
    item: RateLimitItem


class RateLimiter:
    def __init__(self, storage: Storage) -> None:
        self._limiter = MovingWindowRateLimiter(storage)

    async def hit(self, budget: Budget, identity: str) -> float | None:
        """Count one request; None if allowed, else the seconds to wait."""
        if await self._limiter.hit(budget.item, budget.name, identity):
            return None
        stats = await self._limiter.get_window_stats(budget.item, budget.name, identity)
        return max(stats.reset_time - time.time(), 0.0)


def per_minute(name: str, count: int) -> Budget:
    return Budget(name, parse(f"{count}/minute"))


def create_storage(settings: Settings) -> Storage:
    if settings.redis_url is None:
        return MemoryStorage()
    # limits picks its async Redis client by scheme; redis:// alone would be the
    # synchronous storage, which would block the event loop.
    url = settings.redis_url
    if not url.startswith("async+"):
        url = "async+" + url
    storage = storage_from_string(url)
    assert isinstance(storage, Storage)  # an async+ scheme gives an async storage
    return storage


def retry_after_header(seconds: float) -> str:
    # Whole seconds, rounded up: retrying at the advertised time must succeed.
    return str(max(1, math.ceil(seconds)))

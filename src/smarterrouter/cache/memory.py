"""The in-memory response store: least recently used out first, each entry for a TTL."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from smarterrouter.cache.store import CachedAnswer, CacheStats


@dataclass(frozen=True)
class _Entry:
    answer: CachedAnswer
    expires_at: float
    size: int


class MemoryResponseStore:
    """An LRU of at most `max_size` answers, each kept for `ttl_seconds`.

    Every operation is synchronous under one lock: never suspended midway on
    the event loop, and safe if a worker thread reaches it too. `clock` is
    monotonic seconds, injectable so that tests can move time.
    """

    def __init__(
        self,
        max_size: int,
        ttl_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_size < 1 or ttl_seconds <= 0:
            raise ValueError("max_size must be at least 1 and ttl_seconds above 0")
        self._max_size = max_size
        self._ttl = ttl_seconds
        self._clock = clock
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._lock = threading.Lock()
        self._bytes = 0
        self._hits = self._misses = self._evictions = self._expirations = 0

    async def get(self, key: str) -> CachedAnswer | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and entry.expires_at <= self._clock():
                self._drop(key)
                self._expirations += 1
                entry = None
            if entry is None:
                self._misses += 1
                return None
            self._entries.move_to_end(key)
            self._hits += 1
            return entry.answer

    async def put(self, key: str, answer: CachedAnswer) -> None:
        with self._lock:
            if key in self._entries:
                self._drop(key)
            size = answer.size + len(key)
            self._entries[key] = _Entry(answer, self._clock() + self._ttl, size)
            self._bytes += size
            while len(self._entries) > self._max_size:
                self._drop(next(iter(self._entries)))
                self._evictions += 1

    async def invalidate(self, model: str | None = None) -> int:
        with self._lock:
            doomed = [
                k for k, e in self._entries.items() if model is None or e.answer.model == model
            ]
            for key in doomed:
                self._drop(key)
            return len(doomed)

    async def stats(self) -> CacheStats:
        with self._lock:
            return CacheStats(
                hits=self._hits,
                misses=self._misses,
                evictions=self._evictions,
                expirations=self._expirations,
                size=len(self._entries),
                approx_bytes=self._bytes,
            )

    def _drop(self, key: str) -> None:
        self._bytes -= self._entries.pop(key).size

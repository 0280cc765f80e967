"""What a response store holds and promises; the in-memory one is in memory.py.

A store maps request keys (cache/keys.py) to answers. It is async so that a
store shared by several router replicas (Redis) fits the same protocol.
"""

from __future__ import annotations

import threading
from collections.abc import Sized
from dataclasses import dataclass
from typing import Any, Protocol

import orjson


@dataclass(frozen=True)
class CachedAnswer:
    """A final OpenAI chat.completion, unsigned, and the model that wrote it.

    Kept as JSON bytes: every reader gets its own dict to shape (model name,
    signature, id) without touching the stored one, and the size is known.
    """

    model: str
    body: bytes

    @classmethod
    def of(cls, model: str, completion: dict[str, Any]) -> CachedAnswer:
        return cls(model=model, body=orjson.dumps(completion))

    def completion(self) -> dict[str, Any]:
        """A fresh copy of the stored chat.completion."""
        data: dict[str, Any] = orjson.loads(self.body)
        return data

    @property
    def size(self) -> int:
        return len(self.body) + len(self.model)


@dataclass(frozen=True)
class CacheStats:
    hits: int
    misses: int
    evictions: int  # dropped to make room
    expirations: int  # dropped because older than the TTL
    size: int  # entries held now
    approx_bytes: int  # answers' JSON plus keys; Python's own overhead not counted


class ResponseStore(Protocol):
    """Where answers are kept. Implementations must be safe under concurrent use."""

    async def get(self, key: str) -> CachedAnswer | None:
        """The live answer for `key`, or None; an expired one counts as a miss."""
        ...

    async def put(self, key: str, answer: CachedAnswer) -> None:
        """Keep `answer` under `key`, replacing any older one; may evict others."""
        ...

    async def invalidate(self, model: str | None = None) -> int:
        """Drop every answer (model None) or those written by `model`; return how many."""
        ...

    async def stats(self) -> CacheStats: ...


@dataclass(frozen=True)
class LayerStats:
    """One cache layer's counters, as /admin/cache and /metrics show them."""

    hits: int
    misses: int
    evictions: int  # dropped to make room, or found stale
    size: int
    approx_bytes: int
    expirations: int = 0  # dropped because older than the TTL

    @property
    def hit_rate(self) -> float | None:
        looked = self.hits + self.misses
        return round(self.hits / looked, 4) if looked else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "size": self.size,
            "hits": self.hits,
            "misses": self.misses,
            "evictions": self.evictions,
            "expirations": self.expirations,
            "hit_rate": self.hit_rate,
            "approx_bytes": self.approx_bytes,
        }


class CountedLayer:
    """What an in-memory layer counts, and its LayerStats read under its lock."""

    _lock: threading.Lock
    _entries: Sized
    _hits: int
    _misses: int
    _evictions: int
    _bytes: int

    def stats(self) -> LayerStats:
        with self._lock:
            return LayerStats(
                hits=self._hits,
                misses=self._misses,
                evictions=self._evictions,
                size=len(self._entries),
                approx_bytes=self._bytes,
            )

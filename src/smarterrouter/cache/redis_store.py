"""The Redis response store: answers shared by every router that uses one Redis.

Keys, all under `<prefix>:cache:` (ROUTER_REDIS_KEY_PREFIX), so that several
routers or applications can share one Redis without meeting:

    entry:<key>      hash {model, body}; Redis itself expires it after the TTL
    lru              sorted set: key -> last use (a counter every router advances, so
                     ties within a millisecond cannot blur the order)
    uses             that counter
    meta             hash: key -> "<bytes> <model>", what to undo when the key goes
    model:<model>    set of the keys that model answered, for invalidation
    stats            hash: hits, misses, evictions, expirations, bytes

Each operation is one Lua script, so that replicas never see half an update
and the counters are the sum over every router. The size bound is LRU-ish:
`put` drops the least recently used keys until `lru` holds `max_size`; a key
whose entry Redis has already expired still holds its place there until a
`get`, `stats` or trim finds it, and is then counted as an expiration.
Needs a standalone Redis (or a Sentinel's master), not Redis Cluster: the
scripts reach keys they cannot declare in advance.

When Redis cannot be reached, `get` is a miss and `put` does nothing, so that
requests are still answered; `stats` and `invalidate` raise
CacheStoreUnavailable (503), since their answer would be wrong.
"""

from __future__ import annotations

import logging
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.commands.core import AsyncScript
from redis.exceptions import RedisError

from smarterrouter.cache.store import CachedAnswer, CacheStats
from smarterrouter.errors import ServiceUnavailable
from smarterrouter.observability.outage import OutageWatch, url_without_credentials

log = logging.getLogger(__name__)

# A request waits at most this long on a Redis that stopped answering.
SOCKET_TIMEOUT = 1.0

_COMMON = """
local p = ARGV[1]
local function forget(member)
  local meta = redis.call('HGET', p .. 'meta', member)
  redis.call('ZREM', p .. 'lru', member)
  if meta then
    local size, model = string.match(meta, '^(%d+) (.*)$')
    redis.call('HDEL', p .. 'meta', member)
    redis.call('HINCRBY', p .. 'stats', 'bytes', -tonumber(size))
    redis.call('SREM', p .. 'model:' .. model, member)
  end
end
local function tick()
  return redis.call('INCR', p .. 'uses')
end
"""

# ARGV: prefix, key -> {model, body} or nil
_GET = """
local key = ARGV[2]
local found = redis.call('HMGET', p .. 'entry:' .. key, 'model', 'body')
if not found[1] then
  if redis.call('HEXISTS', p .. 'meta', key) == 1 then
    forget(key)
    redis.call('HINCRBY', p .. 'stats', 'expirations', 1)
  end
  redis.call('HINCRBY', p .. 'stats', 'misses', 1)
  return false
end
redis.call('ZADD', p .. 'lru', tick(), key)
redis.call('HINCRBY', p .. 'stats', 'hits', 1)
return found
"""

# ARGV: prefix, key, model, body, ttl ms, max size, bytes
_PUT = """
local key, model, size = ARGV[2], ARGV[3], ARGV[7]
forget(key)
local entry = p .. 'entry:' .. key
redis.call('DEL', entry)
redis.call('HSET', entry, 'model', model, 'body', ARGV[4])
redis.call('PEXPIRE', entry, ARGV[5])
redis.call('ZADD', p .. 'lru', tick(), key)
redis.call('HSET', p .. 'meta', key, size .. ' ' .. model)
redis.call('SADD', p .. 'model:' .. model, key)
redis.call('HINCRBY', p .. 'stats', 'bytes', size)
local max = tonumber(ARGV[6])
while redis.call('ZCARD', p .. 'lru') > max do
  local oldest = redis.call('ZRANGE', p .. 'lru', 0, 0)[1]
  local why = 'expirations'
  if redis.call('DEL', p .. 'entry:' .. oldest) == 1 then why = 'evictions' end
  forget(oldest)
  redis.call('HINCRBY', p .. 'stats', why, 1)
end
return true
"""

# ARGV: prefix, "1" and a model, or "0" for every entry -> how many were live
_INVALIDATE = """
local members
if ARGV[2] == '1' then
  members = redis.call('SMEMBERS', p .. 'model:' .. ARGV[3])
else
  members = redis.call('ZRANGE', p .. 'lru', 0, -1)
end
local removed = 0
for _, member in ipairs(members) do
  removed = removed + redis.call('DEL', p .. 'entry:' .. member)
  forget(member)
end
return removed
"""

# ARGV: prefix -> hits, misses, evictions, expirations, size, bytes
_STATS = """
for _, member in ipairs(redis.call('ZRANGE', p .. 'lru', 0, -1)) do
  if redis.call('EXISTS', p .. 'entry:' .. member) == 0 then
    forget(member)
    redis.call('HINCRBY', p .. 'stats', 'expirations', 1)
  end
end
local s = redis.call('HMGET', p .. 'stats', 'hits', 'misses', 'evictions', 'expirations', 'bytes')
local out = {}
for i = 1, 5 do out[i] = tonumber(s[i]) or 0 end
return {out[1], out[2], out[3], out[4], redis.call('ZCARD', p .. 'lru'), out[5]}
"""


class CacheStoreUnavailable(ServiceUnavailable):
    code = "cache_unavailable"


class RedisResponseStore:
    """A ResponseStore in Redis: at most `max_size` answers, each for `ttl_seconds`.

    Takes a client (its connection pool is the store's); `aclose` closes it.
    """

    def __init__(
        self,
        client: Redis,
        *,
        max_size: int,
        ttl_seconds: float,
        prefix: str = "smarterrouter",
        where: str = "Redis",
    ) -> None:
        if max_size < 1 or ttl_seconds <= 0:
            raise ValueError("max_size must be at least 1 and ttl_seconds above 0")
        self._client = client
        self._max_size = max_size
        self._ttl_ms = max(1, round(ttl_seconds * 1000))
        self._prefix = f"{prefix}:cache:"
        self.where = where  # the URL without credentials, for logs and errors
        self.outage = OutageWatch(f"response cache in {where}", log)
        self._get = client.register_script(_COMMON + _GET)
        self._put = client.register_script(_COMMON + _PUT)
        self._invalidate = client.register_script(_COMMON + _INVALIDATE)
        self._stats = client.register_script(_COMMON + _STATS)

    @classmethod
    def from_url(
        cls, url: str, *, max_size: int, ttl_seconds: float, prefix: str
    ) -> RedisResponseStore:
        """One connection pool for the store's life; nothing is connected until first use."""
        client = Redis.from_url(
            url,
            socket_connect_timeout=SOCKET_TIMEOUT,
            socket_timeout=SOCKET_TIMEOUT,
            # One quick retry on a fresh connection: a pooled one may be dead
            # after Redis restarted; more would only hold the request longer.
            retry=Retry(NoBackoff(), 1),
        )
        where = url_without_credentials(url)
        return cls(client, max_size=max_size, ttl_seconds=ttl_seconds, prefix=prefix, where=where)

    async def get(self, key: str) -> CachedAnswer | None:
        found = await self._run(self._get, key)
        if not found:
            return None
        model, body = found
        return CachedAnswer(model=model.decode(), body=bytes(body))

    async def put(self, key: str, answer: CachedAnswer) -> None:
        size = answer.size + len(key)
        await self._run(
            self._put, key, answer.model, answer.body, self._ttl_ms, self._max_size, size
        )

    async def invalidate(self, model: str | None = None) -> int:
        args = ("1", model) if model is not None else ("0",)
        removed = await self._admin(self._invalidate, *args)
        return int(removed)

    async def stats(self) -> CacheStats:
        hits, misses, evictions, expirations, size, approx_bytes = await self._admin(self._stats)
        return CacheStats(
            hits=int(hits),
            misses=int(misses),
            evictions=int(evictions),
            expirations=int(expirations),
            size=int(size),
            approx_bytes=int(approx_bytes),
        )

    async def aclose(self) -> None:
        await self._client.aclose()

    async def _run(self, script: AsyncScript, *args: str | bytes | int) -> Any:
        """A script on the request path: None instead of an error when Redis is away."""
        if self.outage.cooling_down:
            return None
        try:
            result = await script(args=[self._prefix, *args])
        except (RedisError, OSError) as exc:
            self.outage.failed(exc)
            return None
        self.outage.succeeded()
        return result

    async def _admin(self, script: AsyncScript, *args: str | bytes | int) -> Any:
        """A script whose answer matters (counts, invalidation): fails loudly."""
        try:
            result = await script(args=[self._prefix, *args])
        except (RedisError, OSError) as exc:
            self.outage.failed(exc)
            raise CacheStoreUnavailable(
                f"The response cache's Redis ({self.where}) cannot be reached: {type(exc).__name__}"
            ) from None
        self.outage.succeeded()
        return result

"""Answers to repeated requests: the request fingerprint and the exact response cache.

keys.py        request_key: sha256 of everything that changes the answer
eligibility.py check_eligibility: may this request use the cache, and if not why
store.py       CachedAnswer, CacheStats, the ResponseStore protocol
memory.py      MemoryResponseStore: LRU with a TTL, in process
response.py    ResponseCache: lookup, hit_completion, save, invalidate, stats
replay.py      replay_chunks (answer -> stream) and StreamAssembler (stream -> answer)
"""

from smarterrouter.cache.eligibility import (
    CACHE_HEADER,
    BypassReason,
    CacheStatus,
    Eligibility,
    check_eligibility,
)
from smarterrouter.cache.keys import IGNORED_FIELDS, OPT_OUT_FIELD, request_key
from smarterrouter.cache.memory import MemoryResponseStore
from smarterrouter.cache.replay import StreamAssembler, replay_chunks
from smarterrouter.cache.response import Lookup, ResponseCache, is_complete
from smarterrouter.cache.store import CachedAnswer, CacheStats, ResponseStore

__all__ = [
    "CACHE_HEADER",
    "IGNORED_FIELDS",
    "OPT_OUT_FIELD",
    "BypassReason",
    "CacheStats",
    "CacheStatus",
    "CachedAnswer",
    "Eligibility",
    "Lookup",
    "MemoryResponseStore",
    "ResponseCache",
    "ResponseStore",
    "StreamAssembler",
    "check_eligibility",
    "is_complete",
    "replay_chunks",
    "request_key",
]

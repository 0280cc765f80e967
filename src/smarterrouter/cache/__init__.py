"""Answers to repeated requests and reused routing decisions: the cache layers.

keys.py        request_key (everything that changes the answer), context_key, routing_key
eligibility.py check_eligibility: may this request use the cache, and if not why
store.py       CachedAnswer, CacheStats, the ResponseStore protocol
memory.py      MemoryResponseStore: LRU with a TTL, in process
response.py    ResponseCache: lookup, hit_completion, save, invalidate, stats
replay.py      replay_chunks (answer -> stream) and StreamAssembler (stream -> answer)
semantic.py    SemanticCache: a paraphrase in the same context, through the near-miss guard
embedding.py   PromptEmbedder: one embedding of the last user text, never failing a request
routing.py     RoutingCache: decisions, forgotten when models or ratings change
report.py      CacheParts and cache_report: every layer's figures for /admin/cache and /metrics
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

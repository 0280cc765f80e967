"""The routing cache: the decision for a request whose routing inputs were seen before.

Routing reads the request's signals (cache/keys.py `routing_key` covers every
field they come from), the preference, the models (the registry's snapshot)
and users' ratings (the FeedbackBook's generation). The last two are the
cache's epoch: when either changes, every decision is forgotten at once. So a
decision from the cache is always the one `decide` would make now.

Only routed requests use it: a model the client named involves no decision.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

from smarterrouter.cache.store import CountedLayer
from smarterrouter.routing.policy import Decision, Snapshot


@dataclass(frozen=True)
class _Entry:
    decision: Decision
    size: int


class RoutingCache(CountedLayer):
    """At most `max_size` decisions, least recently used out first.

    `invalidate()` is the hook for anything else routing starts to read (model
    profiles, for instance): call it when that changes.
    """

    def __init__(self, max_size: int, *, enabled: bool = True) -> None:
        if max_size < 1:
            raise ValueError("max_size must be at least 1")
        self._max_size = max_size
        self.enabled = enabled
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._lock = threading.Lock()
        self._snapshot: Snapshot | None = None
        self._feedback = -1
        self._bytes = 0
        self._hits = self._misses = self._evictions = self._invalidations = 0

    def get(self, key: str, snapshot: Snapshot, feedback: int) -> Decision | None:
        """The decision cached under `key` for these models and ratings, or None."""
        with self._lock:
            self._enter_epoch(snapshot, feedback)
            entry = self._entries.get(key)
            if entry is None:
                self._misses += 1
                return None
            self._entries.move_to_end(key)
            self._hits += 1
            return entry.decision

    def put(self, key: str, snapshot: Snapshot, feedback: int, decision: Decision) -> None:
        with self._lock:
            self._enter_epoch(snapshot, feedback)
            old = self._entries.pop(key, None)
            if old is not None:
                self._bytes -= old.size
            # Approximate: the decision's text form (scores of every candidate included).
            size = len(key) + len(repr(decision))
            self._entries[key] = _Entry(decision, size)
            self._bytes += size
            while len(self._entries) > self._max_size:
                _, dropped = self._entries.popitem(last=False)
                self._bytes -= dropped.size
                self._evictions += 1

    def invalidate(self) -> int:
        """Forget every decision; returns how many there were."""
        with self._lock:
            return self._clear()

    @property
    def invalidations(self) -> int:
        """How many times the decisions were forgotten (models, ratings, or a call)."""
        return self._invalidations

    def _enter_epoch(self, snapshot: Snapshot, feedback: int) -> None:
        if snapshot is self._snapshot and feedback == self._feedback:
            return
        # A refresh builds a new snapshot even when nothing changed: compare the values.
        if feedback != self._feedback or snapshot != self._snapshot:
            self._clear()
        self._snapshot, self._feedback = snapshot, feedback

    def _clear(self) -> int:
        count = len(self._entries)
        if count:
            self._invalidations += 1
        self._entries.clear()
        self._bytes = 0
        return count

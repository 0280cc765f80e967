"""The response cache front: decide, look up, answer again, store.

The gateway asks `lookup` before routing, answers a hit with `hit_completion`
(as JSON, or replayed as a stream by cache/replay.py), and offers each
successful answer to `save`. What is stored is the answer without the
signature: the signature is added when answering, so it never appears twice.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from smarterrouter.cache.eligibility import Eligibility, check_eligibility
from smarterrouter.cache.keys import request_key
from smarterrouter.cache.store import CachedAnswer, CacheStats, ResponseStore

# An answer cut short by max_tokens ("length") is what the same request gets again;
# a filtered one or an unknown reason is not worth keeping.
COMPLETE_FINISH_REASONS = frozenset({"stop", "length", "tool_calls", "function_call"})


@dataclass(frozen=True)
class Lookup:
    """What the cache made of one request: bypassed, missed (with its key), or hit."""

    eligibility: Eligibility
    key: str | None = None
    answer: CachedAnswer | None = None

    @property
    def hit(self) -> bool:
        return self.answer is not None

    @property
    def header(self) -> str:
        """The `X-SmarterRouter-Cache` header value."""
        return self.eligibility.header(self.hit)


def is_complete(completion: Mapping[str, Any]) -> bool:
    """A successful, finished chat.completion: worth answering again."""
    choices = completion.get("choices")
    if "error" in completion or not isinstance(choices, list) or not choices:
        return False
    return all(
        isinstance(c, Mapping)
        and isinstance(c.get("message"), Mapping)
        and c.get("finish_reason") in COMPLETE_FINISH_REASONS
        for c in choices
    )


def _new_completion_id() -> str:
    return "chatcmpl-" + uuid.uuid4().hex


class ResponseCache:
    """Exact-match answers over any `ResponseStore`."""

    def __init__(
        self,
        store: ResponseStore,
        *,
        enabled: bool = True,
        cache_nondeterministic: bool = False,
        new_id: Callable[[], str] = _new_completion_id,
        now: Callable[[], float] = time.time,
    ) -> None:
        self._store = store
        self._enabled = enabled
        self._nondeterministic = cache_nondeterministic
        self._new_id = new_id
        self._now = now

    async def lookup(
        self,
        body: Mapping[str, Any],
        *,
        target: str,
        preference: float | None,
        cache_control: str | None = None,
    ) -> Lookup:
        """Check the request and, when it may use the cache, find its answer.

        Raises InvalidRequest when the body's opt-out flag is not a boolean.
        """
        eligibility = check_eligibility(
            body,
            cache_control,
            cache_nondeterministic=self._nondeterministic,
            enabled=self._enabled,
        )
        if not eligibility.cacheable:
            return Lookup(eligibility)
        key = request_key(body, target=target, preference=preference)
        return Lookup(eligibility, key, await self._store.get(key))

    def hit_completion(self, answer: CachedAnswer) -> dict[str, Any]:
        """The stored answer as a new chat.completion: its own id and time, unsigned."""
        completion = answer.completion()
        completion["id"] = self._new_id()
        completion["created"] = int(self._now())
        completion["model"] = answer.model
        return completion

    async def save(self, lookup: Lookup, model: str, completion: dict[str, Any]) -> bool:
        """Store `completion` (unsigned, as `model` wrote it) for a missed request.

        Nothing is stored for a bypassed or hit request, or an answer that is not
        complete; returns whether it was stored. The completion is copied at
        once, so the caller may go on to sign it in place.
        """
        if lookup.key is None or lookup.hit or not is_complete(completion):
            return False
        await self._store.put(lookup.key, CachedAnswer.of(model, completion))
        return True

    async def invalidate(self, model: str | None = None) -> int:
        """Forget every answer, or those of one model (for instance when it is removed)."""
        return await self._store.invalidate(model)

    async def stats(self) -> CacheStats:
        return await self._store.stats()

"""The response cache front: decide, look up, answer again, store.

The gateway asks `lookup` before routing, answers a hit with `hit_completion`
(as JSON, or replayed as a stream by cache/replay.py), and offers each
successful answer to `save`. What is stored is the answer without the
signature: the signature is added when answering, so it never appears twice.

Two layers: the exact one (the request's key), then, on a miss, the semantic
one (cache/semantic.py) when it is given and the request has a last user text.
A semantic match only names an exact key: its answer comes from the same store.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from smarterrouter.cache.eligibility import CacheStatus, Eligibility, check_eligibility
from smarterrouter.cache.keys import context_key, last_user_text, request_key
from smarterrouter.cache.semantic import PromptVector, SemanticCache, SemanticMatch
from smarterrouter.cache.store import CachedAnswer, CacheStats, LayerStats, ResponseStore

Embed = Callable[[str], Awaitable[PromptVector | None]]

# An answer cut short by max_tokens ("length") is what the same request gets again;
# a filtered one or an unknown reason is not worth keeping.
COMPLETE_FINISH_REASONS = frozenset({"stop", "length", "tool_calls", "function_call"})


@dataclass(frozen=True)
class Lookup:
    """What the cache made of one request: bypassed, missed (with its key), or hit."""

    eligibility: Eligibility
    key: str | None = None
    answer: CachedAnswer | None = None
    context: str | None = None  # the context key, when the semantic layer applies
    prompt: PromptVector | None = None  # the last user text's embedding, if computed
    match: SemanticMatch | None = None  # set on a semantic hit

    @property
    def hit(self) -> bool:
        return self.answer is not None

    @property
    def header(self) -> str:
        """The `X-SmarterRouter-Cache` header value."""
        if self.match is not None and self.hit:
            return CacheStatus.HIT_SEMANTIC.value
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
        semantic: SemanticCache | None = None,
        new_id: Callable[[], str] = _new_completion_id,
        now: Callable[[], float] = time.time,
    ) -> None:
        self._store = store
        self._enabled = enabled
        self._nondeterministic = cache_nondeterministic
        self.semantic = semantic
        self._new_id = new_id
        self._now = now
        self._hits = self._misses = 0  # exact lookups (the semantic layer's reads not counted)

    async def lookup(
        self,
        body: Mapping[str, Any],
        *,
        target: str,
        preference: float | None,
        cache_control: str | None = None,
        embed: Embed | None = None,
    ) -> Lookup:
        """Check the request and, when it may use the cache, find its answer:
        by its exact key, else (given `embed` and a semantic layer) by meaning.

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
        answer = await self._store.get(key)
        if answer is not None:
            self._hits += 1
            return Lookup(eligibility, key, answer)
        self._misses += 1
        context = context_key(body, target=target, preference=preference)
        text = last_user_text(body)
        if self.semantic is None or embed is None or context is None or text is None:
            return Lookup(eligibility, key)
        prompt = await embed(text)
        if prompt is None:
            return Lookup(eligibility, key)
        return await self._similar(Lookup(eligibility, key, context=context, prompt=prompt))

    async def _similar(self, lookup: Lookup) -> Lookup:
        assert self.semantic is not None and lookup.context and lookup.prompt
        for match in self.semantic.find(lookup.context, lookup.prompt):
            answer = await self._store.get(match.key)
            if answer is None:  # evicted, expired or invalidated: never served from here
                self.semantic.drop(match.key)
                continue
            self.semantic.hit(match.key)
            return replace(lookup, answer=answer, match=match)
        self.semantic.miss()
        return lookup

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
        if self.semantic is not None and lookup.context and lookup.prompt:
            self.semantic.add(lookup.key, lookup.context, lookup.prompt, model)
        return True

    async def invalidate(self, model: str | None = None) -> int:
        """Forget every answer, or those of one model (for instance when it is removed);
        returns how many answers the exact layer held."""
        return (await self.forget(model))["exact"]

    async def forget(self, model: str | None = None) -> dict[str, int]:
        """Like `invalidate`, with what each layer forgot."""
        removed = {"exact": await self._store.invalidate(model)}
        if self.semantic is not None:
            removed["semantic"] = self.semantic.invalidate(model)
        return removed

    async def stats(self) -> CacheStats:
        """The store's own figures (its reads for the semantic layer included)."""
        return await self._store.stats()

    async def layer_stats(self) -> dict[str, LayerStats]:
        """The exact layer (its lookups; size, bytes and evictions from the store)
        and, if on, the semantic layer."""
        store = await self._store.stats()
        layers = {
            "exact": LayerStats(
                hits=self._hits,
                misses=self._misses,
                evictions=store.evictions,
                size=store.size,
                approx_bytes=store.approx_bytes,
                expirations=store.expirations,
            )
        }
        if self.semantic is not None:
            layers["semantic"] = self.semantic.stats()
        return layers

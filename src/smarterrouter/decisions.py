"""What happened to each request, as the DecisionRecord that storage keeps.

The gateway tells `DecisionNotes` how a request ended: answered by a routed or
named model (or failed), or answered from a cache. Cache hits are decisions
too (counted in /admin/stats, open to feedback); a repeated request reuses the
category it was recorded with rather than being classified again.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from smarterrouter.cache import Lookup
from smarterrouter.observability.context import request_id_var
from smarterrouter.routing.dispatch import Attempt
from smarterrouter.routing.policy import RoutedModel
from smarterrouter.routing.signals import RecentSignals, classify
from smarterrouter.storage import DecisionRecord, hash_conversation

if TYPE_CHECKING:
    from smarterrouter.gateway import Target


class DecisionNotes:
    def __init__(
        self, record: Callable[[DecisionRecord], None], router_model: str, remember: int
    ) -> None:
        """`record` takes each DecisionRecord (queued for storage, counted in metrics);
        `remember`: how many answered requests' signals to keep for cache hits."""
        self._record = record
        self._router_model = router_model
        self._signals_seen = RecentSignals(remember)

    def answered(
        self,
        body: Mapping[str, Any],
        target: Target,
        model: RoutedModel | None,
        status: int,
        started: float,
        attempts: list[Attempt],
        response_id: Any = None,
        key: str | None = None,
    ) -> None:
        """`key`: the request's cache key, when its answer may be served again."""
        decision = target.decision
        # A named model's answers are rated by category too, so classify them.
        signals = decision.signals if decision else classify(body)
        if model is not None:
            self._signals_seen.remember(key, signals)
        self._record(
            DecisionRecord(
                request_id=request_id_var.get() or "-",
                prompt_hash=hash_conversation(body.get("messages") or []),
                requested_model=str(body.get("model") or self._router_model),
                chosen_model=model.public_name if model else None,
                backend=model.backend if model else None,
                category=signals.category,
                difficulty=signals.difficulty,
                scores={n: s.total for n, s in decision.scores.items()} if decision else {},
                fallbacks=[{"model": a.model, "error": a.error} for a in attempts],
                reason=_decision_reason(target),
                status="ok" if status < 400 else "error",
                latency_ms=(time.perf_counter() - started) * 1000,
                response_id=str(response_id)[:128] if response_id else None,
            )
        )

    def hit(
        self,
        body: Mapping[str, Any],
        lookup: Lookup,
        model: str,
        response_id: Any,
        started: float,
    ) -> None:
        """A request answered from the cache by `model`'s stored answer."""
        signals = self._signals_seen.recall(lookup.key) or classify(body)
        self._record(
            DecisionRecord(
                request_id=request_id_var.get() or "-",
                prompt_hash=hash_conversation(body.get("messages") or []),
                requested_model=str(body.get("model") or self._router_model),
                chosen_model=model,
                backend=None,
                category=signals.category,
                difficulty=signals.difficulty,
                reason=_hit_reason(lookup),
                status="ok",
                latency_ms=(time.perf_counter() - started) * 1000,
                cached=True,
                response_id=str(response_id)[:128] if response_id else None,
            )
        )


def _hit_reason(lookup: Lookup) -> str:
    """What the decision record says of a cache hit: for a semantic one, which
    earlier request (by its key, never its text) matched, and how closely."""
    if lookup.match is None:
        return "answered from the response cache"
    return (
        f"answered from the semantic cache: request {lookup.match.key[:16]} matched "
        f"at similarity {lookup.match.similarity:.3f}"
    )


def _decision_reason(target: Target) -> str:
    if target.decision is None:
        return "model named by the client"
    if target.from_routing_cache:
        return f"{target.decision.reason} (decision from the routing cache)"
    return target.decision.reason

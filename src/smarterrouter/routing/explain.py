"""A Decision as people and tools read it: signals, the choice, and every model
with each factor of its score or the reason it was left out."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from smarterrouter.routing.policy import Decision, Snapshot
from smarterrouter.routing.scoring import MIN_SIZE_B

# Past this many tokens a request counts as long context, whatever the models.
LONG_CONTEXT_TOKENS = 8192


def explain(decision: Decision, snapshot: Snapshot) -> dict[str, Any]:
    """JSON-ready: what `/admin/explain` answers and `smarterrouter explain` prints."""
    s = decision.signals
    ranked = [*decision.candidates]
    candidates: list[dict[str, Any]] = [
        _scored(name, rank, decision, snapshot) for rank, name in enumerate(ranked, 1)
    ]
    candidates += [
        {"model": name, "eligible": False, "excluded": why}
        for name, why in sorted(decision.excluded.items())
    ]
    return {
        "signals": {
            "category": s.category,
            "difficulty": s.difficulty,
            "needs": {
                "vision": s.needs_vision,
                "tools": s.needs_tools,
                "json": s.needs_json,
                "long_context": s.estimated_tokens > LONG_CONTEXT_TOKENS
                or any("context" in why for why in decision.excluded.values()),
            },
            **asdict(s),
        },
        "decision": {
            "model": decision.model,
            "backend": decision.backend,
            "fallbacks": list(decision.fallbacks),
            "reason": decision.reason,
            "quality_preference": decision.preference,
        },
        "candidates": candidates,
    }


def _scored(name: str, rank: int, decision: Decision, snapshot: Snapshot) -> dict[str, Any]:
    breakdown = decision.scores[name]
    model = snapshot.find(name)
    notes = []
    if breakdown.size_penalty > 0 and model is not None and model.size_b is not None:
        s = decision.signals
        minimum = MIN_SIZE_B[s.category][s.difficulty]
        notes.append(f"{model.size_b:.3g}B is below {minimum:g}B for {s.difficulty} {s.category}")
    if breakdown.loaded_bonus:
        notes.append("already loaded")
    factors = asdict(breakdown)
    total = factors.pop("total")
    source = factors.pop("quality_source")
    return {
        "model": name,
        "eligible": True,
        "rank": rank,
        "total": total,
        "quality_source": source,
        "factors": factors,
        "notes": notes,
    }

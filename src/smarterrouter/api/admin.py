"""Admin endpoints: what the router knows and why it decides as it does."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from fastapi import APIRouter

from smarterrouter.api.deps import GatewayDep
from smarterrouter.security.limits import RawBody

router = APIRouter(prefix="/admin")


@router.post("/explain")
async def explain(body: RawBody, gateway: GatewayDep) -> dict[str, Any]:
    """The routing decision a chat request would get, with every model's scores."""
    decision = await gateway.explain_raw(body)
    return {
        "model": decision.model,
        "backend": decision.backend,
        "fallbacks": list(decision.fallbacks),
        "reason": decision.reason,
        "signals": asdict(decision.signals),
        "scores": {name: asdict(s) for name, s in decision.scores.items()},
        "excluded": dict(decision.excluded),
    }


@router.get("/models")
async def models(gateway: GatewayDep) -> dict[str, Any]:
    """Every model the backends serve, with what is known of it."""
    return {"models": gateway.describe_models()}

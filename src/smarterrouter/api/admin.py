"""Admin endpoints: what the router knows and why it decides as it does."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query

from smarterrouter.api.deps import GatewayDep
from smarterrouter.api.openai import QualityHeader
from smarterrouter.security.limits import RawBody

router = APIRouter(prefix="/admin")


@router.post("/explain")
async def explain(
    body: RawBody, gateway: GatewayDep, quality: QualityHeader = None
) -> dict[str, Any]:
    """The decision a chat request (the whole body) would get, and why."""
    return await gateway.explain_raw(body, quality)


@router.get("/explain")
async def explain_prompt(
    gateway: GatewayDep,
    prompt: str = Query(min_length=1, description="the user's message"),
    model: str | None = Query(default=None, description="a router model, e.g. smarterrouter/best"),
    quality: QualityHeader = None,
) -> dict[str, Any]:
    """The decision a one-message chat would get, and why."""
    body: dict[str, Any] = {"messages": [{"role": "user", "content": prompt}]}
    if model:
        body["model"] = model
    return await gateway.explain(body, quality)


@router.get("/models")
async def models(gateway: GatewayDep) -> dict[str, Any]:
    """Every model the backends serve, with what is known of it."""
    return {"models": gateway.describe_models()}

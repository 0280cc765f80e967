"""Admin endpoints: what the router knows and why it decides as it does."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from smarterrouter.api.deps import GatewayDep, RecorderDep, StorageDep
from smarterrouter.api.openai import QualityHeader
from smarterrouter.observability.metrics import CONTENT_TYPE
from smarterrouter.security.limits import RawBody
from smarterrouter.vram.status import vram_status

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


@router.get("/stats")
async def stats(
    storage: StorageDep,
    recorder: RecorderDep,
    window: int = Query(default=3600, ge=1, le=90 * 86400, description="seconds to look back"),
) -> dict[str, Any]:
    """Requests per category, difficulty and model, fallbacks, cache outcomes and
    latency per model, over the last `window` seconds."""
    await recorder.flush()  # count the requests of the last moments too
    since = datetime.now(UTC) - timedelta(seconds=window)
    return {"window_seconds": window, **await storage.decision_stats(since)}


@router.get("/backends")
async def backends(request: Request) -> dict[str, Any]:
    """Each backend: reachable at the last discovery, how many models, and the
    state of its circuit breakers (one per operation, once used)."""
    registry = request.app.state.registry
    breakers = [asdict(b) for b in request.app.state.breakers.snapshots()]
    return {
        "backends": [
            _backend(name, registry.status.get(name), breakers) for name in registry.backends
        ]
    }


def _backend(name: str, status: Any, breakers: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "name": name,
        "ok": status.ok if status else None,  # None: not asked yet
        "models": status.models if status else 0,
        "error": status.error if status else None,
        "circuit_breakers": [b for b in breakers if b["backend"] == name],
    }


@router.get("/vram")
async def vram(request: Request) -> dict[str, Any]:
    """GPUs (or system memory) with total, used and free, the budget, what each
    managed backend says it has loaded (and where that figure comes from), and
    warnings."""
    settings = request.app.state.settings
    monitor = request.app.state.vram_monitor
    status = await vram_status(
        list(request.app.state.registry.backends.values()),
        max_total_gb=settings.vram_max_total_gb,
        buffer_gb=settings.vram_buffer_gb,
        threshold_pct=settings.vram_unload_threshold_pct,
        probe=getattr(request.app.state, "vram_probe", None),
    )
    status["history"] = [sample.as_dict() for sample in monitor.history]
    return status


@router.get("/cache")
async def cache(request: Request) -> dict[str, Any]:
    """The response cache: entries, approximate bytes, hits, misses, evictions, hit rate."""
    stats = asdict(await request.app.state.cache.stats())
    looked = stats["hits"] + stats["misses"]
    return {"response": {**stats, "hit_rate": round(stats["hits"] / looked, 4) if looked else None}}


@router.post("/cache/invalidate")
async def invalidate_cache(
    request: Request,
    model: str | None = Query(default=None, description="only this model's answers"),
) -> dict[str, Any]:
    """Forget cached answers: all of them, or one model's."""
    removed = await request.app.state.cache.invalidate(model)
    return {"removed": removed, "model": model}


# Prometheus scrapes /metrics; it is guarded like /admin (an admin key, or loopback).
metrics_router = APIRouter()


@metrics_router.get("/metrics")
async def metrics(request: Request) -> Response:
    """Prometheus metrics: requests, latency, selections, fallbacks, cache, tokens,
    breakers, busy models, loaded memory."""
    return Response(request.app.state.metrics.render(), media_type=CONTENT_TYPE)

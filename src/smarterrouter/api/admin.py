"""Admin endpoints: what the router knows and why it decides as it does."""

from __future__ import annotations

import contextlib
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import APIRouter, Query, Request
from starlette.exceptions import HTTPException
from starlette.responses import Response

from smarterrouter.api.deps import BenchmarksDep, GatewayDep, RecorderDep, StorageDep
from smarterrouter.api.openai import QualityHeader
from smarterrouter.cache.report import cache_report
from smarterrouter.errors import ServiceUnavailable
from smarterrouter.observability.metrics import CONTENT_TYPE
from smarterrouter.profiling.assembly import Profiling
from smarterrouter.profiling.jobs import choose
from smarterrouter.profiling.progress import JobStatus
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
    """Per layer (exact, semantic, routing): on or off and why, entries, hits,
    misses, evictions, hit rate, approximate bytes."""
    return await cache_report(request.app.state.caches)


@router.post("/cache/invalidate")
async def invalidate_cache(
    request: Request,
    model: str | None = Query(default=None, description="only this model's answers"),
    response_cache_only: bool = Query(
        default=False, description="forget answers only, keep the routing decisions"
    ),
) -> dict[str, Any]:
    """Forget cached answers (all, or one model's) and, unless told otherwise,
    every routing decision."""
    caches = request.app.state.caches
    removed = await caches.responses.forget(model)
    removed.setdefault("semantic", 0)
    removed["routing"] = 0 if response_cache_only else caches.routes.invalidate()
    return {"removed": removed, "model": model, "response_cache_only": response_cache_only}


# --- Profiling: jobs run in the background; these handlers only start and read them.


def _profiling(request: Request) -> Profiling:
    profiling: Profiling | None = request.app.state.profiling
    if profiling is None:
        raise ServiceUnavailable("profiling is unavailable: its prompt set did not load (see log)")
    return profiling


@router.post("/reprofile", status_code=202)
async def reprofile(
    request: Request,
    models: str | None = Query(default=None, description="comma-separated model names"),
    force: bool = Query(default=False, description="also models whose profile is current"),
) -> dict[str, Any]:
    """Start profiling (all chat models, or `models`) and answer at once with the job."""
    profiling = _profiling(request)
    names = [n.strip() for n in (models or "").split(",") if n.strip()]
    registry = request.app.state.registry
    snapshot = registry.snapshot
    if any(snapshot.find(n) is None for n in names):
        snapshot = await registry.refresh_if_stale()
    job = await profiling.jobs.start(choose(snapshot, names), force=force)
    return {"job_id": job.id, "url": f"/admin/jobs/{job.id}", **job.as_dict()}


@router.get("/jobs/{job_id}")
async def job_status(request: Request, job_id: str) -> dict[str, Any]:
    """A profiling job: its state and each model's progress (prompts done of total)."""
    return _job_or_404(await _profiling(request).jobs.status(job_id), job_id)


@router.delete("/jobs/{job_id}")
@router.post("/jobs/{job_id}/cancel")
async def cancel_job(request: Request, job_id: str) -> dict[str, Any]:
    """Cancel a profiling job: the model in progress is not stored, the rest are skipped."""
    return _job_or_404(await _profiling(request).jobs.cancel(job_id), job_id)


def _job_or_404(job: JobStatus | None, job_id: str) -> dict[str, Any]:
    if job is None:
        raise HTTPException(404, f"no profiling job {job_id!r}")
    return job.as_dict()


@router.get("/profiles")
async def profiles(request: Request) -> dict[str, Any]:
    """Each model's latest profile: per category the score and how it was obtained,
    speed, memory with its source, prompt-set version, and when."""
    found = await _profiling(request).store.latest_profiles()
    snapshot = request.app.state.registry.snapshot
    # Profiles of removed models stay, as history: `served` tells them apart.
    return {
        "profiles": [{**p.as_dict(), "served": snapshot.find(p.model) is not None} for p in found]
    }


@router.get("/benchmarks")
async def benchmarks(bench: BenchmarksDep, gateway: GatewayDep) -> dict[str, Any]:
    """Per served model: the table entry it matched and how (mapping file, exact
    name, parsed name, default size), its figures with their sources, bundled and
    synced; the models that matched nothing, and why."""
    served = [(m["name"], m["native_name"]) for m in gateway.describe_models()]
    return bench.catalog.describe(served)


@router.post("/sync-benchmarks")
async def sync_benchmarks(bench: BenchmarksDep) -> dict[str, Any]:
    """Fetch the configured leaderboards now; answers with what each gave or why it failed."""
    return await bench.sync_now()


# Prometheus scrapes /metrics; it is guarded like /admin (an admin key, or loopback).
metrics_router = APIRouter()


@metrics_router.get("/metrics")
async def metrics(request: Request) -> Response:
    """Prometheus metrics: requests, latency, selections, fallbacks, cache, tokens,
    breakers, busy models, loaded memory."""
    metrics, caches = request.app.state.metrics, request.app.state.caches
    # A shared cache store out of reach (Redis) leaves its gauges as last read;
    # every other metric is still worth scraping, then most of all.
    with contextlib.suppress(ServiceUnavailable):
        metrics.cache_layers.update(await caches.layer_stats(), caches.embedder.failures)
    return Response(metrics.render(), media_type=CONTENT_TYPE)

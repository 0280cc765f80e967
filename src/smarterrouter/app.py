"""create_app(settings) -> FastAPI. The lifespan builds every part and closes it."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel
from starlette.exceptions import HTTPException
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import JSONResponse

from smarterrouter import __version__
from smarterrouter.api import admin, feedback, health, openai
from smarterrouter.api.fast import ChatFastPath
from smarterrouter.api.openai import router_error_response
from smarterrouter.api.schema import with_body_schemas
from smarterrouter.backends.factory import breaker_config, create_backend
from smarterrouter.backends.registry import BackendRegistry
from smarterrouter.backends.resilience import CircuitBreakers
from smarterrouter.cache import MemoryResponseStore, ResponseCache
from smarterrouter.errors import RouterError
from smarterrouter.gateway import Gateway
from smarterrouter.health import Readiness
from smarterrouter.observability.logs import Redactor, settings_secrets
from smarterrouter.observability.metrics import Metrics, StateGauges
from smarterrouter.observability.middleware import RequestContextMiddleware
from smarterrouter.protocol.openai import ChatCompletionRequest, EmbeddingRequest
from smarterrouter.ratings import FeedbackRequest, Ratings
from smarterrouter.routing.dispatch import Dispatcher
from smarterrouter.routing.feedback import FeedbackBook
from smarterrouter.security.admin import require_admin
from smarterrouter.security.cors import cors_options
from smarterrouter.security.gate import ClientGate
from smarterrouter.settings import Settings
from smarterrouter.shutdown import Draining, ShutdownGate
from smarterrouter.storage import DecisionRecord, DecisionRecorder, Storage
from smarterrouter.vram import compute_budget
from smarterrouter.vram.manager import MemoryManager
from smarterrouter.vram.monitor import VramMonitor

log = logging.getLogger(__name__)


def create_app(settings: Settings) -> FastAPI:
    app = FastAPI(
        title="SmarterRouter",
        version=__version__,
        lifespan=_lifespan,
        docs_url="/docs",
        redoc_url=None,
    )
    app.state.settings = settings
    # Upstream error messages reach clients; a backend that echoes our key must
    # not hand it to them.
    app.state.redact = Redactor(settings_secrets(settings))
    # Added innermost first: request ids and the access line wrap every answer,
    # CORS headers reach refusals too, and a draining router refuses before
    # spending a rate-limit hit.
    app.add_middleware(ChatFastPath)
    app.add_middleware(ClientGate, settings=settings)
    app.state.draining = Draining()
    app.add_middleware(ShutdownGate, draining=app.state.draining)
    if (cors := cors_options(settings)) is not None:
        app.add_middleware(CORSMiddleware, **cors)
    app.state.metrics = Metrics()
    app.add_middleware(RequestContextMiddleware, on_done=app.state.metrics.observe_http)
    app.include_router(openai.router)
    app.include_router(feedback.router)
    app.include_router(health.router)
    app.include_router(admin.router, dependencies=[require_admin])
    app.include_router(admin.metrics_router, dependencies=[require_admin])
    body_models: list[type[BaseModel]] = [ChatCompletionRequest, EmbeddingRequest, FeedbackRequest]
    app.openapi = with_body_schemas(app, body_models)  # type: ignore[method-assign]
    _add_error_handlers(app)
    return app


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    storage = await Storage.open(settings.database_url)
    recorder = DecisionRecorder(storage)
    recorder.start()
    breakers = CircuitBreakers(breaker_config(settings))
    registry = BackendRegistry(
        [create_backend(c, settings, breakers) for c in settings.backend_configs()],
        settings.model_overrides,
    )
    app.state.breakers = breakers
    await _discover(registry, storage)
    book = FeedbackBook(
        (t.model, t.category, t.count, t.total) for t in await storage.feedback_totals()
    )
    app.state.registry = registry
    app.state.storage = storage
    app.state.recorder = recorder
    monitor = VramMonitor(settings.vram_monitor_interval)
    app.state.vram_monitor = monitor
    memory = await _memory_manager(settings, registry, monitor)
    if settings.vram_monitor_enabled:
        monitor.start()
    app.state.memory = memory
    metrics: Metrics = app.state.metrics
    metrics.add_gauges(StateGauges(breakers.snapshots, memory.busy_counts, memory.last_seen_loaded))
    cache = ResponseCache(
        MemoryResponseStore(settings.cache_response_max_size, settings.cache_ttl_seconds),
        enabled=settings.cache_enabled,
        cache_nondeterministic=settings.cache_nondeterministic,
    )
    app.state.cache = cache
    app.state.gateway = Gateway(
        settings,
        registry,
        Dispatcher(registry, memory),
        _recording(recorder, metrics),
        app.state.redact,
        book,
        cache,
        metrics,
    )
    app.state.ratings = Ratings(storage, recorder, book, registry)
    app.state.readiness = Readiness(registry.backends, storage.check)
    poller = asyncio.create_task(_poll(registry, storage, cache, settings.polling_interval))
    pinning = asyncio.create_task(memory.load_pinned())
    log.info(
        "SmarterRouter %s serving %s on %s:%s with %d models from %d backends",
        __version__,
        settings.external_model_name,
        settings.host,
        settings.port,
        len(registry.snapshot.models),
        len(registry.backends),
    )
    try:
        yield
    finally:
        await monitor.aclose()
        for task in (poller, pinning):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await recorder.aclose()
        await registry.aclose()
        await storage.aclose()


def _recording(recorder: DecisionRecorder, metrics: Metrics) -> Callable[[DecisionRecord], None]:
    """Each decision goes to the database (queued) and into the metrics."""

    def record(row: DecisionRecord) -> None:
        recorder.record(row)
        metrics.observe_decision(row)

    return record


async def _memory_manager(
    settings: Settings, registry: BackendRegistry, monitor: VramMonitor
) -> MemoryManager:
    """The budget is fixed at start: the probes' total (or the configured limit)
    less the buffer; what is loaded is asked of the backends at each decision."""
    report = (await monitor.sample()).report
    budget = compute_budget(
        report.total_bytes,
        max_total_gb=settings.vram_max_total_gb,
        buffer_gb=settings.vram_buffer_gb,
    )
    log.info(
        "memory: %s; budget %.2f GiB (%s)", report.summary, budget.bytes / 2**30, budget.source
    )
    return MemoryManager(
        registry,
        lambda: budget.bytes,
        strategy=settings.vram_unload_strategy,
        pinned=settings.pinned_model,
        auto_unload=settings.vram_auto_unload_enabled,
        unmanaged={c.name for c in settings.backend_configs() if not c.manage_memory},
        default_gb=settings.vram_default_estimate_gb,
    )


async def _discover(registry: BackendRegistry, storage: Storage) -> None:
    snapshot = await registry.refresh()
    # Only backends that answered can say a model is gone.
    await storage.upsert_models(
        {m.public_name: m.info for m in snapshot.models},
        datetime.now(UTC),
        backends={n for n, s in registry.status.items() if s.ok},
    )


async def _poll(
    registry: BackendRegistry, storage: Storage, cache: ResponseCache, interval: float
) -> None:
    while True:
        await asyncio.sleep(interval)
        try:
            before = {m.public_name for m in registry.snapshot.models}
            await _discover(registry, storage)
            # A model that is gone must not answer from the cache.
            for name in before - {m.public_name for m in registry.snapshot.models}:
                await cache.invalidate(name)
        except Exception:  # the poller must outlive any one failure
            log.exception("model discovery failed; will try again in %ss", interval)


def _add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RouterError)
    async def router_error(request: Request, exc: RouterError) -> JSONResponse:
        return router_error_response(request, exc)

    @app.exception_handler(RequestValidationError)
    async def validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()))
        body = {
            "error": {
                "message": f"Invalid request: {where}: {first.get('msg', '')}",
                "type": "invalid_request_error",
                "param": None,
                "code": "invalid_request",
            }
        }
        return JSONResponse(body, status_code=400)

    @app.exception_handler(HTTPException)
    async def http_error(_: Request, exc: HTTPException) -> JSONResponse:
        kind = "not_found" if exc.status_code == 404 else "http_error"
        body = {
            "error": {
                "message": str(exc.detail),
                "type": "invalid_request_error",
                "param": None,
                "code": kind,
            }
        }
        return JSONResponse(body, status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(Exception)
    async def unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error")
        body = {
            "error": {
                "message": "Internal error in the router; see its log",
                "type": "server_error",
                "param": None,
                "code": "internal_error",
            }
        }
        return JSONResponse(body, status_code=500)

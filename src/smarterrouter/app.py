"""create_app(settings) -> FastAPI. The lifespan builds every part and closes it."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING

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
from smarterrouter.benchmarks.service import Benchmarks
from smarterrouter.cache import MemoryResponseStore, ResponseCache, ResponseStore
from smarterrouter.cache.report import CacheParts
from smarterrouter.cache.routing import RoutingCache
from smarterrouter.cache.semantic import SemanticCache
from smarterrouter.errors import RouterError
from smarterrouter.gateway import Gateway
from smarterrouter.health import Readiness
from smarterrouter.observability.logs import Redactor, settings_secrets
from smarterrouter.observability.metrics import Metrics, StateGauges
from smarterrouter.observability.middleware import RequestContextMiddleware
from smarterrouter.observability.outage import url_without_credentials
from smarterrouter.observability.tracing import Tracing
from smarterrouter.profiling.assembly import Profiling, build_profiling
from smarterrouter.profiling.prior import ProfilePriors
from smarterrouter.protocol.openai import ChatCompletionRequest, EmbeddingRequest
from smarterrouter.ratings import FeedbackRequest, Ratings
from smarterrouter.routing.classifier import load_models
from smarterrouter.routing.dispatch import Dispatcher
from smarterrouter.routing.feedback import FeedbackBook
from smarterrouter.routing.quality import QualitySource, QualitySources
from smarterrouter.security.admin import require_admin
from smarterrouter.security.cors import cors_options
from smarterrouter.security.gate import ClientGate
from smarterrouter.security.ratelimit import create_limiter
from smarterrouter.settings import Settings
from smarterrouter.shutdown import Draining, ShutdownGate
from smarterrouter.storage import DecisionRecord, DecisionRecorder, Storage
from smarterrouter.vram.manager import MemoryManager
from smarterrouter.vram.monitor import VramMonitor
from smarterrouter.vram.setup import memory_manager

if TYPE_CHECKING:  # redis is imported only when ROUTER_REDIS_URL is set
    from smarterrouter.cache.semantic_feed import SemanticFeed

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
    # Made here for the gate; its Redis connections (if any) are closed by the lifespan.
    app.state.rate_limiter = create_limiter(settings) if settings.rate_limit_enabled else None
    app.add_middleware(ChatFastPath)
    app.add_middleware(ClientGate, settings=settings, limiter=app.state.rate_limiter)
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
    # The request classifier's weights (a few MB of JSON), read before the first
    # request rather than by it, and off the event loop.
    await asyncio.to_thread(load_models)
    storage = await Storage.open(settings.database_url)
    recorder = DecisionRecorder(storage)
    recorder.start()
    breakers = CircuitBreakers(breaker_config(settings))
    tracing = Tracing(settings.otel_endpoint, service_name=settings.otel_service_name)
    hook = tracing.request_hook()
    registry = BackendRegistry(
        [create_backend(c, settings, breakers, hook) for c in settings.backend_configs()],
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
    monitor = VramMonitor(
        settings.vram_monitor_interval, probe=getattr(app.state, "vram_probe", None)
    )
    app.state.vram_monitor = monitor
    memory = await memory_manager(settings, registry, monitor)
    if settings.vram_monitor_enabled:
        monitor.start()
    app.state.memory = memory
    app.state.profiling = await _profiling(app, registry, memory, storage)
    metrics: Metrics = app.state.metrics
    metrics.add_gauges(StateGauges(breakers.snapshots, memory.busy_counts, memory.last_seen_loaded))
    response_store, close_response_store = _response_store(settings)
    cache = ResponseCache(
        response_store,
        enabled=settings.cache_enabled,
        cache_nondeterministic=settings.cache_nondeterministic,
        semantic=_semantic_layer(settings),
    )
    app.state.cache = cache
    feed = _semantic_feed(settings, cache.semantic)
    sharing = asyncio.create_task(feed.run() if feed is not None else asyncio.sleep(0))
    # Call app.state.routing_cache.invalidate() when anything routing reads changes.
    routes = RoutingCache(settings.cache_max_size, enabled=settings.cache_enabled)
    app.state.routing_cache = routes
    benchmarks = await Benchmarks.open(settings, on_change=routes.invalidate)
    app.state.benchmarks = benchmarks
    app.state.gateway = Gateway(
        settings,
        registry,
        Dispatcher(registry, memory, tracing),
        _recording(recorder, metrics),
        app.state.redact,
        book,
        cache,
        metrics,
        routes,
        # In order: the first source that knows a model gives its quality prior
        # (measured profiles go ahead of published benchmarks once there are any).
        QualitySources((*await _profile_priors(app, registry, routes), benchmarks.prior)),
    )
    app.state.caches = CacheParts(
        cache,
        routes,
        app.state.gateway.prompt_embedder,
        app.state.gateway.embedding_model_name,
        settings.cache_enabled,
    )
    app.state.ratings = Ratings(storage, recorder, book, registry)
    app.state.readiness = Readiness(registry.backends, storage.check)
    poller = asyncio.create_task(_poll(registry, storage, cache, routes, settings.polling_interval))
    pinning = asyncio.create_task(memory.load_pinned())
    profiler = asyncio.create_task(
        _profile_discovered(registry, app.state.profiling, settings.polling_interval)
        if settings.profile_on_discovery and app.state.profiling is not None
        else asyncio.sleep(0)
    )
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
        await benchmarks.aclose()
        if app.state.profiling is not None:
            await app.state.profiling.aclose()
        for task in (poller, pinning, profiler, sharing):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await recorder.aclose()
        await registry.aclose()
        await storage.aclose()
        tracing.shutdown()  # sends the spans still batched
        await close_response_store()
        if feed is not None:
            await feed.aclose()
        if app.state.rate_limiter is not None:
            await app.state.rate_limiter.aclose()


def _response_store(settings: Settings) -> tuple[ResponseStore, Callable[[], Awaitable[None]]]:
    """In memory, or in Redis when ROUTER_REDIS_URL is set (shared by every router on it);
    with what closes it at shutdown. redis is imported only then."""
    if settings.redis_url is None:
        store = MemoryResponseStore(settings.cache_response_max_size, settings.cache_ttl_seconds)
        return store, _nothing_to_close
    from smarterrouter.cache.redis_store import RedisResponseStore

    shared = RedisResponseStore.from_url(
        settings.redis_url,
        max_size=settings.cache_response_max_size,
        ttl_seconds=settings.cache_ttl_seconds,
        prefix=settings.redis_key_prefix,
    )
    log.info("response cache: in %s, keys under %r", shared.where, settings.redis_key_prefix)
    return shared, shared.aclose


async def _nothing_to_close() -> None:
    return None


def _semantic_feed(settings: Settings, semantic: SemanticCache | None) -> SemanticFeed | None:
    """With Redis, the semantic layer's entries are shared with the other routers."""
    if settings.redis_url is None or semantic is None:
        return None
    from redis.asyncio import Redis

    from smarterrouter.cache.semantic_feed import SemanticFeed

    # Its own connections: a read waits up to a second for news, longer than the
    # response store's per-command timeout.
    client = Redis.from_url(settings.redis_url, socket_connect_timeout=1.0, socket_timeout=5.0)
    feed = SemanticFeed(
        client,
        semantic,
        prefix=settings.redis_key_prefix,
        max_len=settings.cache_response_max_size,
        where=url_without_credentials(settings.redis_url),
    )
    semantic.listener = feed
    return feed


def _semantic_layer(settings: Settings) -> SemanticCache | None:
    """The semantic cache when it is on; numpy (the vector index) is loaded only then."""
    if not (settings.cache_enabled and settings.cache_semantic_enabled):
        return None
    from smarterrouter.cache.vector import VectorIndex

    return SemanticCache(
        VectorIndex,
        threshold=settings.cache_similarity_threshold,
        max_size=settings.cache_response_max_size,
    )


def _recording(recorder: DecisionRecorder, metrics: Metrics) -> Callable[[DecisionRecord], None]:
    """Each decision goes to the database (queued) and into the metrics."""

    def record(row: DecisionRecord) -> None:
        recorder.record(row)
        metrics.observe_decision(row)

    return record


async def _profiling(
    app: FastAPI, registry: BackendRegistry, memory: MemoryManager, storage: Storage
) -> Profiling | None:
    """The profiler, or None (logged) when its prompt set cannot be loaded: the
    router still routes without it. Jobs a previous process left running are
    marked interrupted."""
    try:
        profiling = await build_profiling(
            app.state.settings,
            registry,
            memory,
            storage,
            probe=getattr(app.state, "vram_probe", None),
        )
    except Exception:
        log.exception("profiling is unavailable")
        return None
    if interrupted := await profiling.store.interrupt_running_jobs(datetime.now(UTC)):
        log.warning("%d profiling job(s) cut short by a restart: interrupted", interrupted)
    return profiling


async def _profile_priors(
    app: FastAPI, registry: BackendRegistry, routes: RoutingCache
) -> tuple[QualitySource, ...]:
    """Measured profiles as the first quality source, kept up to date as jobs store
    profiles; none when profiling is unavailable."""
    profiling: Profiling | None = app.state.profiling
    if profiling is None:
        return ()
    priors = ProfilePriors()

    async def refresh() -> None:
        sizes = {m.public_name: m.size_b for m in registry.snapshot.models}
        profiles = await profiling.store.latest_profiles()
        priors.update(profiles, sizes)
        app.state.memory.take_profiles(profiles)  # measured footprints, for the planner
        routes.invalidate()  # decisions ranked the models by the old priors

    profiling.jobs.on_stored = refresh
    await refresh()
    return (priors,)


async def _discover(registry: BackendRegistry, storage: Storage) -> None:
    snapshot = await registry.refresh()
    # Only backends that answered can say a model is gone.
    await storage.upsert_models(
        {m.public_name: m.info for m in snapshot.models},
        datetime.now(UTC),
        backends={n for n, s in registry.status.items() if s.ok},
    )


async def _poll(
    registry: BackendRegistry,
    storage: Storage,
    cache: ResponseCache,
    routes: RoutingCache,
    interval: float,
) -> None:
    while True:
        await asyncio.sleep(interval)
        try:
            before = {m.public_name for m in registry.snapshot.models}
            await _discover(registry, storage)
            after = {m.public_name for m in registry.snapshot.models}
            # A model that is gone must not answer from the cache.
            for name in before - after:
                await cache.invalidate(name)
            if before != after:  # decisions ranked the old set of models
                routes.invalidate()
        except Exception:  # the poller must outlive any one failure
            log.exception("model discovery failed; will try again in %ss", interval)


async def _profile_discovered(
    registry: BackendRegistry, profiling: Profiling, interval: float
) -> None:
    """After each poll's interval, profile the models discovery found new or changed."""
    while True:
        await asyncio.sleep(interval)
        try:
            await profiling.jobs.start_discovered(registry.snapshot)
        except Exception:  # like the poller, this must outlive any one failure
            log.exception("cannot start profiling discovered models; will try again")


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

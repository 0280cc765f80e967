"""Prometheus metrics: counted where things happen, gauges read at scrape time.

One registry per app (not the process-wide default), so that several routers
in one process, as in the tests, never share counters.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from smarterrouter.cache.store import LayerStats
from smarterrouter.storage import DecisionRecord

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)
_BREAKER_STATES = ("closed", "open", "half_open")


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.http_requests = Counter(
            "smarterrouter_http_requests_total", "HTTP requests by route, method and status",
            ["route", "method", "status"], registry=r,
        )  # fmt: skip
        self.http_latency = Histogram(
            "smarterrouter_http_request_duration_seconds", "HTTP request latency (whole stream)",
            ["route", "method"], buckets=_LATENCY_BUCKETS, registry=r,
        )  # fmt: skip
        self.selections = Counter(
            "smarterrouter_model_selections_total", "Requests answered, by model and category",
            ["model", "category"], registry=r,
        )  # fmt: skip
        self.failed_attempts = Counter(
            "smarterrouter_backend_failures_total", "Models that failed before another answered",
            ["model"], registry=r,
        )  # fmt: skip
        self.fallbacks = Counter(
            "smarterrouter_fallbacks_total", "Requests answered by a fallback model", registry=r
        )
        self.errors = Counter(
            "smarterrouter_request_errors_total", "Chat requests no model could answer",
            registry=r,
        )  # fmt: skip
        self.cache = Counter(
            "smarterrouter_cache_requests_total", "Response cache outcomes", ["outcome"],
            registry=r,
        )  # fmt: skip
        self.tokens = Counter(
            "smarterrouter_tokens_total", "Tokens by model and direction (prompt, completion)",
            ["model", "direction"], registry=r,
        )  # fmt: skip
        self.model_latency = Histogram(
            "smarterrouter_model_request_duration_seconds", "Chat latency by answering model",
            ["model"], buckets=_LATENCY_BUCKETS, registry=r,
        )  # fmt: skip
        self.cache_layers = CacheLayerCounters()
        r.register(self.cache_layers)

    def observe_http(self, route: str, method: str, status: int, seconds: float) -> None:
        self.http_requests.labels(route, method, str(status)).inc()
        self.http_latency.labels(route, method).observe(seconds)

    def observe_decision(self, record: DecisionRecord) -> None:
        for attempt in record.fallbacks:
            self.failed_attempts.labels(str(attempt.get("model", "?"))).inc()
        if record.status != "ok" or record.chosen_model is None:
            self.errors.inc()
            return
        model = record.chosen_model
        self.selections.labels(model, record.category or "none").inc()
        self.model_latency.labels(model).observe(record.latency_ms / 1000)
        if record.fallbacks:
            self.fallbacks.inc()

    def observe_cache(self, header: str) -> None:
        self.cache.labels(header.split(";", 1)[0]).inc()

    def observe_usage(self, model: str, usage: Mapping[str, Any] | None) -> None:
        if not usage:
            return
        for direction in ("prompt", "completion"):
            count = usage.get(f"{direction}_tokens")
            if isinstance(count, int) and count > 0:
                self.tokens.labels(model, direction).inc(count)

    def add_gauges(self, collector: Collector) -> None:
        self.registry.register(collector)

    def render(self) -> bytes:
        return generate_latest(self.registry)


class CacheLayerCounters(Collector):
    """Hits, misses, evictions and entries per cache layer (exact, semantic, routing).

    The layers keep their own counters (a shared store answers asynchronously),
    so the /metrics handler hands over a fresh reading with `update` before
    rendering; this collector reports the last one.
    """

    def __init__(self) -> None:
        self._layers: Mapping[str, LayerStats] = {}
        self._embedding_failures = 0

    def update(self, layers: Mapping[str, LayerStats], embedding_failures: int) -> None:
        self._layers = dict(layers)
        self._embedding_failures = embedding_failures

    def collect(self) -> Iterable[CounterMetricFamily | GaugeMetricFamily]:
        for field in ("hits", "misses", "evictions"):
            family = CounterMetricFamily(
                f"smarterrouter_cache_{field}", f"Cache {field}, by layer", labels=["layer"]
            )
            for layer, stats in self._layers.items():
                family.add_metric([layer], float(getattr(stats, field)))
            yield family
        entries = GaugeMetricFamily(
            "smarterrouter_cache_entries", "Entries held, by cache layer", labels=["layer"]
        )
        for layer, stats in self._layers.items():
            entries.add_metric([layer], float(stats.size))
        yield entries
        yield CounterMetricFamily(
            "smarterrouter_cache_embedding_failures",
            "Requests that went without the semantic cache because the embedding failed",
            value=float(self._embedding_failures),
        )


class StateGauges(Collector):
    """Values read when Prometheus scrapes: breaker states, busy models, memory."""

    def __init__(
        self,
        breakers: Callable[[], Iterable[Any]],
        busy: Callable[[], Mapping[str, int]],
        loaded: Callable[[], Mapping[str, int]],
        gpus: Callable[[], Iterable[Any]] = list,
    ) -> None:
        self._breakers = breakers
        self._busy = busy
        self._loaded = loaded
        self._gpus = gpus

    def collect(self) -> Iterable[GaugeMetricFamily]:
        state = GaugeMetricFamily(
            "smarterrouter_circuit_breaker_state",
            "1 for the state each breaker is in",
            labels=["backend", "operation", "state"],
        )
        for b in self._breakers():
            for name in _BREAKER_STATES:
                state.add_metric([b.backend, b.operation, name], 1.0 if b.state == name else 0.0)
        yield state
        busy = GaugeMetricFamily(
            "smarterrouter_in_flight_requests", "Calls and streams in progress, by model",
            labels=["model"],
        )  # fmt: skip
        for model, count in self._busy().items():
            busy.add_metric([model], float(count))
        yield busy
        memory = GaugeMetricFamily(
            "smarterrouter_loaded_model_bytes", "Memory of each loaded model, by the backend",
            labels=["model"],
        )  # fmt: skip
        for model, size in self._loaded().items():
            memory.add_metric([model], float(size))
        yield memory
        gpu = GaugeMetricFamily(
            "smarterrouter_gpu_memory_bytes", "GPU memory at the last sample, per device",
            labels=["device", "name", "kind"],
        )  # fmt: skip
        for g in self._gpus():
            for kind in ("total", "used", "free"):
                value = getattr(g, f"{kind}_bytes")
                if value is not None:
                    gpu.add_metric([f"{g.vendor}:{g.index}", g.name, kind], float(value))
        yield gpu

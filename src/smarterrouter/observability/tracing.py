"""OpenTelemetry traces, when `ROUTER_OTEL_ENDPOINT` names an OTLP/HTTP collector.

One trace per request: a `chat` (or `embeddings`) span, with children for the
cache lookup, the routing decision, and each backend attempt (making room in
memory included). Backend calls carry a W3C `traceparent` header, so a backend
that traces too joins the same trace.

Off by default, and then free: `Tracing.span` returns a shared no-op context
manager and OpenTelemetry is never imported. On, spans are batched and sent by
the SDK's own background thread, never on the event loop. The tracer provider
belongs to this app (not the process-wide one), so several apps in one process
keep their traces apart.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any, Protocol

import httpx

from smarterrouter.errors import RouterError

TRACES_PATH = "/v1/traces"
Attribute = str | int | float | bool


class SpanLike(Protocol):
    def set_attribute(self, key: str, value: Attribute) -> None: ...


class _NoSpan:
    def set_attribute(self, key: str, value: Attribute) -> None:
        return None


_NO_SPAN = _NoSpan()
_NOTHING: AbstractContextManager[SpanLike] = nullcontext(_NO_SPAN)


class OpenSpan:
    """A span that outlives the block that started it (a stream's backend call):
    current only inside `current()`, ended by `end()`."""

    def __init__(self, span: Any = None) -> None:
        self._span = span

    def current(self) -> AbstractContextManager[Any]:
        if self._span is None:
            return _NOTHING
        from opentelemetry.trace import use_span

        return use_span(self._span, end_on_exit=False)

    def end(self, error: BaseException | None = None) -> None:
        if self._span is None:
            return
        if error is not None:
            from opentelemetry.trace import Status, StatusCode

            self._span.record_exception(error)
            self._span.set_status(Status(StatusCode.ERROR, type(error).__name__))
        self._span.end()


_NO_OPEN_SPAN = OpenSpan()


class Tracing:
    """Spans for one app: real when `endpoint` is set, no-ops otherwise."""

    def __init__(self, endpoint: str | None, *, service_name: str = "smarterrouter") -> None:
        self.enabled = bool(endpoint)
        self._provider: Any = None
        self._tracer: Any = None
        if endpoint:
            self._provider, self._tracer = _sdk_tracer(endpoint.rstrip("/"), service_name)

    def span(self, name: str, **attributes: Attribute | None) -> AbstractContextManager[SpanLike]:
        """A child of the current span (or a new trace), ended when the block ends;
        an exception leaving the block marks it as an error."""
        if self._tracer is None:
            return _NOTHING
        return self._span(name, attributes)

    @contextmanager
    def _span(self, name: str, attributes: Mapping[str, Attribute | None]) -> Iterator[SpanLike]:
        given = {k: v for k, v in attributes.items() if v is not None}
        with self._tracer.start_as_current_span(name, attributes=given) as span:
            try:
                yield span
            except RouterError as exc:
                span.set_attribute("error.type", exc.code or type(exc).__name__)
                raise

    def open(self, name: str, **attributes: Attribute | None) -> OpenSpan:
        """A child of the current span, left open until its `end()`."""
        if self._tracer is None:
            return _NO_OPEN_SPAN
        given = {k: v for k, v in attributes.items() if v is not None}
        return OpenSpan(self._tracer.start_span(name, attributes=given))

    def request_hook(self) -> Callable[[httpx.Request], Any] | None:
        """An httpx request hook that adds `traceparent` to backend calls, or None."""
        if self._tracer is None:
            return None
        from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

        propagator = TraceContextTextMapPropagator()

        async def add_traceparent(request: httpx.Request) -> None:
            propagator.inject(request.headers)

        return add_traceparent

    def shutdown(self) -> None:
        """Send what is still batched, then stop (at app shutdown)."""
        if self._provider is not None:
            self._provider.shutdown()


def _sdk_tracer(endpoint: str, service_name: str) -> tuple[Any, Any]:
    try:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor
    except ImportError as exc:
        raise RuntimeError(
            "ROUTER_OTEL_ENDPOINT is set but OpenTelemetry is not installed: "
            "pip install 'smarterrouter[otel]'"
        ) from exc
    provider = TracerProvider(resource=Resource.create({"service.name": service_name}))
    exporter = OTLPSpanExporter(endpoint=endpoint + TRACES_PATH, timeout=10)
    provider.add_span_processor(BatchSpanProcessor(exporter, schedule_delay_millis=1000))
    return provider, provider.get_tracer("smarterrouter")

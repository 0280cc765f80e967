"""OpenTelemetry traces: one trace per request, from the router to the backend.

The router sends its spans to a fake OTLP/HTTP collector (protobuf, decoded with
the OpenTelemetry proto package) and calls a fake backend, which shows the
`traceparent` header it received: the backend's call is part of the same trace.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

import openai
import pytest

from fakes import FakeOllama, FakeOpenAI, Fault
from fakes.fake_otlp import FakeCollector, ReceivedSpan
from smarterrouter.settings import BackendConfig, Settings
from support.router import RouterServer

QUESTION = [{"role": "user", "content": "Write a Python function that reverses a list"}]


@pytest.fixture
def collector() -> Iterator[FakeCollector]:
    with FakeCollector() as fake:
        yield fake


def ollama_settings(
    ollama: FakeOllama, make_settings: Callable[..., Settings], **extra: object
) -> Settings:
    return make_settings([BackendConfig(name="gpu", provider="ollama", url=ollama.url)], **extra)


def ask(server: RouterServer, **extra: object) -> None:
    with openai.OpenAI(base_url=server.openai_url, api_key="x", max_retries=0) as client:
        client.chat.completions.create(model="smarterrouter/main", messages=QUESTION, **extra)  # type: ignore[call-overload]


def one(collector: FakeCollector, name: str) -> ReceivedSpan:
    spans = collector.named(name)
    assert len(spans) == 1, f"{name}: {[s.name for s in collector.spans]}"
    return spans[0]


def test_a_routed_request_is_one_trace_down_to_the_backend(
    ollama: FakeOllama, collector: FakeCollector, make_settings: Callable[..., Settings]
) -> None:
    settings = ollama_settings(ollama, make_settings, otel_endpoint=collector.url)
    with RouterServer(settings) as server:
        ask(server, temperature=0)
    # Spans are batched; the app's shutdown sends what is left.
    chat = one(collector, "chat")
    cache, routing, backend = (
        one(collector, n) for n in ("cache.lookup", "routing.decide", "backend.chat")
    )
    assert chat.parent_span_id == ""  # the root
    assert {cache.parent_span_id, routing.parent_span_id, backend.parent_span_id} == {chat.span_id}
    assert {s.trace_id for s in collector.spans} == {chat.trace_id}
    assert chat.service == "smarterrouter"
    assert chat.attributes["smarterrouter.model"] == backend.attributes["smarterrouter.model"]
    assert chat.attributes["smarterrouter.category"] == "coding"
    assert cache.attributes["smarterrouter.cache"] == "miss"
    assert routing.attributes["smarterrouter.category"] == "coding"
    [sent] = ollama.received("/api/chat")
    version, trace_id, parent_id, flags = sent.headers["traceparent"].split("-")
    assert (version, trace_id, parent_id) == ("00", chat.trace_id, backend.span_id)
    assert int(flags, 16) & 1  # sampled


def test_a_failed_attempt_is_an_error_span_beside_the_one_that_answered(
    ollama: FakeOllama, collector: FakeCollector, make_settings: Callable[..., Settings]
) -> None:
    settings = ollama_settings(ollama, make_settings, otel_endpoint=collector.url)
    with RouterServer(settings) as server:
        ollama.inject(Fault(status=500, path="/api/chat"))
        ask(server, temperature=0, stream=True)
    attempts = collector.named("backend.stream")
    assert [s.error for s in attempts] == [True, False]
    models = [s.attributes["smarterrouter.model"] for s in attempts]
    assert models[0] != models[1]
    assert len({s.parent_span_id for s in attempts}) == 1


def test_a_streams_backend_span_lasts_until_the_stream_ends(
    ollama: FakeOllama, collector: FakeCollector, make_settings: Callable[..., Settings]
) -> None:
    settings = ollama_settings(ollama, make_settings, otel_endpoint=collector.url)
    with RouterServer(settings) as server:
        ollama.inject(Fault(pause_after=2, path="/api/chat"))
        with openai.OpenAI(base_url=server.openai_url, api_key="x", max_retries=0) as client:
            stream = client.chat.completions.create(
                model="smarterrouter/main", messages=QUESTION, stream=True
            )
            next(iter(stream))  # the answer has begun, and the fake holds the rest
            threading.Event().wait(0.3)
            ollama.resume()
            text = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
        assert text
    chat, backend = one(collector, "chat"), one(collector, "backend.stream")
    assert backend.parent_span_id == chat.span_id
    # The request's own span ends once the stream has begun; the backend's at its end.
    assert backend.end_ns - chat.end_ns > 250_000_000
    [sent] = ollama.received("/api/chat")
    assert sent.headers["traceparent"].split("-")[2] == backend.span_id


def test_without_an_endpoint_nothing_is_traced_or_propagated(
    ollama: FakeOllama, collector: FakeCollector, make_settings: Callable[..., Settings]
) -> None:
    with RouterServer(ollama_settings(ollama, make_settings)) as server:
        ask(server)
    assert collector.requests == []
    assert "traceparent" not in ollama.received("/api/chat")[0].headers


def test_the_service_name_is_configurable(
    collector: FakeCollector, make_settings: Callable[..., Settings]
) -> None:
    with FakeOpenAI(models=("gpt-4o-mini",)) as cloud:
        settings = make_settings(
            [BackendConfig(name="cloud", provider="openai", url=cloud.base_url)],
            otel_endpoint=collector.url,
            otel_service_name="router-eu",
        )
        with RouterServer(settings) as server:
            ask(server)
    assert {s.service for s in collector.spans} == {"router-eu"}

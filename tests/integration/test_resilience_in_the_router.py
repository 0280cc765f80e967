"""Retries and circuit breakers as a client of the router sees them."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from fakes import FakeOllama, Fault
from smarterrouter.settings import BackendConfig, Settings
from support.router import RouterServer

CHAT = {"model": "llama3.2:3b", "messages": [{"role": "user", "content": "hi"}]}


def test_a_transient_failure_is_retried_on_the_same_model(
    ollama: FakeOllama, make_settings: Callable[..., Settings]
) -> None:
    settings = make_settings(
        [BackendConfig(name="gpu", provider="ollama", url=ollama.url)],
        backend_retry_enabled=True,
        backend_retry_base_delay=0.01,
    )
    ollama.inject(Fault(status=503, times=2, path="/api/chat"))
    with RouterServer(settings) as server:
        resp = httpx.post(f"{server.openai_url}/chat/completions", json=CHAT)
    assert resp.status_code == 200
    assert resp.headers["x-smarterrouter-model"] == "llama3.2:3b"
    assert [r.json["model"] for r in ollama.received("/api/chat")] == ["llama3.2:3b"] * 3


def test_an_open_breaker_fails_fast_and_shows_in_admin_backends(
    ollama: FakeOllama, make_settings: Callable[..., Settings]
) -> None:
    settings = make_settings(
        [BackendConfig(name="gpu", provider="ollama", url=ollama.url)],
        backend_circuit_breaker_failure_threshold=2,
    )
    ollama.inject(Fault(status=500, times=None, path="/api/chat"))
    with RouterServer(settings) as server:
        for _ in range(2):
            httpx.post(f"{server.openai_url}/chat/completions", json=CHAT)
        reached = len(ollama.received("/api/chat"))
        fast = httpx.post(f"{server.openai_url}/chat/completions", json=CHAT)
        report = httpx.get(f"{server.url}/admin/backends").json()
        health = httpx.get(f"{server.url}/health")
    assert fast.status_code == 503
    assert fast.json()["error"]["code"] == "circuit_open"
    assert len(ollama.received("/api/chat")) == reached  # refused without a call
    [gpu] = report["backends"]
    assert gpu["ok"] is True and gpu["models"] == 3
    [chat] = [b for b in gpu["circuit_breakers"] if b["operation"] == "chat"]
    assert (chat["state"], chat["failures"]) == ("open", 2)
    assert health.status_code == 200  # alive, whatever the backends do
    assert health.json() == {"status": "ok", "open_circuit_breakers": ["gpu/chat"]}


def test_a_429_with_retry_after_is_retried_after_that_wait(
    ollama: FakeOllama, make_settings: Callable[..., Settings]
) -> None:
    settings = make_settings(
        [BackendConfig(name="gpu", provider="ollama", url=ollama.url)],
        backend_retry_enabled=True,
        backend_retry_base_delay=5.0,  # the header, not the backoff, sets the wait
    )
    ollama.inject(Fault(status=429, headers={"Retry-After": "0"}, path="/api/chat"))
    with RouterServer(settings) as server:
        resp = httpx.post(f"{server.openai_url}/chat/completions", json=CHAT, timeout=4)
    assert resp.status_code == 200
    assert len(ollama.received("/api/chat")) == 2


def test_garbage_from_a_backend_sends_the_request_to_the_next_model(
    ollama: FakeOllama, make_settings: Callable[..., Settings]
) -> None:
    settings = make_settings([BackendConfig(name="gpu", provider="ollama", url=ollama.url)])
    ollama.inject(Fault(garbage=b"<html>502 Bad Gateway</html>", path="/api/chat"))
    routed = {"messages": [{"role": "user", "content": "hi"}]}
    with RouterServer(settings) as server:
        resp = httpx.post(f"{server.openai_url}/chat/completions", json=routed)
    assert resp.status_code == 200
    assert resp.headers["x-smarterrouter-fallbacks"] == "1"
    first, second = (r.json["model"] for r in ollama.received("/api/chat"))
    assert first != second == resp.headers["x-smarterrouter-model"]


def test_a_429_asking_for_longer_than_the_max_delay_moves_on_at_once(
    ollama: FakeOllama, make_settings: Callable[..., Settings]
) -> None:
    settings = make_settings(
        [BackendConfig(name="gpu", provider="ollama", url=ollama.url)],
        backend_retry_enabled=True,
    )
    ollama.inject(Fault(status=429, headers={"Retry-After": "3600"}, path="/api/chat"))
    with RouterServer(settings) as server:
        resp = httpx.post(f"{server.openai_url}/chat/completions", json=CHAT)
    assert resp.status_code == 502  # the upstream's 429, passed on as a failed backend
    assert "429" in resp.json()["error"]["message"]
    assert len(ollama.received("/api/chat")) == 1  # not retried: it asked for an hour

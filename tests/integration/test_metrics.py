"""/metrics after real traffic: the values moved, with the right labels."""

from __future__ import annotations

from collections.abc import Callable

import httpx
from prometheus_client.parser import text_string_to_metric_families

from fakes import FakeOllama, Fault
from smarterrouter.settings import BackendConfig, Settings
from support.router import RouterServer


def scrape(server: RouterServer) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    resp = httpx.get(f"{server.url}/metrics")
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(resp.text)
        for sample in family.samples
    }


def value(samples: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str,
          **labels: str) -> float:  # fmt: skip
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_metrics_move_with_traffic(
    ollama: FakeOllama, make_settings: Callable[..., Settings]
) -> None:
    settings = make_settings([BackendConfig(name="gpu", provider="ollama", url=ollama.url)])
    chat = {"messages": [{"role": "user", "content": "Write a poem about rain"}], "temperature": 0}
    with RouterServer(settings) as server:
        url = f"{server.openai_url}/chat/completions"
        first = httpx.post(url, json={**chat, "model": "llama3.2:3b"})
        httpx.post(url, json={**chat, "model": "llama3.2:3b"})  # a cache hit
        ollama.inject(Fault(status=500, path="/api/chat"))
        routed = httpx.post(url, json={**chat, "temperature": 0.7, "stream": True,
                                       "stream_options": {"include_usage": True}})  # fmt: skip
        httpx.get(f"{server.url}/nope")
        samples = scrape(server)
    assert first.status_code == 200 and routed.status_code == 200
    route = "/v1/chat/completions"
    assert value(samples, "smarterrouter_http_requests_total",
                 route=route, method="POST", status="200") == 3  # fmt: skip
    assert value(samples, "smarterrouter_http_requests_total",
                 route="unmatched", method="GET", status="404") == 1  # fmt: skip
    assert value(samples, "smarterrouter_http_request_duration_seconds_count",
                 route=route, method="POST") == 3  # fmt: skip
    assert value(samples, "smarterrouter_cache_requests_total", outcome="hit-exact") == 1
    assert value(samples, "smarterrouter_cache_requests_total", outcome="miss") == 1
    assert value(samples, "smarterrouter_cache_requests_total", outcome="bypass") == 1
    assert value(samples, "smarterrouter_fallbacks_total") == 1
    assert sum(v for (n, _), v in samples.items()
               if n == "smarterrouter_backend_failures_total") == 1  # fmt: skip
    selections = {dict(labels)["model"]: v for (n, labels), v in samples.items()
                  if n == "smarterrouter_model_selections_total"}  # fmt: skip
    assert sum(selections.values()) == 3  # the hit included
    assert value(samples, "smarterrouter_tokens_total",
                 model="llama3.2:3b", direction="completion") >= 7  # fmt: skip
    assert value(samples, "smarterrouter_circuit_breaker_state",
                 backend="gpu", operation="chat", state="closed") == 1  # fmt: skip

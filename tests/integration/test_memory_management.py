"""Keeping models in budget, checked against what Ollama itself says is loaded.

The fake Ollama keeps real state: /api/generate with keep_alive loads and
unloads, /api/ps lists what is in memory with sizes. The budget is set so that
llama3.2:3b (~1.9 GiB in memory) and llava:7b (~4.4 GiB) do not fit together.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import httpx

from fakes import FakeOllama, Fault
from smarterrouter.settings import BackendConfig, Settings
from support.router import RouterServer

SMALL, BIG = "llama3.2:3b", "llava:7b"


def settings_for(
    ollama: FakeOllama, make_settings: Callable[..., Settings], **extra: Any
) -> Settings:
    return make_settings(
        [BackendConfig(name="gpu", provider="ollama", url=ollama.url)],
        vram_max_total_gb=6.5, vram_buffer_gb=0.0, **extra,
    )  # fmt: skip


def chat(server: RouterServer, model: str, **extra: Any) -> httpx.Response:
    body = {"model": model, "messages": [{"role": "user", "content": "hi"}], **extra}
    return httpx.post(f"{server.openai_url}/chat/completions", json=body, timeout=30)


def loads(ollama: FakeOllama) -> list[tuple[str, Any]]:
    """The load (keep_alive > 0 or default) and unload (0) calls Ollama received."""
    return [(r.json["model"], r.json.get("keep_alive")) for r in ollama.received("/api/generate")]


def test_a_model_that_does_not_fit_beside_another_evicts_it(
    ollama: FakeOllama, make_settings: Callable[..., Settings]
) -> None:
    with RouterServer(settings_for(ollama, make_settings)) as server:
        assert chat(server, SMALL).status_code == 200
        assert ollama.loaded == {SMALL}
        assert chat(server, BIG).status_code == 200
        assert ollama.loaded == {BIG}
        assert chat(server, BIG).status_code == 200  # already there: no more loads
    assert loads(ollama) == [(SMALL, -1), (SMALL, 0), (BIG, -1)]


def test_models_loaded_behind_the_routers_back_count(
    ollama: FakeOllama, make_settings: Callable[..., Settings]
) -> None:
    httpx.post(f"{ollama.url}/api/generate", json={"model": BIG})  # someone else's
    with RouterServer(settings_for(ollama, make_settings)) as server:
        assert chat(server, SMALL).status_code == 200
    assert ollama.loaded == {SMALL}


def test_a_pinned_model_is_loaded_at_start_and_never_evicted(
    ollama: FakeOllama, make_settings: Callable[..., Settings]
) -> None:
    settings = settings_for(ollama, make_settings, pinned_model=[SMALL])
    with RouterServer(settings) as server:
        for _ in range(50):  # the pinned load runs in the background at start
            if ollama.loaded == {SMALL}:
                break
            threading.Event().wait(0.05)
        assert ollama.loaded == {SMALL}
        refused = chat(server, BIG)
        assert refused.status_code == 502
        assert "does not fit in memory" in refused.json()["error"]["message"]
        assert ollama.loaded == {SMALL}
        routed = httpx.post(  # routing falls back to what fits
            f"{server.openai_url}/chat/completions",
            json={"messages": [{"role": "user", "content": "Prove that sqrt(2) is irrational"}],
                  "model": "smarterrouter/best"},
        )  # fmt: skip
        assert routed.status_code == 200
        assert routed.headers["x-smarterrouter-model"] == SMALL


def test_a_model_serving_a_stream_is_not_evicted_under_it(
    ollama: FakeOllama, make_settings: Callable[..., Settings]
) -> None:
    ollama.inject(Fault(pause_after=2, path="/api/chat"))
    with RouterServer(settings_for(ollama, make_settings)) as server:
        with httpx.stream(
            "POST", f"{server.openai_url}/chat/completions",
            json={"model": SMALL, "stream": True, "messages": [{"role": "user", "content": "hi"}]},
        ) as stream:  # fmt: skip
            lines = stream.iter_lines()
            assert next(lines).startswith("data: ")  # streaming, and held by the fake
            refused = chat(server, BIG)
            ollama.resume()
            rest = list(lines)
        assert refused.status_code == 502
        assert "serving requests" in refused.json()["error"]["message"]
        assert rest[-1] == "data: [DONE]" or "data: [DONE]" in rest
        assert chat(server, BIG).status_code == 200  # the stream is over: now it may go
    assert ollama.loaded == {BIG}


def test_with_auto_unload_off_only_what_fits_is_served(
    ollama: FakeOllama, make_settings: Callable[..., Settings]
) -> None:
    settings = settings_for(ollama, make_settings, vram_auto_unload_enabled=False)
    with RouterServer(settings) as server:
        assert chat(server, SMALL).status_code == 200
        refused = chat(server, BIG)
    assert refused.status_code == 502
    assert "ROUTER_VRAM_AUTO_UNLOAD_ENABLED is off" in refused.json()["error"]["message"]
    assert ollama.loaded == {SMALL}


def test_concurrent_requests_for_one_cold_model_share_one_load(
    ollama: FakeOllama, make_settings: Callable[..., Settings]
) -> None:
    with RouterServer(settings_for(ollama, make_settings)) as server:
        results: list[int] = []
        threads = [
            threading.Thread(target=lambda: results.append(chat(server, BIG).status_code))
            for _ in range(6)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert results == [200] * 6
    assert loads(ollama) == [(BIG, -1)]


def test_a_model_bigger_than_the_whole_budget_is_left_out_of_routing(
    ollama: FakeOllama, make_settings: Callable[..., Settings]
) -> None:
    # 4 GB holds llama3.2:3b (~3.1 GB by the estimate), never llava:7b (~5.8 GB).
    settings = make_settings(
        [BackendConfig(name="gpu", provider="ollama", url=ollama.url)],
        vram_max_total_gb=4.0, vram_buffer_gb=0.0,
    )  # fmt: skip
    hard = "Prove that sqrt(2) is irrational, step by step, then generalise to sqrt(p)"
    with RouterServer(settings) as server:
        report = httpx.get(f"{server.url}/admin/explain", params={"prompt": hard}).json()
        llava = next(c for c in report["candidates"] if c["model"] == BIG)
        assert llava["eligible"] is False
        assert "more than the 4.0 GB memory budget" in llava["excluded"]
        assert BIG not in [report["decision"]["model"], *report["decision"]["fallbacks"]]
        body = {"model": "smarterrouter/best", "messages": [{"role": "user", "content": hard}]}
        answer = httpx.post(f"{server.openai_url}/chat/completions", json=body, timeout=30)
        assert answer.status_code == 200
        assert answer.headers["x-smarterrouter-model"] != BIG
    assert BIG not in [model for model, _ in loads(ollama)]  # never even tried

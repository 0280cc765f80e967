"""What a client can steer: fast/best router models, the quality header, explain,
and when the router moves on to the next model."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import openai
import pytest

from fakes import FakeOllama, FakeOllamaModel, Fault
from fakes.fake_ollama import DEFAULT_MODELS
from smarterrouter.settings import BackendConfig, Settings
from support.router import RouterServer

HI = [{"role": "user", "content": "Say hi to my friend"}]
HARD = (
    "Prove that the lock-free queue below is linearizable under concurrent enqueue "
    "and dequeue, and that it is free of the ABA problem"
)
BIG = FakeOllamaModel(
    "qwen2.5:14b", "qwen2", "14.8B", 14_770_033_664, "Q4_K_M",
    ("completion", "tools"), 32768, 8_988_124_069, "7cdf5a0187d5" + "0" * 52,
)  # fmt: skip


@pytest.fixture
def pool() -> Iterator[FakeOllama]:
    with FakeOllama(models=(BIG, *DEFAULT_MODELS)) as fake:
        yield fake


@pytest.fixture
def settings(pool: FakeOllama, make_settings: Callable[..., Settings]) -> Settings:
    return make_settings([BackendConfig(name="gpu", provider="ollama", url=pool.url)])


@pytest.fixture
def server(settings: Settings) -> Iterator[RouterServer]:
    with RouterServer(settings) as s:
        yield s


def chosen(server: RouterServer, model: str, **headers: str) -> str:
    resp = httpx.post(
        f"{server.openai_url}/chat/completions",
        json={"model": model, "messages": HI},
        headers=headers,
    )
    assert resp.status_code == 200, resp.text
    return resp.headers["x-smarterrouter-model"]


def test_fast_and_best_are_listed_and_route_differently(server: RouterServer) -> None:
    with openai.OpenAI(base_url=server.openai_url, api_key="x", max_retries=0) as client:
        ids = [m.id for m in client.models.list()]
    assert ids[:3] == ["smarterrouter/main", "smarterrouter/fast", "smarterrouter/best"]
    assert chosen(server, "smarterrouter/fast") == "llama3.2:3b"
    assert chosen(server, "smarterrouter/best") == "qwen2.5:14b"


def test_the_quality_header_overrides_the_preference(server: RouterServer) -> None:
    best = {"X-SmarterRouter-Quality": "1"}
    fast = {"X-SmarterRouter-Quality": "0"}
    assert chosen(server, "smarterrouter/main", **best) == "qwen2.5:14b"
    assert chosen(server, "smarterrouter/best", **fast) == "llama3.2:3b"


@pytest.mark.parametrize("value", ["1.5", "-0.1", "fast", "nan"])
def test_a_bad_quality_header_is_a_400(server: RouterServer, value: str) -> None:
    resp = httpx.post(
        f"{server.openai_url}/chat/completions",
        json={"messages": HI},
        headers={"X-SmarterRouter-Quality": value},
    )
    assert resp.status_code == 400
    assert "X-SmarterRouter-Quality" in resp.json()["error"]["message"]


def test_virtual_models_are_configurable(
    pool: FakeOllama, make_settings: Callable[..., Settings]
) -> None:
    settings = make_settings(
        [BackendConfig(name="gpu", provider="ollama", url=pool.url)],
        virtual_models={"team/quick": 0.0},
    )
    with RouterServer(settings) as s:
        ids = [m["id"] for m in httpx.get(f"{s.openai_url}/models").json()["data"]]
        assert ids[:2] == ["smarterrouter/main", "team/quick"]
        assert "smarterrouter/fast" not in ids
        assert chosen(s, "team/quick") == "llama3.2:3b"


def test_explain_shows_every_model_with_factors_or_why_it_was_left_out(
    server: RouterServer,
) -> None:
    prompt = HARD
    resp = httpx.get(f"{server.url}/admin/explain", params={"prompt": prompt})
    assert resp.status_code == 200
    report = resp.json()
    assert report["signals"]["difficulty"] == "hard"
    assert set(report["signals"]["needs"]) == {"vision", "tools", "json", "long_context"}
    decision = report["decision"]
    eligible = [c for c in report["candidates"] if c["eligible"]]
    assert [c["model"] for c in eligible] == [decision["model"], *decision["fallbacks"]]
    assert {"quality", "speed", "size_penalty", "loaded_bonus"} <= set(eligible[0]["factors"])
    small = next(c for c in eligible if c["model"] == "llama3.2:3b")
    assert any("is below 8B for hard" in note for note in small["notes"])
    [embedder] = [c for c in report["candidates"] if not c["eligible"]]
    assert embedder == {
        "model": "nomic-embed-text:latest", "eligible": False,
        "excluded": "cannot chat (embedding model)",
    }  # fmt: skip


def test_explain_post_gives_the_decision_the_request_gets(server: RouterServer) -> None:
    body = {"model": "smarterrouter/best", "messages": HI}
    report = httpx.post(f"{server.url}/admin/explain", json=body).json()
    assert report["decision"]["quality_preference"] == 0.9
    assert report["decision"]["model"] == chosen(server, "smarterrouter/best")


def test_no_next_model_for_the_clients_own_mistake(server: RouterServer, pool: FakeOllama) -> None:
    pool.inject(
        Fault(status=400, message="invalid option 'mirostat'", times=None, path="/api/chat")
    )
    resp = httpx.post(f"{server.openai_url}/chat/completions", json={"messages": HI})
    assert resp.status_code == 400
    assert "mirostat" in resp.json()["error"]["message"]
    assert len(pool.received("/api/chat")) == 1  # not tried on every model


def test_cascading_can_be_turned_off(
    pool: FakeOllama, make_settings: Callable[..., Settings]
) -> None:
    settings = make_settings(
        [BackendConfig(name="gpu", provider="ollama", url=pool.url)], cascading_enabled=False
    )
    pool.inject(Fault(status=500, path="/api/chat"))
    with RouterServer(settings) as s:
        resp = httpx.post(f"{s.openai_url}/chat/completions", json={"messages": HI})
    assert resp.status_code == 502
    assert len(pool.received("/api/chat")) == 1


def test_the_explain_command_prints_the_decision(pool: FakeOllama, tmp_path: Path) -> None:
    exe = Path(sys.executable).with_name("smarterrouter")
    env = {"ROUTER_OLLAMA_URL": pool.url, "PATH": "/usr/bin:/bin"}
    out = subprocess.run(
        [str(exe), "explain", HARD],
        env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60, check=True,
    ).stdout  # fmt: skip
    assert "difficulty hard" in out
    assert "llama3.2:3b" in out and "is below 8B for hard" in out
    assert "excluded: cannot chat (embedding model)" in out
    bad = subprocess.run(
        [str(exe), "explain", "hi", "--quality", "2"],
        env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert bad.returncode == 2 and "--quality" in bad.stderr

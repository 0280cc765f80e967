"""SmarterRouter in front of llama-swap: its models served, and their memory
planned by the router, checked against what llama-swap's `/running` says.

The fake runs up to three models at once (as a llama-swap group would), so any
swap seen here is the router's. The budget (6.5 GB) holds qwen-coder-7b
(estimated from its name: ~5.5 GB with its KV cache) or llama-3.2-3b, not both.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import openai
import pytest

from fakes import FakeLlamaSwap
from smarterrouter.settings import BackendConfig, Settings
from support.router import RouterServer

BIG, SMALL = "qwen-coder-7b", "llama-3.2-3b"


@pytest.fixture
def swap() -> Iterator[FakeLlamaSwap]:
    with FakeLlamaSwap(max_running=3) as fake:
        yield fake


def settings_for(
    swap: FakeLlamaSwap, make_settings: Callable[..., Settings], **extra: Any
) -> Settings:
    return make_settings(
        [BackendConfig(name="swap", provider="llama-swap", url=swap.url)],
        vram_max_total_gb=6.5, vram_buffer_gb=0.0, **extra,
    )  # fmt: skip


def ask(server: RouterServer, model: str) -> str:
    with openai.OpenAI(base_url=server.openai_url, api_key="x", max_retries=0) as client:
        answer = client.chat.completions.create(
            model=model, messages=[{"role": "user", "content": "hi"}]
        )
    return answer.model


def unloads(swap: FakeLlamaSwap) -> list[str]:
    prefix = "/api/models/unload/"
    return [r.path.removeprefix(prefix) for r in swap.requests if r.path.startswith(prefix)]


def test_models_are_listed_and_answer(
    swap: FakeLlamaSwap, make_settings: Callable[..., Settings]
) -> None:
    with RouterServer(settings_for(swap, make_settings)) as server:
        with openai.OpenAI(base_url=server.openai_url, api_key="x", max_retries=0) as client:
            ids = {m.id for m in client.models.list()}
        assert {BIG, SMALL, "nomic-embed"} <= ids
        assert ask(server, SMALL) == SMALL
    assert swap.running == [SMALL]


def test_a_model_that_does_not_fit_beside_another_is_swapped_by_the_router(
    swap: FakeLlamaSwap, make_settings: Callable[..., Settings]
) -> None:
    with RouterServer(settings_for(swap, make_settings)) as server:
        ask(server, SMALL)
        ask(server, BIG)
        assert swap.running == [BIG]
        ask(server, BIG)  # already running: nothing more to do
    assert unloads(swap) == [SMALL]
    assert [r.path for r in swap.requests if r.path.startswith("/upstream/")] == [
        f"/upstream/{SMALL}/health",
        f"/upstream/{BIG}/health",
    ]


def test_a_model_started_behind_the_routers_back_counts(
    swap: FakeLlamaSwap, make_settings: Callable[..., Settings]
) -> None:
    swap.start_behind_our_back(BIG)
    with RouterServer(settings_for(swap, make_settings)) as server:
        ask(server, SMALL)
    assert swap.running == [SMALL]
    assert unloads(swap) == [BIG]


def test_a_model_llama_swap_cannot_start_fails_over(
    swap: FakeLlamaSwap, make_settings: Callable[..., Settings]
) -> None:
    swap.fail_to_start.add(SMALL)
    with RouterServer(settings_for(swap, make_settings)) as server:
        refused = httpx.post(
            f"{server.openai_url}/chat/completions",
            json={"model": SMALL, "messages": [{"role": "user", "content": "hi"}]},
            timeout=30,
        )
    assert refused.status_code == 502
    assert "unable to start process" in refused.json()["error"]["message"]
    assert swap.running == []

"""Memory management on a REAL llama-server in router mode, real GGUF models.

The budget (1.4 GiB, no buffer) holds Qwen 1.5B (about 1.2 GiB by the
router's estimate, 1.0 GiB once loaded) or Qwen 0.5B with SmolLM2 (0.6 and
0.3 GiB estimated, with 2048 tokens of KV cache each), never both Qwens:
requests for different models must load, evict and answer as the planner
says, checked against what llama-server itself reports.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from llama_server import ModelIds, ServerProcess

from smarterrouter.settings import Settings
from support.router import RouterServer

pytestmark = pytest.mark.e2e


def settings_for(llama: ServerProcess, tmp: Path, **extra: object) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        provider="llama.cpp",
        llama_cpp_url=llama.url,
        database_url=f"sqlite:///{tmp / 'router.db'}",
        vram_max_total_gb=1.4,
        vram_buffer_gb=0.0,
        # Profiling on discovery, and the semantic cache's embedding model, would
        # load models of their own beside the ones these tests count.
        profile_on_discovery=False,
        cache_semantic_enabled=False,
        **extra,
    )


def loaded(llama: ServerProcess) -> set[str]:
    """What llama-server says is in memory."""
    models = httpx.get(f"{llama.url}/models", timeout=30).json()["data"]
    return {m["id"] for m in models if m["status"]["value"] == "loaded"}


def chat(server: RouterServer, model: str) -> httpx.Response:
    body = {"model": model, "max_tokens": 2, "temperature": 0,
            "messages": [{"role": "user", "content": "Hi"}]}  # fmt: skip
    return httpx.post(f"{server.openai_url}/chat/completions", json=body, timeout=300)


def test_models_load_and_evict_as_the_planner_says(
    start_llama_router: Callable[..., ServerProcess], tmp_path: Path, llama_model_ids: ModelIds
) -> None:
    ids = llama_model_ids
    llama = start_llama_router(models_max=3)  # llama-server's own limit never bites
    with RouterServer(settings_for(llama, tmp_path)) as server:
        assert chat(server, ids.large_chat).status_code == 200
        assert loaded(llama) == {ids.large_chat}
        assert chat(server, ids.small_chat).status_code == 200
        assert loaded(llama) == {ids.small_chat}  # the 1.5B had to go
        assert chat(server, ids.tiny_chat).status_code == 200
        assert loaded(llama) == {ids.small_chat, ids.tiny_chat}  # room for both


def test_a_pinned_model_stays(
    start_llama_router: Callable[..., ServerProcess], tmp_path: Path, llama_model_ids: ModelIds
) -> None:
    ids = llama_model_ids
    llama = start_llama_router(models_max=3)
    settings = settings_for(llama, tmp_path, pinned_model=[ids.tiny_chat])
    with RouterServer(settings) as server:
        deadline = time.monotonic() + 120
        while ids.tiny_chat not in loaded(llama) and time.monotonic() < deadline:
            time.sleep(0.2)  # pinned models load in the background at start
        assert loaded(llama) == {ids.tiny_chat}
        assert chat(server, ids.large_chat).status_code == 200
        assert chat(server, ids.small_chat).status_code == 200
        assert loaded(llama) == {ids.tiny_chat, ids.small_chat}


def test_concurrent_requests_for_two_cold_models_both_succeed(
    start_llama_router: Callable[..., ServerProcess], tmp_path: Path, llama_model_ids: ModelIds
) -> None:
    ids = llama_model_ids
    llama = start_llama_router(models_max=3)
    statuses: dict[str, int] = {}
    with RouterServer(settings_for(llama, tmp_path)) as server:
        threads = [
            threading.Thread(target=lambda m=m: statuses.update({m: chat(server, m).status_code}))
            for m in (ids.small_chat, ids.tiny_chat)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert statuses == {ids.small_chat: 200, ids.tiny_chat: 200}
    assert loaded(llama) == {ids.small_chat, ids.tiny_chat}

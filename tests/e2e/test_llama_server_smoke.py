"""The real llama-server the e2e tests stand on: it starts, loads on demand, answers, stops."""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from llama_server import ModelIds, ServerProcess

pytestmark = pytest.mark.e2e

TIMEOUT = httpx.Timeout(120.0, connect=5.0)


def model_status(client: httpx.Client) -> dict[str, str]:
    models = client.get("/models").raise_for_status().json()["data"]
    return {m["id"]: m["status"]["value"] for m in models}


def children_of(pid: int) -> list[int]:
    """Live processes whose parent is `pid` (the router's model processes)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            # The command name may hold spaces, so split after its closing ")".
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # gone while we looked
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def test_router_loads_a_model_on_demand_and_answers(
    start_llama_router: Callable[..., ServerProcess], llama_model_ids: ModelIds
) -> None:
    router = start_llama_router()
    model = llama_model_ids.small_chat
    with httpx.Client(base_url=router.url, timeout=TIMEOUT) as client:
        before = model_status(client)
        resp = client.post(
            "/v1/chat/completions",
            json={
                "model": model,
                "messages": [
                    {"role": "user", "content": "What is the capital of France? One word."}
                ],
                "max_tokens": 8,
                "temperature": 0,
            },
        )
        after = model_status(client)

    assert set(before) == {
        llama_model_ids.small_chat,
        llama_model_ids.large_chat,
        llama_model_ids.tiny_chat,
        llama_model_ids.embedding,
    }
    assert set(before.values()) == {"unloaded"}
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["model"] == model
    assert "paris" in body["choices"][0]["message"]["content"].lower()
    assert 0 < body["usage"]["completion_tokens"] <= 8
    assert after[model] == "loaded"


def test_stopping_the_router_ends_its_model_processes(
    start_llama_router: Callable[..., ServerProcess], llama_model_ids: ModelIds
) -> None:
    router = start_llama_router()
    with httpx.Client(base_url=router.url, timeout=TIMEOUT) as client:
        client.post("/models/load", json={"model": llama_model_ids.tiny_chat}).raise_for_status()
        deadline = time.monotonic() + 60
        while model_status(client)[llama_model_ids.tiny_chat] != "loaded":
            assert time.monotonic() < deadline, router.log_tail()
            time.sleep(0.2)
    children = children_of(router.process.pid)
    assert children, "a loaded model runs in a child process of the router"

    router.stop()

    assert [pid for pid in children if os.path.exists(f"/proc/{pid}")] == []


def test_embedder_returns_normalised_minilm_vectors(llama_embedder: ServerProcess) -> None:
    with httpx.Client(base_url=llama_embedder.url, timeout=TIMEOUT) as client:
        resp = client.post("/v1/embeddings", json={"input": "The cat sits on the mat"})

    assert resp.status_code == 200, resp.text
    vector = resp.json()["data"][0]["embedding"]
    assert len(vector) == 384
    assert math.isclose(math.hypot(*vector), 1.0, abs_tol=1e-3)


def test_single_chat_server_serves_the_small_model(
    llama_chat_server: ServerProcess, llama_model_ids: ModelIds
) -> None:
    with httpx.Client(base_url=llama_chat_server.url, timeout=TIMEOUT) as client:
        models = client.get("/v1/models").raise_for_status().json()["data"]

    assert [m["id"] for m in models] == [llama_model_ids.small_chat]

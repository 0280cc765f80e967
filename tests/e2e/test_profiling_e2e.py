"""Profiling the real small models on a REAL llama-server, through the admin API.

The profiles must rank the models as their quality really is: Qwen2.5-Coder 1.5B
above 0.5B above SmolLM2-135M on coding and reasoning, with checked answers (no
judge), with the default prompts (three per category, short answers): the 1.5B
makes about 7 tokens a second here, so this is the suite's longest test.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from llama_server import ModelIds, ServerProcess

from smarterrouter.settings import Settings
from support.router import RouterServer

pytestmark = pytest.mark.e2e


def finished(admin: httpx.Client, job_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 1800  # a bound for a hung job, not a speed check
    while time.monotonic() < deadline:
        job = admin.get(f"/admin/jobs/{job_id}").json()
        if job["state"] != "running":
            return dict(job)
        time.sleep(1)
    raise AssertionError(f"job {job_id} still running: {job}")


def test_profiles_rank_the_real_models_as_they_are(
    start_llama_router: Callable[..., ServerProcess], tmp_path: Path, llama_model_ids: ModelIds
) -> None:
    ids = llama_model_ids
    llama = start_llama_router(models_max=1)
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        provider="llama.cpp",
        llama_cpp_url=llama.url,
        database_url=f"sqlite:///{tmp_path / 'router.db'}",
        profile_timeout=300,
        profile_on_discovery=False,  # only the job this test starts
    )
    names = ",".join((ids.large_chat, ids.small_chat, ids.tiny_chat))
    with RouterServer(settings) as server, httpx.Client(base_url=server.url, timeout=60) as admin:
        started = admin.post("/admin/reprofile", params={"models": names})
        assert started.status_code == 202
        job = finished(admin, started.json()["job_id"])
        found = {p["model"]: p for p in admin.get("/admin/profiles").json()["profiles"]}
    assert [m["state"] for m in job["models"]] == ["ok", "ok", "ok"], job
    scores = {
        model: {c: found[model]["categories"][c]["score"] for c in ("coding", "reasoning")}
        for model in (ids.large_chat, ids.small_chat, ids.tiny_chat)
    }
    print("profile scores:", scores)  # shown with -s, and in the failure below
    for category in ("coding", "reasoning"):
        large, small, tiny = (
            scores[m][category] for m in (ids.large_chat, ids.small_chat, ids.tiny_chat)
        )
        assert large > small > tiny, (category, scores)
    for model in (ids.large_chat, ids.small_chat, ids.tiny_chat):
        profile = found[model]
        assert profile["categories"]["coding"]["method"] == "checks"
        # llama-server's own timings, and its model size (no GPU here).
        assert profile["speed"]["source"] == "backend"
        assert profile["speed"]["generation_tokens_per_s"] > 0
        assert profile["memory"]["bytes"] > 0

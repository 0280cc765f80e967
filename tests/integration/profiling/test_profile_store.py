"""Profiles and jobs in a real SQLite file, across a restart."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx

from fakes import FakeOllama
from smarterrouter.profiling.profile import ModelProfile
from smarterrouter.profiling.progress import JobStatus, ModelProgress
from smarterrouter.profiling.store import ProfileStore
from smarterrouter.settings import BackendConfig, Settings
from smarterrouter.storage import Storage
from support.router import RouterServer

T0 = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)


def _profile(model: str, at: datetime, status: str = "ok") -> ModelProfile:
    return ModelProfile(model, "box", "digest:1", "v1", status, at)  # type: ignore[arg-type]


async def _seed(url: str) -> None:
    async with await Storage.open(url) as storage:
        store = ProfileStore(storage)
        await store.add_profile(_profile("a", T0))
        await store.add_profile(_profile("a", T0 + timedelta(hours=1), "failed"))
        await store.add_profile(_profile("b", T0))
        await store.save_job(
            JobStatus(
                "cut-short",
                "running",
                T0,
                False,
                (ModelProgress("a", "ok", 8, 8), ModelProgress("b", "running", 3, 8)),
            )
        )


def test_a_restart_marks_the_running_job_interrupted_and_keeps_whole_profiles(
    make_settings: Callable[..., Settings], ollama: FakeOllama
) -> None:
    settings = make_settings([BackendConfig(name="gpu", provider="ollama", url=ollama.url)])
    asyncio.run(_seed(settings.database_url))
    with RouterServer(settings) as server, httpx.Client(base_url=server.url) as admin:
        job = admin.get("/admin/jobs/cut-short").json()
        found = admin.get("/admin/profiles").json()["profiles"]
    assert job["state"] == "interrupted"
    assert job["finished_at"] is not None
    assert [(m["model"], m["state"]) for m in job["models"]] == [("a", "ok"), ("b", "interrupted")]
    # The newest profile per model is its current one; the older stays as history.
    assert [(p["model"], p["status"]) for p in found] == [("a", "failed"), ("b", "ok")]

"""Builds the profiler from settings: prompts, judge, runner, store and jobs.

Used by the app's lifespan and by `smarterrouter profile`. The judge is any
OpenAI-compatible endpoint (`ROUTER_JUDGE_BASE_URL`, with its key), or, without
a base URL, one of the router's own models, called on its backend directly.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import httpx

from smarterrouter.backends.base import ChatRequest
from smarterrouter.backends.registry import BackendRegistry
from smarterrouter.errors import BackendError
from smarterrouter.profiling.jobs import ProfileJobs
from smarterrouter.profiling.judge import Ask, Judge, http_ask
from smarterrouter.profiling.memory import GpuUsed, probe_gpu_used
from smarterrouter.profiling.prompts import load_prompt_set, select
from smarterrouter.profiling.runner import ProfileRunner, PromptPlan
from smarterrouter.profiling.store import ProfileStore
from smarterrouter.settings import Settings
from smarterrouter.storage import Storage
from smarterrouter.vram.detect import ProbeConfig
from smarterrouter.vram.manager import MemoryManager

JUDGE_TIMEOUT_S = 120.0


@dataclass
class Profiling:
    runner: ProfileRunner
    store: ProfileStore
    jobs: ProfileJobs
    judge_client: httpx.AsyncClient | None = None

    async def aclose(self) -> None:
        await self.jobs.aclose()
        if self.judge_client is not None:
            await self.judge_client.aclose()


async def load_plan(per_category: int) -> PromptPlan:
    """The bundled prompt set's first `per_category` items of each category (the
    files are read in a worker thread); PromptSetError when the set is broken."""
    prompt_set = await asyncio.to_thread(load_prompt_set)
    return PromptPlan(prompt_set.version, tuple(select(prompt_set, per_category)))


async def build_profiling(
    settings: Settings,
    registry: BackendRegistry,
    memory: MemoryManager,
    storage: Storage,
    *,
    probe: ProbeConfig | None = None,
    gpu_used: GpuUsed | None = None,
) -> Profiling:
    plan = await load_plan(settings.profile_prompts_per_category)
    client = _judge_client(settings)
    judge = _judge(settings, registry, memory, client)
    runner = ProfileRunner(
        registry,
        memory,
        plan,
        judge=judge,
        timeout_cap=settings.profile_timeout,
        vram_samples=settings.profile_vram_samples,
        gpu_used=gpu_used or probe_gpu_used(probe),
        kinds={c.name: c.provider for c in settings.backend_configs()},
    )
    store = ProfileStore(storage)
    return Profiling(runner, store, ProfileJobs(runner, store), client)


def _judge_client(settings: Settings) -> httpx.AsyncClient | None:
    if not (settings.judge_enabled and settings.judge_base_url):
        return None
    headers = {"User-Agent": "smarterrouter"}
    if settings.judge_api_key is not None:
        headers["Authorization"] = f"Bearer {settings.judge_api_key.get_secret_value()}"
    base = settings.judge_base_url.rstrip("/") + "/"
    return httpx.AsyncClient(base_url=base, headers=headers, timeout=JUDGE_TIMEOUT_S)


def _judge(
    settings: Settings,
    registry: BackendRegistry,
    memory: MemoryManager,
    client: httpx.AsyncClient | None,
) -> Judge | None:
    if not settings.judge_enabled or not settings.judge_model:
        return None
    if client is not None:
        return Judge(http_ask(client, settings.judge_model))
    return Judge(own_model_ask(registry, memory, settings.judge_model))


def own_model_ask(registry: BackendRegistry, memory: MemoryManager, name: str) -> Ask:
    """Ask one of the router's own models, on its backend, loaded by the memory manager."""

    async def ask(messages: list[dict[str, str]]) -> str:
        model = registry.snapshot.find(name)
        if model is None:
            raise BackendError(f"judge model {name!r} is not served by any backend", backend="")
        await memory.prepare(model)
        body = {"messages": messages, "temperature": 0, "max_tokens": 512}
        async with memory.using(model):
            backend = registry.backend(model.backend)
            answer = await backend.chat(ChatRequest(model.native_name, body))
        choices = answer.get("choices") or [{}]
        return str((choices[0].get("message") or {}).get("content") or "")

    return ask

"""What profiling costs beyond the generation it needs, on a real model.

    .venv/bin/python bench/profile_time.py [--per-category 3] [--model qwen2.5-coder-0.5b-instruct]

Starts a real llama-server in router mode (the installed models, `./dev setup`),
then, for the default prompts (`--per-category` of each category):

1. pure generation: the very requests the profiler sends (same messages,
   `max_tokens`, temperature 0, streamed), straight to llama-server, one after the
   other, with the model already loaded; once before the profile and once after;
2. a full profile of the same model by the router's profiler (in this process):
   memory baseline, unload and load, the same prompts streamed, grading (code run
   in the sandbox), the profile built.

It prints both wall times, the tokens each generated (the same at temperature
0), and the profiler's overhead: (profile - pure) / pure, pure being the mean of
the two runs. Goal: at most 10%. On a busy machine the runs drift apart by more
than that, so it also prints the profile's own time: its wall time less the
time its answers took to stream, as a share of the latter.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

from llama_server import QWEN_05B, start_router  # noqa: E402

from smarterrouter.backends.factory import create_backend  # noqa: E402
from smarterrouter.backends.registry import BackendRegistry  # noqa: E402
from smarterrouter.profiling.assembly import load_plan  # noqa: E402
from smarterrouter.profiling.prompts import PromptItem  # noqa: E402
from smarterrouter.profiling.runner import ProfileRunner, PromptPlan  # noqa: E402
from smarterrouter.settings import Settings  # noqa: E402
from smarterrouter.vram.manager import MemoryManager  # noqa: E402


async def pure_generation(url: str, model: str, items: tuple[PromptItem, ...]) -> tuple[float, int]:
    """Seconds and completion tokens for the prompts sent straight to llama-server."""
    tokens = 0
    # A fresh connection per request: llama-server may drop an idle kept-alive one.
    no_reuse = httpx.Limits(max_keepalive_connections=0)
    async with httpx.AsyncClient(base_url=url, timeout=600, limits=no_reuse) as client:
        await _warm(client, model)
        started = time.perf_counter()
        for item in items:
            body: dict[str, Any] = {
                "model": model,
                "messages": [dict(m) for m in item.messages],
                "max_tokens": item.max_tokens,
                "temperature": 0,
                "stream": True,
                "stream_options": {"include_usage": True},
            }
            async with client.stream("POST", "/v1/chat/completions", json=body) as resp:
                async for line in resp.aiter_lines():
                    if line.startswith("data: {") and '"usage":{' in line.replace(" ", ""):
                        tokens += _completion_tokens(line)
        return time.perf_counter() - started, tokens


def _completion_tokens(line: str) -> int:
    usage = json.loads(line[6:]).get("usage") or {}
    return int(usage.get("completion_tokens") or 0)


async def _warm(client: httpx.AsyncClient, model: str) -> None:
    body = {"model": model, "max_tokens": 1, "messages": [{"role": "user", "content": "Hi"}]}
    (await client.post("/v1/chat/completions", json=body)).raise_for_status()


async def full_profile(url: str, model: str, plan: PromptPlan) -> tuple[float, Any]:
    settings = Settings(_env_file=None, provider="llama.cpp", llama_cpp_url=url)  # type: ignore[call-arg]
    registry = BackendRegistry([create_backend(c, settings) for c in settings.backend_configs()])
    try:
        snapshot = await registry.refresh()
        target = snapshot.find(model)
        assert target is not None, f"{model} not served: {[m.public_name for m in snapshot.models]}"
        memory = MemoryManager(registry, lambda: 64 * 2**30)
        runner = ProfileRunner(
            registry, memory, plan, timeout_cap=600, kinds={"llamacpp": "llama.cpp"}
        )
        started = time.perf_counter()
        profile = await runner.profile(target)
        return time.perf_counter() - started, profile
    finally:
        await registry.aclose()


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--per-category", type=int, default=3)
    parser.add_argument("--model", default=QWEN_05B)
    args = parser.parse_args()
    plan = await load_plan(args.per_category)
    with tempfile.TemporaryDirectory() as tmp:
        server = start_router(Path(tmp) / "llama.log", models_max=1)
        try:
            before_s, pure_tokens = await pure_generation(server.url, args.model, plan.items)
            profile_s, profile = await full_profile(server.url, args.model, plan)
            after_s, _ = await pure_generation(server.url, args.model, plan.items)
        finally:
            server.stop()
    # Pure generation before and after the profile brackets any drift in the
    # machine's speed (other processes); the overhead is against their mean.
    pure_s = (before_s + after_s) / 2
    overhead = (profile_s - pure_s) / pure_s * 100
    print(f"model {args.model}, prompt set {plan.version}, {len(plan.items)} prompts")
    print(f"pure generation before: {before_s:8.1f} s, {pure_tokens} tokens")
    print(f"full profile (memory, load, prompts, grading): {profile_s:8.1f} s, {profile.status}")
    print(f"pure generation after:  {after_s:8.1f} s")
    print(f"profiler overhead: {profile_s - pure_s:+.1f} s = {overhead:+.1f}% (goal <= 10%)")
    # Independent of the machine's speed drifting between runs: the profile's wall
    # time less the time its own answers took to stream.
    answering = float((profile.speed or {}).get("answer_seconds") or 0.0)
    own = profile_s - answering
    print(
        f"inside the profile: answers streamed {answering:.1f} s; the profiler's own time "
        f"(memory, load, grading) {own:.1f} s = {own / answering * 100:.1f}% of it"
    )
    scores = {c: round(s.score, 2) for c, s in profile.categories.items()}
    print(f"scores: {scores}; speed: {dict(profile.speed or {})}")
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))

"""Profile one model: load it alone, stream the prompts, grade the answers.

The runner calls the model's backend directly (no routing, no cache), one model
at a time (a lock), so that speed is timed with the model alone. The memory
manager loads it (after the footprint is measured); answers are streamed to
time the first token, with `max_tokens` and temperature 0. Each prompt has a
time limit: `ROUTER_PROFILE_TIMEOUT` until the model's speed is known, then what
that speed predicts for the prompt's `max_tokens` (with a margin), never more.
Answers are graded only after the last one is generated, so that a judge that is
one of the router's own models does not evict the model being timed.

A model that cannot be loaded, that fails, or that runs out of time is profiled
as failed with the reason: no scores are made up for it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from smarterrouter.backends.base import Backend, ChatRequest
from smarterrouter.backends.registry import BackendRegistry
from smarterrouter.errors import BackendError
from smarterrouter.profiling import memory as footprint
from smarterrouter.profiling.grading import grade
from smarterrouter.profiling.judge import Judge
from smarterrouter.profiling.profile import (
    ItemScore,
    ModelProfile,
    item_score,
    model_identity,
    summarize_categories,
)
from smarterrouter.profiling.prompts import PromptItem
from smarterrouter.profiling.speed import (
    BackendTimings,
    Generation,
    parse_timings,
    prompt_timeout,
    summarize,
)
from smarterrouter.routing.policy import RoutedModel
from smarterrouter.vram.manager import MemoryManager

log = logging.getLogger(__name__)

# (prompts answered, prompts in all) for the model being profiled.
Progress = Callable[[int, int], None]


class ProfileFailed(Exception):
    """The model could not be profiled; the message says why."""


@dataclass(frozen=True)
class PromptPlan:
    """The prompts every model gets, and the version of the set they come from."""

    version: str
    items: tuple[PromptItem, ...]


class ProfileRunner:
    def __init__(
        self,
        registry: BackendRegistry,
        memory: MemoryManager,
        plan: PromptPlan,
        *,
        judge: Judge | None = None,
        timeout_cap: float = 90.0,
        vram_samples: int = 3,
        gpu_used: footprint.GpuUsed | None = None,
        kinds: Mapping[str, str] | None = None,
    ) -> None:
        """`kinds` gives each backend's software by backend name ("ollama", "llama.cpp")."""
        self.plan = plan
        self._registry = registry
        self._memory = memory
        self._judge = judge
        self._cap = timeout_cap
        self._samples = vram_samples
        self._gpu_used = gpu_used or footprint.probe_gpu_used()
        self._kinds = dict(kinds or {})
        self._lock = asyncio.Lock()

    async def profile(self, model: RoutedModel, progress: Progress | None = None) -> ModelProfile:
        """Profile `model`; a failure is returned as a failed profile, never raised.

        Cancellation (a cancelled job) is the one thing that propagates.
        """
        async with self._lock:
            started = time.monotonic()
            try:
                profile = await self._run(model, progress or _ignore)
            except (BackendError, ProfileFailed) as exc:
                reason = exc.message if isinstance(exc, BackendError) else str(exc)
                log.warning("profiling %s failed: %s", model.public_name, reason)
                profile = self._failed(model, reason)
            return _with_duration(profile, time.monotonic() - started)

    async def _run(self, model: RoutedModel, progress: Progress) -> ModelProfile:
        backend = self._registry.backend(model.backend)
        memory = await footprint.measure(
            model,
            backend,
            self._memory,
            self._gpu_used,
            self._samples,
            self._kinds.get(model.backend, "backend"),
        )
        async with self._memory.using(model):
            generations = await self._generate_all(backend, model, progress)
        items = await self._grade_all(generations)
        return ModelProfile(
            model=model.public_name,
            backend=model.backend,
            identity=model_identity(model.info),
            prompt_set_version=self.plan.version,
            status="ok",
            created_at=datetime.now(UTC),
            categories=summarize_categories(items),
            speed=summarize([g for _, g in generations]).as_dict(),
            memory=memory.as_dict(),
            items=tuple(items),
        )

    async def _generate_all(
        self, backend: Backend, model: RoutedModel, progress: Progress
    ) -> list[tuple[PromptItem, Generation]]:
        done: list[tuple[PromptItem, Generation]] = []
        total = len(self.plan.items)
        progress(0, total)
        for item in self.plan.items:
            speed = summarize([g for _, g in done]) if done else None
            limit = prompt_timeout(
                item.max_tokens,
                speed.generation_tps if speed else None,
                (speed.ttft_ms or 0) / 1000 if speed else None,
                self._cap,
            )
            done.append((item, await generate(backend, model.native_name, item, limit)))
            progress(len(done), total)
        return done

    async def _grade_all(
        self, generations: Sequence[tuple[PromptItem, Generation]]
    ) -> list[ItemScore]:
        out = []
        for item, generation in generations:
            result = await grade(item, generation.text, self._judge)
            out.append(item_score(item.id, item.category, result))
        return out

    def _failed(self, model: RoutedModel, reason: str) -> ModelProfile:
        return ModelProfile(
            model=model.public_name,
            backend=model.backend,
            identity=model_identity(model.info),
            prompt_set_version=self.plan.version,
            status="failed",
            created_at=datetime.now(UTC),
            reason=reason,
        )


async def generate(backend: Backend, native: str, item: PromptItem, limit: float) -> Generation:
    """Stream one prompt's answer, timing it; ProfileFailed when it takes over `limit` s."""
    body: dict[str, Any] = {
        "messages": [dict(m) for m in item.messages],
        "max_tokens": item.max_tokens,
        "temperature": 0,
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    reader = _AnswerReader()
    try:
        async with asyncio.timeout(limit):
            async for chunk in backend.stream_chat(ChatRequest(native, body)):
                reader.feed(chunk)
    except TimeoutError:
        raise ProfileFailed(f"{item.id}: no complete answer within {limit:.0f}s") from None
    return reader.result()


class _AnswerReader:
    """Collects a streamed answer's text, first-token time, usage and timings."""

    def __init__(self) -> None:
        self._start = time.perf_counter()
        self._first: float | None = None
        self._parts: list[str] = []
        self._usage: dict[str, Any] = {}
        self._timings: BackendTimings | None = None

    def feed(self, chunk: dict[str, Any]) -> None:
        for choice in chunk.get("choices") or []:
            delta = choice.get("delta") or {}
            text = delta.get("content")
            if (text or delta.get("reasoning_content")) and self._first is None:
                self._first = time.perf_counter()
            if isinstance(text, str):
                self._parts.append(text)
        if isinstance(chunk.get("usage"), dict):
            self._usage = chunk["usage"]
        self._timings = parse_timings(chunk) or self._timings

    def result(self) -> Generation:
        return Generation(
            text="".join(self._parts),
            ttft_s=None if self._first is None else self._first - self._start,
            total_s=time.perf_counter() - self._start,
            prompt_tokens=_int(self._usage.get("prompt_tokens")),
            completion_tokens=_int(self._usage.get("completion_tokens")),
            timings=self._timings,
        )


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) else None


def _ignore(done: int, total: int) -> None:
    return None


def _with_duration(profile: ModelProfile, seconds: float) -> ModelProfile:
    return replace(profile, duration_s=round(seconds, 2))

"""Makes room for a model before it is called, and knows which models are busy.

Dispatch asks `prepare(model)` before calling a model on a managed backend. A
model the backend already has in memory costs a cached look-up. A cold model
takes the planning lock: what is loaded is read from the backends themselves
(models loaded behind the router's back count), the eviction planner decides
what to unload, and the manager unloads and then loads. A model that cannot fit
raises a retryable BackendError, so dispatch moves on to the next candidate.

Concurrent requests for the same cold model share one load: the second waits
for the lock, then finds the model loaded. A model serving a request is never
evicted under it (`using()` marks it busy for the call, or the whole stream).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Collection, Iterable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Literal

from smarterrouter.backends.base import Backend, ManagedBackend
from smarterrouter.backends.registry import BackendRegistry
from smarterrouter.errors import BackendError
from smarterrouter.routing.policy import RoutedModel
from smarterrouter.vram.budget import GIB, estimate_footprint
from smarterrouter.vram.planner import CannotFit, Resident, plan_eviction

log = logging.getLogger(__name__)

# How long a read of what the backends hold stays good for the fast path.
LOADED_TTL_SECONDS = 2.0
# Weights per parameter when only the parameter count is known (Q4_K_M-like).
BYTES_PER_PARAM = 0.6
# Ollama reports a model's longest context, not the one it loads with.
CONTEXT_CAP_TOKENS = 8192


@dataclass(frozen=True)
class Loaded:
    name: str  # public name
    backend: str
    bytes: int


class MemoryManager:
    def __init__(
        self,
        registry: BackendRegistry,
        budget: Callable[[], int],
        *,
        strategy: Literal["lru", "largest"] = "lru",
        pinned: Collection[str] = (),
        auto_unload: bool = True,
        unmanaged: Collection[str] = (),
        default_gb: float = 8.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """`budget()` gives the bytes models may use; `unmanaged` names backends
        whose memory is not ours to plan (another machine's, say)."""
        self._registry = registry
        self._budget = budget
        self._strategy: Literal["lru", "largest"] = strategy
        self.pinned = frozenset(pinned)
        self._auto_unload = auto_unload
        self._unmanaged = frozenset(unmanaged)
        self._default_gb = default_gb
        self._clock = clock
        self._lock = asyncio.Lock()
        self._last_used: dict[str, float] = {}
        self._busy: Counter[str] = Counter()
        self._loaded: tuple[float, Mapping[str, Loaded]] | None = None

    async def load_pinned(self) -> None:
        """Load the pinned models (at start); one that fails is logged, not fatal."""
        for name in sorted(self.pinned):
            model = self._registry.snapshot.find(name)
            if model is None:
                log.warning("pinned model %s is not served by any backend", name)
                continue
            try:
                await self.prepare(model)
            except BackendError as exc:
                log.warning("cannot load pinned model %s: %s", name, exc.message)

    def busy_counts(self) -> dict[str, int]:
        """Calls and streams in progress, by model (for metrics)."""
        return {name: n for name, n in self._busy.items() if n > 0}

    def last_seen_loaded(self) -> dict[str, int]:
        """What the backends held at the last look, by public name, in bytes (no I/O)."""
        return {name: e.bytes for name, e in (self._loaded[1] if self._loaded else {}).items()}

    def manages(self, backend: Backend) -> bool:
        return isinstance(backend, ManagedBackend) and backend.name not in self._unmanaged

    async def prepare(self, model: RoutedModel) -> None:
        """Return when `model` is in memory; raise BackendError if it cannot be."""
        backend = self._registry.backend(model.backend)
        if not self.manages(backend):
            return
        if model.public_name in await self.loaded(fresh=False):
            self._touch(model.public_name)
            return
        async with self._lock:  # one plan at a time: two would count the same free room
            loaded = await self.loaded(fresh=True)
            if model.public_name not in loaded:
                await self._make_room(model, loaded)
                assert isinstance(backend, ManagedBackend)
                await backend.load(model.native_name)
                self._loaded = None
            self._touch(model.public_name)

    @asynccontextmanager
    async def using(self, model: RoutedModel) -> AsyncIterator[None]:
        """Mark `model` busy for the block: the planner will not evict it."""
        self._busy[model.public_name] += 1
        try:
            yield
        finally:
            self._busy[model.public_name] -= 1
            self._touch(model.public_name)

    async def loaded(self, *, fresh: bool = True) -> Mapping[str, Loaded]:
        """What the managed backends say they hold, by public name."""
        if not fresh and self._loaded and self._clock() - self._loaded[0] < LOADED_TTL_SECONDS:
            return self._loaded[1]
        managed = [b for b in self._registry.backends.values() if self.manages(b)]
        answers = await asyncio.gather(*(self._ask(b) for b in managed))
        found = {entry.name: entry for entries in answers for entry in entries}
        self._loaded = (self._clock(), found)
        return found

    def cannot_fit(self, models: Iterable[RoutedModel]) -> dict[str, str]:
        """The models that could never be loaded: bigger than the budget left beside
        the pinned models. Routing leaves them out (with this reason) rather than
        trying them first and failing over. No I/O: footprints are estimates, and a
        model the backend already holds always fits."""
        served = {m.public_name: m for m in models}
        pinned = {n: self.footprint(served[n]) for n in self.pinned if n in served}
        out: dict[str, str] = {}
        for name, model in served.items():
            backend = self._registry.backends.get(model.backend)
            if model.info.loaded or backend is None or not self.manages(backend):
                continue
            room = self._budget() - sum(b for n, b in pinned.items() if n != name)
            need = self.footprint(model)
            if need > room:
                beside = " beside the pinned models" if len(pinned) > (name in pinned) else ""
                out[name] = (
                    f"needs ~{need / GIB:.1f} GB, more than the {max(room, 0) / GIB:.1f} GB "
                    f"memory budget{beside}"
                )
        return out

    def footprint(self, model: RoutedModel) -> int:
        info = model.info
        size = info.size_bytes
        if not size and model.size_b:
            size = int(model.size_b * 1e9 * BYTES_PER_PARAM)
        context = min(info.context_length or CONTEXT_CAP_TOKENS, CONTEXT_CAP_TOKENS)
        estimate = estimate_footprint(
            file_size_bytes=size, context_length=context, default_gb=self._default_gb
        )
        return estimate.bytes

    async def _make_room(self, model: RoutedModel, loaded: Mapping[str, Loaded]) -> None:
        residents = [
            Resident(e.name, e.bytes, self._last_used.get(e.name, 0.0)) for e in loaded.values()
        ]
        busy = {name for name, n in self._busy.items() if n > 0}
        plan = plan_eviction(
            model.public_name, self.footprint(model), self._budget(), residents,
            pinned=self.pinned, busy=busy, strategy=self._strategy,
        )  # fmt: skip
        if isinstance(plan, CannotFit):
            raise BackendError(
                f"{model.public_name} does not fit in memory: {plan.detail}",
                backend=model.backend,
            )
        if plan.models and not self._auto_unload:
            raise BackendError(
                f"{model.public_name} fits only after unloading {', '.join(plan.models)}, and "
                "ROUTER_VRAM_AUTO_UNLOAD_ENABLED is off",
                backend=model.backend,
            )
        for name in plan.models:
            await self._unload(loaded[name])

    async def _unload(self, entry: Loaded) -> None:
        backend = self._registry.backend(entry.backend)
        assert isinstance(backend, ManagedBackend)
        log.info("unloading %s to make room", entry.name)
        await backend.unload(entry.name.removeprefix(backend.prefix))
        self._loaded = None

    async def _ask(self, backend: Backend) -> list[Loaded]:
        assert isinstance(backend, ManagedBackend)
        try:
            models = await backend.loaded()
        except BackendError as exc:
            log.warning("backend %s: cannot tell what is loaded: %s", backend.name, exc.message)
            return []
        out = []
        for m in models:
            public = backend.prefix + m.name
            size = m.vram_bytes or m.size_bytes
            if not size:
                known = self._registry.snapshot.find(public)
                size = self.footprint(known) if known else int(self._default_gb * 2**30)
            out.append(Loaded(public, backend.name, size))
        return out

    def _touch(self, name: str) -> None:
        self._last_used[name] = self._clock()

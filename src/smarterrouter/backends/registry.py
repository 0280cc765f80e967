"""Many backends, one model namespace.

The registry asks every backend what it serves, names each model
`prefix + native name`, applies the overrides from settings for what a backend
cannot tell, and hands out frozen snapshots for routing.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from smarterrouter.backends.base import Backend, ModelInfo
from smarterrouter.errors import BackendError
from smarterrouter.routing.policy import RoutedModel, Snapshot
from smarterrouter.settings import ModelOverride

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BackendStatus:
    name: str
    ok: bool
    models: int
    error: str | None = None


class BackendRegistry:
    def __init__(
        self,
        backends: Sequence[Backend],
        overrides: Mapping[str, ModelOverride] | None = None,
        *,
        min_refresh_interval: float = 5.0,
    ) -> None:
        self._backends = {b.name: b for b in backends}
        self._overrides = dict(overrides or {})
        self._snapshot = Snapshot(models=())
        self._status: dict[str, BackendStatus] = {}
        self._refreshed_at = 0.0
        self._min_interval = min_refresh_interval
        self._lock = asyncio.Lock()

    @property
    def backends(self) -> Mapping[str, Backend]:
        return self._backends

    @property
    def snapshot(self) -> Snapshot:
        return self._snapshot

    @property
    def status(self) -> Mapping[str, BackendStatus]:
        return self._status

    def backend(self, name: str) -> Backend:
        return self._backends[name]

    async def refresh(self) -> Snapshot:
        """Ask every backend for its models at once; one failing keeps the others'."""
        async with self._lock:
            results = await asyncio.gather(*(self._list(b) for b in self._backends.values()))
            models: dict[str, RoutedModel] = {}
            for backend, infos in zip(self._backends.values(), results, strict=True):
                if infos is None:  # unreachable: keep what we knew of it
                    infos = [m.info for m in self._snapshot.models if m.backend == backend.name]
                for info in infos:
                    self._add(models, backend, info)
            self._snapshot = Snapshot(models=tuple(models.values()))
            self._refreshed_at = time.monotonic()
            return self._snapshot

    async def refresh_if_stale(self) -> Snapshot:
        """Refresh unless that happened moments ago (for names we do not know yet)."""
        if time.monotonic() - self._refreshed_at >= self._min_interval:
            return await self.refresh()
        return self._snapshot

    async def _list(self, backend: Backend) -> list[ModelInfo] | None:
        try:
            infos = await backend.list_models()
        except BackendError as exc:
            log.warning("backend %s: cannot list models: %s", backend.name, exc.message)
            self._status[backend.name] = BackendStatus(backend.name, False, 0, exc.message)
            return None
        self._status[backend.name] = BackendStatus(backend.name, True, len(infos))
        return infos

    def _add(self, models: dict[str, RoutedModel], backend: Backend, info: ModelInfo) -> None:
        public = backend.prefix + info.name
        if public in models:
            log.warning(
                "model %s is served by both %s and %s; using %s (set a model_prefix to keep both)",
                public,
                models[public].backend,
                backend.name,
                models[public].backend,
            )
            return
        info = self._override(public, info.with_(backend=backend.name))
        models[public] = RoutedModel(public_name=public, backend=backend.name, info=info)

    def _override(self, public: str, info: ModelInfo) -> ModelInfo:
        override = self._overrides.get(public) or self._overrides.get(info.name)
        if override is None:
            return info
        changes: dict[str, object] = {}
        if override.capabilities is not None:
            changes["capabilities"] = frozenset(override.capabilities)
        if override.parameter_count_b is not None:
            changes["parameter_count_b"] = override.parameter_count_b
        if override.context_length is not None:
            changes["context_length"] = override.context_length
        if override.family is not None:
            changes["family"] = override.family
        return replace(info, **changes)  # type: ignore[arg-type]

    async def aclose(self) -> None:
        await asyncio.gather(*(b.aclose() for b in self._backends.values()))

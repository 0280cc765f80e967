"""A model's memory footprint: what loading it costs on this machine.

Two figures, each with its source. The GPU probe's: used memory before the model
loads (baseline) and after it has loaded and memory has settled, each averaged
over a few readings; the footprint is the difference. The backend's: what it
says the loaded model takes (Ollama's `size_vram` from `/api/ps`, llama.cpp's
model size). Without a GPU, or when the model cannot be unloaded first (a
single-model llama-server), only the backend's figure is known.

The arithmetic is pure (`mean`, `has_settled`, `footprint_from`); `measure`
does the I/O around it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from smarterrouter.backends.base import Backend, LoadedModel, ManagedBackend
from smarterrouter.errors import BackendError
from smarterrouter.routing.policy import RoutedModel
from smarterrouter.vram.detect import ProbeConfig, detect_async
from smarterrouter.vram.manager import MemoryManager

log = logging.getLogger(__name__)

# Used GPU memory, all devices together; None when there is no GPU to ask.
GpuUsed = Callable[[], Awaitable[int | None]]

# Memory has settled when two readings in a row differ by less than this.
SETTLED_BYTES = 64 * 2**20
SETTLE_POLL_S = 0.5
SETTLE_MAX_S = 30.0
SAMPLE_GAP_S = 0.2


@dataclass(frozen=True)
class Footprint:
    gpu_bytes: int | None  # measured: loaded minus baseline, on the GPU probe
    gpu_source: str | None
    backend_bytes: int | None  # what the backend reports
    backend_source: str | None
    samples: int
    note: str | None = None  # why a figure is missing

    @property
    def bytes(self) -> int | None:
        """The figure routing should believe: the measured one, else the backend's."""
        return self.gpu_bytes if self.gpu_bytes is not None else self.backend_bytes

    @property
    def source(self) -> str | None:
        return self.gpu_source if self.gpu_bytes is not None else self.backend_source

    def as_dict(self) -> dict[str, Any]:
        return {
            "bytes": self.bytes,
            "source": self.source,
            "gpu_bytes": self.gpu_bytes,
            "gpu_source": self.gpu_source,
            "backend_bytes": self.backend_bytes,
            "backend_source": self.backend_source,
            "samples": self.samples,
            "note": self.note,
        }


def mean(values: Sequence[int]) -> int | None:
    return round(sum(values) / len(values)) if values else None


def has_settled(readings: Sequence[int], tolerance: int = SETTLED_BYTES) -> bool:
    """True when the last two readings are within `tolerance` of each other."""
    return len(readings) >= 2 and abs(readings[-1] - readings[-2]) < tolerance


def gpu_delta(baseline: Sequence[int], loaded: Sequence[int]) -> int | None:
    """Average loaded minus average baseline; never negative (another process may
    have freed memory meanwhile), None without readings on both sides."""
    before, after = mean(baseline), mean(loaded)
    if before is None or after is None:
        return None
    return max(0, after - before)


def backend_figure(entry: LoadedModel | None, backend_kind: str) -> tuple[int | None, str | None]:
    """The backend's own figure for a loaded model, and where it comes from."""
    if entry is None:
        return None, None
    if entry.vram_bytes:
        return entry.vram_bytes, f"{backend_kind}: size_vram"
    if entry.size_bytes:
        return entry.size_bytes, f"{backend_kind}: model size"
    return None, None


def footprint_from(
    baseline: Sequence[int],
    loaded: Sequence[int],
    backend: tuple[int | None, str | None],
    gpu_source: str | None,
    note: str | None = None,
) -> Footprint:
    measured = gpu_delta(baseline, loaded)
    return Footprint(
        gpu_bytes=measured,
        gpu_source=gpu_source if measured is not None else None,
        backend_bytes=backend[0],
        backend_source=backend[1],
        samples=min(len(baseline), len(loaded)),
        note=note,
    )


def probe_gpu_used(probe: ProbeConfig | None = None) -> GpuUsed:
    """A GpuUsed reading the GPU probes (in a worker thread); None without a GPU."""

    async def read() -> int | None:
        report = await detect_async(probe)
        used = [g.used_bytes for g in report.gpus]
        if report.mode == "cpu" or not used or any(u is None for u in used):
            return None
        return sum(u for u in used if u is not None)

    return read


async def measure(
    model: RoutedModel,
    backend: Backend,
    memory: MemoryManager,
    gpu_used: GpuUsed,
    samples: int,
    kind: str,
) -> Footprint:
    """Unload `model`, read the baseline, load it, wait until memory settles, read again.

    Leaves the model loaded. Raises BackendError when the model cannot be loaded.
    `kind` names the backend's software in the figure's source ("ollama").
    """
    if not isinstance(backend, ManagedBackend) or not memory.manages(backend):
        await memory.prepare(model)
        return Footprint(None, None, None, None, 0, "the router does not manage this backend")
    note = await _unload_first(backend, model)
    await memory.loaded(fresh=True)
    baseline = [] if note else await _readings(gpu_used, samples)
    await memory.prepare(model)
    loaded = await _settled_readings(gpu_used, samples) if baseline else []
    entry = next((m for m in await backend.loaded() if m.name == model.native_name), None)
    if not baseline and note is None:
        note = "no GPU probe: the backend's figure"
    return footprint_from(baseline, loaded, backend_figure(entry, kind), "gpu probe", note)


async def _unload_first(backend: ManagedBackend, model: RoutedModel) -> str | None:
    try:
        await backend.unload(model.native_name)
    except BackendError as exc:
        log.info("profiling %s: cannot unload it first: %s", model.public_name, exc.message)
        return f"cannot unload first, so no baseline: {exc.message}"
    return None


async def _readings(gpu_used: GpuUsed, count: int) -> list[int]:
    out: list[int] = []
    for i in range(count):
        value = await gpu_used()
        if value is None:
            return []
        out.append(value)
        if i + 1 < count:
            await asyncio.sleep(SAMPLE_GAP_S)
    return out


async def _settled_readings(gpu_used: GpuUsed, count: int) -> list[int]:
    seen: list[int] = []
    waited = 0.0
    while waited < SETTLE_MAX_S:
        value = await gpu_used()
        if value is None:
            return []
        seen.append(value)
        if has_settled(seen):
            break
        await asyncio.sleep(SETTLE_POLL_S)
        waited += SETTLE_POLL_S
    return await _readings(gpu_used, count)

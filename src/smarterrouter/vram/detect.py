"""Find the machine's GPU memory by trying each probe in turn.

Every source is injectable through ProbeConfig (commands, their search path,
the sysfs root, the meminfo file), so tests run the real runners against
fake tools and fixture trees. A machine with no GPU is a normal result
(mode "cpu"), never an error, and no probe failure escapes `detect()`.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from smarterrouter.vram.memory import GpuMemory, ProbeError, SystemMemory, VramReport
from smarterrouter.vram.probes import amd, apple, intel, nvidia
from smarterrouter.vram.probes.run import DEFAULT_TIMEOUT_S
from smarterrouter.vram.probes.system import read_meminfo

GIB = 1024**3
Source = tuple[str, Callable[[], tuple[GpuMemory, ...]]]


@dataclass(frozen=True)
class ProbeConfig:
    """Where each probe looks. The defaults are the real machine."""

    sysfs_root: Path = Path("/sys")
    meminfo_path: Path = Path("/proc/meminfo")
    search_path: str | None = None  # folders to find the tools in; None: PATH
    timeout_s: float = DEFAULT_TIMEOUT_S
    use_nvml: bool = True
    nvml: Any = None  # the pynvml module (or a stand-in); None: import it
    nvidia_smi: tuple[str, ...] = nvidia.NVIDIA_SMI_QUERY
    rocm_smi: tuple[str, ...] = amd.ROCM_SMI_QUERY
    vm_stat: tuple[str, ...] = apple.VM_STAT
    sysctl_memsize: tuple[str, ...] = apple.SYSCTL_MEMSIZE
    unified_share: float = apple.DEFAULT_UNIFIED_SHARE
    platform: str = field(default_factory=lambda: sys.platform)
    # Smaller devices are APU carve-outs (AMD reports 64-512 MiB for an
    # integrated GPU): noted, but not counted as room for models.
    min_gpu_bytes: int = GIB


def detect(config: ProbeConfig | None = None) -> VramReport:
    """Probe the machine: Apple unified memory on macOS; elsewhere NVIDIA
    (NVML, then nvidia-smi), AMD (rocm-smi, then sysfs) and Intel (sysfs),
    all kept when a machine has several; then system memory.

    Blocks on subprocesses and file reads: use `detect_async` from async code.
    """
    cfg = config or ProbeConfig()
    notes: list[str] = []
    if cfg.platform == "darwin":
        try:
            gpu, ram = apple.apple_memory(
                share=cfg.unified_share,
                vm_stat_command=cfg.vm_stat,
                sysctl_command=cfg.sysctl_memsize,
                timeout=cfg.timeout_s,
                search_path=cfg.search_path,
            )
            return VramReport("unified", (gpu,), ram, tuple(notes))
        except ProbeError as exc:
            notes.append(str(exc))
    gpus: list[GpuMemory] = []
    for sources in _vendor_sources(cfg):
        gpus.extend(_first_answer(sources, notes))
    kept = _large_enough(gpus, cfg.min_gpu_bytes, notes)
    system = _system_memory(cfg, notes)
    return VramReport("gpu" if kept else "cpu", tuple(kept), system, tuple(notes))


async def detect_async(config: ProbeConfig | None = None) -> VramReport:
    """`detect()` in a worker thread, so the event loop keeps serving."""
    return await asyncio.to_thread(detect, config)


def _vendor_sources(cfg: ProbeConfig) -> list[list[Source]]:
    t, path = cfg.timeout_s, cfg.search_path
    nv: list[Source] = [
        ("nvidia-smi", lambda: nvidia.nvidia_smi_gpus(cfg.nvidia_smi, timeout=t, search_path=path))
    ]
    if cfg.use_nvml:
        nv.insert(0, ("nvml", lambda: nvidia.nvml_gpus(cfg.nvml)))
    return [
        nv,
        [
            ("rocm-smi", lambda: amd.rocm_smi_gpus(cfg.rocm_smi, timeout=t, search_path=path)),
            ("amd sysfs", lambda: amd.amd_sysfs_gpus(cfg.sysfs_root)),
        ],
        [("intel sysfs", lambda: intel.intel_sysfs_gpus(cfg.sysfs_root))],
    ]


def _first_answer(sources: Sequence[Source], notes: list[str]) -> tuple[GpuMemory, ...]:
    # The sources of one vendor describe the same cards; the first that
    # answers wins so no card is counted twice.
    for label, probe in sources:
        try:
            found = probe()
        except ProbeError as exc:
            notes.append(str(exc))
            continue
        if found:
            return found
        notes.append(f"{label}: no GPU found")
    return ()


def _large_enough(gpus: list[GpuMemory], floor: int, notes: list[str]) -> list[GpuMemory]:
    kept = []
    for g in gpus:
        if g.total_bytes >= floor:
            kept.append(g)
        else:
            notes.append(f"{g.vendor} {g.index} ({g.name}): {g.total_bytes} bytes, not counted")
    return kept


def _system_memory(cfg: ProbeConfig, notes: list[str]) -> SystemMemory | None:
    try:
        return read_meminfo(cfg.meminfo_path)
    except ProbeError as exc:
        notes.append(str(exc))
        return None

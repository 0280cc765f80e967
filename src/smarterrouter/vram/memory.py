"""The values the probes produce: what memory a machine has, per device.

Sizes are bytes everywhere. A figure a source cannot give is None, never a
guess: Intel's xe driver publishes a card's total but not what is in use, and
the router must not mistake "unknown" for "empty".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Vendor = Literal["nvidia", "amd", "intel", "apple"]
Mode = Literal["gpu", "unified", "cpu"]


class ProbeError(Exception):
    """A probe could not give an answer: its tool is missing, failed, timed
    out, or printed something the parser does not recognise.

    `detect()` catches it and reports it as a note; a caller using one probe
    directly decides for itself.
    """


@dataclass(frozen=True)
class GpuMemory:
    """One device's memory as one source reported it."""

    index: int
    name: str
    vendor: Vendor
    total_bytes: int
    used_bytes: int | None
    free_bytes: int | None
    source: str  # "nvml", "nvidia-smi", "rocm-smi", "sysfs", "vm_stat"…


@dataclass(frozen=True)
class SystemMemory:
    """Main memory, from /proc/meminfo (or the Apple tools)."""

    total_bytes: int
    available_bytes: int
    source: str


@dataclass(frozen=True)
class VramReport:
    """What `detect()` found: the devices, the system memory, and why.

    `mode` says what the budget should be drawn from: "gpu" (dedicated
    memory of `gpus`), "unified" (Apple Silicon: a share of RAM, in `gpus`),
    or "cpu" (no GPU found; the budget comes from `system`). `notes` keeps
    one line per probe that found nothing or failed, for `/admin/vram`.
    """

    mode: Mode
    gpus: tuple[GpuMemory, ...]
    system: SystemMemory | None
    notes: tuple[str, ...] = ()

    @property
    def total_bytes(self) -> int:
        """Memory available to models: all GPUs together, or system memory."""
        if self.gpus:
            return sum(g.total_bytes for g in self.gpus)
        return self.system.total_bytes if self.system else 0

    @property
    def summary(self) -> str:
        if self.mode == "cpu":
            return "no GPU; CPU-only, budget from system memory"
        vendors = sorted({g.vendor for g in self.gpus})
        kind = "unified memory" if self.mode == "unified" else "GPU"
        return f"{len(self.gpus)} {kind} device(s): {', '.join(vendors)}"

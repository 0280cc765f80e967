"""Apple Silicon: the GPU shares main memory, so its budget is a share of RAM.

Metal will not let one process wire all of RAM for the GPU (its recommended
working set is roughly two thirds to three quarters of it), hence a share,
configurable, rather than the whole. What is in use comes from `vm_stat`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from smarterrouter.vram.memory import GpuMemory, ProbeError, SystemMemory
from smarterrouter.vram.probes.run import DEFAULT_TIMEOUT_S, run_command

VM_STAT: tuple[str, ...] = ("vm_stat",)
SYSCTL_MEMSIZE: tuple[str, ...] = ("sysctl", "hw.memsize")
DEFAULT_UNIFIED_SHARE = 0.75

_HEADER = re.compile(r"Mach Virtual Memory Statistics: \(page size of (\d+) bytes\)")
_COUNT = re.compile(r'"?([^":]+)"?:\s+(\d+)\.?')
_MEMSIZE = re.compile(r"(?:hw\.memsize\s*[:=]\s*)?(\d+)")
# Memory nothing else can take back without swapping: what apps hold
# (active), what the kernel pinned (wired), and compressed pages.
_USED_PAGES = ("Pages active", "Pages wired down", "Pages occupied by compressor")


@dataclass(frozen=True)
class VmStat:
    page_size: int
    pages: Mapping[str, int]

    @property
    def used_bytes(self) -> int:
        return sum(self.pages.get(k, 0) for k in _USED_PAGES) * self.page_size


def parse_vm_stat(text: str) -> VmStat:
    """Page size and page counts from `vm_stat` ("Pages free:  123." lines).

    Raises ProbeError without the header line or the active/wired counts.
    """
    lines = text.strip().splitlines()
    header = _HEADER.fullmatch(lines[0].strip()) if lines else None
    if header is None:
        raise ProbeError("vm_stat: no 'Mach Virtual Memory Statistics' header")
    counts = (_COUNT.fullmatch(line.strip()) for line in lines[1:])
    pages = {m.group(1): int(m.group(2)) for m in counts if m}
    missing = [k for k in _USED_PAGES[:2] if k not in pages]
    if missing:
        raise ProbeError(f"vm_stat: missing {', '.join(missing)}")
    return VmStat(int(header.group(1)), pages)


def parse_sysctl_memsize(text: str) -> int:
    """Bytes of RAM from `sysctl hw.memsize` ("hw.memsize: 17179869184") or
    `sysctl -n hw.memsize` (the bare number)."""
    m = _MEMSIZE.fullmatch(text.strip())
    if m is None or int(m.group(1)) == 0:
        raise ProbeError(f"sysctl: not a memory size: {text.strip()[:80]!r}")
    return int(m.group(1))


def unified_memory(
    memsize: int, vm: VmStat, share: float = DEFAULT_UNIFIED_SHARE
) -> tuple[GpuMemory, SystemMemory]:
    """The GPU's view of unified memory: `share` of RAM as its total, and as
    free whatever RAM is not in use, capped at that total."""
    if not 0 < share <= 1:
        raise ValueError(f"share must be in (0, 1], got {share}")
    in_use = min(vm.used_bytes, memsize)
    total = int(memsize * share)
    free = min(total, memsize - in_use)
    gpu = GpuMemory(0, "Apple unified memory", "apple", total, total - free, free, "vm_stat")
    return gpu, SystemMemory(memsize, memsize - in_use, "vm_stat")


def apple_memory(
    *,
    share: float = DEFAULT_UNIFIED_SHARE,
    vm_stat_command: Sequence[str] = VM_STAT,
    sysctl_command: Sequence[str] = SYSCTL_MEMSIZE,
    timeout: float = DEFAULT_TIMEOUT_S,
    search_path: str | None = None,
) -> tuple[GpuMemory, SystemMemory]:
    """Run sysctl and vm_stat and combine them; ProbeError if either fails."""
    memsize = parse_sysctl_memsize(
        run_command(sysctl_command, timeout=timeout, search_path=search_path)
    )
    vm = parse_vm_stat(run_command(vm_stat_command, timeout=timeout, search_path=search_path))
    return unified_memory(memsize, vm, share)

"""System memory from /proc/meminfo: the budget when there is no GPU."""

from __future__ import annotations

import re
from pathlib import Path

from smarterrouter.vram.memory import ProbeError, SystemMemory
from smarterrouter.vram.probes.run import read_text

_LINE = re.compile(r"(\w[\w()]*):\s+(\d+)(?:\s+kB)?\s*")


def parse_meminfo(text: str) -> SystemMemory:
    """MemTotal and MemAvailable from /proc/meminfo text (kB figures).

    Kernels before 3.14 have no MemAvailable; MemFree + Buffers + Cached
    stands in for it there. Raises ProbeError without MemTotal.
    """
    kb = {m.group(1): int(m.group(2)) for m in map(_LINE.fullmatch, text.splitlines()) if m}
    if "MemTotal" not in kb:
        raise ProbeError("meminfo: no MemTotal line")
    if "MemAvailable" in kb:
        available = kb["MemAvailable"]
    else:
        available = kb.get("MemFree", 0) + kb.get("Buffers", 0) + kb.get("Cached", 0)
    total = kb["MemTotal"] * 1024
    return SystemMemory(total, min(available * 1024, total), "meminfo")


def read_meminfo(path: Path = Path("/proc/meminfo")) -> SystemMemory:
    """Read and parse `path`; ProbeError when it is absent (not Linux)."""
    text = read_text(path)
    if text is None:
        raise ProbeError(f"meminfo: cannot read {path}")
    return parse_meminfo(text)

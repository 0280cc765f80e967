"""AMD: `rocm-smi --showmeminfo vram --json`, else amdgpu's sysfs counters.

sysfs needs no ROCm install: amdgpu publishes `mem_info_vram_total` and
`mem_info_vram_used` (bytes) under each card's `device/` folder.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from smarterrouter.vram.memory import GpuMemory, ProbeError
from smarterrouter.vram.probes.run import (
    DEFAULT_TIMEOUT_S,
    drm_cards,
    read_card_files,
    run_command,
)

ROCM_SMI_QUERY: tuple[str, ...] = ("rocm-smi", "--showmeminfo", "vram", "--json")
AMD_VENDOR_ID = "0x1002"
AMD_SYSFS_FILES = (
    "device/vendor",
    "device/product_name",
    "device/mem_info_vram_total",
    "device/mem_info_vram_used",
)
_TOTAL_KEY = "VRAM Total Memory (B)"
_USED_KEY = "VRAM Total Used Memory (B)"
_CARD_KEY = re.compile(r"card(\d+)")


def parse_rocm_smi_json(text: str) -> tuple[GpuMemory, ...]:
    """GPUs from `rocm-smi --showmeminfo vram --json`: {"cardN": {"VRAM Total
    Memory (B)": "…", "VRAM Total Used Memory (B)": "…"}, …}.

    Entries that are not cards, or cards without a VRAM total, are skipped;
    blank output gives (); text that is not a JSON object raises ProbeError.
    """
    data = _json_object(text)
    gpus = []
    for key, fields in data.items():
        m = _CARD_KEY.fullmatch(key)
        if m is None or not isinstance(fields, dict) or _TOTAL_KEY not in fields:
            continue
        total = _bytes(fields[_TOTAL_KEY], key)
        used = _bytes(fields[_USED_KEY], key) if _USED_KEY in fields else None
        gpus.append(_gpu(int(m.group(1)), f"AMD GPU {key}", total, used, "rocm-smi"))
    return tuple(sorted(gpus, key=lambda g: g.index))


def _json_object(text: str) -> dict[str, Any]:
    if not text.strip():
        return {}
    # Some rocm-smi releases print warnings (low-power state, driver notes)
    # on stdout before the JSON; start at the first brace.
    start = text.find("{")
    if start < 0:
        raise ProbeError(f"rocm-smi: output is not JSON: {text.strip()[:80]!r}")
    try:
        data = json.loads(text[start:])
    except json.JSONDecodeError as exc:
        raise ProbeError(f"rocm-smi: output is not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ProbeError("rocm-smi: output is not a JSON object")
    return data


def parse_amd_sysfs(cards: Mapping[int, Mapping[str, str]]) -> tuple[GpuMemory, ...]:
    """GPUs from amdgpu sysfs files, given as {card number: {file: text}}
    with the names in AMD_SYSFS_FILES.

    Cards of other vendors or without `mem_info_vram_total` are skipped.
    """
    gpus = []
    for number, files in sorted(cards.items()):
        if files.get("device/vendor", "").strip() != AMD_VENDOR_ID:
            continue
        if "device/mem_info_vram_total" not in files:
            continue
        where = f"card{number}"
        total = _bytes(files["device/mem_info_vram_total"], where)
        used_text = files.get("device/mem_info_vram_used")
        used = None if used_text is None else _bytes(used_text, where)
        name = files.get("device/product_name", "").strip() or f"AMD GPU {where}"
        gpus.append(_gpu(number, name, total, used, "sysfs"))
    return tuple(gpus)


def _gpu(index: int, name: str, total: int, used: int | None, source: str) -> GpuMemory:
    free = None if used is None else max(total - used, 0)
    return GpuMemory(index, name, "amd", total, used, free, source)


def _bytes(value: object, where: str) -> int:
    text = str(value).strip()
    if not text.isdigit():
        raise ProbeError(f"{where}: not a byte count: {text!r}")
    return int(text)


def rocm_smi_gpus(
    command: Sequence[str] = ROCM_SMI_QUERY,
    *,
    timeout: float = DEFAULT_TIMEOUT_S,
    search_path: str | None = None,
) -> tuple[GpuMemory, ...]:
    """Run rocm-smi and parse it; ProbeError when it is missing or fails."""
    return parse_rocm_smi_json(run_command(command, timeout=timeout, search_path=search_path))


def amd_sysfs_gpus(sysfs_root: Path = Path("/sys")) -> tuple[GpuMemory, ...]:
    """Read every DRM card's amdgpu counters under `sysfs_root` and parse them."""
    cards = {n: read_card_files(path, AMD_SYSFS_FILES) for n, path in drm_cards(sysfs_root)}
    return parse_amd_sysfs(cards)

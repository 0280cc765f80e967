"""Intel Arc and other Intel cards with their own memory, from sysfs.

There is no single stable file for this, so two layouts are read:

- i915 as shipped in Intel's out-of-tree backport/DKMS packages puts
  `lmem_total_bytes` and `lmem_avail_bytes` on the DRM minor (`cardN/`, not
  `cardN/device/`). Mainline i915 has neither; such a card is not reported.
- xe (kernel 6.8+) puts `physical_vram_size_bytes` under each tile
  (`cardN/device/tileT/`). It publishes no "in use" figure, so used and free
  stay None rather than pretending the card is empty.

Integrated GPUs have no local memory and are skipped: they share RAM, which
the CPU-only budget already covers.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

from smarterrouter.vram.memory import GpuMemory, ProbeError
from smarterrouter.vram.probes.run import drm_cards, read_card_files

INTEL_VENDOR_ID = "0x8086"
INTEL_SYSFS_FILES = ("device/vendor", "device/device", "lmem_total_bytes", "lmem_avail_bytes")
_TILE_FILE = re.compile(r"device/tile\d+/physical_vram_size_bytes")


def parse_intel_sysfs(cards: Mapping[int, Mapping[str, str]]) -> tuple[GpuMemory, ...]:
    """GPUs from Intel sysfs files, given as {card number: {file: text}}: the
    INTEL_SYSFS_FILES names plus any `device/tileT/physical_vram_size_bytes`.
    """
    gpus = []
    for number, files in sorted(cards.items()):
        if files.get("device/vendor", "").strip() != INTEL_VENDOR_ID:
            continue
        gpu = _card(number, files)
        if gpu is not None:
            gpus.append(gpu)
    return tuple(gpus)


def _card(number: int, files: Mapping[str, str]) -> GpuMemory | None:
    where = f"card{number}"
    device_id = files.get("device/device", "").strip().removeprefix("0x") or "????"
    name = f"Intel GPU 8086:{device_id}"
    if "lmem_total_bytes" in files:
        total = _bytes(files["lmem_total_bytes"], where)
        avail_text = files.get("lmem_avail_bytes")
        if avail_text is None:
            return GpuMemory(number, name, "intel", total, None, None, "sysfs-i915")
        avail = min(_bytes(avail_text, where), total)
        return GpuMemory(number, name, "intel", total, total - avail, avail, "sysfs-i915")
    tiles = [_bytes(text, where) for key, text in files.items() if _TILE_FILE.fullmatch(key)]
    if tiles:
        return GpuMemory(number, name, "intel", sum(tiles), None, None, "sysfs-xe")
    return None


def _bytes(text: str, where: str) -> int:
    value = text.strip()
    if not value.isdigit():
        raise ProbeError(f"{where}: not a byte count: {value!r}")
    return int(value)


def intel_sysfs_gpus(sysfs_root: Path = Path("/sys")) -> tuple[GpuMemory, ...]:
    """Read every DRM card's Intel memory files under `sysfs_root` and parse them."""
    cards: dict[int, dict[str, str]] = {}
    for number, path in drm_cards(sysfs_root):
        tiles = sorted(path.glob("device/tile*/physical_vram_size_bytes"))
        names = [*INTEL_SYSFS_FILES, *(str(t.relative_to(path)) for t in tiles)]
        cards[number] = read_card_files(path, names)
    return parse_intel_sysfs(cards)

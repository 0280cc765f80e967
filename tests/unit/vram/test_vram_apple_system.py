from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from smarterrouter.vram.memory import ProbeError, SystemMemory
from smarterrouter.vram.probes.apple import (
    apple_memory,
    parse_sysctl_memsize,
    parse_vm_stat,
    unified_memory,
)
from smarterrouter.vram.probes.system import parse_meminfo, read_meminfo

Tool = Callable[[str, str], str]
Text = Callable[[str], str]
GIB = 1024**3


def test_vm_stat_intel_mac(recorded: Text) -> None:
    vm = parse_vm_stat(recorded("vm_stat-macos-4k-pages.txt"))
    assert vm.page_size == 4096
    assert vm.pages["Translation faults"] == 11477162
    assert vm.used_bytes == (485320 + 715958 + 0) * 4096


def test_vm_stat_apple_silicon_counts_compressed_pages(recorded: Text) -> None:
    vm = parse_vm_stat(recorded("vm_stat-apple-silicon-16k-pages.txt"))
    assert vm.used_bytes == (377800 + 150233 + 70112) * 16384


@pytest.mark.parametrize(
    "text", ["", "Pages free: 1.", "Mach Virtual Memory Statistics: (page size of 4096 bytes)\n"]
)
def test_vm_stat_malformed(text: str) -> None:
    with pytest.raises(ProbeError):
        parse_vm_stat(text)


def test_sysctl_both_forms(recorded: Text) -> None:
    assert parse_sysctl_memsize(recorded("sysctl-hw-memsize.txt")) == 16 * GIB
    assert parse_sysctl_memsize("17179869184\n") == 16 * GIB
    with pytest.raises(ProbeError):
        parse_sysctl_memsize("sysctl: unknown oid 'hw.memsize'")


def test_unified_memory_is_a_share_of_ram(recorded: Text) -> None:
    vm = parse_vm_stat(recorded("vm_stat-apple-silicon-16k-pages.txt"))
    gpu, system = unified_memory(16 * GIB, vm, share=0.75)
    in_use = vm.used_bytes
    assert gpu.total_bytes == 12 * GIB
    # 16 GiB minus ~9.9 GiB in use leaves less than the 12 GiB share.
    assert gpu.free_bytes == 16 * GIB - in_use
    assert gpu.used_bytes == 12 * GIB - (16 * GIB - in_use)
    assert system == SystemMemory(16 * GIB, 16 * GIB - in_use, "vm_stat")


def test_unified_free_is_capped_at_the_share(recorded: Text) -> None:
    vm = parse_vm_stat(recorded("vm_stat-macos-4k-pages.txt"))  # ~4.7 GiB in use
    gpu, _ = unified_memory(64 * GIB, vm, share=0.5)
    assert (gpu.total_bytes, gpu.free_bytes, gpu.used_bytes) == (32 * GIB, 32 * GIB, 0)
    with pytest.raises(ValueError):
        unified_memory(64 * GIB, vm, share=1.5)


def test_apple_runner_with_fake_tools(fake_tool: Tool, printing: Text) -> None:
    fake_tool("sysctl", printing("sysctl-hw-memsize.txt"))
    path = fake_tool("vm_stat", printing("vm_stat-apple-silicon-16k-pages.txt"))
    gpu, system = apple_memory(search_path=path)
    assert (gpu.vendor, gpu.total_bytes, system.total_bytes) == ("apple", 12 * GIB, 16 * GIB)


def test_meminfo_recorded(recorded: Text) -> None:
    mem = parse_meminfo(recorded("proc-meminfo-linux-6.18.txt"))
    assert mem == SystemMemory(24684084 * 1024, 24175136 * 1024, "meminfo")


def test_meminfo_without_memavailable_uses_free_plus_caches() -> None:
    text = "MemTotal: 1000 kB\nMemFree: 100 kB\nBuffers: 20 kB\nCached: 300 kB\n"
    assert parse_meminfo(text).available_bytes == 420 * 1024


def test_meminfo_without_total_raises(tmp_path: Path) -> None:
    with pytest.raises(ProbeError, match="MemTotal"):
        parse_meminfo("MemFree: 100 kB\n")
    with pytest.raises(ProbeError, match="cannot read"):
        read_meminfo(tmp_path / "meminfo")

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

from smarterrouter.vram.memory import GpuMemory, ProbeError
from smarterrouter.vram.probes.amd import amd_sysfs_gpus, parse_rocm_smi_json, rocm_smi_gpus
from smarterrouter.vram.probes.intel import intel_sysfs_gpus

Tool = Callable[[str, str], str]
Text = Callable[[str], str]
Tree = Callable[[Mapping[str, str]], Path]
GIB = 1024**3


def test_rocm_smi_single_card(recorded: Text) -> None:
    (gpu,) = parse_rocm_smi_json(recorded("rocm-smi-showmeminfo-vram-1gpu.json"))
    assert gpu == GpuMemory(
        0, "AMD GPU card0", "amd", 21458059264, 27856896, 21458059264 - 27856896, "rocm-smi"
    )


def test_rocm_smi_two_cards(recorded: Text) -> None:
    gpus = parse_rocm_smi_json(recorded("rocm-smi-showmeminfo-vram-2gpus.json"))
    assert [(g.index, g.total_bytes, g.used_bytes) for g in gpus] == [
        (0, 17163091968, 692142080),
        (1, 67108864, 26079232),
    ]


def test_rocm_smi_warning_before_the_json_and_non_card_keys(recorded: Text) -> None:
    text = "WARNING: AMD GPU device(s) is/are in a low-power state.\n" + recorded(
        "rocm-smi-showmeminfo-vram-1gpu.json"
    ).replace("{", '{"system": {"Driver version": "6.8"}, ', 1)
    assert [g.index for g in parse_rocm_smi_json(text)] == [0]


def test_rocm_smi_blank_output_is_no_gpu() -> None:
    assert parse_rocm_smi_json("\n") == ()


@pytest.mark.parametrize(
    "text",
    [
        "ERROR: GPU[0] : Unable to get GPU memory use.",
        '{"card0": {"VRAM Total Memory (B)": "N/A"}}',
        '{"card0": ',
        '["card0"]',
    ],
)
def test_rocm_smi_malformed_output_raises(text: str) -> None:
    with pytest.raises(ProbeError):
        parse_rocm_smi_json(text)


def test_rocm_smi_runner_with_a_fake_tool(fake_tool: Tool, printing: Text) -> None:
    path = fake_tool("rocm-smi", printing("rocm-smi-showmeminfo-vram-2gpus.json"))
    assert len(rocm_smi_gpus(search_path=path)) == 2


def test_amd_sysfs_reads_amd_cards_only(sysfs: Tree) -> None:
    root = sysfs(
        {
            "class/drm/card0/device/vendor": "0x10de\n",  # an NVIDIA card: not ours
            "class/drm/card1/device/vendor": "0x1002\n",
            "class/drm/card1/device/mem_info_vram_total": "17163091968\n",
            "class/drm/card1/device/mem_info_vram_used": "692142080\n",
            "class/drm/card1-DP-1/status": "connected\n",
            "class/drm/card2/device/vendor": "0x1002\n",  # no counters: skipped
        }
    )
    assert amd_sysfs_gpus(root) == (
        GpuMemory(
            1, "AMD GPU card1", "amd", 17163091968, 692142080, 17163091968 - 692142080, "sysfs"
        ),
    )


def test_amd_sysfs_bad_counter_raises(sysfs: Tree) -> None:
    root = sysfs(
        {
            "class/drm/card0/device/vendor": "0x1002\n",
            "class/drm/card0/device/mem_info_vram_total": "garbage\n",
        }
    )
    with pytest.raises(ProbeError, match="card0"):
        amd_sysfs_gpus(root)


def test_missing_sysfs_root_is_no_gpu(tmp_path: Path) -> None:
    assert amd_sysfs_gpus(tmp_path / "nowhere") == ()
    assert intel_sysfs_gpus(tmp_path / "nowhere") == ()


def test_intel_i915_local_memory(sysfs: Tree) -> None:
    root = sysfs(
        {
            "class/drm/card0/device/vendor": "0x8086\n",
            "class/drm/card0/device/device": "0x56a0\n",
            "class/drm/card0/lmem_total_bytes": f"{16 * GIB}\n",
            "class/drm/card0/lmem_avail_bytes": f"{12 * GIB}\n",
        }
    )
    assert intel_sysfs_gpus(root) == (
        GpuMemory(0, "Intel GPU 8086:56a0", "intel", 16 * GIB, 4 * GIB, 12 * GIB, "sysfs-i915"),
    )


def test_intel_xe_tiles_add_up_and_usage_stays_unknown(sysfs: Tree) -> None:
    root = sysfs(
        {
            "class/drm/card1/device/vendor": "0x8086\n",
            "class/drm/card1/device/device": "0xe20b\n",
            "class/drm/card1/device/tile0/physical_vram_size_bytes": f"{12 * GIB}\n",
            "class/drm/card1/device/tile1/physical_vram_size_bytes": f"{12 * GIB}\n",
        }
    )
    (gpu,) = intel_sysfs_gpus(root)
    assert (gpu.total_bytes, gpu.used_bytes, gpu.free_bytes, gpu.source) == (
        24 * GIB,
        None,
        None,
        "sysfs-xe",
    )


def test_intel_integrated_gpu_is_skipped(sysfs: Tree) -> None:
    root = sysfs({"class/drm/card0/device/vendor": "0x8086\n"})
    assert intel_sysfs_gpus(root) == ()


def test_intel_bad_figure_raises(sysfs: Tree) -> None:
    root = sysfs(
        {"class/drm/card0/device/vendor": "0x8086\n", "class/drm/card0/lmem_total_bytes": "-5\n"}
    )
    with pytest.raises(ProbeError):
        intel_sysfs_gpus(root)

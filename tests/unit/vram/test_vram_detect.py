from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

from smarterrouter.vram import ProbeConfig, detect, detect_async

Tool = Callable[[str, str], str]
Text = Callable[[str], str]
Tree = Callable[[Mapping[str, str]], Path]
GIB = 1024**3
RECORDED_MEMTOTAL = 24684084 * 1024


def config(root: Path, bin_dir: str, meminfo: Path, **kw: object) -> ProbeConfig:
    return ProbeConfig(
        sysfs_root=root,
        meminfo_path=meminfo,
        search_path=bin_dir,
        use_nvml=False,
        platform="linux",
        timeout_s=2.0,
        **kw,  # type: ignore[arg-type]
    )


@pytest.fixture
def meminfo(tmp_path: Path, recorded: Text) -> Path:
    path = tmp_path / "meminfo"
    path.write_text(recorded("proc-meminfo-linux-6.18.txt"))
    return path


def test_no_gpu_is_a_normal_cpu_only_report(sysfs: Tree, fake_tool: Tool, meminfo: Path) -> None:
    report = detect(config(sysfs({}), fake_tool("unrelated", "true"), meminfo))
    assert report.mode == "cpu"
    assert report.gpus == ()
    assert report.summary == "no GPU; CPU-only, budget from system memory"
    assert report.total_bytes == RECORDED_MEMTOTAL
    assert "nvidia-smi: not found" in report.notes
    assert "rocm-smi: not found" in report.notes


def test_nvidia_and_amd_in_one_machine(
    sysfs: Tree, fake_tool: Tool, printing: Text, meminfo: Path
) -> None:
    root = sysfs(
        {
            "class/drm/card1/device/vendor": "0x1002\n",
            "class/drm/card1/device/mem_info_vram_total": f"{16 * GIB}\n",
            "class/drm/card1/device/mem_info_vram_used": f"{GIB}\n",
        }
    )
    bin_dir = fake_tool("nvidia-smi", printing("nvidia-smi-query-gpu-2gpus.csv"))
    report = detect(config(root, bin_dir, meminfo))
    assert report.mode == "gpu"
    assert [(g.vendor, g.index, g.source) for g in report.gpus] == [
        ("nvidia", 0, "nvidia-smi"),
        ("nvidia", 1, "nvidia-smi"),
        ("amd", 1, "sysfs"),
    ]
    assert report.total_bytes == (24576 + 12288) * 1024 * 1024 + 16 * GIB
    assert report.summary == "3 GPU device(s): amd, nvidia"


def test_rocm_smi_wins_over_sysfs_and_small_apus_are_noted(
    sysfs: Tree, fake_tool: Tool, printing: Text, meminfo: Path
) -> None:
    root = sysfs(
        {
            "class/drm/card0/device/vendor": "0x1002\n",
            "class/drm/card0/device/mem_info_vram_total": f"{16 * GIB}\n",
        }
    )
    bin_dir = fake_tool("rocm-smi", printing("rocm-smi-showmeminfo-vram-2gpus.json"))
    report = detect(config(root, bin_dir, meminfo))
    assert [(g.index, g.source) for g in report.gpus] == [(0, "rocm-smi")]
    assert any("67108864 bytes, not counted" in n for n in report.notes)


def test_a_broken_tool_falls_back_to_the_next_source(
    sysfs: Tree, fake_tool: Tool, meminfo: Path
) -> None:
    root = sysfs(
        {
            "class/drm/card0/device/vendor": "0x1002\n",
            "class/drm/card0/device/mem_info_vram_total": f"{8 * GIB}\n",
        }
    )
    bin_dir = fake_tool("rocm-smi", "echo 'not json at all'")
    report = detect(config(root, bin_dir, meminfo))
    assert [(g.vendor, g.source) for g in report.gpus] == [("amd", "sysfs")]
    assert any(n.startswith("rocm-smi: output is not JSON") for n in report.notes)


def test_apple_silicon(fake_tool: Tool, printing: Text, tmp_path: Path) -> None:
    fake_tool("sysctl", printing("sysctl-hw-memsize.txt"))
    bin_dir = fake_tool("vm_stat", printing("vm_stat-apple-silicon-16k-pages.txt"))
    cfg = ProbeConfig(search_path=bin_dir, platform="darwin", unified_share=0.5)
    report = detect(cfg)
    assert report.mode == "unified"
    assert report.total_bytes == 8 * GIB
    assert report.system is not None and report.system.total_bytes == 16 * GIB


def test_macos_without_tools_still_reports(fake_tool: Tool, tmp_path: Path) -> None:
    cfg = ProbeConfig(
        search_path=fake_tool("unrelated", "true"),
        platform="darwin",
        sysfs_root=tmp_path / "none",
        meminfo_path=tmp_path / "none",
        use_nvml=False,
    )
    report = detect(cfg)
    assert (report.mode, report.system, report.total_bytes) == ("cpu", None, 0)
    assert "sysctl: not found" in report.notes


@pytest.mark.anyio
async def test_async_wrapper_gives_the_same_report(
    sysfs: Tree, fake_tool: Tool, meminfo: Path
) -> None:
    cfg = config(sysfs({}), fake_tool("unrelated", "true"), meminfo)
    assert await detect_async(cfg) == detect(cfg)

"""The monitor keeps a bounded history of real probe runs, and feeds the metrics."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from smarterrouter.observability.metrics import Metrics, StateGauges
from smarterrouter.vram import ProbeConfig
from smarterrouter.vram.monitor import VramMonitor

pytestmark = pytest.mark.anyio


@pytest.fixture
def two_gpus(
    fake_tool: Callable[[str, str], str], printing: Callable[[str], str], tmp_path: Path
) -> ProbeConfig:
    search = fake_tool("nvidia-smi", printing("nvidia-smi-query-gpu-2gpus.csv"))
    return ProbeConfig(
        search_path=search, use_nvml=False, sysfs_root=tmp_path / "nosys",
        meminfo_path=tmp_path / "no-meminfo", platform="linux",
    )  # fmt: skip


async def test_samples_are_kept_up_to_the_history_size(two_gpus: ProbeConfig) -> None:
    ticks = iter([100.0, 130.0, 160.0])
    monitor = VramMonitor(30, history=2, probe=two_gpus, clock=lambda: next(ticks))
    for _ in range(3):
        await monitor.sample()
    assert [s.at for s in monitor.history] == [130.0, 160.0]
    latest = monitor.history[-1].as_dict()
    assert latest["at"] == 160.0
    assert set(latest["devices"]) == {"nvidia:0", "nvidia:1"}  # type: ignore[arg-type]
    assert [g.name for g in monitor.latest_gpus()] == [
        "NVIDIA GeForce RTX 3090", "NVIDIA GeForce RTX 3060",
    ]  # fmt: skip


async def test_gpu_memory_reaches_the_metrics(two_gpus: ProbeConfig) -> None:
    monitor = VramMonitor(30, probe=two_gpus)
    await monitor.sample()
    metrics = Metrics()
    metrics.add_gauges(StateGauges(list, dict, dict, monitor.latest_gpus))
    samples = {
        (s.labels["device"], s.labels["kind"]): s.value
        for family in text_string_to_metric_families(metrics.render().decode())
        if family.name == "smarterrouter_gpu_memory_bytes"
        for s in family.samples
    }
    assert samples[("nvidia:0", "total")] == 24576 * 2**20
    assert samples[("nvidia:1", "used")] == 3 * 2**20

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest

from smarterrouter.vram.memory import GpuMemory, ProbeError
from smarterrouter.vram.probes.nvidia import nvidia_smi_gpus, nvml_gpus, parse_nvidia_smi

MIB = 1024 * 1024
Tool = Callable[[str, str], str]
Text = Callable[[str], str]


def test_parses_two_gpus_from_recorded_output(recorded: Text) -> None:
    gpus = parse_nvidia_smi(recorded("nvidia-smi-query-gpu-2gpus.csv"))
    assert gpus == (
        GpuMemory(0, "NVIDIA GeForce RTX 3090", "nvidia", 24576 * MIB, 18422 * MIB, 5839 * MIB,
                  "nvidia-smi"),
        GpuMemory(1, "NVIDIA GeForce RTX 3060", "nvidia", 12288 * MIB, 3 * MIB, 12035 * MIB,
                  "nvidia-smi"),
    )  # fmt: skip


def test_blank_output_means_no_gpu() -> None:
    assert parse_nvidia_smi("") == ()
    assert parse_nvidia_smi("\n  \n") == ()


def test_missing_total_is_a_clear_error(recorded: Text) -> None:
    with pytest.raises(ProbeError, match="GPU 0 reports no total memory"):
        parse_nvidia_smi(recorded("nvidia-smi-query-gpu-unified-na.csv"))


def test_unknown_used_and_free_stay_unknown() -> None:
    (gpu,) = parse_nvidia_smi("0, Tesla T4, 15360, [N/A], [Not Supported]\n")
    assert (gpu.total_bytes, gpu.used_bytes, gpu.free_bytes) == (15360 * MIB, None, None)


def test_name_with_a_comma_is_kept_whole() -> None:
    (gpu,) = parse_nvidia_smi("3, Odd, Name, 100, 1, 99")
    assert (gpu.index, gpu.name) == (3, "Odd, Name")


@pytest.mark.parametrize(
    "text",
    [
        "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.",
        "0, RTX, 24576, 10",
        "x, RTX, 24576, 10, 10",
        "0, RTX, 24 GiB, 10, 10",
        "0, RTX, -1, 10, 10",
    ],
)
def test_malformed_output_raises_probe_error(text: str) -> None:
    with pytest.raises(ProbeError):
        parse_nvidia_smi(text)


def test_runner_reads_a_fake_nvidia_smi(fake_tool: Tool, printing: Text) -> None:
    path = fake_tool("nvidia-smi", printing("nvidia-smi-query-gpu-2gpus.csv"))
    gpus = nvidia_smi_gpus(search_path=path)
    assert [(g.index, g.source) for g in gpus] == [(0, "nvidia-smi"), (1, "nvidia-smi")]


def test_runner_passes_the_query_arguments(fake_tool: Tool) -> None:
    # The fake answers only when asked exactly what the real query asks.
    script = (
        '[ "$1 $2 $3" = "--query-gpu=index,name,memory.total,memory.used,memory.free '
        '--format=csv,noheader,nounits " ] && echo "0, T4, 15360, 0, 15360" || exit 9'
    )
    assert nvidia_smi_gpus(search_path=fake_tool("nvidia-smi", script))[0].name == "T4"


def test_runner_reports_a_missing_tool(fake_tool: Tool) -> None:
    path = fake_tool("something-else", "true")
    with pytest.raises(ProbeError, match="nvidia-smi: not found"):
        nvidia_smi_gpus(search_path=path)


def test_runner_reports_a_failing_tool(fake_tool: Tool) -> None:
    path = fake_tool("nvidia-smi", "echo 'No devices were found' >&2; exit 6")
    with pytest.raises(ProbeError, match="exit status 6: No devices were found"):
        nvidia_smi_gpus(search_path=path)


def test_runner_gives_up_after_the_timeout(fake_tool: Tool) -> None:
    path = fake_tool("nvidia-smi", "exec sleep 5")
    with pytest.raises(ProbeError, match=r"no answer within 0\.2 s"):
        nvidia_smi_gpus(search_path=path, timeout=0.2)


class FakeNvml:
    """The few pynvml functions the probe calls, over a fixed device list."""

    class NVMLError(Exception):
        pass

    def __init__(self, devices: list[tuple[Any, int, int]], fail_init: bool = False) -> None:
        self.devices = devices
        self.fail_init = fail_init
        self.initialised = False

    def nvmlInit(self) -> None:
        if self.fail_init:
            raise self.NVMLError("Driver Not Loaded")
        self.initialised = True

    def nvmlShutdown(self) -> None:
        self.initialised = False

    def nvmlDeviceGetCount(self) -> int:
        return len(self.devices)

    def nvmlDeviceGetHandleByIndex(self, index: int) -> int:
        return index

    def nvmlDeviceGetName(self, handle: int) -> Any:
        return self.devices[handle][0]

    def nvmlDeviceGetMemoryInfo(self, handle: int) -> SimpleNamespace:
        if self.devices[handle][1] < 0:
            raise self.NVMLError("GPU is lost")
        _, total, used = self.devices[handle]
        return SimpleNamespace(total=total, used=used, free=total - used)


def test_nvml_reads_every_device_and_shuts_down() -> None:
    nvml = FakeNvml([(b"NVIDIA A100-SXM4-80GB", 80 * 1024 * MIB, MIB), ("NVIDIA L4", 2, 1)])
    gpus = nvml_gpus(nvml)
    assert gpus[0] == GpuMemory(
        0, "NVIDIA A100-SXM4-80GB", "nvidia", 80 * 1024 * MIB, MIB, 80 * 1024 * MIB - MIB, "nvml"
    )
    assert (gpus[1].name, gpus[1].free_bytes) == ("NVIDIA L4", 1)
    assert not nvml.initialised


def test_nvml_without_a_driver_is_a_probe_error() -> None:
    with pytest.raises(ProbeError, match="Driver Not Loaded"):
        nvml_gpus(FakeNvml([], fail_init=True))


def test_nvml_failure_mid_query_still_shuts_down() -> None:
    nvml = FakeNvml([("ok", 10, 1), ("lost", -1, 0)])
    with pytest.raises(ProbeError, match="GPU is lost"):
        nvml_gpus(nvml)
    assert not nvml.initialised

"""NVIDIA: NVML through the optional `nvidia-ml-py` package, else `nvidia-smi`.

NVML is preferred when importable (no process per poll, and NVIDIA promise it
stays backward compatible, which they do not for nvidia-smi's text). It is an
optional dependency, so it is imported only inside `nvml_gpus`.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from typing import Any

from smarterrouter.vram.memory import GpuMemory, ProbeError
from smarterrouter.vram.probes.run import DEFAULT_TIMEOUT_S, run_command

NVIDIA_SMI_QUERY: tuple[str, ...] = (
    "nvidia-smi",
    "--query-gpu=index,name,memory.total,memory.used,memory.free",
    "--format=csv,noheader,nounits",
)
_MIB = 1024 * 1024
# nvidia-smi prints these instead of a number when a field does not apply,
# e.g. memory.total on unified-memory parts.
_NOT_A_NUMBER = {"[N/A]", "N/A", "[Not Supported]", "[Unknown Error]", "[Insufficient Permissions]"}


def parse_nvidia_smi(text: str) -> tuple[GpuMemory, ...]:
    """GPUs from `nvidia-smi --query-gpu=index,name,memory.total,memory.used,
    memory.free --format=csv,noheader,nounits` (memory in MiB).

    Blank output gives (). A line that does not have the five fields, or a
    GPU whose total memory is not a number, raises ProbeError.
    """
    gpus = [_parse_smi_line(line) for line in text.splitlines() if line.strip()]
    return tuple(gpus)


def _parse_smi_line(line: str) -> GpuMemory:
    fields = [f.strip() for f in line.split(",")]
    if len(fields) < 5:
        raise ProbeError(f"nvidia-smi: expected 5 fields, got {len(fields)}: {line!r}")
    # Only the name could hold a comma, so it is whatever lies between the
    # index and the three memory columns.
    index, name, (total, used, free) = fields[0], ", ".join(fields[1:-3]), fields[-3:]
    if not index.isdigit():
        raise ProbeError(f"nvidia-smi: index is not a number: {line!r}")
    total_mib = _mib(total)
    if total_mib is None:
        raise ProbeError(f"nvidia-smi: GPU {index} reports no total memory ({total})")
    used_mib, free_mib = _mib(used), _mib(free)
    return GpuMemory(
        index=int(index),
        name=name,
        vendor="nvidia",
        total_bytes=total_mib * _MIB,
        used_bytes=None if used_mib is None else used_mib * _MIB,
        free_bytes=None if free_mib is None else free_mib * _MIB,
        source="nvidia-smi",
    )


def _mib(field: str) -> int | None:
    if field in _NOT_A_NUMBER:
        return None
    try:
        value = int(field)
    except ValueError:
        raise ProbeError(f"nvidia-smi: not a MiB figure: {field!r}") from None
    if value < 0:
        raise ProbeError(f"nvidia-smi: negative memory figure: {field!r}")
    return value


def nvidia_smi_gpus(
    command: Sequence[str] = NVIDIA_SMI_QUERY,
    *,
    timeout: float = DEFAULT_TIMEOUT_S,
    search_path: str | None = None,
) -> tuple[GpuMemory, ...]:
    """Run nvidia-smi and parse it; ProbeError when it is missing or fails."""
    return parse_nvidia_smi(run_command(command, timeout=timeout, search_path=search_path))


def nvml_gpus(nvml: Any = None) -> tuple[GpuMemory, ...]:
    """GPUs through NVML. `nvml` is the `pynvml` module, imported when None.

    Raises ProbeError when the package is absent, the driver library cannot
    be loaded, or any NVML call fails; NVML is always shut down again.
    """
    if nvml is None:
        try:
            nvml = importlib.import_module("pynvml")
        except ImportError:
            raise ProbeError("nvml: the nvidia-ml-py package is not installed") from None
    try:
        nvml.nvmlInit()
    except nvml.NVMLError as exc:
        raise ProbeError(f"nvml: cannot initialise: {exc}") from exc
    try:
        return tuple(_nvml_device(nvml, i) for i in range(nvml.nvmlDeviceGetCount()))
    except nvml.NVMLError as exc:
        raise ProbeError(f"nvml: {exc}") from exc
    finally:
        nvml.nvmlShutdown()


def _nvml_device(nvml: Any, index: int) -> GpuMemory:
    handle = nvml.nvmlDeviceGetHandleByIndex(index)
    name = nvml.nvmlDeviceGetName(handle)
    mem = nvml.nvmlDeviceGetMemoryInfo(handle)
    return GpuMemory(
        index=index,
        # Older nvidia-ml-py releases return the name as bytes.
        name=name.decode() if isinstance(name, bytes) else str(name),
        vendor="nvidia",
        total_bytes=int(mem.total),
        used_bytes=int(mem.used),
        free_bytes=int(mem.free),
        source="nvml",
    )

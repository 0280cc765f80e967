"""GPU memory: what the machine has (probes, `detect`), how much models may
use (`compute_budget`, `estimate_footprint`), and what to unload so a model
fits (`plan_eviction`, pure)."""

from smarterrouter.vram.budget import (
    Budget,
    Footprint,
    compute_budget,
    estimate_footprint,
)
from smarterrouter.vram.detect import ProbeConfig, detect, detect_async
from smarterrouter.vram.memory import GpuMemory, ProbeError, SystemMemory, VramReport
from smarterrouter.vram.planner import CannotFit, Evict, Resident, Strategy, plan_eviction

__all__ = [
    "Budget",
    "CannotFit",
    "Evict",
    "Footprint",
    "GpuMemory",
    "ProbeConfig",
    "ProbeError",
    "Resident",
    "Strategy",
    "SystemMemory",
    "VramReport",
    "compute_budget",
    "detect",
    "detect_async",
    "estimate_footprint",
    "plan_eviction",
]

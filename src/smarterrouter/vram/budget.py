"""How much memory models may use, and how much one model will take.

Both are pure: settings and measurements come in as parameters, and each
answer says where its number came from, for `/admin/vram` and the logs.
Sizes given in "GB" are GiB (2**30 bytes), the unit nvidia-smi and the
GPU vendors' tools count VRAM in.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

GIB = 1024**3
DEFAULT_BUFFER_GB = 1.5
DEFAULT_DETECTED_SHARE = 0.9
DEFAULT_FOOTPRINT_GB = 8.0
DEFAULT_OVERHEAD = 1.1
DEFAULT_CONTEXT_TOKENS = 4096
# fp16 K and V for a Llama-3-8B-shaped model (32 layers x 8 KV heads x 128
# dims x 2 tensors x 2 bytes): a middling figure for the 7-14B models this
# router usually juggles. Callers that know the architecture pass their own.
DEFAULT_KV_BYTES_PER_TOKEN = 131_072

BudgetSource = Literal["configured", "detected"]
FootprintSource = Literal["profile", "backend", "file_estimate", "default"]


@dataclass(frozen=True)
class Budget:
    bytes: int  # room for models: limit minus buffer, never below 0
    limit_bytes: int
    buffer_bytes: int
    source: BudgetSource


def compute_budget(
    detected_total_bytes: int,
    *,
    max_total_gb: float | None = None,
    buffer_gb: float = DEFAULT_BUFFER_GB,
    detected_share: float = DEFAULT_DETECTED_SHARE,
) -> Budget:
    """(max_total_gb if set, else detected_share of what was detected) - buffer.

    A configured limit wins even when it is above what was detected: the
    operator may know better (memory a probe cannot see). Raises ValueError
    for negative inputs or a share outside (0, 1].
    """
    if detected_total_bytes < 0 or buffer_gb < 0:
        raise ValueError("detected total and buffer must not be negative")
    if not 0 < detected_share <= 1:
        raise ValueError(f"detected_share must be in (0, 1], got {detected_share}")
    if max_total_gb is not None and max_total_gb < 0:
        raise ValueError("max_total_gb must not be negative")
    source: BudgetSource = "detected" if max_total_gb is None else "configured"
    if max_total_gb is None:
        limit = int(detected_total_bytes * detected_share)
    else:
        limit = int(max_total_gb * GIB)
    buffer = int(buffer_gb * GIB)
    return Budget(max(limit - buffer, 0), limit, buffer, source)


@dataclass(frozen=True)
class Footprint:
    bytes: int
    source: FootprintSource
    detail: str


def estimate_footprint(
    *,
    measured_bytes: int | None = None,
    reported_bytes: int | None = None,
    file_size_bytes: int | None = None,
    context_length: int | None = None,
    overhead: float = DEFAULT_OVERHEAD,
    kv_bytes_per_token: int = DEFAULT_KV_BYTES_PER_TOKEN,
    default_gb: float = DEFAULT_FOOTPRINT_GB,
) -> Footprint:
    """A model's memory when loaded, from the best figure at hand:

    1. `measured_bytes` from its profile (what loading it really took);
    2. `reported_bytes` from the backend (e.g. Ollama's size_vram);
    3. `file_size_bytes` x `overhead` + KV cache for `context_length` tokens
       (DEFAULT_CONTEXT_TOKENS when unknown);
    4. `default_gb`.

    Zero or negative figures count as absent: a backend reports 0 VRAM for a
    model it placed on the CPU, which says nothing about its GPU size.
    """
    if measured_bytes is not None and measured_bytes > 0:
        return Footprint(measured_bytes, "profile", "measured when profiled")
    if reported_bytes is not None and reported_bytes > 0:
        return Footprint(reported_bytes, "backend", "reported by the backend")
    if file_size_bytes is not None and file_size_bytes > 0:
        tokens = context_length if context_length and context_length > 0 else None
        kv = (tokens or DEFAULT_CONTEXT_TOKENS) * kv_bytes_per_token
        weights = int(file_size_bytes * overhead)
        ctx = f"{tokens} tokens" if tokens else f"{DEFAULT_CONTEXT_TOKENS} tokens assumed"
        return Footprint(weights + kv, "file_estimate", f"file x {overhead:g} + KV cache ({ctx})")
    return Footprint(
        int(default_gb * GIB), "default", f"no figure known; {default_gb:g} GB assumed"
    )

"""Which loaded models to unload so a target model fits: a pure decision.

Values in, a value out; no logging, no clock, no I/O. Dispatch acts on the
answer (unloads in the order given, then loads the target). Two rules are
never broken: a pinned model is never evicted, nor is a model serving a
request. A plan frees only what it must: when the first picks turn out to
be unnecessary once a later, larger pick is made, they stay loaded.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import Literal

Strategy = Literal["lru", "largest"]
Reason = Literal["target_too_large", "pinned", "busy"]
# When no device can take the target, the most actionable cause is reported:
# busy models free up by themselves; pinned ones need the operator.
_REASON_RANK: dict[Reason, int] = {"busy": 0, "pinned": 1, "target_too_large": 2}


@dataclass(frozen=True)
class Resident:
    """A loaded model. `last_used` is on any clock; only the order counts.
    `device` names the GPU it lives on when capacity is given per device."""

    name: str
    size_bytes: int
    last_used: float
    device: str | None = None


@dataclass(frozen=True)
class Evict:
    """The target fits once `models` are unloaded, in this order (maybe none)."""

    models: tuple[str, ...]
    device: str | None  # where to load the target; None with one shared budget
    freed_bytes: int
    free_after_bytes: int  # room left once the target is loaded


@dataclass(frozen=True)
class CannotFit:
    """No allowed eviction makes room; `detail` says why in words."""

    reason: Reason
    detail: str


def plan_eviction(
    target: str,
    target_bytes: int,
    capacity: int | Mapping[str, int],
    loaded: Sequence[Resident],
    *,
    pinned: AbstractSet[str] = frozenset(),
    busy: AbstractSet[str] = frozenset(),
    strategy: Strategy = "lru",
) -> Evict | CannotFit:
    """Plan room for `target` (needing `target_bytes`) among `loaded`.

    `capacity` is one budget in bytes for everything, or a budget per device
    (then every resident names its device, and the target goes whole to the
    device needing the fewest evictions, then the fewest bytes freed).
    `lru` evicts the least recently used first, `largest` the biggest first.
    A target already loaded needs nothing. Raises ValueError for negative
    sizes, an unknown strategy, or a resident on an unknown device.
    """
    _check(target_bytes, loaded, strategy)
    for r in loaded:
        if r.name == target:
            pools = _pools(capacity, loaded)
            device = r.device if isinstance(capacity, Mapping) else None
            cap, residents = pools[device]
            return Evict((), device, 0, cap - sum(x.size_bytes for x in residents))
    plans = {
        device: _plan_pool(target, target_bytes, cap, residents, pinned, busy, strategy, device)
        for device, (cap, residents) in _pools(capacity, loaded).items()
    }
    fits = [p for p in plans.values() if isinstance(p, Evict)]
    if fits:
        return min(fits, key=lambda p: (len(p.models), p.freed_bytes, -p.free_after_bytes))
    refusals = [p for p in plans.values() if isinstance(p, CannotFit)]
    reason = min((p.reason for p in refusals), key=_REASON_RANK.__getitem__)
    return CannotFit(reason, "; ".join(p.detail for p in refusals))


def _check(target_bytes: int, loaded: Sequence[Resident], strategy: str) -> None:
    if strategy not in ("lru", "largest"):
        raise ValueError(f"unknown eviction strategy {strategy!r}")
    if target_bytes < 0 or any(r.size_bytes < 0 for r in loaded):
        raise ValueError("sizes must not be negative")


def _pools(
    capacity: int | Mapping[str, int], loaded: Sequence[Resident]
) -> dict[str | None, tuple[int, list[Resident]]]:
    if not isinstance(capacity, Mapping):
        return {None: (capacity, list(loaded))}
    pools: dict[str | None, tuple[int, list[Resident]]] = {
        d: (cap, []) for d, cap in sorted(capacity.items())
    }
    for r in loaded:
        if r.device not in pools:
            raise ValueError(f"{r.name} is on device {r.device!r}, which has no capacity")
        pools[r.device][1].append(r)
    return pools


def _plan_pool(
    target: str,
    target_bytes: int,
    cap: int,
    residents: list[Resident],
    pinned: AbstractSet[str],
    busy: AbstractSet[str],
    strategy: Strategy,
    device: str | None,
) -> Evict | CannotFit:
    where = f" on {device}" if device is not None else ""
    free = cap - sum(r.size_bytes for r in residents)
    need = target_bytes - free
    if need <= 0:
        return Evict((), device, 0, free - target_bytes)
    if target_bytes > cap:
        return CannotFit(
            "target_too_large", f"{target} needs {target_bytes} bytes, budget{where} is {cap}"
        )
    movable = [r for r in residents if r.name not in pinned and r.name not in busy]
    chosen = _choose(_ordered(movable, strategy), need)
    if chosen is None:
        return _refusal(target, target_bytes, cap, residents, pinned, where)
    freed = sum(r.size_bytes for r in chosen)
    return Evict(tuple(r.name for r in chosen), device, freed, free + freed - target_bytes)


def _ordered(movable: list[Resident], strategy: Strategy) -> list[Resident]:
    # Ties are broken by name so the same inputs always give the same plan.
    if strategy == "lru":
        return sorted(movable, key=lambda r: (r.last_used, r.name))
    return sorted(movable, key=lambda r: (-r.size_bytes, r.last_used, r.name))


def _choose(ordered: list[Resident], need: int) -> list[Resident] | None:
    chosen: list[Resident] = []
    freed = 0
    for r in ordered:
        if freed >= need:
            break
        chosen.append(r)
        freed += r.size_bytes
    if freed < need:
        return None
    # Greedy picks can overshoot: drop early picks that later ones made needless.
    for r in list(chosen):
        if freed - r.size_bytes >= need:
            chosen.remove(r)
            freed -= r.size_bytes
    return chosen


def _refusal(
    target: str,
    target_bytes: int,
    cap: int,
    residents: list[Resident],
    pinned: AbstractSet[str],
    where: str,
) -> CannotFit:
    pinned_bytes = sum(r.size_bytes for r in residents if r.name in pinned)
    if target_bytes > cap - pinned_bytes:
        return CannotFit(
            "pinned",
            f"pinned models hold {pinned_bytes} of {cap} bytes{where}; "
            f"{target} needs {target_bytes}",
        )
    return CannotFit("busy", f"models serving requests{where} hold the room {target} needs")

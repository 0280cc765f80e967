from __future__ import annotations

import pytest

from smarterrouter.vram import CannotFit, Evict, Resident, plan_eviction

GB = 1024**3


def r(name: str, gb: int, used: float, device: str | None = None) -> Resident:
    return Resident(name, gb * GB, used, device)


LOADED = [r("old", 4, 1.0), r("big", 10, 2.0), r("mid", 6, 3.0)]  # 20 GB loaded


def test_nothing_to_evict_when_it_fits() -> None:
    assert plan_eviction("new", 4 * GB, 24 * GB, LOADED) == Evict((), None, 0, 0)


def test_target_already_loaded_needs_nothing() -> None:
    assert plan_eviction("big", 10 * GB, 20 * GB, LOADED) == Evict((), None, 0, 0)


def test_exact_fit_evicts_nothing() -> None:
    assert plan_eviction("new", 4 * GB, 24 * GB, LOADED).models == ()  # type: ignore[union-attr]


def test_lru_evicts_least_recently_used_first() -> None:
    plan = plan_eviction("new", 8 * GB, 24 * GB, LOADED, strategy="lru")
    # 4 free; needs 4 more: "old" alone is enough.
    assert plan == Evict(("old",), None, 4 * GB, 0)


def test_lru_takes_as_many_as_needed_in_order() -> None:
    plan = plan_eviction("new", 16 * GB, 24 * GB, LOADED, strategy="lru")
    assert plan == Evict(("old", "big"), None, 14 * GB, 2 * GB)


def test_lru_drops_a_pick_that_a_later_one_made_needless() -> None:
    # Needs 8 more: "old" (4) is not enough, "big" (10) is, alone.
    plan = plan_eviction("new", 12 * GB, 24 * GB, LOADED, strategy="lru")
    assert plan == Evict(("big",), None, 10 * GB, 2 * GB)


def test_lru_keeps_an_early_pick_a_later_one_made_needless() -> None:
    loaded = [r("tiny", 1, 1.0), r("huge", 12, 2.0)]
    plan = plan_eviction("new", 12 * GB, 14 * GB, loaded, strategy="lru")
    assert plan == Evict(("huge",), None, 12 * GB, 1 * GB)


def test_largest_evicts_the_biggest_first() -> None:
    plan = plan_eviction("new", 8 * GB, 24 * GB, LOADED, strategy="largest")
    assert plan == Evict(("big",), None, 10 * GB, 6 * GB)


def test_pinned_and_busy_are_never_evicted() -> None:
    plan = plan_eviction(
        "new", 8 * GB, 24 * GB, LOADED, pinned={"old"}, busy={"big"}, strategy="lru"
    )
    assert plan == Evict(("mid",), None, 6 * GB, 2 * GB)


def test_target_bigger_than_the_budget() -> None:
    plan = plan_eviction("huge", 30 * GB, 24 * GB, [])
    assert isinstance(plan, CannotFit) and plan.reason == "target_too_large"
    assert "huge needs" in plan.detail


def test_pinned_models_too_large() -> None:
    plan = plan_eviction("new", 10 * GB, 24 * GB, LOADED, pinned={"big", "mid"})
    assert isinstance(plan, CannotFit) and plan.reason == "pinned"


def test_everything_busy() -> None:
    plan = plan_eviction("new", 8 * GB, 24 * GB, LOADED, busy={"old", "big", "mid"})
    assert isinstance(plan, CannotFit) and plan.reason == "busy"


def test_over_budget_already_frees_the_excess_too() -> None:
    # 20 GB loaded against a budget shrunk to 18: 2 GB over before anything loads.
    plan = plan_eviction("new", 2 * GB, 18 * GB, LOADED, strategy="lru")
    assert plan == Evict(("old",), None, 4 * GB, 0)


def test_two_gpus_pick_the_one_needing_fewest_evictions() -> None:
    loaded = [r("a", 20, 1.0, "gpu0"), r("b", 6, 2.0, "gpu1"), r("c", 4, 3.0, "gpu1")]
    capacity = {"gpu0": 22 * GB, "gpu1": 12 * GB}
    plan = plan_eviction("new", 8 * GB, capacity, loaded)
    assert plan == Evict(("b",), "gpu1", 6 * GB, 0)


def test_two_gpus_without_eviction_when_one_has_room() -> None:
    loaded = [r("a", 20, 1.0, "gpu0")]
    plan = plan_eviction("new", 8 * GB, {"gpu0": 22 * GB, "gpu1": 12 * GB}, loaded)
    assert plan == Evict((), "gpu1", 0, 4 * GB)


def test_two_gpus_target_cannot_be_split() -> None:
    plan = plan_eviction("new", 30 * GB, {"gpu0": 24 * GB, "gpu1": 24 * GB}, [])
    assert isinstance(plan, CannotFit) and plan.reason == "target_too_large"


def test_two_gpus_busy_is_reported_over_too_large() -> None:
    loaded = [r("a", 20, 1.0, "gpu0")]
    plan = plan_eviction("new", 16 * GB, {"gpu0": 24 * GB, "gpu1": 8 * GB}, loaded, busy={"a"})
    assert isinstance(plan, CannotFit) and plan.reason == "busy"
    assert "on gpu0" in plan.detail and "on gpu1" in plan.detail


def test_target_already_loaded_on_a_gpu() -> None:
    loaded = [r("a", 20, 1.0, "gpu0")]
    assert plan_eviction("a", 20 * GB, {"gpu0": 24 * GB}, loaded) == Evict((), "gpu0", 0, 4 * GB)


def test_same_inputs_same_plan_whatever_the_input_order() -> None:
    tied = [r("y", 4, 1.0), r("x", 4, 1.0)]
    assert plan_eviction("new", 4 * GB, 8 * GB, tied) == Evict(("x",), None, 4 * GB, 0)
    assert plan_eviction("new", 4 * GB, 8 * GB, tied[::-1]) == Evict(("x",), None, 4 * GB, 0)


def test_contract_errors() -> None:
    with pytest.raises(ValueError, match="strategy"):
        plan_eviction("new", GB, GB, [], strategy="fifo")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="negative"):
        plan_eviction("new", -1, GB, [])
    with pytest.raises(ValueError, match="no capacity"):
        plan_eviction("new", GB, {"gpu0": GB}, [r("a", 1, 1.0, "gpu9")])

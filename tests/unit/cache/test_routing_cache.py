"""The routing cache: a decision is reused only while models and ratings stay the same."""

from __future__ import annotations

import pytest

from smarterrouter.backends.base import ModelInfo
from smarterrouter.cache.keys import routing_key
from smarterrouter.cache.routing import RoutingCache
from smarterrouter.routing.policy import Decision, RoutedModel, Snapshot, decide
from smarterrouter.routing.signals import classify

BODY = {"messages": [{"role": "user", "content": "Write a haiku about the sea."}]}


def snapshot(*names: str, loaded: bool = False) -> Snapshot:
    return Snapshot(
        tuple(
            RoutedModel(n, "gpu", ModelInfo(n, "gpu", parameter_count_b=3.0, loaded=loaded))
            for n in names
        )
    )


def decision(models: Snapshot) -> Decision:
    return decide(classify(BODY), models, 0.5)


KEY = routing_key(BODY, preference=0.5)


def test_a_decision_is_reused_for_the_same_inputs() -> None:
    cache = RoutingCache(10)
    models = snapshot("a:3b", "b:3b")
    assert cache.get(KEY, models, 0) is None
    made = decision(models)
    cache.put(KEY, models, 0, made)
    assert cache.get(KEY, models, 0) == made
    stats = cache.stats()
    assert (stats.hits, stats.misses, stats.size) == (1, 1, 1)
    assert stats.approx_bytes > len(KEY)


def test_a_refresh_that_changes_nothing_keeps_the_decisions() -> None:
    cache = RoutingCache(10)
    cache.put(KEY, snapshot("a:3b"), 0, decision(snapshot("a:3b")))
    assert cache.get(KEY, snapshot("a:3b"), 0) is not None  # an equal, new snapshot


@pytest.mark.parametrize(
    ("models", "feedback"),
    [
        (snapshot("a:3b", "b:3b", "c:3b"), 0),  # a model added
        (snapshot("a:3b"), 0),  # a model removed
        (snapshot("a:3b", "b:3b", loaded=True), 0),  # load state changed
        (snapshot("a:3b", "b:3b"), 1),  # a rating came in
    ],
    ids=["model added", "model removed", "load state", "feedback"],
)
def test_any_change_of_models_or_ratings_forgets_every_decision(
    models: Snapshot, feedback: int
) -> None:
    cache = RoutingCache(10)
    before = snapshot("a:3b", "b:3b")
    cache.put(KEY, before, 0, decision(before))
    assert cache.get(KEY, models, feedback) is None
    assert cache.stats().size == 0 and cache.invalidations == 1


def test_the_hook_forgets_and_the_size_is_bounded() -> None:
    cache = RoutingCache(2)
    models = snapshot("a:3b")
    made = decision(models)
    for key in ("k1", "k2", "k3"):
        cache.put(key, models, 0, made)
    assert cache.get("k1", models, 0) is None  # least recently used, evicted
    assert cache.stats().evictions == 1
    assert cache.invalidate() == 2
    assert cache.get("k3", models, 0) is None

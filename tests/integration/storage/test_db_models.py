"""The models table: discovery results, removals, history."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from smarterrouter.backends.base import ModelInfo
from smarterrouter.storage import Storage, StorageError, StoredModel

pytestmark = pytest.mark.anyio

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
T1 = T0 + timedelta(minutes=1)
T2 = T0 + timedelta(minutes=2)

QWEN = ModelInfo(
    name="qwen2.5-coder:7b",
    backend="ollama",
    family="qwen2",
    parameter_count_b=7.6,
    quantization="Q4_K_M",
    context_length=32768,
    capabilities=frozenset({"chat", "tools"}),
    size_bytes=4_683_087_332,
    digest="dae161e27b0e",
)
LLAVA = ModelInfo(name="llava:7b", backend="ollama", capabilities=frozenset({"chat", "vision"}))
PHI = ModelInfo(name="phi-4", backend="llamacpp", family="phi3", parameter_count_b=14.7)


def by_name(models: list[StoredModel]) -> dict[str, StoredModel]:
    return {m.name: m for m in models}


async def test_a_new_model_is_stored_with_everything_its_backend_said(storage: Storage) -> None:
    await storage.upsert_models({"local/qwen2.5-coder:7b": QWEN}, T0)

    [stored] = await storage.list_models()

    assert stored.name == "local/qwen2.5-coder:7b"
    assert stored.info == QWEN
    assert (stored.first_seen, stored.last_seen, stored.removed_at) == (T0, T0, None)
    assert stored.first_seen.tzinfo is not None


async def test_a_model_no_longer_served_is_marked_removed_and_kept(storage: Storage) -> None:
    await storage.upsert_models({"qwen": QWEN, "llava": LLAVA}, T0)

    await storage.upsert_models({"qwen": QWEN}, T1)

    assert [m.name for m in await storage.list_models()] == ["qwen"]
    everything = by_name(await storage.list_models(include_removed=True))
    assert everything["llava"].removed_at == T1
    assert (everything["llava"].first_seen, everything["llava"].last_seen) == (T0, T0)
    assert everything["qwen"].last_seen == T1


async def test_a_model_that_comes_back_keeps_its_first_sighting(storage: Storage) -> None:
    await storage.upsert_models({"llava": LLAVA}, T0)
    await storage.upsert_models({}, T1)
    bigger = LLAVA.with_(size_bytes=5_000_000_000, digest="new")

    await storage.upsert_models({"llava": bigger}, T2)

    [stored] = await storage.list_models()
    assert (stored.first_seen, stored.last_seen, stored.removed_at) == (T0, T2, None)
    assert stored.info == bigger


async def test_only_backends_that_answered_can_lose_models(storage: Storage) -> None:
    await storage.upsert_models({"qwen": QWEN, "phi": PHI}, T0)

    # The llamacpp backend did not answer this time: its model is not gone.
    await storage.upsert_models({}, T1, backends=["ollama"])

    removed = {m.name: m.removed for m in await storage.list_models(include_removed=True)}
    assert removed == {"qwen": True, "phi": False}


async def test_concurrent_upserts_of_the_same_new_models_do_not_collide(
    storage: Storage,
) -> None:
    models = {"qwen": QWEN, "llava": LLAVA, "phi": PHI}

    await asyncio.gather(*(storage.upsert_models(models, T0) for _ in range(8)))

    assert sorted(m.name for m in await storage.list_models()) == ["llava", "phi", "qwen"]


async def test_a_naive_timestamp_is_refused(storage: Storage) -> None:
    naive: Any = datetime(2025, 3, 1, 12, 0)

    with pytest.raises(StorageError, match="naive datetime"):
        await storage.upsert_models({"qwen": QWEN}, naive)

    assert await storage.list_models(include_removed=True) == []

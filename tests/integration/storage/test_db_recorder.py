"""DecisionRecorder against the database: nothing queued is lost on shutdown."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from smarterrouter.storage import DecisionRecord, DecisionRecorder, Storage, hash_conversation

pytestmark = pytest.mark.anyio

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def decision(n: int) -> DecisionRecord:
    return DecisionRecord(
        request_id=f"req-{n:05d}",
        prompt_hash=hash_conversation([{"role": "user", "content": str(n)}]),
        requested_model="smarterrouter/main",
        chosen_model="llama3.2:3b",
        backend="ollama",
        status="ok",
        latency_ms=float(n),
        scores={"llama3.2:3b": {"total": 0.5}},
        created_at=T0 + timedelta(milliseconds=n),
    )


async def stored_ids(database_url: str) -> list[str]:
    # A separate engine: the rows must be in the database, not in a cache.
    async with await Storage.open(database_url, migrate=False) as fresh:
        return sorted(r.request_id for r in await fresh.recent_decisions(limit=10_000))


async def test_aclose_writes_everything_still_queued(storage: Storage, database_url: str) -> None:
    recorder = DecisionRecorder(storage, batch_size=100)
    recorder.start()
    for n in range(1200):
        recorder.record(decision(n))

    await recorder.aclose()

    assert await stored_ids(database_url) == [f"req-{n:05d}" for n in range(1200)]
    assert (recorder.pending, recorder.dropped, recorder.failed) == (0, 0, 0)


async def test_records_trickling_in_are_written_while_running(
    storage: Storage, database_url: str
) -> None:
    async with DecisionRecorder(storage, batch_size=7) as recorder:
        for n in range(40):
            recorder.record(decision(n))
            if n % 5 == 0:
                await asyncio.sleep(0)
        with_the_loop_running = await wait_until_written(storage, 40)

    assert with_the_loop_running
    assert await stored_ids(database_url) == [f"req-{n:05d}" for n in range(40)]


async def wait_until_written(storage: Storage, count: int) -> bool:
    """Whether `count` rows reached the database before close (within 10 s)."""
    for _ in range(1000):
        if len(await storage.recent_decisions(limit=count)) == count:
            return True
        await asyncio.sleep(0.01)
    return False


async def test_a_recorder_never_started_still_writes_on_close(
    storage: Storage, database_url: str
) -> None:
    recorder = DecisionRecorder(storage)
    recorder.record(decision(1))

    await recorder.aclose()

    assert await stored_ids(database_url) == ["req-00001"]

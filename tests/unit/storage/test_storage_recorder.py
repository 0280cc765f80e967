"""DecisionRecorder on a SQLite file: bounded buffer, dropped records, bad batches."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text

from smarterrouter.storage import DecisionRecord, DecisionRecorder, Storage, hash_conversation

pytestmark = pytest.mark.anyio


def decision(request_id: str) -> DecisionRecord:
    return DecisionRecord(
        request_id=request_id,
        prompt_hash=hash_conversation([{"role": "user", "content": request_id}]),
        requested_model="smarterrouter/main",
        chosen_model="llama3.2:3b",
        backend="ollama",
        status="ok",
        latency_ms=3.0,
    )


@pytest.fixture
async def storage(tmp_path: Path) -> AsyncIterator[Storage]:
    async with await Storage.open(f"sqlite:///{tmp_path}/router.db") as opened:
        yield opened


async def stored_request_ids(storage: Storage) -> list[str]:
    return sorted(row.request_id for row in await storage.recent_decisions(limit=1000))


async def test_a_full_buffer_drops_the_oldest_records_and_counts_them(storage: Storage) -> None:
    recorder = DecisionRecorder(storage, max_pending=3)
    for n in range(5):
        recorder.record(decision(f"r{n}"))

    assert recorder.dropped == 2
    await recorder.aclose()

    assert await stored_request_ids(storage) == ["r2", "r3", "r4"]


async def test_records_after_close_are_dropped_not_raised(storage: Storage) -> None:
    async with DecisionRecorder(storage) as recorder:
        recorder.record(decision("kept"))

    recorder.record(decision("late"))

    assert recorder.dropped == 1
    assert await stored_request_ids(storage) == ["kept"]


async def test_the_writer_survives_a_batch_the_database_refuses(storage: Storage) -> None:
    with storage.engine.begin() as conn:
        conn.execute(
            text(
                "CREATE TRIGGER refuse_poison BEFORE INSERT ON routing_decisions "
                "WHEN NEW.request_id = 'poison' BEGIN SELECT RAISE(ABORT, 'refused'); END"
            )
        )
    async with DecisionRecorder(storage, batch_size=1) as recorder:
        recorder.record(decision("poison"))
        recorder.record(decision("after"))

    assert recorder.failed == 1
    assert await stored_request_ids(storage) == ["after"]

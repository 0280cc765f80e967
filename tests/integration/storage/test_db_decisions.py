"""Routing decisions: batch inserts, reading them back, readiness, the event loop."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from smarterrouter.storage import (
    DecisionRecord,
    DecisionRecorder,
    Storage,
    StorageError,
    hash_conversation,
    open_engine,
)

pytestmark = pytest.mark.anyio

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def decision(request_id: str, at: datetime = T0, **changes: object) -> DecisionRecord:
    fields: dict[str, object] = {
        "request_id": request_id,
        "prompt_hash": hash_conversation([{"role": "user", "content": request_id}]),
        "requested_model": "smarterrouter/main",
        "chosen_model": "qwen2.5-coder:7b",
        "backend": "ollama",
        "status": "ok",
        "latency_ms": 41.5,
        "created_at": at,
    }
    fields.update(changes)
    return DecisionRecord(**fields)  # type: ignore[arg-type]


async def test_a_batch_reads_back_newest_first_with_its_json(storage: Storage) -> None:
    failed = decision(
        "r2",
        T0 + timedelta(seconds=2),
        chosen_model=None,
        backend=None,
        status="error",
        category="code",
        difficulty="hard",
        scores={"qwen2.5-coder:7b": {"quality": 0.81, "speed": 0.4, "total": 0.66}},
        fallbacks=({"model": "qwen2.5-coder:7b", "error": "backend_timeout"},),
        reason="every candidate failed",
    )
    rows = [decision("r0", T0), failed, decision("r1", T0 + timedelta(seconds=1), cached=True)]

    await storage.record_decisions(rows)

    newest = await storage.recent_decisions(limit=2)
    assert newest == [failed, rows[2]]


async def test_recent_decisions_is_empty_on_a_new_database(storage: Storage) -> None:
    assert await storage.recent_decisions() == []


async def test_the_readiness_check_passes_on_a_working_database(storage: Storage) -> None:
    await storage.check()


async def test_the_readiness_check_names_an_unreachable_server_but_not_its_password() -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"postgresql://router:hunter2@127.0.0.1:{port}/routing"

    async with await Storage.open(url, migrate=False) as storage:
        with pytest.raises(StorageError, match=f"127.0.0.1:{port}") as caught:
            await storage.check()

    assert "hunter2" not in str(caught.value)


@contextmanager
def decisions_locked(database_url: str) -> Iterator[None]:
    """Hold the write lock on routing_decisions from another connection."""
    engine = open_engine(database_url)
    try:
        with engine.begin() as conn:  # on SQLite: BEGIN IMMEDIATE, the write lock
            if conn.dialect.name == "postgresql":
                # If the loop ever blocks on the insert, free it, and fail the test.
                conn.execute(text("SET LOCAL idle_in_transaction_session_timeout = '5s'"))
                conn.execute(text("LOCK TABLE routing_decisions IN EXCLUSIVE MODE"))
            yield
    finally:
        engine.dispose()


async def test_a_query_waiting_on_a_lock_leaves_the_event_loop_free(
    storage: Storage, database_url: str
) -> None:
    with decisions_locked(database_url):
        insert = asyncio.create_task(storage.record_decisions([decision("waited")]))
        for _ in range(10):
            await asyncio.sleep(0.01)  # the loop keeps running meanwhile
        still_waiting = not insert.done()
    await insert

    assert still_waiting
    assert [r.request_id for r in await storage.recent_decisions()] == ["waited"]


async def test_recording_never_waits_on_a_locked_database(
    storage: Storage, database_url: str
) -> None:
    recorder = DecisionRecorder(storage)
    recorder.start()
    with decisions_locked(database_url):
        for n in range(50):
            recorder.record(decision(f"r{n}"))
        await asyncio.sleep(0.05)
    await recorder.aclose()

    assert len(await storage.recent_decisions(limit=100)) == 50
    assert (recorder.dropped, recorder.failed) == (0, 0)

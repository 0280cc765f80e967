"""Routing decisions go to the database off the request path.

A request hands its `DecisionRecord` to `DecisionRecorder.record`, which only
appends to a bounded in-memory buffer; one background task writes what has
accumulated in batches. When the database falls behind, the oldest unwritten
records are dropped (and counted) so that memory stays bounded and no request
ever waits on the database.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from types import TracebackType
from typing import Self

from smarterrouter.storage.records import DecisionRecord
from smarterrouter.storage.store import Storage

logger = logging.getLogger(__name__)


class DecisionRecorder:
    """Batches DecisionRecords into the database from a background task.

    Use it from the event loop's thread only (it is not thread-safe), as
    `async with DecisionRecorder(storage) as recorder:` or with `start()` and
    `aclose()`. Records given before `start()` are kept and written once started.
    """

    def __init__(
        self, storage: Storage, *, max_pending: int = 10_000, batch_size: int = 500
    ) -> None:
        if max_pending < 1 or batch_size < 1:
            raise ValueError("max_pending and batch_size must be at least 1")
        self._storage = storage
        self._batch_size = batch_size
        # A deque with maxlen is a bounded queue that drops its oldest item when full.
        self._pending: deque[DecisionRecord] = deque(maxlen=max_pending)
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        self._dropped = 0
        self._failed = 0
        self._writing = 0  # rows taken from the queue but not yet committed

    @property
    def dropped(self) -> int:
        """Records discarded unwritten: pushed out of a full buffer, or given after close."""
        return self._dropped

    @property
    def failed(self) -> int:
        """Records lost because the database refused the batch they were in."""
        return self._failed

    @property
    def pending(self) -> int:
        """Records waiting to be written."""
        return len(self._pending)

    def record(self, row: DecisionRecord) -> None:
        """Queue `row` for writing and return at once; never raises, never waits."""
        if self._closing:
            self._dropped += 1
            return
        if len(self._pending) == self._pending.maxlen:
            self._dropped += 1  # append() below pushes the oldest out
        self._pending.append(row)
        self._wakeup.set()

    def start(self) -> None:
        """Start the background writer on the running loop; a no-op if started."""
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="decision-recorder")

    async def aclose(self) -> None:
        """Stop accepting records, write every queued one, and return.

        Database errors while flushing are logged and counted in `failed`;
        they do not raise, so shutdown goes on.
        """
        self._closing = True
        self._wakeup.set()
        if self._task is not None:
            # wait() rather than await: a writer cancelled from outside must not
            # stop the flush below.
            await asyncio.wait([self._task])
        # Never started, or the writer was cancelled: write what is left here.
        while self._pending:
            await self._write(self._take_batch())

    async def flush(self, limit: float = 5.0) -> None:
        """Return once every row queued before the call is written (or `limit` seconds
        passed): for a reader that must see the latest decisions, such as feedback."""
        deadline = asyncio.get_running_loop().time() + limit
        while (self._pending or self._writing) and self._task is not None:
            if asyncio.get_running_loop().time() >= deadline:
                return
            await asyncio.sleep(0.005)

    async def __aenter__(self) -> Self:
        self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def _run(self) -> None:
        while True:
            batch = self._take_batch()
            if batch:
                await self._write(batch)
            elif self._closing:
                return
            else:
                # No await between the empty check and clear(): a record()
                # cannot slip in unnoticed.
                self._wakeup.clear()
                await self._wakeup.wait()

    def _take_batch(self) -> list[DecisionRecord]:
        count = min(self._batch_size, len(self._pending))
        return [self._pending.popleft() for _ in range(count)]

    async def _write(self, batch: list[DecisionRecord]) -> None:
        self._writing += len(batch)
        try:
            await self._storage.record_decisions(batch)
        except Exception:
            # The writer must outlive a bad batch or a database outage; the
            # rows are lost, and counted.
            self._failed += len(batch)
            logger.exception("could not record %d routing decisions", len(batch))
        finally:
            self._writing -= len(batch)

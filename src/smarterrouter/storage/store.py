"""The database, seen from async code.

SQLAlchemy's sync engine does the work; every call runs in a worker thread so
the event loop never waits on the disk or the network.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import datetime
from types import TracebackType
from typing import Any, Self, TypeVar

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from smarterrouter.backends.base import ModelInfo
from smarterrouter.storage import feedback as fb
from smarterrouter.storage import queries
from smarterrouter.storage.engine import (
    describe_url,
    open_engine,
    session_factory,
    translate_errors,
)
from smarterrouter.storage.migrate import upgrade
from smarterrouter.storage.records import DecisionRecord, Feedback, FeedbackTotal, StoredModel

T = TypeVar("T")


class Storage:
    """Async access to the router's database. Build it with `await Storage.open(url)`.

    Every method raises StorageError (never a SQLAlchemy or driver exception)
    when the database fails.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = session_factory(engine)

    @classmethod
    async def open(cls, url: str, *, migrate: bool = True) -> Self:
        """Open `url` (see `engine.open_engine`) and, unless told not to, migrate it.

        Raises StorageError naming the database when it cannot be opened or
        migrated; nothing is left open then.
        """
        engine = await asyncio.to_thread(open_engine, url)
        if migrate:
            try:
                await asyncio.to_thread(upgrade, engine)
            except BaseException:
                engine.dispose()
                raise
        return cls(engine)

    @property
    def description(self) -> str:
        """The database's path, or its URL without the password."""
        return describe_url(self.engine.url)

    async def upsert_models(
        self,
        models: Mapping[str, ModelInfo],
        seen_at: datetime,
        *,
        backends: Collection[str] | None = None,
    ) -> None:
        """See `queries.upsert_models`: keys are public names, values what the backend says."""
        models = dict(models)  # the caller may change its mapping while we work
        await self._transaction(
            "storing the model list",
            lambda s: queries.upsert_models(s, models, seen_at, backends=backends),
        )

    async def list_models(self, *, include_removed: bool = False) -> list[StoredModel]:
        return await self._transaction(
            "listing models", lambda s: queries.list_models(s, include_removed=include_removed)
        )

    async def record_decisions(self, rows: Sequence[DecisionRecord]) -> None:
        """Insert `rows` in one transaction: all of them, or none."""
        rows = list(rows)
        await self._transaction(
            "recording routing decisions", lambda s: queries.record_decisions(s, rows)
        )

    async def recent_decisions(self, limit: int = 50) -> list[DecisionRecord]:
        """The `limit` latest decisions, newest first."""
        return await self._transaction(
            "reading routing decisions", lambda s: queries.recent_decisions(s, limit)
        )

    async def add_feedback(self, feedback: Feedback) -> None:
        await self._transaction("storing feedback", lambda s: fb.add_feedback(s, feedback))

    async def rated_decision(self, response_id: str) -> tuple[str, str | None] | None:
        """(model, category) of the answer with this response id, or None."""
        return await self._transaction(
            "finding the rated answer", lambda s: fb.rated_decision(s, response_id)
        )

    async def feedback_totals(self) -> list[FeedbackTotal]:
        return await self._transaction("reading feedback", fb.feedback_totals)

    async def decision_stats(self, since: datetime) -> dict[str, Any]:
        return await self._transaction(
            "reading decision statistics", lambda s: fb.decision_stats(s, since)
        )

    async def check(self) -> None:
        """Return when the database answers; raise StorageError otherwise (readiness)."""
        await asyncio.to_thread(queries.check, self.engine)

    async def aclose(self) -> None:
        """Close the connection pool; call it after the last query (and after
        `DecisionRecorder.aclose`, which still writes)."""
        await asyncio.to_thread(self.engine.dispose)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def _transaction(self, what: str, work: Callable[[Session], T]) -> T:
        return await asyncio.to_thread(self._run, what, work)

    def _run(self, what: str, work: Callable[[Session], T]) -> T:
        with translate_errors(self.engine, what), self._sessions.begin() as session:
            return work(session)

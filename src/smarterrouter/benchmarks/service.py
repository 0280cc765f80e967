"""The benchmarks part of the app: built once in the lifespan, closed on shutdown."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

import httpx

from smarterrouter.benchmarks.catalog import BenchmarkCatalog
from smarterrouter.benchmarks.leaderboards import LMARENA, OPEN_LLM_LEADERBOARD
from smarterrouter.benchmarks.matching import Matcher, load_mapping
from smarterrouter.benchmarks.prior import BenchmarkPrior
from smarterrouter.benchmarks.store import store_path
from smarterrouter.benchmarks.sync import BenchmarkSync, SourceReport
from smarterrouter.benchmarks.table import load_table
from smarterrouter.errors import InvalidRequest
from smarterrouter.settings import Settings

SYNC_TIMEOUT = httpx.Timeout(30.0, connect=10.0)


class Benchmarks:
    def __init__(self, catalog: BenchmarkCatalog, sync: BenchmarkSync, interval: float) -> None:
        self.catalog = catalog
        self.prior = BenchmarkPrior(catalog)
        self._sync = sync
        self._interval = interval
        self._client: httpx.AsyncClient | None = None
        self._task: asyncio.Task[None] | None = None

    @classmethod
    async def open(
        cls, settings: Settings, on_change: Callable[[], object] = lambda: None
    ) -> Benchmarks:
        """The table and mapping file are read (blocking, once, at start); the synced
        rows of the last run are loaded; the schedule starts if sources are set."""
        table = load_table()
        mapping = (
            load_mapping(settings.benchmark_mapping_file, table)
            if settings.benchmark_mapping_file
            else None
        )
        catalog = BenchmarkCatalog(table, Matcher(table, mapping))
        urls = {
            OPEN_LLM_LEADERBOARD: settings.benchmark_open_llm_leaderboard_url,
            LMARENA: settings.benchmark_lmarena_url,
        }
        client = httpx.AsyncClient(timeout=SYNC_TIMEOUT, follow_redirects=True)
        sync = BenchmarkSync(
            catalog,
            client,
            {s: urls[s] for s in settings.benchmark_sources},
            store_path(settings.database_url),
            on_change,
        )
        service = cls(catalog, sync, settings.benchmark_sync_interval)
        service._client = client
        await sync.load()
        if sync.sources:
            service._task = asyncio.create_task(sync.run_every(settings.benchmark_sync_interval))
        return service

    async def sync_now(self) -> dict[str, Any]:
        """POST /admin/sync-benchmarks: what was fetched, and what failed."""
        if not self._sync.sources:
            raise InvalidRequest(
                "No benchmark sources are configured; set ROUTER_BENCHMARK_SOURCES "
                "(open_llm_leaderboard, lmarena)"
            )
        reports: list[SourceReport] = await self._sync.sync()
        return {"sources": [r.as_dict() for r in reports]}

    async def aclose(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._client is not None:
            await self._client.aclose()

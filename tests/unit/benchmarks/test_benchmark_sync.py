"""BenchmarkSync over httpx's MockTransport: pages followed, answers checked,
failures reported per source with what was held kept."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from smarterrouter.benchmarks.catalog import BenchmarkCatalog
from smarterrouter.benchmarks.leaderboards import LMARENA
from smarterrouter.benchmarks.matching import Matcher
from smarterrouter.benchmarks.store import read_synced
from smarterrouter.benchmarks.sync import BenchmarkSync, SourceReport
from smarterrouter.benchmarks.table import load_table

URL = "https://rows.test/rows?dataset=lmarena-ai%2Fleaderboard-dataset&config=text&split=latest"
ROWS = [
    {"model_name": "llama-3.1-8b-instruct", "rating": 1176.0, "category": "overall"},
    {"model_name": "qwen2.5-72b-instruct", "rating": 1257.0, "category": "overall"},
    {"model_name": "gpt-4o-2024-05-13", "rating": 1285.0, "category": "overall"},
]


def _pages(request: httpx.Request) -> httpx.Response:
    q = request.url.params
    if q.get("dataset") != "lmarena-ai/leaderboard-dataset":  # the URL's own query is kept
        return httpx.Response(404, json={"error": "The dataset does not exist."})
    offset = int(q["offset"])
    page = ROWS[offset : offset + 2]  # two a page, whatever `length` asks
    rows = [{"row_idx": offset + i, "row": r, "truncated_cells": []} for i, r in enumerate(page)]
    return httpx.Response(200, json={"rows": rows, "num_rows_total": len(ROWS)})


def _catalog() -> BenchmarkCatalog:
    table = load_table()
    return BenchmarkCatalog(table, Matcher(table))


async def _run(
    catalog: BenchmarkCatalog, path: Path, transport: httpx.MockTransport
) -> SourceReport:
    async with httpx.AsyncClient(transport=transport) as client:
        [report] = await BenchmarkSync(catalog, client, {LMARENA: URL}, path).sync()
    return report


@pytest.mark.anyio
async def test_every_page_is_read_and_kept_on_disk(tmp_path: Path) -> None:
    catalog = _catalog()
    report = await _run(catalog, tmp_path / "synced.json", httpx.MockTransport(_pages))
    assert (report.ok, report.rows, report.matched, report.error) == (True, 3, 2, None)
    entry = catalog.table.get("llama-3.1-8b-instruct")
    assert entry is not None
    arena = [f for f in catalog.figures(entry) if f.origin == LMARENA]
    assert [(f.benchmark, f.value, f.leaderboard_name) for f in arena] == [
        ("arena_elo", 1176.0, "llama-3.1-8b-instruct")
    ]
    stored = read_synced(tmp_path / "synced.json")
    assert [r.name for r in stored.sources[LMARENA].rows] == [r["model_name"] for r in ROWS]


@pytest.mark.anyio
async def test_a_failure_is_reported_and_the_rows_held_are_kept(tmp_path: Path) -> None:
    catalog, path = _catalog(), tmp_path / "synced.json"
    await _run(catalog, path, httpx.MockTransport(_pages))
    html = httpx.MockTransport(lambda r: httpx.Response(200, text="<html>"))
    report = await _run(catalog, path, html)
    assert (report.ok, report.rows) == (False, 3)
    assert report.error is not None and report.error.startswith("unexpected answer")
    down = httpx.MockTransport(lambda r: httpx.Response(503, json={}))
    report = await _run(catalog, path, down)
    assert report.error == "HTTP 503 from rows.test"
    assert len(json.loads(path.read_text())["sources"][LMARENA]["rows"]) == 3

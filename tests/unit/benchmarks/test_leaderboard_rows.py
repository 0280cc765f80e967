"""Pages of the datasets-server rows API read into leaderboard rows; the synced
file written whole and read back."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from smarterrouter.benchmarks.leaderboards import (
    LMARENA,
    OPEN_LLM_LEADERBOARD,
    LeaderboardFormatError,
    LeaderboardRow,
    parse_page,
)
from smarterrouter.benchmarks.store import (
    SourceRows,
    SyncedRows,
    read_synced,
    store_path,
    write_synced,
)

RECORDINGS = Path(__file__).resolve().parents[2] / "recordings" / "leaderboards"


def _page(name: str) -> dict[str, Any]:
    doc = json.loads((RECORDINGS / name).read_text())
    rows = [{"row_idx": i, "row": r, "truncated_cells": []} for i, r in enumerate(doc["rows"])]
    return {"features": [], "rows": rows, "num_rows_total": len(rows), "partial": False}


def test_open_llm_leaderboard_rows_keep_official_repos_and_raw_accuracies() -> None:
    page = parse_page(OPEN_LLM_LEADERBOARD, _page("open_llm_leaderboard.json"))
    assert (page.seen, page.total) == (6, 6)
    names = [r.name for r in page.rows]
    assert "someone/Qwen2.5-Coder-7B-Instruct-abliterated" not in names
    assert page.rows[0] == LeaderboardRow(
        "Qwen/Qwen2.5-Coder-7B-Instruct", {"mmlu_pro": 33.51, "math_lvl5": 3.02}
    )


def test_lmarena_rows_keep_the_overall_rating() -> None:
    page = parse_page(LMARENA, _page("lmarena.json"))
    ratings = {r.name: r.figures["arena_elo"] for r in page.rows}
    assert ratings["llama-3.1-8b-instruct"] == 1176.0  # not the coding category's 1190
    assert len(page.rows) == 4


@pytest.mark.parametrize("body", [[], {"rows": "x", "num_rows_total": 1}, {"rows": []}])
def test_a_page_in_another_shape_is_refused(body: Any) -> None:
    with pytest.raises(LeaderboardFormatError):
        parse_page(LMARENA, body)


def test_synced_rows_are_written_whole_and_read_back(tmp_path: Path) -> None:
    path = store_path(f"sqlite:///{tmp_path / 'db' / 'router.db'}")
    assert path == tmp_path / "db" / "benchmarks-synced.json"
    synced = SyncedRows(
        {
            LMARENA: SourceRows(
                "2026-11-22T04:00:00+00:00", (LeaderboardRow("m-7b", {"arena_elo": 1200.0}),)
            )
        }
    )
    write_synced(path, synced)
    assert read_synced(path) == synced
    assert [p.name for p in path.parent.iterdir()] == ["benchmarks-synced.json"]  # no temp left


def test_an_unreadable_synced_file_is_ignored_not_fatal(tmp_path: Path) -> None:
    path = tmp_path / "benchmarks-synced.json"
    path.write_text("{half a file")
    assert read_synced(path) == SyncedRows()
    assert read_synced(tmp_path / "absent.json") == SyncedRows()

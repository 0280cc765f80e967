"""Synced leaderboard rows, kept across restarts in one JSON file.

The file sits next to the SQLite database (`benchmarks-synced.json`) and is
replaced whole (written to a temporary file, then renamed), so a crash never
leaves half of it. A file that cannot be read is reported and ignored: synced
figures are a cache of public data, fetched again at the next sync.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from smarterrouter.benchmarks.leaderboards import SOURCES, LeaderboardRow

log = logging.getLogger(__name__)

STORE_VERSION = 1
STORE_FILE = "benchmarks-synced.json"


@dataclass(frozen=True)
class SourceRows:
    fetched_at: str  # ISO 8601, UTC
    rows: tuple[LeaderboardRow, ...]


@dataclass(frozen=True)
class SyncedRows:
    sources: Mapping[str, SourceRows] = field(default_factory=dict)

    def with_source(self, name: str, rows: SourceRows) -> SyncedRows:
        return SyncedRows({**self.sources, name: rows})


def store_path(database_url: str) -> Path:
    """Next to the SQLite file; in ./data for other databases."""
    prefix = "sqlite:///"
    if database_url.startswith(prefix) and ":memory:" not in database_url:
        return Path(database_url[len(prefix) :]).parent / STORE_FILE
    return Path("data") / STORE_FILE


def read_synced(path: Path) -> SyncedRows:
    """Blocking: call it in a worker thread."""
    if not path.exists():
        return SyncedRows()
    try:
        doc = json.loads(path.read_text("utf-8"))
        if doc.get("version") != STORE_VERSION:
            raise ValueError(f"version {doc.get('version')!r}")
        return SyncedRows({n: _source(s) for n, s in doc["sources"].items() if n in SOURCES})
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        log.warning("ignoring synced benchmarks in %s (%s); the next sync rewrites it", path, exc)
        return SyncedRows()


def write_synced(path: Path, synced: SyncedRows) -> None:
    """Blocking: call it in a worker thread. Atomic: a temporary file, then a rename."""
    doc = {
        "version": STORE_VERSION,
        "sources": {
            name: {"fetched_at": s.fetched_at, "rows": [r.as_dict() for r in s.rows]}
            for name, s in synced.sources.items()
        },
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(doc, out)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _source(raw: Any) -> SourceRows:
    rows = tuple(
        LeaderboardRow(str(r["name"]), {str(k): float(v) for k, v in r["figures"].items()})
        for r in raw["rows"]
    )
    return SourceRows(str(raw["fetched_at"]), rows)

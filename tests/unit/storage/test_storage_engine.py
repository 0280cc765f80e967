"""Opening a SQLite database: its folder, clear errors about its path, its pragmas."""

from __future__ import annotations

import os
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
from sqlalchemy import text

from smarterrouter.storage import Storage, StorageError, migrate, open_engine


def tables_in(path: Path) -> set[str]:
    with closing(sqlite3.connect(path)) as conn:
        rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    return {name for (name,) in rows}


def test_migrate_creates_the_missing_folders_and_the_tables(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "er" / "router.db"

    migrate(f"sqlite:///{path}")

    assert path.is_file()
    assert {"models", "routing_decisions", "alembic_version"} <= tables_in(path)


def test_the_default_relative_url_lands_under_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)

    migrate("sqlite:///data/router.db")

    assert "models" in tables_in(tmp_path / "data" / "router.db")


def test_a_folder_as_the_database_path_is_a_clear_error(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    folder.mkdir()

    with pytest.raises(StorageError, match="is a folder") as caught:
        open_engine(f"sqlite:///{folder}")

    assert str(folder) in str(caught.value)


def test_a_file_in_place_of_the_folder_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "data"
    blocker.write_text("not a folder")

    with pytest.raises(StorageError, match="cannot create the folder") as caught:
        open_engine(f"sqlite:///{blocker}/router.db")

    assert str(blocker) in str(caught.value)


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write into any folder")
def test_a_read_only_folder_is_a_clear_error(tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir(mode=0o500)

    with pytest.raises(StorageError, match="not writable") as caught:
        open_engine(f"sqlite:///{folder}/router.db")

    assert str(folder) in str(caught.value)


def test_a_file_that_is_not_a_database_fails_migration_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "router.db"
    path.write_bytes(b"this is not a SQLite database, not even its header " * 100)

    with pytest.raises(StorageError, match="migrating") as caught:
        migrate(f"sqlite:///{path}")

    assert str(path) in str(caught.value)


async def open_on_a_folder(folder: Path) -> None:
    await Storage.open(f"sqlite:///{folder}")


@pytest.mark.anyio
async def test_opening_storage_on_a_folder_raises_the_same_error(tmp_path: Path) -> None:
    with pytest.raises(StorageError, match="is a folder"):
        await open_on_a_folder(tmp_path)


def test_every_connection_gets_wal_foreign_keys_and_a_busy_timeout(tmp_path: Path) -> None:
    engine = open_engine(f"sqlite:///{tmp_path}/router.db")
    try:
        with engine.connect() as conn:
            journal = conn.execute(text("PRAGMA journal_mode")).scalar_one()
            foreign_keys = conn.execute(text("PRAGMA foreign_keys")).scalar_one()
            busy_ms = conn.execute(text("PRAGMA busy_timeout")).scalar_one()
    finally:
        engine.dispose()

    assert (journal, foreign_keys, busy_ms) == ("wal", 1, 5000)

"""The shipped migrations build exactly the tables the code declares, on both databases."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Column, Integer, MetaData, inspect
from sqlalchemy.engine import Engine

from smarterrouter.backends.base import ModelInfo
from smarterrouter.storage import Storage, migrate
from smarterrouter.storage.migrate import MIGRATIONS_DIR, downgrade, upgrade
from smarterrouter.storage.tables import Base

pytestmark = pytest.mark.anyio


def schema_diff(engine: Engine, metadata: MetaData) -> list[Any]:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return list(compare_metadata(context, metadata))


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision() -> str | None:
    return ScriptDirectory(str(MIGRATIONS_DIR)).get_current_head()


async def test_opening_migrates_a_new_database_to_the_head(storage: Storage) -> None:
    tables = set(inspect(storage.engine).get_table_names())

    assert {"models", "routing_decisions", "alembic_version"} <= tables
    assert current_revision(storage.engine) == head_revision() is not None


async def test_the_migrated_schema_matches_the_declared_tables(storage: Storage) -> None:
    assert schema_diff(storage.engine, Base.metadata) == []


async def test_the_comparison_notices_a_column_missing_from_the_migrations(
    storage: Storage,
) -> None:
    # Guards the test above: an empty diff must mean "equal", not "not compared".
    changed = MetaData(naming_convention=Base.metadata.naming_convention)
    for table in Base.metadata.tables.values():
        table.to_metadata(changed)
    changed.tables["models"].append_column(Column("extra", Integer, nullable=True))

    diff = schema_diff(storage.engine, changed)

    assert [(op[0], op[3].name) for op in diff] == [("add_column", "extra")]


async def test_migrating_again_keeps_the_rows(storage: Storage, database_url: str) -> None:
    seen = datetime(2025, 5, 1, tzinfo=UTC)
    await storage.upsert_models({"llama3.2:3b": ModelInfo("llama3.2:3b", backend="ollama")}, seen)

    migrate(database_url)
    async with await Storage.open(database_url) as reopened:
        names = [m.name for m in await reopened.list_models()]

    assert names == ["llama3.2:3b"]


async def test_downgrade_to_base_removes_the_tables_and_upgrade_restores_them(
    storage: Storage,
) -> None:
    downgrade(storage.engine, "base")
    emptied = set(inspect(storage.engine).get_table_names())
    upgrade(storage.engine)

    assert emptied <= {"alembic_version"}
    assert schema_diff(storage.engine, Base.metadata) == []

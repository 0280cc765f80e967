from __future__ import annotations

from pathlib import Path

import pytest

from smarterrouter.storage import StorageError, resolve_database_url
from smarterrouter.storage.engine import describe_url


def test_relative_sqlite_path_is_relative_to_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)

    url = resolve_database_url("sqlite:///data/router.db")

    assert url.database == str(tmp_path / "data" / "router.db")


def test_absolute_sqlite_path_is_kept(tmp_path: Path) -> None:
    url = resolve_database_url(f"sqlite:///{tmp_path}/x/router.db")

    assert url.database == str(tmp_path / "x" / "router.db")


@pytest.mark.parametrize(
    "raw",
    [
        "postgresql://router:pw@db.example:5433/routing",
        "postgres://router:pw@db.example:5433/routing",
        "postgresql+psycopg://router:pw@db.example:5433/routing",
    ],
)
def test_postgres_urls_use_psycopg_3(raw: str) -> None:
    url = resolve_database_url(raw)

    assert url.drivername == "postgresql+psycopg"
    assert (url.username, url.password, url.host, url.port, url.database) == (
        "router",
        "pw",
        "db.example",
        5433,
        "routing",
    )


@pytest.mark.parametrize(
    "raw",
    [
        "sqlite://",
        "sqlite:///:memory:",
        "sqlite:///file:router?mode=memory&uri=true",
        "mysql://user:secret@host/db",
        "postgresql+asyncpg://user:secret@host/db",
        "not a url at all, secret",
    ],
)
def test_unsupported_urls_are_refused_without_echoing_secrets(raw: str) -> None:
    with pytest.raises(StorageError, match="ROUTER_DATABASE_URL") as caught:
        resolve_database_url(raw)

    assert "secret" not in str(caught.value)


def test_a_postgres_url_is_described_without_its_password() -> None:
    url = resolve_database_url("postgresql://router:hunter2@db.example/routing")

    assert describe_url(url) == "postgresql+psycopg://router:***@db.example/routing"

"""Engines and sessions from `ROUTER_DATABASE_URL`.

Two databases are supported, and the same code runs on both:

- SQLite, the default: `sqlite:///relative/path.db` is relative to the working
  directory, `sqlite:////absolute/path.db` is absolute. The parent folder is
  created; a path that is a folder, or a folder we cannot write, is a
  StorageError naming the path.
- PostgreSQL: `postgresql://` and `postgres://` URLs use the psycopg 3 driver.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import cast

import sqlalchemy as sa
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry

from smarterrouter.storage.errors import StorageError

SQLITE_BUSY_TIMEOUT_MS = 5000
POSTGRES_CONNECT_TIMEOUT_S = 10
_EXPECTED = "expected sqlite:///path/to/router.db or postgresql://user:password@host/db"


def resolve_database_url(raw: str) -> URL:
    """The URL the engine will use: driver chosen, SQLite path made absolute.

    Raises StorageError for a URL that is not one of the supported forms.
    """
    try:
        url = make_url(raw)
    except ArgumentError:
        # The raw text may hold a password: do not echo it.
        raise StorageError(f"ROUTER_DATABASE_URL is not a database URL ({_EXPECTED})") from None
    backend = url.get_backend_name()
    if backend == "sqlite":
        return _resolve_sqlite(url)
    if backend in ("postgresql", "postgres"):
        return _resolve_postgres(url)
    raise StorageError(f"ROUTER_DATABASE_URL: unsupported database {backend!r} ({_EXPECTED})")


def _resolve_sqlite(url: URL) -> URL:
    database = url.database or ""
    if database in ("", ":memory:") or database.startswith("file:") or "mode" in url.query:
        # The router's state must outlive the process, and worker threads each
        # open their own connection, which a memory database would not share.
        raise StorageError(f"ROUTER_DATABASE_URL: SQLite needs a file path ({_EXPECTED})")
    # Absolute now, so a later change of working directory cannot move the file.
    return url.set(database=os.path.abspath(database))


def _resolve_postgres(url: URL) -> URL:
    # Not url.get_driver_name(): it loads the dialect, and `postgres` has none.
    driver = url.drivername.partition("+")[2]
    if driver not in ("psycopg", ""):
        raise StorageError(
            f"ROUTER_DATABASE_URL: PostgreSQL driver {driver!r} is not supported; "
            "use postgresql://… (psycopg 3)"
        )
    # Plain `postgresql://` would mean psycopg2 to SQLAlchemy; psycopg 3 is what we ship.
    return url.set(drivername="postgresql+psycopg")


def describe_url(url: URL) -> str:
    """How to name this database in a message: its path, or its URL without the password."""
    if url.get_backend_name() == "sqlite":
        return str(url.database)
    return url.render_as_string(hide_password=True)


def prepare_sqlite_path(path: Path) -> None:
    """Create the database's folder, and check SQLite can write there.

    Raises StorageError naming the path when it is a folder, when its folder
    cannot be created, or when the file or folder is not writable.
    """
    if path.is_dir():
        raise StorageError(
            f"database path {path} is a folder; set ROUTER_DATABASE_URL to a file in it, "
            f"e.g. sqlite:///{path / 'router.db'}"
        )
    folder = path.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StorageError(
            f"cannot create the folder {folder} for the database {path}: {exc.strerror or exc}"
        ) from None
    if path.exists() and not os.access(path, os.R_OK | os.W_OK):
        raise StorageError(f"database file {path} is not readable and writable by this user")
    # WAL mode creates `-wal` and `-shm` files next to the database.
    if not os.access(folder, os.W_OK | os.X_OK):
        raise StorageError(f"folder {folder} is not writable: cannot store the database {path}")


def open_engine(raw_url: str) -> Engine:
    """An engine for `raw_url` (see the module docstring); the caller disposes it.

    Does not connect yet, but a SQLite folder is created (or rejected) here.
    """
    url = resolve_database_url(raw_url)
    # A default of `str` keeps a decision row whose scores hold an odd value
    # (a Decimal, an enum) from failing the whole batch it travels in.
    serializer = partial(json.dumps, default=str, ensure_ascii=False)
    if url.get_backend_name() == "sqlite":
        prepare_sqlite_path(Path(str(url.database)))
        engine = sa.create_engine(url, json_serializer=serializer)
        _configure_sqlite(engine)
        return engine
    try:
        return sa.create_engine(
            url,
            json_serializer=serializer,
            pool_pre_ping=True,
            connect_args={"connect_timeout": POSTGRES_CONNECT_TIMEOUT_S},
        )
    except ImportError:
        # psycopg is an optional dependency (the `postgres` extra).
        raise StorageError(
            f"{describe_url(url)}: PostgreSQL needs psycopg; "
            "install smarterrouter[postgres] (or psycopg[binary])"
        ) from None


def _configure_sqlite(engine: Engine) -> None:
    sa.event.listen(engine, "connect", _sqlite_on_connect)
    sa.event.listen(engine, "begin", _sqlite_on_begin)


def _sqlite_on_connect(dbapi_connection: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
    conn = cast(sqlite3.Connection, dbapi_connection)
    # SQLAlchemy emits BEGIN itself (see _sqlite_on_begin), so pysqlite must not.
    conn.isolation_level = None
    cursor = conn.cursor()
    try:
        # busy_timeout first, so that switching to WAL also waits for other writers.
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        # WAL lets readers (admin pages, readiness) run while a batch is written.
        cursor.execute("PRAGMA journal_mode = WAL")
        # NORMAL is durable across application crashes in WAL mode, and cheaper.
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
    finally:
        cursor.close()


def _sqlite_on_begin(conn: Connection) -> None:
    # IMMEDIATE takes the write lock at BEGIN, where busy_timeout applies; a
    # deferred transaction that reads then writes fails at once with SQLITE_BUSY
    # when another thread or process wrote in between.
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions whose objects stay readable after commit (they leave the thread)."""
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def translate_errors(engine: Engine, what: str) -> Iterator[None]:
    """Turn SQLAlchemy and driver errors inside the block into a StorageError about `what`."""
    try:
        yield
    except sa.exc.SQLAlchemyError as exc:
        cause = getattr(exc, "orig", None) or exc
        where = describe_url(engine.url)
        raise StorageError(f"{what} failed on database {where}: {cause}") from exc

"""Each storage test runs twice: on a SQLite file and on a real PostgreSQL server.

The PostgreSQL server is a throwaway cluster made for this test session (in a
temporary folder, on a free loopback port, its unix socket in that folder) and
removed afterwards; each test gets a database of its own in it. PostgreSQL
refuses to run as root, so as root the cluster belongs to an unprivileged
system user.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql

from smarterrouter.storage import Storage
from support.ports import free_port

PG_TOOLS = ("initdb", "pg_ctl", "postgres")
PG_SYSTEM_USER = "smarterrouter-pg"
SETUP_HINT = (
    "run the project setup: it installs Debian's `postgresql` package "
    "(binaries in /usr/lib/postgresql/<version>/bin)"
)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def postgres_bin_dir() -> Path | None:
    """The first folder holding initdb, pg_ctl and postgres: PATH, /usr/local/bin,
    then /usr/lib/postgresql/<version>/bin, newest version first."""
    candidates = [Path(found).parent for tool in PG_TOOLS if (found := shutil.which(tool))]
    candidates.append(Path("/usr/local/bin"))
    versions = Path("/usr/lib/postgresql").glob("*/bin")
    candidates += sorted(versions, key=lambda p: _version(p.parent.name), reverse=True)
    for folder in candidates:
        if all(os.access(folder / tool, os.X_OK) for tool in PG_TOOLS):
            return folder
    return None


def _version(name: str) -> tuple[int, ...]:
    return tuple(int(part) for part in name.split(".") if part.isdigit())


@dataclass(frozen=True)
class Account:
    """Who runs the cluster: None for the current user (when it is not root)."""

    uid: int | None = None
    gid: int | None = None


def cluster_account() -> Account:
    if os.geteuid() != 0:
        return Account()
    try:
        entry = pwd.getpwnam(PG_SYSTEM_USER)
    except KeyError:
        # Another test session may create it at the same moment: look again after.
        with contextlib.suppress(FileNotFoundError):  # no useradd: nobody, below
            subprocess.run(
                ["useradd", "--system", "--no-create-home", "--home-dir", "/nonexistent",
                 "--shell", "/usr/sbin/nologin", PG_SYSTEM_USER],
                capture_output=True, check=False, timeout=30,
            )  # fmt: skip
        try:
            entry = pwd.getpwnam(PG_SYSTEM_USER)
        except KeyError:
            entry = pwd.getpwnam("nobody")
    return Account(entry.pw_uid, entry.pw_gid)


def _reachable_tmp() -> str:
    """A temporary folder every user can traverse (TMPDIR may sit under /root)."""
    base = Path(tempfile.gettempdir()).resolve()
    if all(os.stat(p).st_mode & 0o001 for p in (base, *base.parents)):
        return str(base)
    return "/tmp"


class PostgresCluster:
    def __init__(self, bin_dir: Path, account: Account) -> None:
        self.bin_dir = bin_dir
        self.account = account
        self.root = Path(tempfile.mkdtemp(prefix="smarterrouter-pg-", dir=_reachable_tmp()))
        self.data = self.root / "data"
        self.sockets = self.root / "sockets"
        self.log = self.root / "postgres.log"
        self.port = 0
        if account.uid is not None and account.gid is not None:
            os.chown(self.root, account.uid, account.gid)
        self._run("mkdir", str(self.sockets))

    @property
    def admin_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def start(self) -> None:
        self._run(str(self.bin_dir / "initdb"), "-D", str(self.data), "-U", "postgres",
                  "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync")  # fmt: skip
        for _ in range(3):  # the free port may be taken before postgres binds it
            self.port = free_port()
            options = (
                f"-p {self.port} -h 127.0.0.1 -k '{self.sockets}' -F "
                "-c synchronous_commit=off -c full_page_writes=off"
            )
            result = self._run(str(self.bin_dir / "pg_ctl"), "-D", str(self.data),
                               "-l", str(self.log), "-w", "-t", "60", "-o", options,
                               "start", check=False)  # fmt: skip
            if result.returncode == 0:
                return
        pytest.fail(f"PostgreSQL did not start:\n{result.stdout}{result.stderr}\n{self.log_tail()}")

    def stop(self) -> None:
        try:
            if (self.data / "postmaster.pid").exists():
                self._run(str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "-m", "fast",
                          "-w", "stop", check=False)  # fmt: skip
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def log_tail(self) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-30:])
        except OSError:
            return "(no server log)"

    def create_database(self) -> str:
        name = f"test_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return name

    def drop_database(self, name: str) -> None:
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
            conn.execute(drop.format(sql.Identifier(name)))

    def _run(self, *cmd: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C", "LANG": "C"}
        as_user: dict[str, Any] = {}
        if self.account.uid is not None:
            as_user = {"user": self.account.uid, "group": self.account.gid, "extra_groups": []}
        result = subprocess.run(
            cmd, cwd=self.root, env=env, capture_output=True, text=True, timeout=120,
            check=False, **as_user,
        )  # fmt: skip
        if check and result.returncode != 0:
            pytest.fail(f"{' '.join(cmd)} failed:\n{result.stdout}{result.stderr}")
        return result


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[PostgresCluster]:
    """A PostgreSQL server for this session; FAILS (never skips) when none is installed."""
    bin_dir = postgres_bin_dir()
    if bin_dir is None:
        pytest.fail(
            "PostgreSQL server binaries (initdb, pg_ctl, postgres) not found in PATH, "
            f"/usr/local/bin or /usr/lib/postgresql/*/bin; {SETUP_HINT}",
            pytrace=False,
        )
    cluster = PostgresCluster(bin_dir, cluster_account())
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database: a SQLite file in a folder that does not exist yet,
    or a new database on the session's PostgreSQL server."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/state/router.db"
        return
    cluster: PostgresCluster = request.getfixturevalue("postgres_cluster")
    name = cluster.create_database()
    try:
        yield f"postgresql://postgres@127.0.0.1:{cluster.port}/{name}"
    finally:
        cluster.drop_database(name)


@pytest.fixture
async def storage(database_url: str) -> AsyncIterator[Storage]:
    """The database opened (and migrated) as the app does at start."""
    async with await Storage.open(database_url) as opened:
        yield opened

"""A throwaway redis-server for tests: loopback, a free port, no persistence, a password.

Like the PostgreSQL tests' cluster: made for the test session in a temporary
folder, removed afterwards, and a missing binary FAILS with the way to install
it (never a skip). `stop()` and `start()` again (same port) let a test take
Redis away from running routers and bring it back.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import Self

import pytest
import redis

from support.ports import free_port

SETUP_HINT = "run ./dev setup: it installs Debian's `redis-server` package"
PASSWORD = "redis-test-password-5d1c"  # the log scans look for it


def redis_server_binary() -> str:
    found = shutil.which("redis-server")
    if found is None:
        pytest.fail(f"redis-server not found in PATH; {SETUP_HINT}", pytrace=False)
    return found


class RedisServer:
    def __init__(self, binary: str) -> None:
        self.binary = binary
        self.root = Path(tempfile.mkdtemp(prefix="smarterrouter-redis-"))
        self.log = self.root / "redis.log"
        self.port = 0
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://:{PASSWORD}@127.0.0.1:{self.port}/0"

    def client(self) -> redis.Redis:
        return redis.Redis.from_url(self.url)

    def start(self) -> None:
        """Start on a free port, or on the same port as before after a stop()."""
        for _ in range(3):  # a free port may be taken before redis-server binds it
            port = self.port or free_port()
            if self._launch(port):
                self.port = port
                return
        pytest.fail(f"redis-server did not start:\n{self.log_tail()}")

    def stop(self) -> None:
        if self._process is None:
            return
        self._process.terminate()
        try:
            self._process.wait(10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait(10)
        self._process = None

    def log_tail(self) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-30:])
        except OSError:
            return "(no server log)"

    def _launch(self, port: int) -> bool:
        self._process = subprocess.Popen(
            [self.binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.root), "--logfile", str(self.log),
             "--requirepass", PASSWORD, "--daemonize", "no"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        probe = redis.Redis(host="127.0.0.1", port=port, password=PASSWORD, socket_timeout=1)
        try:
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline and self._process.poll() is None:
                try:
                    if probe.ping():
                        return True
                except redis.ConnectionError:
                    time.sleep(0.02)
        finally:
            probe.close()
        self.stop()
        return False

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

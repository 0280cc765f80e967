"""What the router acknowledged survives `kill -9` in the middle of traffic.

The router runs as its own process (`python -m smarterrouter serve`) on a SQLite
file, in front of a fake Ollama. Clients keep asking and rating answers; the
router is killed with SIGKILL while they do. Afterwards the database passes
SQLite's integrity check, every rating that was answered 200 is stored, and
so is the decision each acknowledged rating points to; the router starts again
on the same file and counts them.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from fakes import FakeOllama
from support.ports import free_port

QUESTION = {"messages": [{"role": "user", "content": "Write a short poem about rain"}]}


class RouterProcess:
    def __init__(self, ollama: FakeOllama, db: Path) -> None:
        self.port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("ROUTER_")}
        env |= {
            "ROUTER_PROVIDER": "ollama",
            "ROUTER_OLLAMA_URL": ollama.url,
            "ROUTER_HOST": "127.0.0.1",
            "ROUTER_PORT": str(self.port),
            "ROUTER_DATABASE_URL": f"sqlite:///{db}",
            "ROUTER_CACHE_ENABLED": "false",  # every request reaches routing
        }
        with (db.parent / f"router-{self.port}.log").open("wb") as log:  # the child keeps it
            self.process = subprocess.Popen(
                [sys.executable, "-m", "smarterrouter", "serve"],
                cwd=db.parent, env=env, stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
        self.url = f"http://127.0.0.1:{self.port}"
        self._wait_ready()

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.process.poll() is None, "the router exited at start"
            try:
                if httpx.get(f"{self.url}/health", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise AssertionError("the router did not come up")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)


@pytest.fixture
def ollama() -> Iterator[FakeOllama]:
    with FakeOllama() as fake:
        yield fake


def _traffic(url: str, stop: threading.Event, acknowledged: list[str]) -> None:
    """Ask, then rate the answer; remember every rating answered 200."""
    with httpx.Client(timeout=10) as client:
        while not stop.is_set():
            try:
                answer = client.post(f"{url}/v1/chat/completions", json=QUESTION)
                if answer.status_code != 200:
                    continue
                response_id = answer.json()["id"]
                rated = client.post(
                    f"{url}/v1/feedback", json={"response_id": response_id, "score": 1.0}
                )
                if rated.status_code == 200:
                    acknowledged.append(response_id)
            except httpx.TransportError:
                return  # the router is gone


def test_acknowledged_ratings_and_their_decisions_survive_kill_9(
    ollama: FakeOllama, tmp_path: Path
) -> None:
    db = tmp_path / "router.db"
    router = RouterProcess(ollama, db)
    stop = threading.Event()
    acknowledged: list[str] = []
    clients = [
        threading.Thread(target=_traffic, args=(router.url, stop, acknowledged)) for _ in range(4)
    ]
    for client in clients:
        client.start()
    deadline = time.monotonic() + 60
    while len(acknowledged) < 40 and time.monotonic() < deadline:
        time.sleep(0.05)
    router.process.send_signal(signal.SIGKILL)  # mid-traffic: clients are still sending
    router.process.wait(timeout=10)
    stop.set()
    for client in clients:
        client.join(timeout=15)
    assert len(acknowledged) >= 40

    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        rated = {r for (r,) in conn.execute("SELECT response_id FROM feedback")}
        decided = {r for (r,) in conn.execute("SELECT response_id FROM routing_decisions")}
    assert set(acknowledged) <= rated
    assert set(acknowledged) <= decided

    again = RouterProcess(ollama, db)
    try:
        stats = httpx.get(f"{again.url}/admin/stats", timeout=10).json()
    finally:
        again.stop()
    assert stats["requests"] >= len(acknowledged)


def test_stored_profiles_survive_kill_9_in_the_middle_of_a_job(
    ollama: FakeOllama, tmp_path: Path
) -> None:
    db = tmp_path / "router.db"
    router = RouterProcess(ollama, db)
    with httpx.Client(base_url=router.url, timeout=10) as admin:
        job_id = admin.post("/admin/reprofile").json()["job_id"]
        deadline = time.monotonic() + 120
        stored: list[str] = []
        while not stored and time.monotonic() < deadline:
            models = admin.get(f"/admin/jobs/{job_id}").json()["models"]
            stored = [m["model"] for m in models if m["state"] in ("ok", "failed")]
            time.sleep(0.05)
    router.process.send_signal(signal.SIGKILL)  # the job is still running
    router.process.wait(timeout=10)
    assert stored, "no model was profiled in time"

    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    again = RouterProcess(ollama, db)
    try:
        with httpx.Client(base_url=again.url, timeout=10) as admin:
            job = admin.get(f"/admin/jobs/{job_id}").json()
            profiles = admin.get("/admin/profiles").json()["profiles"]
    finally:
        again.stop()
    assert set(stored) <= {p["model"] for p in profiles}
    assert job["state"] in ("interrupted", "done")
    unfinished = [m for m in job["models"] if m["state"] in ("running", "pending")]
    assert unfinished == []  # nothing left looking as if it were still going
    assert all(p["status"] in ("ok", "failed") for p in profiles)

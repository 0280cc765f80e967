"""Graceful shutdown, for real: `smarterrouter serve` as a subprocess, a stream open
through it, and SIGTERM or SIGINT sent while the upstream holds the stream."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from fakes import FakeOllama, Fault
from support.ports import free_port

BIN = Path(sys.executable).parent / "smarterrouter"
ADMIN_NOTE = "ROUTER_ADMIN_API_KEY is unset: /admin/* answers only clients on this machine"


def _start(tmp_path: Path, ollama: FakeOllama) -> tuple[subprocess.Popen[str], str]:
    port = free_port()
    env = {
        **os.environ,
        "ROUTER_BACKENDS": json.dumps([{"name": "gpu", "provider": "ollama", "url": ollama.url}]),
        "ROUTER_DATABASE_URL": f"sqlite:///{tmp_path / 'router.db'}",
        "ROUTER_SIGNATURE_ENABLED": "false",
        "ROUTER_SHUTDOWN_TIMEOUT": "30",
    }
    proc = subprocess.Popen(
        [str(BIN), "serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    return proc, f"http://127.0.0.1:{port}"


def _wait(proc: subprocess.Popen[str], url: str, *, until_refused: bool) -> None:
    """Until /health answers, or (shutting down) until new requests are turned away."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()[1]
        try:
            answered = httpx.get(f"{url}/health", timeout=1).status_code
        except httpx.TransportError:
            answered = None
        if until_refused and answered in (None, 503):
            return
        if not until_refused and answered == 200:
            return
        time.sleep(0.05)
    pytest.fail(f"the router did not {'stop taking' if until_refused else 'take'} requests")


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_an_open_stream_finishes_after_a_shutdown_signal(
    stop: signal.Signals, tmp_path: Path, ollama: FakeOllama
) -> None:
    ollama.inject(Fault(pause_after=2, path="/api/chat"))
    proc, url = _start(tmp_path, ollama)
    try:
        _wait(proc, url, until_refused=False)
        body = {
            "model": "smarterrouter/main",
            "stream": True,
            "messages": [{"role": "user", "content": "What is the capital of France?"}],
        }
        with httpx.stream("POST", f"{url}/v1/chat/completions", json=body, timeout=60) as resp:
            assert resp.status_code == 200
            lines = resp.iter_lines()
            events = [next(line for line in lines if line.startswith("data: "))]
            proc.send_signal(stop)
            _wait(proc, url, until_refused=True)  # shutting down, the stream still open
            ollama.resume()
            events += [line for line in lines if line.startswith("data: ")]
        _, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert events[-1] == "data: [DONE]"
    chunks = [json.loads(e.removeprefix("data: ")) for e in events[:-1]]
    text = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"])
    assert text == "Paris is the capital of France."
    # uvicorn re-raises SIGTERM once shut down (status 143 to a supervisor); SIGINT ends 0.
    assert proc.returncode == (0 if stop == signal.SIGINT else -signal.SIGTERM), stderr
    assert "Application shutdown complete." in stderr
    assert "Traceback" not in stderr
    assert "timeout graceful shutdown exceeded" not in stderr
    assert stderr.count(ADMIN_NOTE) == 1

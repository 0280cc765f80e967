"""What a client sees when a backend misbehaves, and how long it waits.

    .venv/bin/python bench/faults.py

Two OpenAI-compatible backends on loopback, `a` (a 3B model, which routing
prefers for an easy prompt) and `b` (an 8B model), SmarterRouter in front with
its default retry and breaker settings (generation timeout 2 s). Each scenario
breaks `a` in one way and prints what the client got, from which model, how
long it took, and whether the router still answers /health.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from tempfile import TemporaryDirectory

import httpx

sys.path.insert(0, str(Path(__file__).parents[1] / "tests"))

from fakes import FakeOpenAI, Fault
from smarterrouter.settings import BackendConfig, Settings
from support.router import RouterServer

ASK = {"messages": [{"role": "user", "content": "Say hello"}]}
Scenario = tuple[str, Callable[[FakeOpenAI], None], bool]


def _settings(a: str, b: str, tmp: str) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        backends=[
            BackendConfig(name="a", provider="openai", url=a, api_key="k"),
            BackendConfig(name="b", provider="openai", url=b, api_key="k"),
        ],
        database_url=f"sqlite:///{tmp}/router.db",
        generation_timeout=2.0,
        log_level="ERROR",
    )


def _stream(server: RouterServer) -> str:
    with httpx.stream(
        "POST", f"{server.openai_url}/chat/completions", json={**ASK, "stream": True}, timeout=60
    ) as resp:
        lines = [line for line in resp.iter_lines() if line]
    errors = [line for line in lines if '"error"' in line]
    ending = "error event, then [DONE]" if errors else "completed"
    return f"{resp.status_code} stream {ending}" if lines[-1] == "data: [DONE]" else "hung"


def _chat(server: RouterServer) -> str:
    resp = httpx.post(f"{server.openai_url}/chat/completions", json=ASK, timeout=60)
    return f"{resp.status_code} from {resp.headers.get('x-smarterrouter-model', '-')}"


def run(name: str, breaks: Callable[[FakeOpenAI], None], streamed: bool, stop_a: bool) -> None:
    with ExitStack() as stack, TemporaryDirectory() as tmp:
        a = stack.enter_context(FakeOpenAI(api_key="k", models=("m-3b",)))
        b = stack.enter_context(FakeOpenAI(api_key="k", models=("m-8b",)))
        server = stack.enter_context(RouterServer(_settings(a.base_url, b.base_url, tmp)))
        breaks(a)
        started = time.perf_counter()
        outcome = _stream(server) if streamed else _chat(server)
        elapsed = time.perf_counter() - started
        if stop_a:
            a.stop()
        after = _chat(server)
        healthy = httpx.get(f"{server.url}/health").status_code == 200
        print(
            f"{name:<36} {outcome:<38} {elapsed:>6.2f}s  {after:<16} {'yes' if healthy else 'NO'}"
        )


def main() -> None:
    print(f"{'scenario':<36} {'client got':<38} {'time':>7}  {'next request':<16} healthy")
    scenarios: list[tuple[str, Callable[[FakeOpenAI], None], bool, bool]] = [
        ("killed mid-stream (then stays down)", lambda a: a.inject(Fault(die_after=3)), True,
         True),
        ("down before the request", lambda a: a.stop(), False, False),
        ("hangs (no answer for 30 s)", lambda a: a.inject(Fault(delay=30, times=None)), False,
         False),
        ("answers garbage", lambda a: a.inject(Fault(garbage=b"<html>oops</html>")), False,
         False),
        ("429 with Retry-After: 1",
         lambda a: a.inject(Fault(status=429, headers={"Retry-After": "1"})), False, False),
        ("500 twice, then fine", lambda a: a.inject(Fault(status=500, times=2)), False, False),
    ]  # fmt: skip
    for name, breaks, streamed, stop_a in scenarios:
        run(name, breaks, streamed, stop_a)


if __name__ == "__main__":
    main()

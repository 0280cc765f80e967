"""What a shared cache costs: exact hits over HTTP with the answers in Redis, beside
the same in memory, and a miss (routed and forwarded to a zero-delay upstream).

    .venv/bin/python bench/redis_cache.py [--requests 2000] [--redis-url URL]

Starts the zero-delay upstream of bench/overhead.py, a throwaway redis-server on
loopback (as the tests do; or uses --redis-url), and two routers in front of
the upstream: one with the default in-memory cache, one with ROUTER_REDIS_URL.
Each row is timed one request at a time on one keep-alive connection, as in
bench/cache_latency.py. Prints p50, p99 and max in milliseconds and the
X-SmarterRouter-Cache headers seen.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

from cache_latency import chat, row, timed
from overhead import free_port, machine, running, start_upstream

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from support.redis_server import RedisServer, redis_server_binary


def start_router(
    port: int, upstream: int, workdir: Path, redis_url: str | None
) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ROUTER_")}
    env |= {
        "ROUTER_PROVIDER": "openai",
        "ROUTER_OPENAI_BASE_URL": f"http://127.0.0.1:{upstream}/v1",
        "ROUTER_OPENAI_API_KEY": "bench",
        "ROUTER_HOST": "127.0.0.1",
        "ROUTER_PORT": str(port),
        "ROUTER_DATABASE_URL": f"sqlite:///{workdir / 'router.db'}",
    }
    if redis_url:
        env |= {"ROUTER_REDIS_URL": redis_url, "ROUTER_REDIS_KEY_PREFIX": "bench"}
    log = (workdir / "router.log").open("wb")
    exe = Path(sys.executable).with_name("smarterrouter")
    return subprocess.Popen([str(exe), "serve"], cwd=workdir, env=env, stdout=log, stderr=log)


@contextlib.contextmanager
def redis_url(given: str | None) -> Iterator[str]:
    if given:
        yield given
        return
    with RedisServer(redis_server_binary()) as server:
        yield server.url


def measure(upstream: int, memory: int, shared: int, total: int) -> None:
    path = "/v1/chat/completions"
    runs = [
        ("miss, memory", memory, chat(lambda i: f"Say hello {i}", "smarterrouter/main")),
        ("miss, redis", shared, chat(lambda i: f"Say hello {i}", "smarterrouter/main")),
        ("hit, memory", memory, chat(lambda i: "Say hello", "smarterrouter/main")),
        ("hit, redis", shared, chat(lambda i: "Say hello", "smarterrouter/main")),
    ]
    print(f"{'request':<13} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>7}   X-SmarterRouter-Cache")
    for name, port, body in runs:
        print(row(name, *timed(port, path, body, total)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=2000, help="requests per row")
    parser.add_argument("--redis-url", help="an existing Redis (default: a throwaway one)")
    args = parser.parse_args()
    upstream, memory, shared = free_port(), free_port(), free_port()
    with tempfile.TemporaryDirectory() as tmp, redis_url(args.redis_url) as url:
        Path(tmp, "memory").mkdir()
        Path(tmp, "redis").mkdir()
        with running(
            (start_upstream(upstream), f"http://127.0.0.1:{upstream}/v1/models"),
            (
                start_router(memory, upstream, Path(tmp, "memory"), None),
                f"http://127.0.0.1:{memory}/health",
            ),
            (
                start_router(shared, upstream, Path(tmp, "redis"), url),
                f"http://127.0.0.1:{shared}/health",
            ),
        ):
            print(machine(args.requests))
            measure(upstream, memory, shared, args.requests)


if __name__ == "__main__":
    main()

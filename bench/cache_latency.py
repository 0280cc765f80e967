"""An exact cache hit end to end over HTTP, beside a miss to a zero-delay upstream.

    .venv/bin/python bench/cache_latency.py [--requests 2000]

Starts the zero-delay upstream of bench/overhead.py and SmarterRouter in front
of it with default settings (exact response cache on), then times, one request
at a time on one keep-alive connection (a plain http.client connection, so that
the client's own cost stays small beside what is measured):

- direct:  the same request straight to the upstream (the floor);
- miss:    a new question each time (temperature 0), so routed and forwarded;
- hit:     one question asked again and again, answered from the cache;
- hit, stream: the same, with `stream: true` (replayed as SSE; whole stream read).

Prints p50, p99 and max in milliseconds, and the X-SmarterRouter-Cache header
seen, so a run where hits were not hits shows it.
"""

from __future__ import annotations

import argparse
import http.client
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import orjson
from overhead import free_port, machine, running, start_router, start_upstream

Body = Callable[[int], bytes]


def chat(content: Callable[[int], str], model: str, stream: bool = False) -> Body:
    def body(i: int) -> bytes:
        return orjson.dumps(
            {
                "model": model,
                "stream": stream,
                "temperature": 0,
                "messages": [{"role": "user", "content": content(i)}],
            }
        )

    return body


def timed(port: int, path: str, body: Body, total: int) -> tuple[list[float], set[str]]:
    """Latencies in ms of `total` requests on one connection, and the cache headers seen."""
    conn = http.client.HTTPConnection("127.0.0.1", port)
    headers = {"content-type": "application/json"}
    seen: set[str] = set()
    latencies: list[float] = []
    for i in range(-50, total):  # the first 50 warm the connection and the cache
        payload = body(i)
        started = time.perf_counter()
        conn.request("POST", path, payload, headers)
        resp = conn.getresponse()
        resp.read()
        elapsed = (time.perf_counter() - started) * 1000
        if resp.status != 200:
            raise RuntimeError(f"{path}: status {resp.status}")
        if i >= 0:
            latencies.append(elapsed)
            seen.add(resp.getheader("x-smarterrouter-cache") or "-")
    conn.close()
    latencies.sort()
    return latencies, seen


def row(name: str, latencies: list[float], seen: set[str]) -> str:
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    return (
        f"{name:<13} {statistics.median(latencies):>7.3f} {p99:>7.3f} {latencies[-1]:>7.2f}"
        f"   {', '.join(sorted(seen))}"
    )


def measure(upstream: int, router: int, total: int) -> None:
    path = "/v1/chat/completions"
    same = chat(lambda i: "Say hello", "smarterrouter/main")
    runs = [
        ("direct", upstream, chat(lambda i: f"Say hello {i}", "bench-1b")),
        ("miss", router, chat(lambda i: f"Say hello {i}", "smarterrouter/main")),
        ("hit", router, same),
        ("hit, stream", router, chat(lambda i: "Say hello", "smarterrouter/main", True)),
    ]
    print(f"{'request':<13} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>7}   X-SmarterRouter-Cache")
    for name, port, body in runs:
        print(row(name, *timed(port, path, body, total)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=2000, help="requests per row")
    args = parser.parse_args()
    upstream, router = free_port(), free_port()
    with (
        tempfile.TemporaryDirectory() as tmp,
        running(
            (start_upstream(upstream), f"http://127.0.0.1:{upstream}/v1/models"),
            (start_router(router, upstream, Path(tmp)), f"http://127.0.0.1:{router}/health"),
        ),
    ):
        print(machine(args.requests))
        measure(upstream, router, args.requests)


if __name__ == "__main__":
    main()

"""The router's added latency and throughput, against a zero-delay upstream.

    .venv/bin/python bench/overhead.py [--requests 400] [--concurrency 1,16,64]

Starts three processes on loopback: a zero-delay OpenAI-compatible upstream,
SmarterRouter in front of it (default settings, its log to a file), and this
client. For each concurrency level it sends the same requests straight to the
upstream and through the router, non-streamed and streamed, and prints p50/p99
latency (time to first byte for streams) and throughput for both, and the
difference: what the router costs.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson

ROOT = Path(__file__).resolve().parents[1]

# --- the zero-delay upstream: raw ASGI, so that it costs as little as possible --

_COMPLETION = orjson.dumps(
    {
        "id": "chatcmpl-bench",
        "object": "chat.completion",
        "created": 0,
        "model": "bench-1b",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": "Hello there!"},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 5, "completion_tokens": 3, "total_tokens": 8},
    }
)
MODELS_BODY = orjson.dumps(
    {
        "object": "list",
        "data": [{"id": "bench-1b", "object": "model", "created": 0, "owned_by": "bench"}],
    }
)


def sse_chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
    body = {
        "id": "chatcmpl-bench",
        "object": "chat.completion.chunk",
        "created": 0,
        "model": "bench-1b",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }
    return b"data: " + orjson.dumps(body) + b"\n\n"


_STREAM = [
    sse_chunk({"role": "assistant", "content": ""}),
    *(sse_chunk({"content": w}) for w in ("Hello", " there", "!")),
    sse_chunk({}, "stop"),
    b"data: [DONE]\n\n",
]


async def upstream_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    if scope["path"].endswith("/models"):
        await _send(send, 200, b"application/json", [MODELS_BODY])
    elif body and orjson.loads(body).get("stream"):
        await _send(send, 200, b"text/event-stream", _STREAM)
    else:
        await _send(send, 200, b"application/json", [_COMPLETION])


async def _send(send: Any, status: int, ctype: bytes, parts: list[bytes]) -> None:
    await send(
        {"type": "http.response.start", "status": status, "headers": [(b"content-type", ctype)]}
    )
    for i, part in enumerate(parts):
        await send({"type": "http.response.body", "body": part, "more_body": i < len(parts) - 1})


# --- processes ------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_upstream(port: int) -> subprocess.Popen[bytes]:
    code = (
        "import sys, uvicorn; sys.path.insert(0, 'bench'); import overhead; "
        f"uvicorn.run(overhead.upstream_app, host='127.0.0.1', port={port}, "
        "log_level='warning', access_log=False)"
    )
    return subprocess.Popen([sys.executable, "-c", code], cwd=ROOT)


def start_router(port: int, upstream: int, workdir: Path) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ROUTER_")}
    env.update(
        {
            "ROUTER_PROVIDER": "openai",
            "ROUTER_OPENAI_BASE_URL": f"http://127.0.0.1:{upstream}/v1",
            "ROUTER_OPENAI_API_KEY": "bench",
            "ROUTER_HOST": "127.0.0.1",
            "ROUTER_PORT": str(port),
            "ROUTER_DATABASE_URL": f"sqlite:///{workdir / 'router.db'}",
        }
    )
    log = (workdir / "router.log").open("wb")
    exe = Path(sys.executable).with_name("smarterrouter")
    return subprocess.Popen([str(exe), "serve"], cwd=workdir, env=env, stdout=log, stderr=log)


async def wait_ready(url: str, limit: float = 30.0) -> None:
    deadline = time.monotonic() + limit
    async with httpx.AsyncClient() as client:
        while time.monotonic() < deadline:
            try:
                if (await client.get(url)).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError(f"{url} did not come up in {limit}s")


@contextlib.contextmanager
def running(*servers: tuple[subprocess.Popen[bytes], str]) -> Iterator[None]:
    """Wait until each started process answers 200 at its URL; stop them all at the end."""
    try:
        for _, url in servers:
            asyncio.run(wait_ready(url))
        yield
    finally:
        for process, _ in servers:
            process.terminate()
            process.wait(timeout=15)


def machine(requests: int, unit: str = "each") -> str:
    return f"cpus: {os.cpu_count()}, python {sys.version.split()[0]}, {requests} {unit}\n"


# --- load -----------------------------------------------------------------------

Request = Callable[[httpx.AsyncClient], Awaitable[float]]


def chat_request(base: str, model: str, stream: bool) -> Request:
    payload = orjson.dumps(
        {"model": model, "stream": stream, "messages": [{"role": "user", "content": "Say hello"}]}
    )
    headers = {"content-type": "application/json"}

    async def one(client: httpx.AsyncClient) -> float:
        started = time.perf_counter()
        async with client.stream(
            "POST", f"{base}/chat/completions", content=payload, headers=headers
        ) as resp:
            first: float | None = None
            async for _ in resp.aiter_bytes():
                first = first or time.perf_counter()
            if resp.status_code != 200:
                raise RuntimeError(f"status {resp.status_code}")
        # Non-stream: the whole answer; stream: time to the first byte.
        end = first if stream and first else time.perf_counter()
        return (end - started) * 1000

    return one


async def run_level(request: Request, total: int, concurrency: int) -> dict[str, float]:
    latencies: list[float] = []
    queue = iter(range(total))
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(timeout=30, limits=limits) as client:
        for _ in range(min(20, total)):  # warm the connections and caches
            await request(client)

        async def worker() -> None:
            for _ in queue:
                latencies.append(await request(client))

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "p50": statistics.median(latencies),
        "p99": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))],
        "rps": total / elapsed,
    }


async def measure(args: argparse.Namespace, upstream: int, router: int) -> None:
    print(
        f"{'mode':<10} {'conc':>4} | {'direct p50':>10} {'p99':>7} {'req/s':>7} | "
        f"{'router p50':>10} {'p99':>7} {'req/s':>7} | {'added p50':>9} {'added p99':>9}"
    )
    for stream in (False, True):
        mode = "stream" if stream else "non-stream"
        for conc in args.concurrency:
            direct = await run_level(
                chat_request(f"http://127.0.0.1:{upstream}/v1", "bench-1b", stream),
                args.requests,
                conc,
            )
            routed = await run_level(
                chat_request(f"http://127.0.0.1:{router}/v1", "smarterrouter/main", stream),
                args.requests,
                conc,
            )
            print(
                f"{mode:<10} {conc:>4} | {direct['p50']:>8.2f}ms {direct['p99']:>5.1f}ms "
                f"{direct['rps']:>7.0f} | {routed['p50']:>8.2f}ms {routed['p99']:>5.1f}ms "
                f"{routed['rps']:>7.0f} | {routed['p50'] - direct['p50']:>7.2f}ms "
                f"{routed['p99'] - direct['p99']:>7.1f}ms"
            )
    print("\n(stream latency is time to first byte; ms per request; one machine, loopback)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=400, help="requests per level")
    parser.add_argument(
        "--concurrency", default="1,16,64", type=lambda s: [int(x) for x in s.split(",")]
    )
    args = parser.parse_args()
    upstream, router = free_port(), free_port()
    with (
        tempfile.TemporaryDirectory() as tmp,
        running(
            (start_upstream(upstream), f"http://127.0.0.1:{upstream}/v1/models"),
            (start_router(router, upstream, Path(tmp)), f"http://127.0.0.1:{router}/health"),
        ),
    ):
        print(machine(args.requests, "requests per level"))
        asyncio.run(measure(args, upstream, router))


if __name__ == "__main__":
    main()

"""Many concurrent streaming clients through the router: errors, memory, descriptors.

    .venv/bin/python bench/load.py [--clients 500] [--rounds 3]

Starts a streaming upstream on loopback (each answer: 20 chunks, 10 ms apart)
and SmarterRouter in front of it, then sends `--clients` streams at once,
`--rounds` times. Prints, per round: streams completed with [DONE], errors,
time, and the router's resident memory and open file descriptors after the
round, so that growth across rounds shows a leak.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from overhead import MODELS_BODY, free_port, sse_chunk, start_router, wait_ready

CHUNKS = 20
GAP_SECONDS = 0.01


async def streaming_upstream(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """An OpenAI-compatible upstream whose every answer is a paced stream."""
    if scope["type"] != "http":
        return
    while (await receive()).get("more_body"):
        pass
    if scope["path"].endswith("/models"):
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"application/json")]})  # fmt: skip
        await send({"type": "http.response.body", "body": MODELS_BODY})
        return
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"text/event-stream")]})  # fmt: skip
    await send({"type": "http.response.body", "body": sse_chunk({"role": "assistant"}),
                "more_body": True})  # fmt: skip
    for i in range(CHUNKS):
        await asyncio.sleep(GAP_SECONDS)
        await send({"type": "http.response.body", "body": sse_chunk({"content": f" w{i}"}),
                    "more_body": True})  # fmt: skip
    await send({"type": "http.response.body", "body": sse_chunk({}, "stop") + b"data: [DONE]\n\n"})


def start_upstream(port: int) -> subprocess.Popen[bytes]:
    code = (
        "import sys, uvicorn; sys.path.insert(0, 'bench'); import load; "
        f"uvicorn.run(load.streaming_upstream, host='127.0.0.1', port={port}, "
        "log_level='warning', access_log=False, backlog=4096)"
    )
    return subprocess.Popen([sys.executable, "-c", code], cwd=Path(__file__).parents[1])


def rss_and_fds(pid: int) -> tuple[float, int]:
    status = Path(f"/proc/{pid}/status").read_text()
    rss_kb = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS"))
    return rss_kb / 1024, len(os.listdir(f"/proc/{pid}/fd"))


async def one_stream(client: httpx.AsyncClient, url: str) -> bool:
    body = {"model": "smarterrouter/main", "stream": True,
            "messages": [{"role": "user", "content": "Say hello"}]}  # fmt: skip
    try:
        async with client.stream("POST", url, json=body) as resp:
            if resp.status_code != 200:
                return False
            last = ""
            async for line in resp.aiter_lines():
                if line:
                    last = line
            return last == "data: [DONE]"
    except httpx.HTTPError:
        return False


async def run_round(url: str, clients: int) -> tuple[int, int, float]:
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(timeout=120, limits=limits) as client:
        started = time.perf_counter()
        results = await asyncio.gather(*(one_stream(client, url) for _ in range(clients)))
        elapsed = time.perf_counter() - started
    ok = sum(results)
    return ok, clients - ok, elapsed


async def measure(args: argparse.Namespace, router: subprocess.Popen[bytes], url: str) -> None:
    rss, fds = rss_and_fds(router.pid)
    print(f"router before: {rss:.1f} MiB resident, {fds} open descriptors\n")
    print(f"{'round':>5} {'clients':>7} {'completed':>9} {'errors':>6} {'seconds':>7} "
          f"{'RSS MiB':>8} {'fds':>5}")  # fmt: skip
    for n in range(1, args.rounds + 1):
        ok, errors, elapsed = await run_round(url, args.clients)
        await asyncio.sleep(1.0)  # let closed connections go
        rss, fds = rss_and_fds(router.pid)
        print(f"{n:>5} {args.clients:>7} {ok:>9} {errors:>6} {elapsed:>7.1f} {rss:>8.1f} {fds:>5}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    upstream_port, router_port = free_port(), free_port()
    with tempfile.TemporaryDirectory() as tmp:
        upstream = start_upstream(upstream_port)
        router = start_router(router_port, upstream_port, Path(tmp))
        try:
            asyncio.run(wait_ready(f"http://127.0.0.1:{upstream_port}/v1/models"))
            asyncio.run(wait_ready(f"http://127.0.0.1:{router_port}/health"))
            print(f"cpus: {os.cpu_count()}, {CHUNKS} chunks per stream, "
                  f"{GAP_SECONDS * 1000:g} ms apart\n")  # fmt: skip
            url = f"http://127.0.0.1:{router_port}/v1/chat/completions"
            asyncio.run(measure(args, router, url))
        finally:
            for proc in (upstream, router):
                proc.terminate()
                proc.wait(timeout=30)


if __name__ == "__main__":
    main()

"""Show SmarterRouter routing real prompts to real local models, then serve Open WebUI.

Run by `./dev demo` after `./dev setup`. It starts llama-server in router mode
with the installed GGUF models, starts SmarterRouter in front of it, asks an easy,
a hard and a streamed question through the official `openai` client, and prints
which model answered each. Both servers then stay up until Ctrl-C.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from pathlib import Path

from install_models import REPO
from llama_server import ServerProcess, ready, spawn, start_router
from openai import OpenAI

MODEL = "smarterrouter/main"
MODEL_HEADER = "X-SmarterRouter-Model"
MAX_TOKENS = 48  # the models run on one CPU thread each: 7-15 tokens a second
EASY = "What is the capital of France? Answer in one word."
HARD = (
    "Write a Python function that returns the longest palindromic substring of a "
    "string, and state its time complexity."
)
STREAMED = "Explain in two sentences why binary search needs a sorted list."


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--port",
        type=int,
        default=int(os.environ.get("ROUTER_PORT", "11436")),
        help="SmarterRouter's port (default: ROUTER_PORT or 11436)",
    )
    parser.add_argument(
        "--no-wait", action="store_true", help="stop both servers after the three prompts"
    )
    return parser.parse_args()


def start_smarterrouter(llama_url: str, port: int, log_path: Path) -> ServerProcess:
    env = {
        **os.environ,
        "ROUTER_PROVIDER": "llama.cpp",
        "ROUTER_LLAMA_CPP_URL": llama_url,
        "ROUTER_PORT": str(port),
        "ROUTER_DATABASE_URL": os.environ.get("ROUTER_DATABASE_URL", "sqlite:///data/router.db"),
    }
    # The console script beside this interpreter: the project's own virtualenv.
    cmd = [str(Path(sys.executable).with_name("smarterrouter")), "serve"]
    return spawn(cmd, f"http://127.0.0.1:{port}", log_path, env)


def ask(client: OpenAI, prompt: str) -> None:
    print(f"\n>>> {prompt}")
    started = time.monotonic()
    raw = client.chat.completions.with_raw_response.create(
        model=MODEL,
        messages=[{"role": "user", "content": prompt}],
        max_tokens=MAX_TOKENS,
        temperature=0,
    )
    answer = raw.parse().choices[0].message.content or ""
    print(answer.strip())
    print(f"[model: {raw.headers.get(MODEL_HEADER)}, {time.monotonic() - started:.1f}s]")


def ask_streamed(client: OpenAI, prompt: str) -> None:
    print(f"\n>>> {prompt} (streamed)")
    started = time.monotonic()
    with client.chat.completions.with_streaming_response.create(
        model=MODEL,
        messages=[{"role": "user", "content": prompt}],
        max_tokens=MAX_TOKENS,
        temperature=0,
        stream=True,
    ) as response:
        for chunk in response.parse():
            if chunk.choices and chunk.choices[0].delta.content:
                print(chunk.choices[0].delta.content, end="", flush=True)
        model = response.headers.get(MODEL_HEADER)
    print(f"\n[model: {model}, {time.monotonic() - started:.1f}s]")


def serve_until_interrupted(servers: list[ServerProcess]) -> None:
    try:
        while all(s.process.poll() is None for s in servers):
            time.sleep(1)
    except KeyboardInterrupt:
        print("\nstopping...")
        return
    for server in servers:
        if server.process.returncode is not None:
            print(f"{server.process.args[0]} exited; its log:\n{server.log_tail()}")
    raise SystemExit(1)


def interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main() -> None:
    args = parse_args()
    # A closed terminal or a `kill` stops the servers the same way as Ctrl-C.
    signal.signal(signal.SIGTERM, interrupt)
    signal.signal(signal.SIGHUP, interrupt)
    logs = REPO / "data" / "logs"
    os.chdir(REPO)  # the default database URL is relative: data/router.db
    servers: list[ServerProcess] = []
    try:
        print("starting llama-server (router mode, models load on first use)...")
        llama = start_router(logs / "llama-server.log")
        servers.append(llama)
        print(f"starting SmarterRouter on port {args.port}...")
        router = start_smarterrouter(llama.url, args.port, logs / "smarterrouter.log")
        servers.append(router)
        ready(router, timeout=60)

        # Long timeout: the first request to a model waits for it to load.
        client = OpenAI(base_url=f"{router.url}/v1", api_key="demo", timeout=300)
        ask(client, EASY)
        ask(client, HARD)
        ask_streamed(client, STREAMED)

        print(
            f"\nOpen WebUI: add an OpenAI connection with URL http://HOST:{args.port}/v1"
            f" (HOST: this machine's address, 127.0.0.1 on it), any API key, model {MODEL}."
            f"\nLogs: {logs}/. Ctrl-C stops both servers."
        )
        if not args.no_wait:
            serve_until_interrupted(servers)
    finally:
        for server in reversed(servers):  # the router first: it talks to llama-server
            server.stop()


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit(130)  # the servers were stopped on the way out

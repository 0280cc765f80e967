"""The `smarterrouter` command, run as a user runs it: a subprocess, settings from ROUTER_*."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import httpx
import pytest

from fakes import FakeLlamaCpp, FakeOllama

BIN = Path(sys.executable).parent / "smarterrouter"
COMMANDS = {"script": [str(BIN)], "module": [sys.executable, "-m", "smarterrouter"]}


def _env(**router: str) -> dict[str, str]:
    # The suite's autouse fixture has already removed the developer's ROUTER_* variables.
    return {**os.environ, **{f"ROUTER_{k.upper()}": v for k, v in router.items()}}


def run(
    args: Sequence[str], cwd: Path, *, command: str = "script", **router: str
) -> subprocess.CompletedProcess[str]:
    # cwd is a temporary folder: no `.env` of the developer's is read.
    return subprocess.run(
        [*COMMANDS[command], *args],
        cwd=cwd,
        env=_env(**router),
        capture_output=True,
        text=True,
        timeout=60,
    )


def _backends(**urls: str) -> str:
    provider = {"gpu": "ollama", "lcp": "llama.cpp", "dead": "ollama"}
    return json.dumps([{"name": n, "provider": provider[n], "url": u} for n, u in urls.items()])


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def llamacpp() -> Iterator[FakeLlamaCpp]:
    with FakeLlamaCpp("router-preset") as fake:
        yield fake


@pytest.fixture
def ollama() -> Iterator[FakeOllama]:
    with FakeOllama() as fake:
        yield fake


def _table(stdout: str) -> dict[str, dict[str, str]]:
    header, *rows = [line for line in stdout.splitlines() if line and not line.startswith("!")]
    names = header.split()
    table = {}
    for row in rows:
        cells = re.split(r"\s{2,}", row.strip())
        assert len(cells) == len(names), row
        table[cells[0]] = dict(zip(names, cells, strict=True))
    return table


def test_models_prints_every_model_with_what_is_known_of_it(
    tmp_path: Path, ollama: FakeOllama, llamacpp: FakeLlamaCpp
) -> None:
    result = run(["models"], tmp_path, backends=_backends(gpu=ollama.url, lcp=llamacpp.url))
    assert result.returncode == 0, result.stderr
    table = _table(result.stdout)
    assert sorted(table) == [
        "gemma-chat",
        "llama3.2:3b",
        "llava:7b",
        "minilm-embed",
        "nomic-embed-text:latest",
    ]
    columns = ("BACKEND", "PARAMS", "FAMILY", "QUANT", "CONTEXT", "CAPABILITIES")
    rows = {name: tuple(table[name][c] for c in columns) for name in table}
    assert rows["llama3.2:3b"] == ("gpu", "3.21B", "llama", "Q4_K_M", "131072", "chat,tools")
    assert rows["llava:7b"] == ("gpu", "6.74B", "llama", "Q4_0", "32768", "chat,vision")
    assert rows["nomic-embed-text:latest"] == (
        "gpu", "137M", "nomic-bert", "F16", "2048", "embedding",
    )  # fmt: skip
    assert rows["minilm-embed"] == ("lcp", "22.6M", "-", "Q8_0", "512", "embedding")
    assert rows["gemma-chat"] == ("lcp", "?", "-", "-", "2048", "chat")


def test_models_names_the_backend_it_cannot_reach_and_what_to_do(tmp_path: Path) -> None:
    port = _closed_port()
    result = run(["models"], tmp_path, backends=_backends(dead=f"http://127.0.0.1:{port}"))
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        "! backend dead: cannot connect to backend 'dead': All connection attempts failed",
        "No models found. Run `smarterrouter doctor` to see why.",
    ]


def test_doctor_passes_against_working_backends(
    tmp_path: Path, ollama: FakeOllama, llamacpp: FakeLlamaCpp
) -> None:
    result = run(
        ["doctor"],
        tmp_path,
        backends=_backends(gpu=ollama.url, lcp=llamacpp.url),
        database_url=f"sqlite:///{tmp_path / 'db' / 'router.db'}",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert "Settings: OK" in lines
    assert "Backend gpu: OK, 3 models" in lines
    assert "Backend lcp: OK, 2 models" in lines
    assert "Database: OK (writable, migrations applied)" in lines
    assert lines[-1] == "All checks passed."
    assert "FAILED" not in result.stdout
    assert (tmp_path / "db" / "router.db").is_file()


def test_doctor_names_each_problem_and_its_fix(tmp_path: Path, ollama: FakeOllama) -> None:
    port = _closed_port()
    folder = tmp_path / "data"
    folder.mkdir()
    result = run(
        ["doctor"],
        tmp_path,
        command="module",
        backends=_backends(gpu=ollama.url, dead=f"http://127.0.0.1:{port}"),
        database_url=f"sqlite:///{folder}",
    )
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert "Backend gpu: OK, 3 models" in lines
    dead = lines.index(
        "Backend dead: FAILED: cannot connect to backend 'dead': All connection attempts failed"
    )
    assert (
        lines[dead + 1]
        == "  fix: start the server, or correct its URL (ROUTER_*_URL or ROUTER_BACKENDS)"
    )
    database = lines.index(
        f"Database: FAILED: database path {folder} is a folder; set ROUTER_DATABASE_URL "
        f"to a file in it, e.g. sqlite:///{folder / 'router.db'}"
    )
    assert lines[database + 1].startswith("  fix: point ROUTER_DATABASE_URL at a writable file")
    assert lines[-1] == "2 problem(s) found."
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("args", "env", "named"),
    [
        (["serve"], {"port": "abc"}, "ROUTER_PORT"),
        (["serve"], {"backends": "not-json"}, "ROUTER_BACKENDS"),
        (
            ["serve"],
            {"backends": '[{"name": "x", "provider": "vllm", "url": "http://h"}]'},
            "ROUTER_BACKENDS (0.provider)",
        ),
        (["serve"], {"ollama_url": "localhost:11434"}, "ROUTER_OLLAMA_URL"),
        (["models"], {"model_overrides": "{"}, "ROUTER_MODEL_OVERRIDES"),
    ],
    ids=["port", "backends-json", "backends-provider", "url", "overrides"],
)
def test_a_bad_setting_exits_2_naming_it_without_a_traceback(
    tmp_path: Path, args: list[str], env: dict[str, str], named: str
) -> None:
    result = run(args, tmp_path, command="module" if named == "ROUTER_PORT" else "script", **env)
    assert result.returncode == 2
    assert result.stderr.startswith("smarterrouter: ")
    assert named in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_a_bad_port_option_is_a_usage_error(tmp_path: Path) -> None:
    result = run(["serve", "--port", "abc"], tmp_path)
    assert result.returncode == 2
    assert "--port: invalid int value: 'abc'" in result.stderr


def _start(tmp_path: Path, **router: str) -> tuple[subprocess.Popen[str], str]:
    port = _closed_port()
    proc = subprocess.Popen(
        [str(BIN), "serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=tmp_path,
        env=_env(**router),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    return proc, f"http://127.0.0.1:{port}"


def _wait_healthy(proc: subprocess.Popen[str], url: str) -> httpx.Response:
    deadline = time.monotonic() + 30
    while True:
        assert proc.poll() is None, proc.communicate()[1]
        try:
            return httpx.get(f"{url}/health", timeout=1)
        except httpx.TransportError:
            assert time.monotonic() < deadline, "the router did not answer /health in 30s"
            time.sleep(0.05)


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_serve_answers_then_stops_cleanly_on_a_signal(
    stop: signal.Signals, tmp_path: Path, ollama: FakeOllama
) -> None:
    database = tmp_path / "state" / "router.db"
    proc, url = _start(
        tmp_path, backends=_backends(gpu=ollama.url), database_url=f"sqlite:///{database}"
    )
    try:
        health = _wait_healthy(proc, url)
        assert health.status_code == 200 and health.json()["status"] == "ok"
        assert httpx.get(f"{url}/v1/models").json()["data"][0]["id"] == "smarterrouter/main"
        proc.send_signal(stop)
        _, stderr = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    # uvicorn re-raises SIGTERM once shut down, so that a supervisor sees the
    # process end by the signal it sent (exit status 143); SIGINT ends with 0.
    assert proc.returncode == (0 if stop == signal.SIGINT else -signal.SIGTERM), stderr
    assert "Application shutdown complete." in stderr
    assert "Traceback" not in stderr
    assert database.is_file()


def test_serve_refuses_a_database_path_that_is_a_folder_in_one_line(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    proc, _ = _start(tmp_path, database_url=f"sqlite:///{folder}")
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 1
    assert "Traceback" not in stderr
    [line] = [line for line in stderr.splitlines() if "smarterrouter:" in line]
    assert line == (
        f"smarterrouter: cannot start: database path {folder} is a folder; set "
        f"ROUTER_DATABASE_URL to a file in it, e.g. sqlite:///{folder / 'router.db'}"
    )


def test_serve_names_an_unreachable_database_without_its_password(tmp_path: Path) -> None:
    password = "pg-Secr3t-pass"
    url = f"postgresql://router:{password}@127.0.0.1:{_closed_port()}/routerdb"
    proc, _ = _start(tmp_path, database_url=url, log_format="json")
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 1
    assert "smarterrouter: cannot start:" in stderr and "router:***@127.0.0.1" in stderr
    assert "Traceback" not in stderr
    assert password not in stdout + stderr

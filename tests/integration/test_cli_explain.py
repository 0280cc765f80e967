"""`smarterrouter explain` decides as the server's /admin/explain does, stored feedback included."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import httpx

from fakes import FakeOllama
from smarterrouter.settings import BackendConfig, Settings
from support.router import RouterServer

BIN = Path(sys.executable).parent / "smarterrouter"
PROMPT = "Write a short poem about rain"


def cli_explain(settings: Settings, cwd: Path) -> subprocess.CompletedProcess[str]:
    backends = [{"name": b.name, "provider": b.provider, "url": b.url} for b in settings.backends]
    env = {
        **os.environ,
        "ROUTER_BACKENDS": json.dumps(backends),
        "ROUTER_DATABASE_URL": settings.database_url,
    }
    return subprocess.run(
        [str(BIN), "explain", PROMPT],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def feedback_column(stdout: str) -> dict[str, str]:
    lines = stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("#"))
    names = re.split(r"\s{2,}", lines[start].strip())
    out = {}
    for row in lines[start + 1 :]:
        cells = re.split(r"\s{2,}", row.strip())
        if cells[0] != "-":
            out[cells[1]] = dict(zip(names, cells, strict=False))["FEEDBACK"]
    return out


def test_cli_explain_counts_the_ratings_the_server_stored(
    tmp_path: Path, ollama: FakeOllama, make_settings: Callable[..., Settings]
) -> None:
    settings = make_settings([BackendConfig(name="gpu", provider="ollama", url=ollama.url)])
    with RouterServer(settings) as server:
        for _ in range(5):
            rated = httpx.post(
                f"{server.openai_url}/feedback",
                json={"model": "llava:7b", "category": "creativity", "score": 1},
            )
            assert rated.status_code == 200, rated.text
        served = httpx.get(f"{server.url}/admin/explain", params={"prompt": PROMPT}).json()
    assert served["signals"]["category"] == "creativity"
    result = cli_explain(settings, tmp_path)
    assert result.returncode == 0, result.stderr
    printed = feedback_column(result.stdout)
    expected = {
        c["model"]: f"{c['factors']['feedback']:+.3f}"
        for c in served["candidates"]
        if c["eligible"]
    }
    assert printed == expected
    # Five +1 votes against a prior of five neutral ones, times the feedback weight 0.2.
    assert printed["llava:7b"] == "+0.100"
    assert f"-> {served['decision']['model']} on " in result.stdout


def test_cli_explain_without_a_readable_database_says_so_and_still_explains(
    tmp_path: Path, ollama: FakeOllama, make_settings: Callable[..., Settings]
) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    settings = make_settings([BackendConfig(name="gpu", provider="ollama", url=ollama.url)])
    unreadable = settings.model_copy(update={"database_url": f"sqlite:///{folder}"})
    result = cli_explain(unreadable, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stderr.startswith(f"! database: database path {folder} is a folder")
    assert "explaining without stored feedback" in result.stderr
    assert set(feedback_column(result.stdout).values()) == {"+0.000"}
    assert "Traceback" not in result.stderr

"""`smarterrouter profile` and `profiles export|import`, run as a user runs them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from fakes import FakeLlamaCpp

BIN = Path(sys.executable).parent / "smarterrouter"


@pytest.fixture
def llamacpp() -> Iterator[FakeLlamaCpp]:
    with FakeLlamaCpp("router-preset") as fake:
        yield fake


def run(args: list[str], cwd: Path, **router: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **{f"ROUTER_{k.upper()}": v for k, v in router.items()}}
    return subprocess.run(
        [str(BIN), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


def test_profile_prints_progress_and_a_table_then_profiles_move_to_another_machine(
    llamacpp: FakeLlamaCpp, tmp_path: Path
) -> None:
    here = dict(
        provider="llama.cpp",
        llama_cpp_url=llamacpp.url,
        database_url=f"sqlite:///{tmp_path / 'a.db'}",
        profile_prompts_per_category="1",
    )
    done = run(["profile"], tmp_path, **here)
    assert done.returncode == 0, done.stderr
    assert "1/1 models" in done.stderr  # the progress, on stderr
    header, row = done.stdout.strip().splitlines()
    assert header.split()[:6] == ["MODEL", "STATUS", "REASONING", "CODING", "CREATIVITY", "GENERAL"]
    assert row.startswith("gemma-chat") and " ok " in row
    assert "(checks)" in row

    exported = tmp_path / "profiles.json"
    assert run(["profiles", "export", str(exported)], tmp_path, **here).returncode == 0
    document = json.loads(exported.read_text())
    [profile] = document["profiles"]
    assert profile["model"] == "gemma-chat"
    # llama-server's own timings came through the router's llama.cpp backend.
    assert profile["speed"]["source"] == "backend"
    assert profile["memory"]["backend_source"] == "llama.cpp: model size"

    there = {**here, "database_url": f"sqlite:///{tmp_path / 'b.db'}"}
    imported = run(["profiles", "import", str(exported)], tmp_path, **there)
    assert imported.returncode == 0, imported.stderr
    assert "Imported 1 profiles" in imported.stdout
    again = run(["profiles", "import", str(exported)], tmp_path, **there)
    assert "Imported 0 profiles" in again.stdout and "1 already there" in again.stdout
    back = tmp_path / "back.json"
    run(["profiles", "export", str(back)], tmp_path, **there)
    assert json.loads(back.read_text())["profiles"] == document["profiles"]


def test_a_bad_import_file_is_refused_with_the_reason_and_stores_nothing(tmp_path: Path) -> None:
    path = tmp_path / "in.json"
    path.write_text(
        '{"format": "smarterrouter-profiles", "version": 1, "profiles": [{"model": "m"}]}'
    )
    db = f"sqlite:///{tmp_path / 'r.db'}"
    refused = run(["profiles", "import", str(path)], tmp_path, database_url=db)
    assert refused.returncode == 1
    assert "in.json: profile #1: missing field 'status'" in refused.stderr
    assert "Traceback" not in refused.stderr
    out = tmp_path / "out.json"
    run(["profiles", "export", str(out)], tmp_path, database_url=db)
    assert json.loads(out.read_text())["profiles"] == []


def test_profiling_an_unknown_model_names_it(llamacpp: FakeLlamaCpp, tmp_path: Path) -> None:
    refused = run(
        ["profile", "no-such-model"],
        tmp_path,
        provider="llama.cpp",
        llama_cpp_url=llamacpp.url,
        database_url=f"sqlite:///{tmp_path / 'a.db'}",
    )
    assert refused.returncode == 2
    assert "no-such-model" in refused.stderr

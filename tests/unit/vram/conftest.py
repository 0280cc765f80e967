"""Fixtures for the vram probes: recorded output, fake tools, fake sysfs trees."""

from __future__ import annotations

import stat
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

RECORDINGS = Path(__file__).parents[2] / "recordings" / "vram"


@pytest.fixture
def recorded() -> Callable[[str], str]:
    """The text of a file in tests/recordings/vram."""
    return lambda name: (RECORDINGS / name).read_text()


@pytest.fixture
def fake_tool(tmp_path: Path) -> Callable[[str, str], str]:
    """Write an executable `name` into a bin folder; returns that folder,
    to be passed as the probes' search path. `script` is its shell body."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)

    def make(name: str, script: str) -> str:
        exe = bin_dir / name
        exe.write_text(f"#!/bin/sh\n{script}\n")
        exe.chmod(exe.stat().st_mode | stat.S_IXUSR)
        return str(bin_dir)

    return make


@pytest.fixture
def printing() -> Callable[[str], str]:
    """A fake tool body that prints a recording, as the real tool would."""
    return lambda name: f"cat '{RECORDINGS / name}'"


@pytest.fixture
def sysfs(tmp_path: Path) -> Callable[[Mapping[str, str]], Path]:
    """Build a sysfs-like tree from {relative path: file text}; returns its root."""
    root = tmp_path / "sys"

    def make(files: Mapping[str, str]) -> Path:
        for rel, text in files.items():
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
        (root / "class" / "drm").mkdir(parents=True, exist_ok=True)
        return root

    return make

"""Fetching a probe's raw text: a command with a timeout, or a small file.

Both raise ProbeError for every expected failure (missing tool, non-zero
exit, timeout, unreadable file), so no OSError or CalledProcessError reaches
the caller. They block: call them from a worker thread (see `detect_async`).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

from smarterrouter.vram.memory import ProbeError

DEFAULT_TIMEOUT_S = 5.0
_CARD = re.compile(r"card(\d+)")


def run_command(
    argv: Sequence[str], *, timeout: float = DEFAULT_TIMEOUT_S, search_path: str | None = None
) -> str:
    """Run `argv` and return its stdout.

    `search_path` (an os.pathsep list of folders) replaces PATH when looking
    up `argv[0]`, so tests can point at a folder of fake tools without
    touching the process environment.
    """
    exe = shutil.which(argv[0], path=search_path)
    if exe is None:
        raise ProbeError(f"{argv[0]}: not found")
    try:
        done = subprocess.run(
            [exe, *argv[1:]], capture_output=True, text=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise ProbeError(f"{argv[0]}: no answer within {timeout:g} s") from exc
    except OSError as exc:
        raise ProbeError(f"{argv[0]}: cannot run ({exc.strerror})") from exc
    if done.returncode != 0:
        err = (done.stderr or done.stdout).strip().splitlines()
        why = err[-1] if err else "no output"
        raise ProbeError(f"{argv[0]}: exit status {done.returncode}: {why}")
    return done.stdout


def read_text(path: Path) -> str | None:
    """A sysfs/procfs file's text, or None when it is absent or unreadable."""
    try:
        return path.read_text(encoding="ascii", errors="replace")
    except OSError:
        return None


def drm_cards(sysfs_root: Path) -> list[tuple[int, Path]]:
    """`class/drm/cardN` folders under `sysfs_root`, by N.

    Connector entries (card0-DP-1) are skipped: only whole cards carry memory.
    """
    drm = sysfs_root / "class" / "drm"
    try:
        entries = list(drm.iterdir())
    except OSError:
        return []
    cards = [(int(m.group(1)), p) for p in entries if (m := _CARD.fullmatch(p.name))]
    return sorted(cards)


def read_card_files(card: Path, names: Sequence[str]) -> dict[str, str]:
    """The named files under one card folder that exist, as {relative name: text}."""
    found: dict[str, str] = {}
    for name in names:
        text = read_text(card / name)
        if text is not None:
            found[name] = text
    return found

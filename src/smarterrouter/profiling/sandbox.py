"""Run model-written Python against unit tests in a limited child process.

The child is a fresh isolated interpreter (`python -I -B`) in a temporary folder,
started through asyncio (the event loop never waits on it), in its own process
group. Limits:

- resource limits, set by the child on itself before it reads the code: CPU
  seconds, address space, file size, open files, no core dumps, and no new
  processes (RLIMIT_NPROC 0; the kernel does not apply it to root, so the audit
  hook below is what holds there);
- a wall timeout, after which the whole process group is killed;
- output capped: past the cap the child is killed;
- no network: an audit hook in the child refuses socket creation, new processes,
  native libraries (ctypes) and writes outside its folder; and, when the system
  lets us, the child runs in a network namespace of its own (`unshare -n`, or
  `unshare -rn` for an unprivileged user), which has no interface but loopback.

This is a guard against accidents in code from the user's own models, not a
boundary for hostile code: use a container for that.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

_CHILD_PATH = Path(__file__).parent / "sandbox_child.py"
_UNSHARE_CANDIDATES: tuple[tuple[str, ...], ...] = (("unshare", "-n"), ("unshare", "-rn"))
_CODE_START = re.compile(r"(?:def|class|import|from|@)\b|[A-Za-z_]\w*\s*=[^=]")
_FENCE = re.compile(r"```[ \t]*(?:python3?|py)?[ \t]*\n(.*?)(?:```|\Z)", re.S | re.I)


@dataclass(frozen=True)
class SandboxLimits:
    cpu_s: int = 5
    memory_bytes: int = 512 * 1024 * 1024
    file_bytes: int = 1024 * 1024
    open_files: int = 64
    wall_s: float = 10.0
    per_test_s: float = 2.0
    output_bytes: int = 64 * 1024


@dataclass(frozen=True)
class TestOutcome:
    index: int
    ok: bool
    error: str | None = None


@dataclass(frozen=True)
class SandboxResult:
    passed: int
    total: int
    outcomes: tuple[TestOutcome, ...]
    error: str | None  # why the run stopped early or the code did not load
    isolation: str  # "namespace" or "audit hook only"


def extract_code(answer: str) -> str:
    """The Python in an answer: its ```python fences joined, else the bare text."""
    blocks = [block for block in _FENCE.findall(answer) if block.strip()]
    if blocks:
        return "\n\n".join(blocks)
    return _bare_code(answer.strip())


def _bare_code(text: str) -> str:
    """Unfenced code: from its first statement on, without trailing prose that
    would not compile (compiling runs nothing)."""
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if _CODE_START.match(line)), 0)
    lines = lines[start:]
    for end in range(len(lines), 0, -1):
        candidate = "\n".join(lines[:end])
        try:
            compile(candidate, "answer", "exec")
        except (SyntaxError, ValueError):
            continue
        return candidate
    return "\n".join(lines)


class Sandbox:
    """Runs code against tests; probes once whether a network namespace is allowed."""

    def __init__(self, limits: SandboxLimits | None = None) -> None:
        self.limits = limits or SandboxLimits()
        self._child = _CHILD_PATH.read_text(encoding="utf-8")
        self._prefix: tuple[str, ...] | None = None
        self._probe_lock = asyncio.Lock()

    async def run(self, code: str, tests: Sequence[str]) -> SandboxResult:
        prefix = await self._isolation_prefix()
        folder = await asyncio.to_thread(tempfile.mkdtemp, prefix="smarterrouter-sandbox-")
        try:
            lines, stop = await self._execute(prefix, folder, code, tests)
        finally:
            await asyncio.to_thread(shutil.rmtree, folder, True)
        isolation = "namespace" if prefix else "audit hook only"
        return _result(lines, stop, len(tests), isolation)

    async def _isolation_prefix(self) -> tuple[str, ...]:
        async with self._probe_lock:
            if self._prefix is None:
                self._prefix = await _probe_unshare()
            return self._prefix

    async def _execute(
        self, prefix: tuple[str, ...], folder: str, code: str, tests: Sequence[str]
    ) -> tuple[list[dict[str, object]], str | None]:
        nonce = "@@" + secrets.token_hex(8) + "@@"
        job = {
            "nonce": nonce,
            "code": code,
            "tests": list(tests),
            "per_test_s": self.limits.per_test_s,
            "limits": _rlimits(self.limits),
        }
        proc = await asyncio.create_subprocess_exec(
            *prefix,
            sys.executable,
            "-I",
            "-B",
            "-c",
            self._child,
            cwd=folder,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,
            env={"PATH": os.defpath, "LC_ALL": "C.UTF-8"},
        )
        output = bytearray()  # what was read stays, even past the timeout
        try:
            stop = await asyncio.wait_for(
                _converse(proc, json.dumps(job).encode(), output, self.limits.output_bytes),
                self.limits.wall_s,
            )
        except TimeoutError:
            stop = f"timed out after {self.limits.wall_s:g} s"
        finally:
            _kill_group(proc.pid)
            await proc.wait()
        stop = stop or _exit_reason(proc.returncode)
        return _reports(bytes(output[: self.limits.output_bytes]), nonce), stop


async def _converse(
    proc: asyncio.subprocess.Process, job: bytes, output: bytearray, cap: int
) -> str | None:
    """Send the job, then read the child's output into `output` until it ends or
    passes `cap` bytes (then the reason to stop)."""
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write(job)
    with contextlib.suppress(ConnectionError):
        await proc.stdin.drain()
    proc.stdin.close()
    while chunk := await proc.stdout.read(65536):
        output += chunk
        if len(output) > cap:
            return f"output over {cap} bytes"
    return None


def _rlimits(limits: SandboxLimits) -> dict[str, tuple[int, int]]:
    """What the child sets on itself (soft, hard), by `resource` constant name. The
    CPU hard limit is a second later, so that the soft one ends it with SIGXCPU."""
    return {
        "RLIMIT_CPU": (limits.cpu_s, limits.cpu_s + 1),
        "RLIMIT_AS": (limits.memory_bytes,) * 2,
        "RLIMIT_FSIZE": (limits.file_bytes,) * 2,
        "RLIMIT_NOFILE": (limits.open_files,) * 2,
        "RLIMIT_CORE": (0, 0),
        "RLIMIT_NPROC": (0, 0),
    }


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


def _exit_reason(returncode: int | None) -> str | None:
    if returncode in (0, None):
        return None
    if returncode == -signal.SIGXCPU:
        return "CPU time limit reached"
    if returncode < 0:
        return f"killed by {signal.Signals(-returncode).name}"
    return f"exited with status {returncode}"


def _reports(output: bytes, nonce: str) -> list[dict[str, object]]:
    found: list[dict[str, object]] = []
    for line in output.decode("utf-8", "replace").splitlines():
        if line.startswith(nonce):
            with contextlib.suppress(ValueError):
                found.append(json.loads(line[len(nonce) :]))
    return found


def _result(
    lines: list[dict[str, object]], stop: str | None, total: int, isolation: str
) -> SandboxResult:
    setup_error = next((line["setup"] for line in lines if "setup" in line), "did not start")
    results = {line["test"]: line for line in lines if "test" in line}
    outcomes = tuple(_outcome(i, results.get(i), stop) for i in range(total))
    passed = sum(outcome.ok for outcome in outcomes)
    error = f"code did not load: {setup_error}" if setup_error else None
    if stop and (setup_error is None or setup_error == "did not start"):
        error = stop
    return SandboxResult(passed, total, outcomes, error, isolation)


def _outcome(index: int, line: dict[str, object] | None, stop: str | None) -> TestOutcome:
    if line is None:
        return TestOutcome(index, False, stop or "not run")
    error = line.get("error")
    return TestOutcome(index, bool(line.get("ok")), str(error) if error else None)


async def _probe_unshare() -> tuple[str, ...]:
    """The first `unshare` form that works here, or () when none does."""
    for candidate in _UNSHARE_CANDIDATES:
        if shutil.which(candidate[0]) is None:
            return ()
        try:
            proc = await asyncio.create_subprocess_exec(
                *candidate,
                "true",
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.DEVNULL,
            )
            if await proc.wait() == 0:
                return candidate
        except OSError:
            continue
    return ()

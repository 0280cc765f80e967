"""The program the sandbox runs in its child interpreter (passed with `python -I -c`).

It is self-contained (standard library only, never imported by the router). It reads
{"nonce", "code", "tests", "per_test_s", "limits"} as JSON from stdin, sets the
resource limits (here rather than in a preexec hook, which is unsafe in a threaded
parent), closes the doors an audit hook can close (sockets, new processes, native
libraries, writes outside the working folder, raising the limits), runs the code,
then each test, and writes one line per result to stdout: the nonce, then JSON.
The parent enforces the wall timeout and the output cap.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import sys
from typing import Any

_DENIED_EVENTS = (
    "socket.",
    "os.fork",
    "os.forkpty",
    "os.posix_spawn",
    "os.spawn",
    "os.system",
    "os.exec",
    "os.kill",
    "os.killpg",
    "subprocess.Popen",
    "ctypes.",
    "pty.spawn",
    "resource.setrlimit",
    "resource.prlimit",
)
_DENIED_IMPORTS = frozenset({"_posixsubprocess", "_ctypes", "ctypes", "multiprocessing"})
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_TRUNC
_PATH_EVENTS = frozenset({"os.remove", "os.rmdir", "os.rename", "shutil.rmtree", "os.truncate"})


class TestTimeout(BaseException):
    """Raised in the child when one test runs past its share of time."""


def _inside(path: Any, root: str) -> bool:
    if isinstance(path, int):
        return True  # an already-open descriptor
    full = os.path.realpath(os.path.join(root, os.fsdecode(path)))
    return full == root or full.startswith(root + os.sep)


def _is_write(mode: Any, flags: Any) -> bool:
    if isinstance(mode, str) and any(c in mode for c in "wax+"):
        return True
    return isinstance(flags, int) and bool(flags & _WRITE_FLAGS)


def _install_guard(root: str) -> None:
    def guard(event: str, args: tuple[Any, ...]) -> None:
        if event.startswith(_DENIED_EVENTS):
            raise PermissionError(f"sandbox: {event} is not allowed")
        if event == "import" and args[0] in _DENIED_IMPORTS:
            raise PermissionError(f"sandbox: import {args[0]} is not allowed")
        if event == "open" and _is_write(args[1], args[2]) and not _inside(args[0], root):
            raise PermissionError("sandbox: writing outside the working folder")
        if event in _PATH_EVENTS and not _inside(args[0], root):
            raise PermissionError(f"sandbox: {event} outside the working folder")

    sys.addaudithook(guard)


def _report(nonce: str, record: dict[str, Any]) -> None:
    os.write(1, ("\n" + nonce + json.dumps(record) + "\n").encode())


def _on_alarm(signum: int, frame: Any) -> None:
    raise TestTimeout


def _describe(exc: BaseException) -> str:
    if isinstance(exc, TestTimeout):
        return "timed out"
    text = str(exc).strip().splitlines()
    return type(exc).__name__ + (": " + text[0][:200] if text else "")


def _run(nonce: str, code: str, tests: list[str], per_test_s: float) -> None:
    namespace: dict[str, Any] = {"__name__": "solution"}
    signal.signal(signal.SIGALRM, _on_alarm)
    try:
        signal.setitimer(signal.ITIMER_REAL, per_test_s)
        exec(compile(code, "solution.py", "exec"), namespace)
        signal.setitimer(signal.ITIMER_REAL, 0)
    except BaseException as exc:
        signal.setitimer(signal.ITIMER_REAL, 0)
        _report(nonce, {"setup": _describe(exc)})
        return
    _report(nonce, {"setup": None})
    for index, test in enumerate(tests):
        try:
            signal.setitimer(signal.ITIMER_REAL, per_test_s)
            exec(compile(test, f"test_{index}", "exec"), dict(namespace))
            signal.setitimer(signal.ITIMER_REAL, 0)
            _report(nonce, {"test": index, "ok": True})
        except BaseException as exc:
            signal.setitimer(signal.ITIMER_REAL, 0)
            _report(nonce, {"test": index, "ok": False, "error": _describe(exc)})


def _limit(limits: dict[str, list[int]]) -> None:
    for name, (soft, hard) in limits.items():
        resource.setrlimit(getattr(resource, name), (soft, hard))


def main() -> None:
    job = json.loads(sys.stdin.read())
    sys.stdin.close()
    root = os.path.realpath(os.getcwd())
    sys.setrecursionlimit(2000)
    _limit(job["limits"])
    _install_guard(root)
    _run(job["nonce"], job["code"], job["tests"], float(job["per_test_s"]))


if __name__ == "__main__":
    main()

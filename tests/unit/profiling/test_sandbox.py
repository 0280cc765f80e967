"""The sandbox runs code against tests, and each of its limits holds."""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess

import pytest

from smarterrouter.profiling.sandbox import Sandbox, SandboxLimits, extract_code

pytestmark = pytest.mark.anyio

SQUARE = "def square(x):\n    return x * x\n"
TESTS = ["assert square(3) == 9", "assert square(-2) == 4"]
QUICK = SandboxLimits(cpu_s=2, wall_s=6, per_test_s=3)


async def test_a_correct_solution_passes_every_test() -> None:
    result = await Sandbox(QUICK).run(SQUARE, TESTS)
    assert (result.passed, result.total, result.error) == (2, 2, None)


async def test_each_test_is_reported_on_its_own() -> None:
    code = "def square(x):\n    return x * 3\n"
    result = await Sandbox(QUICK).run(code, [*TESTS, "assert square(0) == 0"])
    assert [o.ok for o in result.outcomes] == [True, False, True]
    assert result.outcomes[1].error == "AssertionError"


async def test_code_that_does_not_compile_fails_every_test() -> None:
    result = await Sandbox(QUICK).run("def square(x) return x", TESTS)
    assert result.passed == 0
    assert result.error is not None and "SyntaxError" in result.error


async def test_a_test_stuck_in_a_loop_fails_alone() -> None:
    tests = ["assert square(3) == 9", "while True: pass", "assert square(1) == 1"]
    result = await Sandbox(SandboxLimits(per_test_s=0.5)).run(SQUARE, tests)
    assert [(o.ok, o.error) for o in result.outcomes] == [
        (True, None),
        (False, "timed out"),
        (True, None),
    ]


async def test_an_infinite_loop_is_stopped_by_the_cpu_limit() -> None:
    limits = SandboxLimits(cpu_s=1, wall_s=20, per_test_s=30)
    result = await Sandbox(limits).run("while True:\n    pass\n", TESTS)
    assert (result.passed, result.error) == (0, "CPU time limit reached")


async def test_a_sleeping_child_is_killed_at_the_wall_timeout() -> None:
    # run() returns only once the child has exited: it was killed.
    limits = SandboxLimits(wall_s=1, per_test_s=30)
    code = "import time\ntime.sleep(60)\n"
    result = await Sandbox(limits).run(code, TESTS)
    assert (result.passed, result.error) == (0, "timed out after 1 s")


async def test_tests_that_passed_before_the_wall_timeout_still_count() -> None:
    # The last test outlasts its own alarm by swallowing it; the wall timeout ends it.
    stuck = (
        "import time\nwhile True:\n"
        "    try:\n        time.sleep(60)\n    except BaseException:\n        pass"
    )
    limits = SandboxLimits(wall_s=2, per_test_s=0.5)
    result = await Sandbox(limits).run(SQUARE, [*TESTS, stuck])
    assert [(o.ok, o.error) for o in result.outcomes] == [
        (True, None),
        (True, None),
        (False, "timed out after 2 s"),
    ]
    assert (result.passed, result.total, result.error) == (2, 3, "timed out after 2 s")


async def test_a_huge_allocation_fails_with_memory_error() -> None:
    limits = SandboxLimits(memory_bytes=256 * 1024 * 1024)
    result = await Sandbox(limits).run(SQUARE, ["x = bytearray(1024 ** 3)", *TESTS])
    assert [(o.ok, o.error) for o in result.outcomes] == [
        (False, "MemoryError"),
        (True, None),
        (True, None),
    ]


async def test_a_big_file_write_is_refused() -> None:
    test = "open('big.bin', 'wb').write(b'x' * (4 * 1024 * 1024))"
    result = await Sandbox(SandboxLimits(file_bytes=1024 * 1024)).run(SQUARE, [test])
    error = result.outcomes[0].error or ""
    assert (result.passed, "File too large" in error) == (0, True)


async def test_writing_outside_the_working_folder_is_refused(tmp_path: os.PathLike[str]) -> None:
    target = os.path.join(tmp_path, "escaped.txt")
    result = await Sandbox(QUICK).run(SQUARE, [f"open({target!r}, 'w').write('x')"])
    assert (
        result.outcomes[0].error == "PermissionError: sandbox: writing outside the working folder"
    )
    assert not await asyncio.to_thread(os.path.exists, target)


@pytest.mark.parametrize(
    ("test", "event"),
    [
        ("import socket\nsocket.socket().connect(('127.0.0.1', 9))", "socket.__new__"),
        ("import os\nwhile True:\n    os.fork()", "os.fork"),
        ("import os\nos.system('echo hi')", "os.system"),
        ("import subprocess", "import _posixsubprocess"),
        ("import ctypes", "import ctypes"),
        (
            "import resource\nresource.setrlimit(resource.RLIMIT_CPU, (99, 99))",
            "resource.setrlimit",
        ),
    ],
)
async def test_network_and_new_processes_are_refused(test: str, event: str) -> None:
    result = await Sandbox(QUICK).run(SQUARE, [test])
    assert result.outcomes[0].error == f"PermissionError: sandbox: {event} is not allowed"


async def test_output_is_capped() -> None:
    limits = SandboxLimits(output_bytes=4096)
    result = await Sandbox(limits).run("while True:\n    print('x' * 100)\n", TESTS)
    assert (result.passed, result.error) == (0, "output over 4096 bytes")


def _unshare_works() -> bool:
    for flags in ("-n", "-rn"):
        with contextlib.suppress(OSError):
            if subprocess.run(["unshare", flags, "true"], capture_output=True).returncode == 0:
                return True
    return False


async def test_the_child_runs_in_its_own_network_namespace_when_allowed() -> None:
    # As root in a container (the project's CI), `unshare -n` is permitted.
    result = await Sandbox(QUICK).run(SQUARE, TESTS)
    assert result.isolation == ("namespace" if _unshare_works() else "audit hook only")


@pytest.mark.parametrize(
    ("answer", "code"),
    [
        ("Here you go:\n```python\ndef f():\n    return 1\n```\nDone.", "def f():\n    return 1\n"),
        ("```py\nx = 1\n```\n```python\ny = 2\n```", "x = 1\n\n\ny = 2\n"),
        ("```\nz = 3\n```", "z = 3\n"),
        ("def f():\n    return 2", "def f():\n    return 2"),
        (
            "Here is the function:\n\ndef f(x):\n    return x\n\nIt returns x.",
            "def f(x):\n    return x\n",
        ),
        ("```python\ndef g():\n    return 5", "def g():\n    return 5"),
    ],
)
def test_code_is_taken_from_fences_or_the_bare_answer(answer: str, code: str) -> None:
    assert extract_code(answer) == code

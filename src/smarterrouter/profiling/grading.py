"""Grade one answer to one prompt item, by its check kind.

    python_tests    the code in the answer, run against the item's unit tests in
                    the sandbox; score = tests passed / tests
    numeric_answer  the final number in the answer against the known one
    exact_answer    the final word or option against the known one
    json            valid JSON, nothing around it, required keys and values
    constraints     instruction rules (word and line counts, required words…)
    open            the judge when there is one, else the heuristics

A judge that gives no verdict leaves the answer to the heuristics, and says so.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from smarterrouter.profiling.checks import check_constraints, check_exact, check_json, check_numeric
from smarterrouter.profiling.grades import Grade as Grade
from smarterrouter.profiling.grades import Method as Method
from smarterrouter.profiling.grades import counted
from smarterrouter.profiling.heuristics import assess
from smarterrouter.profiling.judge import Judge, JudgeFailed
from smarterrouter.profiling.prompts import PromptItem
from smarterrouter.profiling.sandbox import Sandbox, SandboxResult, extract_code

_CHECKS: Mapping[str, Callable[[Mapping[str, Any], str], Grade]] = {
    "numeric_answer": check_numeric,
    "exact_answer": check_exact,
    "json": check_json,
    "constraints": check_constraints,
}
KINDS = frozenset({*_CHECKS, "python_tests", "open"})


async def grade(
    item: PromptItem,
    answer: str,
    judge: Judge | None = None,
    *,
    sandbox: Sandbox | None = None,
) -> Grade:
    """Pass one `sandbox` for a whole profile: it probes its isolation once."""
    kind = item.check["kind"]
    if kind == "python_tests":
        return await grade_code(item, answer, sandbox or Sandbox())
    if kind == "open":
        return await grade_open(item, answer, judge)
    return _CHECKS[kind](item.check, answer)


async def grade_code(item: PromptItem, answer: str, sandbox: Sandbox) -> Grade:
    code = extract_code(answer)
    if not code:
        return counted(0, len(item.check["tests"]), "no code in the answer")
    result = await sandbox.run(code, item.check["tests"])
    return counted(result.passed, result.total, describe_run(result))


def describe_run(result: SandboxResult) -> str:
    head = f"{result.passed}/{result.total} tests passed"
    if result.error:
        return f"{head} ({result.error})"
    first = next((o for o in result.outcomes if not o.ok), None)
    return f"{head}; test {first.index + 1}: {first.error}" if first else head


async def grade_open(item: PromptItem, answer: str, judge: Judge | None) -> Grade:
    prompt = "\n".join(m["content"] for m in item.messages if m["role"] == "user")
    fallback = assess(prompt, answer, item.check, item.max_tokens)
    if judge is None or fallback.score == 0.0:
        return fallback
    try:
        return await judge.rate(item, answer)
    except JudgeFailed as exc:
        return Grade(fallback.score, "heuristic", f"{exc}; {fallback.detail}")

"""A grade: the score of one answer, and how it was obtained."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Method = Literal["checks", "judge", "heuristic"]


@dataclass(frozen=True)
class Grade:
    score: float  # 0..1
    method: Method
    detail: str  # human-readable: "3/4 tests passed", "answer 42 matched"
    passed: int | None = None
    total: int | None = None


def counted(passed: int, total: int, detail: str) -> Grade:
    """A grade from checks: the share that passed."""
    score = passed / total if total else 0.0
    return Grade(round(score, 4), "checks", detail, passed, total)

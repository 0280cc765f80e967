"""Heuristics for open answers when no judge is configured.

They cannot tell a good answer from an adequate one; they catch the failures
small models really produce. Each that fires lowers the score:

    empty              no words at all                              score 0
    refusal            "I'm sorry, but I can't…" near the start     score 0.1
    repetition         the same 4-word run or line again and again  x 0.3
    language mismatch  another script, or no English function words
                       in a reply to an English prompt              x 0.3
    too short/long     under half the expected words, or over twice x 0.6

An answer none of them fires on scores 1. Grades are marked method="heuristic".
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Mapping
from typing import Any

from smarterrouter.profiling.checks import lines, words
from smarterrouter.profiling.grades import Grade

_REFUSAL = re.compile(
    r"\b(?:i(?:'m| am) sorry|i can(?:'|no)t|i am unable|i'm unable|i(?:'m| am) not able"
    r"|as an ai|i won't|i will not|i must decline)\b",
    re.I,
)
_ENGLISH = frozenset(
    [
        "the",
        "a",
        "an",
        "and",
        "or",
        "of",
        "to",
        "in",
        "is",
        "are",
        "was",
        "it",
        "that",
        "this",
        "for",
        "on",
        "with",
        "as",
        "be",
        "by",
        "at",
        "from",
        "you",
        "i",
        "we",
        "they",
        "he",
        "she",
        "not",
        "but",
        "have",
        "has",
    ]
)
_CHECKED = "empty, refusal, repetition, language, length"


def _script(text: str) -> str | None:
    counts: Counter[str] = Counter()
    for char in text:
        if char.isalpha():
            name = unicodedata.name(char, "")
            counts[name.split(" ")[0] if name else "OTHER"] += 1
    return counts.most_common(1)[0][0] if counts else None


def _english_share(text: str) -> float:
    tokens = [w.casefold() for w in words(text)]
    return sum(t in _ENGLISH for t in tokens) / len(tokens) if tokens else 0.0


def is_repetitive(text: str) -> bool:
    tokens = [w.casefold() for w in words(text)]
    grams = [tuple(tokens[i : i + 4]) for i in range(len(tokens) - 3)]
    if len(grams) >= 16 and len(set(grams)) / len(grams) < 0.6:
        return True
    repeated = Counter(lines(text)).most_common(1)
    return bool(repeated) and repeated[0][1] >= 3


def is_language_mismatch(prompt: str, answer: str) -> bool:
    if _script(prompt) != _script(answer):
        return True
    english_prompt = _english_share(prompt) >= 0.15
    return english_prompt and len(words(answer)) >= 15 and _english_share(answer) < 0.03


def _length_problem(answer: str, expected: tuple[int, int]) -> str | None:
    count = len(words(answer))
    if count < expected[0] / 2:
        return "too short"
    if count > expected[1] * 2:
        return "too long"
    return None


def assess(prompt: str, answer: str, spec: Mapping[str, Any], max_tokens: int) -> Grade:
    """The heuristic grade of an open answer to `prompt`."""
    if not words(answer):
        return Grade(0.0, "heuristic", "heuristics: empty answer")
    if _REFUSAL.search(answer[:200]):
        return Grade(0.1, "heuristic", "heuristics: refusal")
    bounds = spec.get("words", (10, int(max_tokens * 0.75)))
    fired = [
        name
        for name, hit in (
            ("repetition", is_repetitive(answer)),
            ("language mismatch", is_language_mismatch(prompt, answer)),
        )
        if hit
    ]
    length = _length_problem(answer, (int(bounds[0]), int(bounds[1])))
    fired += [length] if length else []
    penalty = {"repetition": 0.3, "language mismatch": 0.3, "too short": 0.6, "too long": 0.6}
    score = 1.0
    for name in fired:
        score *= penalty[name]
    detail = "heuristics: " + (", ".join(fired) if fired else f"no problem found ({_CHECKED})")
    return Grade(round(score, 4), "heuristic", detail)

"""Checkable answers: known numbers and words, JSON, instruction constraints.

Each function takes the item's check spec and the reply, and returns a grade from
checks (the share of checks that held), with a detail naming what failed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from fractions import Fraction
from typing import Any

from smarterrouter.profiling.answers import extract_choice, extract_number, numbers_match
from smarterrouter.profiling.grades import Grade, counted

_FENCED = re.compile(r"```[a-zA-Z]*[ \t]*\n(.*?)```", re.S)
_BULLET = re.compile(r"^\s*(?:[-*•+]|\d+[.)])\s+")
_WORD = re.compile(r"[^\W_]+(?:['\u2019-][^\W_]+)*")
_SENTENCE_END = re.compile(r"[.!?]+(?=\s|$)")


def check_numeric(spec: Mapping[str, Any], answer: str) -> Grade:
    expected = Fraction(str(spec["answer"]))
    found = extract_number(answer)
    if found is None:
        return counted(0, 1, f"no number found; expected {_show(expected)}")
    if numbers_match(found, expected, float(spec.get("tolerance", 1e-6))):
        return counted(1, 1, f"answer {_show(found)} matched")
    return counted(0, 1, f"answer {_show(found)}, expected {_show(expected)}")


def _show(value: Fraction) -> str:
    return str(value.numerator) if value.denominator == 1 else f"{value} ({float(value):g})"


def check_exact(spec: Mapping[str, Any], answer: str) -> Grade:
    accepted = _as_list(spec["answer"])
    options = accepted + [c for c in _as_list(spec.get("choices", [])) if c not in accepted]
    chosen = extract_choice(answer, options)
    if chosen is None:
        return counted(0, 1, f"no answer found; expected {accepted[0]!r}")
    if chosen in accepted:
        return counted(1, 1, f"answer {chosen!r} matched")
    return counted(0, 1, f"answer {chosen!r}, expected {accepted[0]!r}")


def _as_list(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list | tuple) else [str(value)]


def strip_wrapping(answer: str) -> str:
    """The reply without a surrounding code fence or quotes."""
    text = answer.strip()
    fenced = _FENCED.search(text)
    if fenced and text.startswith("```"):
        text = fenced.group(1).strip()
    if len(text) > 1 and text[0] == text[-1] and text[0] in "\"'":
        text = text[1:-1].strip()
    return text


def _find_json(answer: str, openers: str) -> tuple[Any, bool] | None:
    """The first JSON value opened by one of `openers` in a reply, and whether the
    reply was only that value."""
    text = strip_wrapping(answer)
    try:
        value = json.loads(text)
        if text[:1] in openers:
            return value, True
    except ValueError:
        pass
    decoder = json.JSONDecoder()
    for start in (i for i, ch in enumerate(answer) if ch in openers):
        try:
            return decoder.raw_decode(answer, start)[0], False
        except ValueError:
            continue
    return None


_TYPES: Mapping[str, Callable[[Any], bool]] = {
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "array": lambda v: isinstance(v, list),
    "object": lambda v: isinstance(v, dict),
}
TYPE_NAMES = frozenset(_TYPES)


def check_json(spec: Mapping[str, Any], answer: str) -> Grade:
    keys: Mapping[str, str] = spec.get("keys", {})
    values: Mapping[str, Any] = spec.get("values", {})
    total = 2 + len(keys) + len(values) + ("equals" in spec)
    found = _find_json(answer, "{" if keys or values else "{[")
    if found is None:
        return counted(0, total, "no valid JSON found")
    data, alone = found
    failed = [] if alone else ["text around the JSON"]
    if "equals" in spec and not _same_value(data, spec["equals"]):
        failed.append("not the expected value")
    obj = data if isinstance(data, dict) else {}
    for key, kind in keys.items():
        if key not in obj or not _TYPES[kind](obj[key]):
            failed.append(f"key {key!r} missing or not {kind}")
    for key, value in values.items():
        if not _same_value(obj.get(key), value):
            failed.append(f"{key!r} is not {value!r}")
    passed = total - len(failed)
    return counted(passed, total, _summary(passed, total, failed))


def _same_value(found: Any, expected: Any) -> bool:
    if isinstance(expected, str) and isinstance(found, str):
        return found.strip().casefold() == expected.casefold()
    if isinstance(expected, list) and isinstance(found, list):
        norm = sorted(str(v).strip().casefold() for v in found)
        return norm == sorted(str(v).casefold() for v in expected)
    return bool(found == expected)


def _summary(passed: int, total: int, failed: Sequence[str]) -> str:
    head = f"{passed}/{total} checks passed"
    return head + ("; failed: " + ", ".join(failed) if failed else "")


def words(text: str) -> list[str]:
    return _WORD.findall(text)


def lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _contains(text: str, phrase: str) -> bool:
    """The phrase as a whole word, or inflected: "promise" in "promised", "promising"."""
    stem = phrase[:-1] if phrase.endswith("e") else phrase
    forms = f"(?:{re.escape(phrase)}|{re.escape(stem)})(?:s|es|d|ed|ing)?"
    return re.search(r"(?<![\w])" + forms + r"(?![\w])", text, re.I) is not None


def _in_range(count: int, bounds: Any) -> bool:
    low, high = (bounds, bounds) if isinstance(bounds, int) else bounds
    return bool(low <= count <= high)


def _first_letters(text: str) -> str:
    return "".join(next((c for c in line if c.isalpha()), "") for line in lines(text))


Rule = Callable[[str, Any], bool]
_RULES: Mapping[str, Rule] = {
    "words": lambda t, b: _in_range(len(words(t)), b),
    "lines": lambda t, b: _in_range(len(lines(t)), b),
    "sentences": lambda t, b: _in_range(len(_SENTENCE_END.findall(t)), b),
    "bullets": lambda t, b: _in_range(sum(bool(_BULLET.match(x)) for x in lines(t)), b),
    "max_chars": lambda t, n: len(t) <= n,
    "lowercase": lambda t, on: not on or (t == t.lower() and any(c.isalpha() for c in t)),
    "uppercase": lambda t, on: not on or (t == t.upper() and any(c.isalpha() for c in t)),
    "starts_with": lambda t, s: t.casefold().startswith(str(s).casefold()),
    "ends_with": lambda t, s: t.rstrip(" .!\n").casefold().endswith(str(s).casefold()),
    "acrostic": lambda t, w: _first_letters(t).casefold() == str(w).casefold(),
    "no_letter": lambda t, c: bool(t.strip()) and str(c).casefold() not in t.casefold(),
    "items": lambda t, n: len([x for x in re.split(r"[,\n]", t) if x.strip()]) == n,
}
RULE_NAMES = frozenset({*_RULES, "must_include", "must_not_include"})


def check_constraints(spec: Mapping[str, Any], answer: str) -> Grade:
    rules: Mapping[str, Any] = spec["rules"]
    text = strip_wrapping(answer)
    failed: list[str] = []
    total = 0
    if not text:
        total = sum(len(a) if n.startswith("must") else 1 for n, a in rules.items())
        return counted(0, total, "empty answer")
    for name, arg in rules.items():
        if name == "must_include":
            total += len(arg)
            failed += [f"missing {p!r}" for p in arg if not _contains(text, p)]
        elif name == "must_not_include":
            total += len(arg)
            failed += [f"contains {p!r}" for p in arg if _contains(text, p)]
        else:
            total += 1
            if not _RULES[name](text, arg):
                failed.append(f"{name} {arg!r} not met")
    passed = total - len(failed)
    return counted(passed, total, _summary(passed, total, failed))

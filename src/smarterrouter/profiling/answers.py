"""Find the final answer in a model's free-form reply.

Models state answers many ways: "the answer is 42", "**42**", "= 42", "\\boxed{42}",
"3/4", "0.75 kg", "1,200 apples". Numbers are read from the most explicit place
first (a box, an "answer" phrase, bold text, the last "= x"), then the last number
in the reply. Words (a day, a name, yes or no) are read after an "answer" phrase
when there is one, else as the last option mentioned.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from fractions import Fraction

_NUMBER = r"[-\u2212]?\d+(?:\.\d+)?(?:\s*/\s*\d+(?:\.\d+)?)?"
_NUM_RE = re.compile(_NUMBER)
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}\b)")
_LATEX_FRAC = re.compile(r"\\d?frac\{\s*(-?\d+)\s*\}\{\s*(\d+)\s*\}")
_BOXED = re.compile(r"\\boxed\{([^{}]*)\}")
_ANSWER_PHRASE = re.compile(
    r"\b(?:answer|result)\b\**\s*(?:is|was|would be|will be|=|:)\s*:?",
    re.I,
)
_BOLD = re.compile(r"\*\*([^*]+)\*\*")
_NEGATED = re.compile(r"(?:\bnot|n't|\brather than|\binstead of)\s+(?:the\s+)?$", re.I)
_EQUALS = re.compile(r"=\s*\$?\s*(" + _NUMBER + ")")


def _normalise(text: str) -> str:
    text = _LATEX_FRAC.sub(r"\1/\2", text)
    text = _THOUSANDS.sub("", text)
    return text.replace("\u2212", "-")


def _to_fraction(token: str) -> Fraction | None:
    token = token.replace(" ", "").replace("\u2212", "-")
    try:
        if "/" in token:
            top, bottom = token.split("/")
            return Fraction(top) / Fraction(bottom)
        return Fraction(token)
    except (ValueError, ZeroDivisionError):
        return None


def _first_number(text: str) -> Fraction | None:
    match = _NUM_RE.search(text)
    return _to_fraction(match.group()) if match else None


def _after_answer_phrase(text: str) -> str | None:
    matches = list(_ANSWER_PHRASE.finditer(text))
    return text[matches[-1].end() :] if matches else None


def extract_number(answer: str) -> Fraction | None:
    """The final numeric answer in a reply, or None when it states no number."""
    text = _normalise(answer)
    boxed = _BOXED.findall(text)
    if boxed and (value := _first_number(boxed[-1])) is not None:
        return value
    tail = _after_answer_phrase(text)
    if tail is not None and (value := _first_number(tail[:80])) is not None:
        return value
    bolds = [b for b in _BOLD.findall(text) if _NUM_RE.search(b)]
    if bolds:
        return _first_number(bolds[-1])
    equals = _EQUALS.findall(text)
    if equals:
        return _to_fraction(equals[-1])
    numbers = _NUM_RE.findall(text)
    return _to_fraction(numbers[-1]) if numbers else None


def numbers_match(found: Fraction, expected: Fraction, tolerance: float = 1e-6) -> bool:
    """Equal within a relative tolerance (absolute near zero)."""
    scale = max(1.0, abs(float(expected)))
    return abs(float(found - expected)) <= tolerance * scale


def _mentions(text: str, options: Sequence[str]) -> list[tuple[int, str]]:
    """Where each option is named, leaving out the ones ruled out ("…, not Sydney")."""
    found: list[tuple[int, str]] = []
    for option in options:
        pattern = r"(?<![\w])" + re.escape(option) + r"(?![\w])"
        found += [
            (m.start(), option)
            for m in re.finditer(pattern, text, re.I)
            if not _NEGATED.search(text[max(0, m.start() - 20) : m.start()])
        ]
    return sorted(found)


def extract_choice(answer: str, options: Sequence[str]) -> str | None:
    """Which of `options` the reply settles on: the first one named after its last
    "answer" phrase, else the last one named anywhere; None when none is named."""
    tail = _after_answer_phrase(answer)
    if tail is not None:
        named = _mentions(tail, options)
        if named:
            return named[0][1]
    bolds = [hit for b in _BOLD.findall(answer) for hit in _mentions(b, options)]
    if bolds:
        return bolds[-1][1]
    named = _mentions(answer, options)
    return named[-1][1] if named else None

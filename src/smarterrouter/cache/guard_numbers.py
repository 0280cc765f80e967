"""The numbers a text says, in digits or in words, for the near-miss guards.

"7", "seven", "7.0" and "07" are one number; "1,000", "1000" and "one thousand"
too; "March 3" says 3 (the month) and 3; "-5" is not "5". Part of guards.py's
reading of a text (guard_features.py puts it together).
"""

from __future__ import annotations

import re
from collections import Counter
from decimal import Decimal, InvalidOperation
from typing import Final

from smarterrouter.cache import guard_words as words
from smarterrouter.cache.guard_text import Token, next_to_number, next_token, prev, prev_word

_THOUSANDS = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?")


def _decimal(text: str) -> str:
    try:
        return format(Decimal(text).normalize(), "f")
    except InvalidOperation:
        return text


def _digits(text: str) -> list[str]:
    if _THOUSANDS.fullmatch(text):
        return [_decimal(text.replace(",", ""))]
    return [_decimal(part) for part in text.split(",") if part]


def _word_number(run: list[str]) -> str:
    total, current = 0.0, 0.0
    for word in run:
        if word in words.SCALE_WORDS:
            current = max(current, 1.0) * words.SCALE_WORDS[word]
            if words.SCALE_WORDS[word] >= 1000:
                total, current = total + current, 0.0
        else:
            current += words.NUMBER_WORDS[word]
    return _decimal(repr(total + current))


def _is_number_word(word: str) -> bool:
    return word in words.NUMBER_WORDS or word in words.SCALE_WORDS


def is_sign(tokens: tuple[Token, ...], i: int) -> bool:
    """A '-' glued to the number after it and not to anything before it."""
    tok, after, before = tokens[i], next_token(tokens, i), prev(tokens, i)
    if tok.text != "-" or after is None or after.kind != "num" or after.start != tok.end:
        return False
    return before is None or before.end < tok.start or before.kind in ("op", "punct")


def read_numbers(tokens: tuple[Token, ...]) -> Counter[str]:
    found: Counter[str] = Counter()
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if tok.kind == "num":
            values = _digits(tok.text)
            if i > 0 and is_sign(tokens, i - 1):
                values[0] = "-" + values[0]
            after = next_token(tokens, i)
            if after is not None and after.lower in words.SCALE_WORDS:
                values[-1] = _decimal(str(Decimal(values[-1]) * words.SCALE_WORDS[after.lower]))
                i += 1
            elif after is not None and after.lower == "k" and after.start == tok.end:
                values[-1] = _decimal(str(Decimal(values[-1]) * 1000))
                i += 1
            found.update(values)
        elif tok.kind == "word" and _is_number_word(tok.lower):
            run, i = _number_run(tokens, i)
            if run != ["one"] or not _one_is_filler(tokens, i - 1):
                found[_word_number(run)] += 1
            continue
        elif tok.lower in words.ORDINAL_WORDS:
            found[str(words.ORDINAL_WORDS[tok.lower])] += 1
        elif tok.lower == "second" and prev_word(tokens, i) == "the":
            found["2"] += 1
        elif tok.lower in words.MONTHS and next_to_number(tokens, i):
            found[str(words.MONTHS[tok.lower])] += 1
        i += 1
    return found


def _number_run(tokens: tuple[Token, ...], i: int) -> tuple[list[str], int]:
    """Consecutive number words ("one hundred and twenty-five") from i; (words, next i)."""
    run: list[str] = []
    while i < len(tokens):
        tok = tokens[i]
        after = next_token(tokens, i)
        joins = tok.lower == "and" or (tok.text == "-" and tok.kind == "op")
        if tok.kind == "word" and _is_number_word(tok.lower):
            run.append(tok.lower)
        elif not (run and joins and after is not None and _is_number_word(after.lower)):
            break
        i += 1
    return run, i


def _one_is_filler(tokens: tuple[Token, ...], i: int) -> bool:
    """ "which one", "one more question": not a count."""
    if prev_word(tokens, i) in words.ONE_AS_PRONOUN_AFTER:
        return True
    following = tuple(t.lower for t in tokens[i + 1 : i + 3])
    return len(following) == 2 and following[1] in _ASIDES and following[0] in _ASIDE_KINDS


_ASIDE_KINDS: Final = frozenset({"more", "last", "quick", "other", "final"})
_ASIDES: Final = frozenset({"question", "thing", "request", "q"})

"""Near-miss guards: may two similar texts share one answer?

An embedding puts "convert 7 km to miles" right beside "convert 8 km to miles",
and "why does this work" beside "why doesn't this work". The semantic cache asks
meaning_differs before it serves a neighbour's answer: every check here compares a
feature that flips the answer while barely moving the embedding. It is pure and
fast (regular expressions over chat-length text, no model), and errs on the side
of a miss: a needless miss costs one generation, a false hit serves a wrong answer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from smarterrouter.cache.guard_features import TextFeatures, read_features
from smarterrouter.cache.guard_words import SOFT_DIRECTIONS

_Check = Callable[[TextFeatures, TextFeatures], bool]


def _language_differs(a: TextFeatures, b: TextFeatures) -> bool:
    return a.script != b.script or (None not in (a.tongue, b.tongue) and a.tongue != b.tongue)


def _names_differ(a: TextFeatures, b: TextFeatures) -> bool:
    return a.entities != b.entities or not (_all_in(a.names, b.words) and _all_in(b.names, a.words))


def _all_in(names: frozenset[str], words: frozenset[str]) -> bool:
    """Every name is among the words, in the singular or the plural ("VPN", "VPNs")."""
    return all(n in words or n + "s" in words or n.removesuffix("s") in words for n in names)


_NEGATING_PREFIXES: Final = ("un", "in", "im", "il", "ir", "dis", "non", "non-")


def _negated_word(a: TextFeatures, b: TextFeatures) -> bool:
    """ "possible" and "impossible", "advantages" and "disadvantages"."""
    return _negates(a.words - b.words, b.words) or _negates(b.words - a.words, a.words)


def _negates(extra: frozenset[str], other: frozenset[str]) -> bool:
    return any(
        word.startswith(prefix) and word[len(prefix) :] in other
        for word in extra
        for prefix in _NEGATING_PREFIXES
        if len(word) - len(prefix) >= 4
    )


def _tense_differs(a: TextFeatures, b: TextFeatures) -> bool:
    """The future against anything else; the past against the present only when both
    say theirs ("who painted" may well be "who was the painter")."""
    if ("future" in a.tenses) != ("future" in b.tenses):
        return True
    now_a, now_b = a.tenses - {"future"}, b.tenses - {"future"}
    return bool(now_a and now_b and now_a != now_b)


# A long text (a pasted article) or one with a block of code: its embedding is the
# pasted material's, and says little of the few words that ask for something, so
# "summarise this" and "translate this" would meet. Such texts share an answer only
# when they say the same words, filler aside.
LONG_TEXT: Final = 250


def _long_wording_differs(a: TextFeatures, b: TextFeatures) -> bool:
    return (_is_long(a) or _is_long(b)) and a.wording != b.wording


def _is_long(text: TextFeatures) -> bool:
    return text.size > LONG_TEXT or any("\n" in code for code in text.code)


# Order matters only for the reason given: the most specific check speaks first.
_CHECKS: Final[tuple[tuple[str, _Check], ...]] = (
    ("code differs", lambda a, b: a.code != b.code),
    ("quoted text differs", lambda a, b: a.quotes != b.quotes),
    ("language differs", _language_differs),
    ("units differ", lambda a, b: a.units != b.units),
    ("numbers differ", lambda a, b: a.numbers != b.numbers),
    ("dates differ", lambda a, b: a.dates != b.dates),
    ("negation differs", lambda a, b: a.negations != b.negations),
    ("negation differs", _negated_word),
    ("languages differ", lambda a, b: a.languages != b.languages),
    ("comparison differs", lambda a, b: bool((a.directions ^ b.directions) - SOFT_DIRECTIONS)),
    ("direction differs", lambda a, b: a.ends != b.ends),
    ("tense differs", _tense_differs),
    ("identifiers differ", lambda a, b: a.identifiers != b.identifiers),
    ("operators differ", lambda a, b: a.operators != b.operators),
    ("names differ", _names_differ),
    ("wording differs in a long text", _long_wording_differs),
)


def meaning_differs(new: str, cached: str) -> str | None:
    """Why `new` must not get the answer cached for `cached`, or None if it may.

    None does not mean the texts are alike (that is the embedding's question); it
    means none of the features that flip an answer differ between them.
    """
    if new == cached:
        return None
    a, b = read_features(new), read_features(cached)
    for reason, differs in _CHECKS:
        if differs(a, b):
            return reason
    return None

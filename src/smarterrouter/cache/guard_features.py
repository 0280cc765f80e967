"""What a text says that an embedding barely sees: numbers, units, negation, names…

read_features turns one text into TextFeatures, a frozen value that guards.py
compares field by field: regular expressions and word lists, no model.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from typing import Final

from smarterrouter.cache import guard_words as words
from smarterrouter.cache.guard_entities import ENTITIES
from smarterrouter.cache.guard_numbers import is_sign, read_numbers
from smarterrouter.cache.guard_text import (
    Token,
    code_parts,
    next_to_number,
    next_token,
    prev,
    prev_word,
    quotes,
    tokenize,
)

# ---- vocabulary lookups ------------------------------------------------------------


def _read_units(tokens: tuple[Token, ...]) -> frozenset[tuple[str, str]]:
    """Each unit with its role: "to" for a conversion's target, "from" otherwise."""
    found: set[tuple[str, str]] = set()
    for i, tok in enumerate(tokens):
        unit = words.UNITS.get(tok.lower)
        if unit is None and _after_number(tokens, i):
            unit = words.UNITS_AFTER_NUMBER.get(tok.lower)
        if unit in _TIME_UNITS and prev_word(tokens, i) in _NOT_A_QUANTITY:
            unit = None  # "the second one", "in what year": not an amount of time
        if unit is not None:
            found.add((unit, "to" if _is_target(tokens, i) else "from"))
    return frozenset(found)


_TIME_UNITS: Final = frozenset({"s", "min", "h", "day", "week", "month", "year"})
_NOT_A_QUANTITY: Final = frozenset({"the", "what", "which", "this", "that", "whose", "same"})


def _after_number(tokens: tuple[Token, ...], i: int) -> bool:
    before = prev(tokens, i)
    return before is not None and (before.kind == "num" or before.lower in _DEGREES)


def _is_target(tokens: tuple[Token, ...], i: int) -> bool:
    """ "to miles", "in Fahrenheit", "how many miles": the unit asked for."""
    before = prev_word(tokens, i)
    if before in _SKIPPED_BEFORE_UNIT:
        before = prev_word(tokens, i - 1)
    return before in _TARGET_MARKERS


_TARGET_MARKERS: Final = frozenset({"to", "into", "in", "as", "many", "much"})
_SKIPPED_BEFORE_UNIT: Final = frozenset({"degrees", "degree", "deg", "the", "us", "metric"})


_DEGREES: Final = frozenset({"degree", "degrees", "deg"})


def _count_negations(tokens: tuple[Token, ...]) -> int:
    count = 0
    for i, tok in enumerate(tokens):
        if tok.kind != "word":
            continue
        if tok.lower.endswith("n't") or tok.lower in words.NEGATIONS:
            after = next_token(tokens, i)
            if tok.lower == "no" and after is not None and after.lower in words.NEGATION_FILLERS:
                continue
            count += 1
    return count


def _read_languages(tokens: tuple[Token, ...]) -> frozenset[str]:
    found: set[str] = set()
    for i, tok in enumerate(tokens):
        if tok.lower in words.LANGUAGES and tok.lower != "c":
            found.add(words.LANGUAGES[tok.lower])
        elif tok.text in ("C", "R"):
            before = prev(tokens, i)
            if before is None or (before.kind != "num" and before.lower not in _DEGREES):
                found.add(tok.lower)
    return frozenset(found)


_NOT_DIRECTED: Final = words.DIRECTION_FILLER_BEFORE | {"question", "thing"}
_DEIXIS: Final = frozenset({"the", "code", "snippet", "text", "function", "example", "error"})


def _read_directions(tokens: tuple[Token, ...]) -> frozenset[str]:
    found: set[str] = set()
    for i, tok in enumerate(tokens):
        key = words.DIRECTIONS.get(tok.lower)
        if key is None or tok.kind != "word":
            continue
        after = next_token(tokens, i)
        if after is not None and after.lower in _NOT_DIRECTED:
            continue
        if tok.lower in ("above", "below") and (
            prev_word(tokens, i) in _DEIXIS or after is None or after.kind == "punct"
        ):
            continue
        found.add(key)
    return frozenset(found)


def _read_dates(tokens: tuple[Token, ...]) -> frozenset[str]:
    return frozenset(
        tok.lower
        for i, tok in enumerate(tokens)
        if tok.lower in words.DATE_WORDS and not next_to_number(tokens, i)
    )


_OPERATOR_WORDS: Final = {
    "plus": "+",
    "minus": "-",
    "times": "*",
    "multiplied": "*",
    "divided": "/",
    "modulo": "%",
}
_OPERAND_KINDS: Final = frozenset({"num", "ident"})


def _is_operand(tok: Token | None) -> bool:
    return tok is not None and (tok.kind in _OPERAND_KINDS or len(tok.text) == 1)


def _read_operators(tokens: tuple[Token, ...]) -> Counter[str]:
    found: Counter[str] = Counter()
    for i, tok in enumerate(tokens):
        if tok.kind == "word" and tok.lower in _OPERATOR_WORDS:
            found[_OPERATOR_WORDS[tok.lower]] += 1
        elif tok.kind == "op" and not is_sign(tokens, i) and set(tok.text) != {"!"}:
            strong = any(ch in "=<>&|^~" for ch in tok.text)
            between = _is_operand(prev(tokens, i)) and _is_operand(next_token(tokens, i))
            if (strong or between) and not _is_hyphen(tokens, i):
                found[tok.text] += 1
    return found


def _is_hyphen(tokens: tuple[Token, ...], i: int) -> bool:
    before, after, tok = prev(tokens, i), next_token(tokens, i), tokens[i]
    return (
        tok.text == "-"
        and before is not None
        and after is not None
        and before.kind == after.kind == "word"
        and before.end == tok.start
        and after.start == tok.end
    )


def _read_entities(tokens: tuple[Token, ...]) -> frozenset[str]:
    """Well-known names however they are cased, one or two words long."""
    found: set[str] = set()
    before: str | None = None
    for tok in tokens:
        if tok.kind not in ("word", "ident"):
            before = None
            continue
        word = _base(tok.lower)
        pair = f"{before} {word}" if before is not None else ""
        if pair in ENTITIES:
            found.add(ENTITIES[pair])
        elif word in ENTITIES:
            found.add(ENTITIES[word])
        before = word
    return frozenset(found)


def _read_ends(tokens: tuple[Token, ...]) -> frozenset[tuple[str, str]]:
    """What a comparison or a conversion is relative to: ("than", "jav") in "is Python
    faster than Java", ("to", "num") in "convert a string to a number", ("from", "lon")
    in "fly from London". Stems of three letters, so that "int" and "integer" agree.
    "to" and "from" count only when the text converts or travels."""
    converts = any(t.lower in _CONVERSION_CUES for t in tokens)
    found: set[tuple[str, str]] = set()
    for i, tok in enumerate(tokens):
        role = _END_ROLES.get(tok.lower)
        if role is None or (role != "than" and not converts):
            continue
        end = next((t for t in tokens[i + 1 : i + 4] if t.lower not in _ARTICLES), None)
        if end is None or end.kind not in ("word", "ident"):
            continue
        if role == "than" or end.lower not in _NOT_NAMES:
            found.add((role, end.lower[:3]))
    return frozenset(found)


_END_ROLES: Final = {"to": "to", "into": "to", "from": "from", "than": "than"}
_ARTICLES: Final = frozenset({"a", "an", "the", "my", "our", "your", "some"})
_CONVERSION_CUES: Final = words.CONVERSION_CUES


# ---- names -------------------------------------------------------------------------


def _base(word: str) -> str:
    return word[:-2] if word.endswith("'s") else word


# Words the other checks already compare, and words that start sentences.
_NOT_NAMES: Final = frozenset(
    {"i", *words.COMMON_SENTENCE_STARTS, *words.UNITS, *words.UNITS_AFTER_NUMBER}
    | {*words.LANGUAGES, *words.NUMBER_WORDS, *words.SCALE_WORDS, *words.ORDINAL_WORDS}
    | {*words.MONTHS, *words.DATE_WORDS, *words.DIRECTIONS, *words.NEGATIONS}
)


def _read_names(tokens: tuple[Token, ...]) -> frozenset[str]:
    found: set[str] = set()
    for i, tok in enumerate(tokens):
        if tok.kind != "word" or not tok.text[0].isupper():
            continue
        key = _base(tok.lower)
        if key in _NOT_NAMES or key.startswith("i'"):
            continue
        before = prev(tokens, i)
        starts_sentence = before is None or before.kind == "punct"
        if starts_sentence and key.endswith(("ing", "ly", "ed")):
            continue
        found.add(key)
    return frozenset(found)


# ---- the language a text is written in --------------------------------------------

_SCRIPTS: Final = (
    ("cyrillic", re.compile(r"[\u0400-\u04ff]")),
    ("greek", re.compile(r"[\u0370-\u03ff]")),
    ("arabic", re.compile(r"[\u0600-\u06ff]")),
    ("hebrew", re.compile(r"[\u0590-\u05ff]")),
    ("devanagari", re.compile(r"[\u0900-\u097f]")),
    ("thai", re.compile(r"[\u0e00-\u0e7f]")),
    ("korean", re.compile(r"[\uac00-\ud7af]")),
    ("japanese", re.compile(r"[\u3040-\u30ff]")),
    ("chinese", re.compile(r"[\u4e00-\u9fff]")),
)
_STOP_LANGS: Final = {
    word: tuple(lang for lang, stop in words.STOPWORDS.items() if word in stop)
    for word in set().union(*words.STOPWORDS.values())
}
_LATIN = re.compile(r"[A-Za-z\u00c0-\u024f]")


def _read_script(prose: str) -> str:
    if prose.isascii():
        return "latin"
    counts = {name: len(pattern.findall(prose)) for name, pattern in _SCRIPTS}
    script, count = max(counts.items(), key=lambda item: item[1])
    if count > len(_LATIN.findall(prose)):
        return "japanese" if counts["japanese"] else script
    return "latin"


def _read_tongue(tokens: tuple[Token, ...]) -> str | None:
    """The language of a Latin-script text when its function words tell; None if unsure."""
    hits = Counter(
        lang for tok in tokens if tok.lower in _STOP_LANGS for lang in _STOP_LANGS[tok.lower]
    )
    ranked = hits.most_common(2)
    if not ranked or ranked[0][1] < 2 or (len(ranked) > 1 and ranked[1][1] * 2 > ranked[0][1]):
        return None
    return ranked[0][0]


# ---- all together ------------------------------------------------------------------


@dataclass(frozen=True)
class TextFeatures:
    code: tuple[str, ...]
    quotes: tuple[str, ...]
    script: str
    tongue: str | None
    numbers: frozenset[tuple[str, int]]
    units: frozenset[tuple[str, str]]
    dates: frozenset[str]
    negations: int
    languages: frozenset[str]
    directions: frozenset[str]
    identifiers: frozenset[str]
    operators: frozenset[tuple[str, int]]
    names: frozenset[str]
    entities: frozenset[str]
    ends: frozenset[tuple[str, str]]
    words: frozenset[str]
    tenses: frozenset[str]
    wording: frozenset[tuple[str, int]]  # words but filler, with their counts
    size: int  # characters, code included


def read_features(text: str) -> TextFeatures:
    """The features of `text`; memoised for texts of up to MEMO_TEXT_LIMIT characters
    (the cache compares its stored texts again and again), so that the memo holds at
    most MEMO_ENTRIES x MEMO_TEXT_LIMIT characters."""
    if len(text) > MEMO_TEXT_LIMIT:
        return _read(text)
    return _read_memoised(text)


def forget_features() -> None:
    """Empty the memo (for measuring the cost of reading a text)."""
    _read_memoised.cache_clear()


def _read(text: str) -> TextFeatures:
    code, prose = code_parts(text)
    tokens = tokenize(prose)
    return TextFeatures(
        code=code,
        quotes=quotes(prose),
        script=_read_script(prose),
        tongue=_read_tongue(tokens),
        numbers=frozenset(read_numbers(tokens).items()),
        units=_read_units(tokens),
        dates=_read_dates(tokens),
        negations=_count_negations(tokens),
        languages=_read_languages(tokens),
        directions=_read_directions(tokens),
        identifiers=frozenset(t.text.removesuffix("()") for t in tokens if t.kind in _IDENTS),
        operators=frozenset(_read_operators(tokens).items()),
        names=_read_names(tokens),
        entities=_read_entities(tokens),
        ends=_read_ends(tokens),
        words=frozenset(_base(t.lower) for t in tokens if t.kind in ("word", "ident")),
        tenses=_read_tenses(tokens),
        wording=_read_wording(tokens),
        size=len(text),
    )


MEMO_ENTRIES: Final = 2048
MEMO_TEXT_LIMIT: Final = 4000
_read_memoised = lru_cache(maxsize=MEMO_ENTRIES)(_read)


def _read_tenses(tokens: tuple[Token, ...]) -> frozenset[str]:
    """ "who is the president" asks for today, "who was the president" for the past."""
    return frozenset(words.TENSES[t.lower] for t in tokens if t.lower in words.TENSES)


def _read_wording(tokens: tuple[Token, ...]) -> frozenset[tuple[str, int]]:
    kept = Counter(
        t.lower for t in tokens if t.kind in ("word", "ident") and t.lower not in words.FILLER
    )
    return frozenset(kept.items())


_IDENTS: Final = frozenset({"ident", "url"})

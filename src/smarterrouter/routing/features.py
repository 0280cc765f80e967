"""Text to sparse features for the request classifier.

Pure functions shared by the shipped model and its training script, so that
training and serving can never disagree on what a feature means. Words carry
the detail; the multilingual lexicons and the shape of the request (length of
the instruction, numbers and what kind they are, code, a pasted document, how
many questions, requirements and chained tasks it stacks up) carry what
generalises to wording the training data never saw. Every scan is bounded:
a pasted document is read through character counts, and regular expressions
only run over the instruction.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable
from dataclasses import dataclass

from smarterrouter.routing.lexicon import CJK_LEXICONS, WORD_LEXICONS

Features = dict[str, float]

# Past this a message is read as an instruction wrapped around a pasted
# document or log: its length says little about how hard the request is.
_PASTE_MIN_CHARS = 600
_INSTRUCTION_MAX_CHARS = 500
# Only the ends of a long paste are scanned: enough to tell code and logs from
# prose while keeping the cost flat for very long documents.
_PASTE_SCAN_CHARS = 1500
# Words are many and each is rare in a thousand training prompts: weighed
# lighter than the lexicons and the shape, they overfit less (chosen by
# cross-validation on the training set, `bench/train_router.py --cv 5`).
WORD_WEIGHT = 0.4
# Four-letter slices of words (edges marked) carry what words share across
# inflections, compounds, languages and typos ("optimise"/"optimizing",
# "Beweis"/"beweisen"); each slice alone says little, so it weighs less again.
CHAR_GRAM_WEIGHT = 0.3
_GRAM = 4

_PARAGRAPH = re.compile(r"\n\s*\n")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")
_CJK_RUN = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]+")
_WORD = re.compile(r"[^\W\d_]{2,}")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")

_LEADING: dict[str, frozenset[str]] = {
    # Judged on the first word or two only: they open easy questions and follow-ups.
    "easy": frozenset(
        [
            "hi",
            "hello",
            "hey",
            "yo",
            "thanks",
            "thank",
            "thx",
            "ok",
            "okay",
            "cool",
            "great",
            "nice",
            "hola",
            "gracias",
            "bonjour",
            "merci",
            "hallo",
            "danke",
            "what_is",
            "what's",
            "whats",
            "who_is",
            "who_was",
            "who_wrote",
            "who_painted",
            "when_did",
            "when_is",
            "where_is",
            "how_do",
            "how_to",
            "quick",
            "define",
            "is_it",
            "is_a",
            "is_there",
        ]
    ),
    "followup": frozenset(
        [
            "and",
            "also",
            "now",
            "ok",
            "okay",
            "what_if",
            "what_about",
            "but",
            "then",
            "instead",
            "same",
            "again",
            "can_you",
            "could_you",
            "make_it",
            "change",
            "convert",
            "shorter",
            "longer",
            "less",
            "more",
            "y",
            "et",
            "und",
        ]
    ),
}


def _compile(spec: str) -> tuple[frozenset[str], tuple[str, ...]]:
    entries = [e.replace("_", " ") for e in spec.split()]
    exact = frozenset(e for e in entries if not e.endswith("*"))
    return exact, tuple(e[:-1] for e in entries if e.endswith("*"))


_LEXICONS = {name: _compile(spec) for name, spec in WORD_LEXICONS.items()}


def _invert(
    lexicons: dict[str, tuple[frozenset[str], tuple[str, ...]]],
) -> dict[str, tuple[str, ...]]:
    """Phrase -> the lexicons it belongs to: one dict lookup per phrase."""
    index: dict[str, tuple[str, ...]] = {}
    for name, (exact, _) in lexicons.items():
        for entry in exact:
            index[entry] = (*index.get(entry, ()), name)
    return index


_EXACT = _invert(_LEXICONS)
_STEMS = tuple((stem, name) for name, (_, stems) in _LEXICONS.items() for stem in stems)
_ALL_STEMS = tuple(stem for stem, _ in _STEMS)
# Every branch opens on a character (or a short literal), never on "\b" or a
# lookbehind, so the engine skips most positions without entering the pattern.
_PATTERNS: dict[str, re.Pattern[str]] = {
    "syntax": re.compile(
        r"```|def \w|return\b|=>|[;{}][ \t]*$|#include|import \w|const \w|fn \w|SELECT\b|"
        r"\.\w+\(|\(\)|Error:|Exception|^\$ |_[a-zA-Z0-9]|[A-Z](?<=[a-z][A-Z])[a-z]|"
        r"\.(?:py|js|ts|go|rs|java|cpp|rb|sh|ya?ml|json)\b",
        re.M,
    ),
    "math_expr": re.compile(
        r"\d\s*[-+*/^\u00d7\u00f7=<>xX]\s*\d|[=<>≤≥]\s*-?\d|\d[a-zA-Z]\b(?<![$€£\d.,]\d.)|"
        r"[²³√∑∫π≈≤≥→∞]|\([a-zA-Z]\)(?<=[a-zA-Z]\([a-zA-Z]\))|\^\d"
    ),
}
# Requirements stacked on a request separate "hard" from "medium" far more
# than its topic does: the words are the "limits" lexicon, these are the marks
# (emphasis in capitals, enumerated items, CJK phrasing).
_CONSTRAINT_MARKS = re.compile(
    r"[A-Z]{3,}|^[ \t]*(?:\d+[.)]|[-*\u2022])\s|\(\w\)|必须|至少|ずつ|必ず|以上|以内", re.M
)
# Separate tasks chained in one request ("pull ..., cluster ..., then open a
# PR"): each opens a clause with an imperative verb.
_CLAUSE = re.compile(r"[.;:!?,\n]+|\band |\bthen ")
_STEP_VERBS, _ = _compile(
    """add analyse analyze book bootstrap build check cluster collect compare compute create
    derive describe design discuss download draft estimate evaluate explain fetch find fit
    flag get give group identify implement include list make model open outline plan plot
    propose prove pull rank recommend report rewrite run send show simulate solve suggest
    summarise summarize test tell translate use verify walk write"""
)
# Characters that are rare in prose but make up much of code, configs and logs.
_CODE_CHARS = "{}();=<>[]_/\\|$#@`"
_DIGITS = "0123456789"


def step_count(instruction: str) -> int:
    """Clauses that open with an imperative verb: the tasks chained in a request."""
    count = 0
    for clause in _CLAUSE.split(instruction.lower()):
        first = clause.split(None, 1)
        count += bool(first) and first[0] in _STEP_VERBS
    return count


@dataclass(frozen=True)
class Parts:
    """A user message split into what is asked and what was pasted."""

    instruction: str
    paste: str


def split_paste(text: str) -> Parts:
    """The instruction of a message, apart from a pasted document or log."""
    if len(text) <= _PASTE_MIN_CHARS:
        return Parts(text, "")
    paragraphs = [p for p in _PARAGRAPH.split(text.strip()) if p.strip()]
    head, tail = paragraphs[0], paragraphs[-1]
    asked = [_short_head(head)]
    if len(paragraphs) > 1:
        asked.append(_short_head(tail))
    instruction = "\n".join(a for a in asked if a)
    if not instruction:
        instruction = text[:200]
    paste = text[:_PASTE_SCAN_CHARS] + "\n" + text[-_PASTE_SCAN_CHARS // 2 :]
    return Parts(instruction, paste)


def _short_head(paragraph: str) -> str:
    if len(paragraph) <= _INSTRUCTION_MAX_CHARS:
        return paragraph
    first_line = paragraph.split("\n", 1)[0]
    return first_line if len(first_line) <= 300 else ""


def effective_length(text: str) -> int:
    """Characters, with CJK counted as the roughly three Latin ones they carry."""
    cjk = len(_CJK.findall(text))
    return len(text) - cjk + 3 * cjk


def _bucket(value: float, edges: Iterable[float]) -> int:
    return sum(1 for edge in edges if value >= edge)


def words_of(text: str) -> list[str]:
    """Lower-cased words outside CJK runs."""
    return _WORD.findall(_CJK_RUN.sub(" ", text.lower()))


def tokens(words: list[str], text: str) -> list[str]:
    """Word features, plus character bigrams of CJK runs (no spaces there)."""
    out = [f"w:{w}" for w in words]
    for run in _CJK_RUN.findall(text):
        out.extend(f"c:{run[i : i + 2]}" for i in range(max(1, len(run) - 1)))
    return out


def char_grams(words: list[str]) -> dict[str, float]:
    """Each distinct four-character slice of the words as a feature ("g:<wor",
    "g:word", "g:ord>"; "<" and ">" mark the word's edges), in the order the
    words come, so the same text always gives the same features in the same order."""
    grams: dict[str, float] = {}
    for word in dict.fromkeys(words):
        if len(word) >= _GRAM:
            marked = f"g:<{word}>"
            grams.update(
                dict.fromkeys(
                    (marked[:2] + marked[i : i + _GRAM] for i in range(2, len(marked) - 3)),
                    CHAR_GRAM_WEIGHT,
                )
            )
    return grams


def _phrases(words: list[str]) -> list[str]:
    pairs = [f"{a} {b}" for a, b in itertools.pairwise(words)]
    return words + pairs


def lexicon_hits(text: str, words: list[str]) -> dict[str, int]:
    """How often each lexicon and pattern occurs in the text (not saturated)."""
    counts: dict[str, int] = {}
    for phrase in _phrases(words):
        for name in _EXACT.get(phrase, ()):
            counts[name] = counts.get(name, 0) + 1
        # One C-level call rules out almost every phrase before the slow path.
        if phrase.startswith(_ALL_STEMS):
            for name in {n for stem, n in _STEMS if phrase.startswith(stem)}:
                counts[name] = counts.get(name, 0) + 1
    opening = _phrases(words[:2])
    for name, entries in _LEADING.items():
        if any(p in entries for p in opening):
            counts[name] = 1
    if _CJK_RUN.search(text):
        for name, subs in CJK_LEXICONS.items():
            counts[name] = counts.get(name, 0) + sum(1 for sub in subs if sub in text)
    for name, pattern in _PATTERNS.items():
        counts[name] = len(pattern.findall(text))
    return counts


def lexicon_features(counts: dict[str, int], prefix: str) -> Features:
    # Saturating: the fifth keyword adds little over the second.
    return {f"{prefix}{n}": min(c, 4) ** 0.5 for n, c in counts.items() if c}


# Named things mid-sentence (Triffin, MVCC, Curie): a request that lists many
# of them asks for expert depth.
_NAMED = re.compile(r"(?<=[\w,;:(] )[A-Z][\w-]+")
_SEPARATORS = (",", ";", "、", ":", "\u2014", "(")
# What a number is about: a question with a year, a price or a dose in it is
# usually about the world, while operators and bare quantities ask for a sum.
_NUMBER_KINDS: dict[str, re.Pattern[str]] = {
    "year": re.compile(r"(?<![\d.,])(?:1[0-9]{3}|20[0-9]{2})(?:s|er|年)?(?![\d.,%])"),
    "percent": re.compile(r"\d\s?%"),
    "money": re.compile(r"[$€£¥]\s?\d|\d\s?(?:[kK]\b(?!\s?[-+*/^=])|USD|EUR|GBP|dollars|euros|€)"),
    "unit": re.compile(
        r"\d\s?(?:kg|km|cm|mm|ml|mg|kcal|mph|km/h|m/s|GB|MB|TB|ms|°|hours?|h\b|minutes?|"
        r"min\b|years?|months?|weeks?|days?|people|times)"
    ),
}
# Separate questions in one message ("why …? and how …?") and enumerated asks.
_ASK = re.compile(r"[?\uff1f](?=\s|$)|^[ \t]*(?:\d+[.)]|[-*\u2022])\s", re.M)
_SENTENCE_END = re.compile(r"[.!?\u3002\uff1f\uff01]\s")


def shape(instruction: str, hits: dict[str, int]) -> Features:
    size = effective_length(instruction)
    numbers = len(_NUMBER.findall(instruction))
    clauses = sum(instruction.count(sep) for sep in _SEPARATORS)
    sentences = len(_SENTENCE_END.findall(instruction + " "))
    constraints = hits.get("limits", 0) + len(_CONSTRAINT_MARKS.findall(instruction))
    return {
        f"len:{_bucket(size, (25, 50, 90, 140, 200, 260, 330, 450))}": 1.0,
        f"num:{_bucket(numbers, (1, 3, 6))}": 1.0,
        f"clauses:{_bucket(clauses, (1, 3, 5, 8))}": 1.0,
        f"sent:{_bucket(sentences, (1, 2, 4))}": 1.0,
        "question": 1.0 if instruction.rstrip().endswith(("?", "\uff1f")) else 0.0,
        f"steps:{_bucket(step_count(instruction), (1, 2, 3, 5))}": 1.0,
        f"named:{_bucket(len(_NAMED.findall(instruction)), (1, 3, 6))}": 1.0,
        f"cons:{_bucket(constraints, (1, 3, 5, 8))}": 1.0,
        f"asks:{_bucket(len(_ASK.findall(instruction)), (1, 2, 3, 5))}": 1.0,
        **number_kinds(instruction),
    }


def number_kinds(instruction: str) -> Features:
    """Which kinds of number the instruction holds (years, money, measures)."""
    if not _NUMBER.search(instruction):
        return {}
    return {f"nk:{kind}": 1.0 for kind, p in _NUMBER_KINDS.items() if p.search(instruction)}


def paste_features(paste: str) -> Features:
    """Code, log or prose: from character counts, which stay cheap on long pastes."""
    if not paste:
        return {}
    size = max(1, len(paste))
    symbols = sum(paste.count(c) for c in _CODE_CHARS) / size
    digits = sum(paste.count(c) for c in _DIGITS) / size
    coded = symbols > 0.04 or (digits > 0.08 and paste.count(":") / size > 0.01)
    return {"paste": 1.0, "paste:code" if coded else "paste:prose": 1.0}


def message_features(text: str) -> Features:
    """Features of one user message (the turn being classified)."""
    parts = split_paste(text)
    feats: Features = {"bias": 1.0}
    words = words_of(parts.instruction)
    for tok in tokens(words, parts.instruction):
        feats[tok] = WORD_WEIGHT
    feats.update(char_grams(words))
    hits = lexicon_hits(parts.instruction, words)
    feats.update(lexicon_features(hits, "lex:"))
    feats.update(shape(parts.instruction, hits))
    feats.update(number_context(feats, hits))
    feats.update(paste_features(parts.paste))
    # How much was pasted or written: a 200-line module to review asks more
    # than a one-line snippet, whatever the instruction says.
    lines = text.count("\n")
    feats[f"lines:{_bucket(lines, (1, 4, 15, 60))}"] = 1.0
    return feats


def number_context(feats: Features, hits: dict[str, int]) -> Features:
    """Numbers crossed with what surrounds them: with maths words or operators
    they are a sum to do; with a question about the world, a fact to look up."""
    if "num:0" in feats:
        return {}
    mathy = bool(hits.get("math") or hits.get("math_expr"))
    out: Features = {"x:num&math" if mathy else "x:num&nomath": 1.0}
    for lexicon in ("topic", "easy", "explain"):
        if hits.get(lexicon):
            out[f"x:num&{lexicon}"] = 1.0
    return out


_CROSSED = (
    "len:",
    "lex:hard",
    "lex:easy",
    "cons:",
    "named:",
    "steps:",
    "sent:",
    "paste",
    "num:",
    "clauses:",
    "asks:",
    "lines:",
)


def difficulty_features(base: Features, category: str) -> Features:
    """The message's features crossed with its category: "long" means
    something different for a poem and for a proof."""
    feats = dict(base)
    feats[f"cat:{category}"] = 1.0
    for key in list(base):
        if key.startswith(_CROSSED):
            feats[f"{category}|{key}"] = base[key]
    return feats

"""Text cut up for the near-miss guards: code spans, quoted strings and tokens.

Part of guards.py's reading of a text (guard_features.py puts it together).
"""

from __future__ import annotations

import re
from typing import Final, NamedTuple

# ---- code and quotes: compared verbatim ------------------------------------------

_FENCED = re.compile(r"```[^\n`]*\n?(.*?)(?:```|\Z)", re.DOTALL)
_INLINE = re.compile(r"`([^`\n]+)`")
# Anchored and possessive: each run of name characters is scanned once, so a long
# unbroken string costs linear time, not quadratic.
_CALL = re.compile(r"(?<![\w.])[A-Za-z_][\w.]*+\([^()\n]*\)")
_CODE_LINE = re.compile(
    r"^(?:[ \t]{2,}\S.*|.*[;{}]\s*|\s*(?:def|class|import|from|return|if|for|while|function|"
    r"const|let|var|fn|pub|public|private|#include|SELECT|select|print|echo)\b.*)$",
    re.MULTILINE,
)
_QUOTED = re.compile(r"\"([^\"\n]+)\"|(?<![\w'])'([^'\n]+)'(?![\w'])")
# Curly quotes, the minus sign and the en dash, spelt as escapes to stay unambiguous.
_TYPOGRAPHIC = str.maketrans(
    {"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"', "\u2212": "-", "\u2013": "-"}
)


def code_parts(text: str) -> tuple[tuple[str, ...], str]:
    """(code spans in order, normalised; the prose left once they are cut out).

    Curly quotes and dashes in the prose are made plain first."""
    text = text.translate(_TYPOGRAPHIC)
    spans: list[str] = []

    def keep(code: str) -> str:
        lines = (line.rstrip() for line in code.strip("\n").splitlines())
        spans.append("\n".join(lines).strip())
        return " "

    prose = _FENCED.sub(lambda m: keep(m.group(1)), text)
    prose = _INLINE.sub(lambda m: keep(m.group(1)), prose)
    if "\n" in prose.strip():
        prose = _CODE_LINE.sub(lambda m: keep(m.group(0)), prose)
    prose = _CALL.sub(lambda m: keep(m.group(0)), prose)
    return tuple(spans), prose


# ---- tokens ----------------------------------------------------------------------

# (a character the pattern needs, so most texts skip it; pattern; replacement)
_PREPARE: Final = (
    (".", re.compile(r"\b(?:e\.g|i\.e|etc|vs)\.", re.IGNORECASE), " "),
    ("ase", re.compile(r"\b(upper|lower)[ -]case\b", re.IGNORECASE), r"\1case"),
    ("°", re.compile(r"°\s?([cCfF])\b"), r" degrees \1 "),
    ("º", re.compile(r"º\s?([cCfF])\b"), r" degrees \1 "),
    ("°", re.compile(r"°"), " degrees "),
    ("º", re.compile(r"º"), " degrees "),
    ("/", re.compile(r"\bkm\s?/\s?h\b", re.IGNORECASE), " kmh "),
    ("-", re.compile(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b"), r"\1 \2 \3"),
    ("/", re.compile(r"\b(\d{1,2})/(\d{1,2})/(\d{2,4})\b"), r"\1 \2 \3"),
    (".", re.compile(r"\b(\d{1,2})\.(\d{1,2})\.(\d{2,4})\b"), r"\1 \2 \3"),
)

_TOKEN = re.compile(
    r"""
     (?P<plain>[^\W\d_]+(?:'[^\W\d_]+)*)(?![\w@#+]|[./:-]\w)
    |(?P<url>https?://\S+|www\.\S+|[\w.+-]+@[\w-]+\.[\w.]+)
    |(?P<ident>(?<![\w-])--?[A-Za-z][\w-]*
        |[A-Za-z_]\w*(?:(?:[./]|::)\w+)+
        |[a-z]+[A-Z]\w*
        |\w*_\w+
        |[A-Za-z]+\d\w*)
    |(?P<num>\d+(?:[.,]\d+)*)
    |(?P<word>[^\W\d_]+(?:'[^\W\d_]+)*(?:\+\+|\#)?)
    |(?P<sym>[$€£¥₹%])
    |(?P<op>[-+*/=<>!&|^~]+)
    |(?P<punct>[.?:;\n])
    """,
    re.VERBOSE,
)


class Token(NamedTuple):
    kind: str
    text: str
    lower: str
    start: int
    end: int


def tokenize(prose: str) -> tuple[Token, ...]:
    for needle, pattern, replacement in _PREPARE:
        if needle in prose:
            prose = pattern.sub(replacement, prose)
    tokens = []
    # Most chunks between spaces are plain words: only the others need the full pattern.
    for chunk in _CHUNK.finditer(prose):
        text, at = chunk.group(), chunk.start()
        if text.isalpha() or len(text) > _LONGEST_PART:
            kind = "word" if text.isalpha() and not _is_camel_case(text) else "ident"
            tokens.append(Token(kind, text, text.lower(), at, at + len(text)))
            continue
        for m in _TOKEN.finditer(text):
            part = m.group()
            kind = m.lastgroup or ""
            if kind == "plain":
                kind = "ident" if _is_camel_case(part) else "word"
            tokens.append(Token(kind, part, part.lower(), at + m.start(), at + m.end()))
    return tuple(tokens)


_CHUNK = re.compile(r"[^\s]+|\n")
# A longer run without spaces (a hash, base64, a long URL) is one identifier, compared
# whole: the token pattern would take quadratic time over it.
_LONGEST_PART: Final = 100


def _is_camel_case(text: str) -> bool:
    """useEffect, getElementById: an identifier, though made of letters only."""
    return text[0].islower() and not text.islower()


def quotes(prose: str) -> tuple[str, ...]:
    if '"' not in prose and "'" not in prose:
        return ()
    return tuple((m.group(1) or m.group(2)).strip() for m in _QUOTED.finditer(prose))


def prev(tokens: tuple[Token, ...], i: int) -> Token | None:
    return tokens[i - 1] if i > 0 else None


def next_token(tokens: tuple[Token, ...], i: int) -> Token | None:
    return tokens[i + 1] if i + 1 < len(tokens) else None


def prev_word(tokens: tuple[Token, ...], i: int) -> str:
    before = prev(tokens, i)
    return before.lower if before is not None else ""


def next_to_number(tokens: tuple[Token, ...], i: int) -> bool:
    before, after = prev(tokens, i), next_token(tokens, i)
    return (before is not None and before.kind == "num") or (
        after is not None and after.kind == "num"
    )

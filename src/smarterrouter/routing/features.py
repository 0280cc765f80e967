"""Text to sparse features for the request classifier.

Pure functions shared by the shipped model and its training script, so that
training and serving can never disagree on what a feature means. Words carry
the detail; the multilingual lexicons and the shape of the request (length of
the instruction, numbers, code, a pasted document) carry what generalises to
wording the training data never saw.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable
from dataclasses import dataclass

Features = dict[str, float]

# Past this a message is read as an instruction wrapped around a pasted
# document or log: its length says little about how hard the request is.
_PASTE_MIN_CHARS = 600
_INSTRUCTION_MAX_CHARS = 500
# Only the ends of a long paste are scanned: enough to tell code and logs from
# prose while keeping the cost flat for very long documents.
_PASTE_SCAN_CHARS = 1500

_PARAGRAPH = re.compile(r"\n\s*\n")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")
_CJK_RUN = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]+")
_WORD = re.compile(r"[^\W\d_]{2,}")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")

# Each lexicon is one feature: many languages and phrasings map to the same
# evidence, which a few hundred training examples could never cover word by word.
# Words and phrases are looked up in sets (a regex alternation of this size costs
# far more); entries ending in "*" match as prefixes.
_WORD_LEXICONS: dict[str, str] = {
    "code": """code coding function función funcion fonction funktion class method bug debug
        compile compiler traceback exception stacktrace python javascript js typescript java
        rust golang go c++ c# kotlin swift ruby php haskell elixir scala verilog sql postgres
        mysql sqlite redis regex api endpoint refactor test tests pytest jest junit script skript
        algorithm algoritmo implement implementa implementiere repo repository git branch commit
        docker dockerfile kubernetes kubectl k8s pod bash shell css html react node npm pip
        django flask fastapi pandas yaml json nginx linux server async await thread mutex lock
        queue cache database query index array list dict dictionary string integer int variable
        loop recursion pointer segfault memory build ci pipeline library package framework
        frontend backend microservice microservices schema migration vim ssh terminal command
        cli bytecode vm jit parser lexer interpreter hash tree graph""",
    "math": """prove proof prueba demuestra demostrar montrer montre démontre beweise derive
        derivative integral integrate calculate calcula calcule berechne compute solve resuelve
        résous löse equation ecuación équation gleichung probability probabilidad probabilité
        wahrscheinlichkeit odds theorem lemma induction prime primes primo divisible
        integers entier fraction percent percentage median variance how_many how_much
        cuántos cuántas cuanto combien wie_viele quanto quantos
        logic puzzle riddle estimate fermi optimal optimize minimize maximize matrix eigenvalue
        eigenvalues series sequence suite km mph kg compounded velocity geometry triangle
        circle angle area volume perimeter
        statistically significant hypothesis sudoku knight knights knave knaves liar liars""",
    "creative": """story stories poem poems poetry haiku sonnet villanelle sestina limerick
        lyrics song rap verse rhyme rhymes novel chapter fiction fable fairy_tale screenplay
        monologue dialogue scene character roleplay worldbuilding villain plot twist slogan
        tagline caption headline name names brand motto pun puns joke jokes funny humor humour
        toast eulogy speech tweet post bio blurb ad advert copy description newsletter
        invitation card greeting message note letter ideas brainstorm creative imagine invent
        cuento historia poema canción rima eslogan frase histoire poème chanson conte
        geschichte gedicht lied reim spruch kurzgeschichte conto poesia legenda""",
    "write": """write draft compose create make_up come_up give_me escribe escreva escreve
        écris écrire schreib schreibe verfasse inventa""",
    "explain": """explain explica explique erkläre what_is what's what_are who when where why
        how_does how_do difference differences diferencia différence unterschied compare history
        causes meaning mean significa signifie bedeutet summarize summarise summary resume
        resumen résume résumé zusammen translate traduce traduis traduza übersetze pros cons
        advice tips should_i""",
    "hard": """prove proof rigorous rigorously derive formal optimal complexity from_scratch
        distributed concurren* lock-free consisten* architecture architect design trade-off
        trade-offs tradeoffs scalab* production exactly strict strictly every each all compare
        contrast analyze analyse in_depth comprehensive end_to_end constraint constraints must
        at_least no_more without guarantee* failure_modes edge_cases benchmark simulat*
        equilibrium closed_form general generalize debate hypotheses hypothesis mechanism
        mechanisms implications consequences evidence walk_me demuestra riguros* analiza
        compara vergleich* beweise""",
    "thanks": """thanks thank thx ty worked works_now that_was perfect awesome gracias merci
        danke obrigado obrigada""",
    "action": """my our prod staging server cluster account calendar inbox branch right_now
        current currently today's live""",
}
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


_LEXICONS = {name: _compile(spec) for name, spec in _WORD_LEXICONS.items()}
_CJK_LEXICONS: dict[str, tuple[str, ...]] = {
    "code": tuple(
        [
            "代码",
            "函数",
            "程序",
            "脚本",
            "编程",
            "实现",
            "接口",
            "数据库",
            "コード",
            "関数",
            "プログラム",
            "スクリプト",
            "実装",
            "코드",
            "함수",
            "프로그램",
            "파이썬",
        ]
    ),
    "math": tuple(
        [
            "证明",
            "計算",
            "计算",
            "求",
            "多少",
            "几",
            "概率",
            "方程",
            "証明",
            "いくつ",
            "何人",
            "확률",
            "증명",
            "계산",
            "몇",
        ]
    ),
    "creative": tuple(
        [
            "诗",
            "故事",
            "小说",
            "歌词",
            "相声",
            "标语",
            "名字",
            "文案",
            "詩",
            "俳句",
            "短歌",
            "物語",
            "小説",
            "キャッチコピー",
            "名前",
            "歌詞",
            "소설",
            "이야기",
            "가사",
        ]
    ),
    "explain": tuple(
        [
            "什么",
            "为什么",
            "怎么",
            "介绍",
            "翻译",
            "区别",
            "是什么",
            "とは",
            "意味",
            "なぜ",
            "説明",
            "翻訳",
            "違い",
            "뭐예요",
            "차이",
            "왜",
            "설명",
            "번역",
        ]
    ),
    "hard": tuple(
        [
            "論じ",
            "比較",
            "証明",
            "分析",
            "比较",
            "论",
            "증명",
            "厳密",
            "严格",
            "伏線",
            "伏笔",
            "包袱",
            "至少",
            "以上",
        ]
    ),
}
_PATTERNS: dict[str, re.Pattern[str]] = {
    "syntax": re.compile(
        r"```|\bdef \w|\breturn\b|=>|[;{]\s*$|^\s*}|#include|\bimport \w|\bconst \w|"
        r"\bfn \w|\bSELECT\b|\w\.\w+\(|\(\)|Error:|Exception|^\$ |\w_\w|[a-z][A-Z]\w|"
        r"\.(?:py|js|ts|go|rs|java|cpp|rb|sh|ya?ml|json)\b",
        re.M,
    ),
    "math_expr": re.compile(
        r"\d\s*[-+*/^\u00d7\u00f7=<>]\s*\d|\b[a-z]\s*[=<>≤≥]\s*\d|\d[a-z]\b|[²³√∑∫π≈≤≥→∞]|"
        r"\b[a-z]\([a-z]\)|\^\d|\d%",
        re.I,
    ),
}


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


def _phrases(words: list[str]) -> list[str]:
    pairs = [f"{a} {b}" for a, b in itertools.pairwise(words)]
    return words + pairs


def lexicon_counts(text: str, words: list[str], prefix: str) -> Features:
    counts: dict[str, int] = {}
    for phrase in _phrases(words):
        for name, (exact, stems) in _LEXICONS.items():
            if phrase in exact or (stems and phrase.startswith(stems)):
                counts[name] = counts.get(name, 0) + 1
    opening = _phrases(words[:2])
    for name, entries in _LEADING.items():
        if any(p in entries for p in opening):
            counts[name] = 1
    if _CJK_RUN.search(text):
        for name, subs in _CJK_LEXICONS.items():
            counts[name] = counts.get(name, 0) + sum(1 for sub in subs if sub in text)
    for name, pattern in _PATTERNS.items():
        counts[name] = len(pattern.findall(text))
    # Saturating: the fifth keyword adds little over the second.
    return {f"{prefix}{n}": min(c, 4) ** 0.5 for n, c in counts.items() if c}


def shape(instruction: str) -> Features:
    size = effective_length(instruction)
    numbers = len(_NUMBER.findall(instruction))
    clauses = instruction.count(",") + instruction.count(";") + instruction.count("、")
    sentences = len(re.findall(r"[.!?\u3002\uff1f\uff01]\s", instruction + " "))
    return {
        f"len:{_bucket(size, (25, 50, 90, 140, 200, 260, 330, 450))}": 1.0,
        f"num:{_bucket(numbers, (1, 3, 6))}": 1.0,
        f"clauses:{_bucket(clauses, (1, 3, 5, 8))}": 1.0,
        f"sent:{_bucket(sentences, (1, 2, 4))}": 1.0,
        "question": 1.0 if instruction.rstrip().endswith(("?", "\uff1f")) else 0.0,
    }


def paste_features(paste: str) -> Features:
    if not paste:
        return {}
    feats: Features = {"paste": 1.0}
    code_hits = len(_PATTERNS["syntax"].findall(paste))
    density = code_hits / max(1, len(paste) / 100)
    feats["paste:code" if density > 1.0 else "paste:prose"] = 1.0
    return feats


def message_features(text: str) -> Features:
    """Features of one user message (the turn being classified)."""
    parts = split_paste(text)
    feats: Features = {"bias": 1.0}
    words = words_of(parts.instruction)
    for tok in tokens(words, parts.instruction):
        feats[tok] = 1.0
    feats.update(lexicon_counts(parts.instruction, words, "lex:"))
    feats.update(shape(parts.instruction))
    feats.update(paste_features(parts.paste))
    return feats


def difficulty_features(base: Features, category: str) -> Features:
    """The message's features crossed with its category: "long" means
    something different for a poem and for a proof."""
    feats = dict(base)
    feats[f"cat:{category}"] = 1.0
    for key in list(base):
        if key.startswith(("len:", "lex:hard", "lex:easy", "paste", "num:", "clauses:")):
            feats[f"{category}|{key}"] = base[key]
    return feats

"""Model names as backends and leaderboards spell them, read into their parts.

`parse_model_name("qwen2.5-coder:7b-instruct-q4_K_M")` gives family qwen,
version 2.5, line coder, tuning instruct, size 7b. It understands Ollama tags
(`llama3.1:8b`), Hugging Face repos and GGUF files
(`hf.co/bartowski/Llama-3.2-3B-Instruct-GGUF:Q4_K_M`,
`Qwen2.5-Coder-0.5B-Instruct-Q8_0.gguf`), llama-server router ids and
leaderboard names (`Qwen/Qwen2.5-7B-Instruct`, `gemma-2-9b-it`). Quantisation
and file suffixes are dropped. Pure: no table, no I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# "7b", "0.5b", "135m", "8x7b", "30b-a3b": a size stands alone (not "q4_k_m", not "v0.1").
_SIZE = re.compile(
    r"(?<![a-z0-9.])(?:(?P<experts>\d+)x)?(?P<num>\d+(?:\.\d+)?)(?P<unit>[bm])"
    r"(?:-a(?P<active>\d+(?:\.\d+)?)b)?(?![a-z0-9])"
)
_QUANT = re.compile(
    r"(?<![a-z0-9])(?:i?q\d(?:_[a-z0-9]+)*|f16|f32|bf16|fp16|fp8|int[48]|gguf|ggml|gptq|awq"
    r"|mlx|exl2|\d+bit|\d+bpw|imatrix)(?![a-z0-9])"
)
_SHARD = re.compile(r"-\d{5}-of-\d{5}")
# A version right after the family name, unless it is really a size ("qwen-7b").
_V = r"(?:[-_ ]?(?P<version>\d+(?:\.\d+)?)(?![\d.]*[bm](?![a-z])))?"
# Earliest match wins, so "deepseek-r1-distill-qwen-7b" is DeepSeek-R1, not Qwen.
_FAMILIES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(r"(?<![a-z])" + pattern))
    for name, pattern in (
        ("codellama", r"code[-_]?llama"),
        ("tinyllama", r"tiny[-_]?llama"),
        ("codegemma", r"codegemma"),
        ("llama", r"(?:meta[-_])?llama" + _V),
        ("qwen", r"qwen" + _V),
        ("mixtral", r"mixtral"),
        ("mistral", r"mistral"),
        ("gemma", r"gemma" + _V),
        ("phi", r"phi" + _V),
        ("deepseek-r1", r"deepseek[-_]r1"),
        ("deepseek-coder", r"deepseek[-_]coder(?:[-_]v(?P<version>\d+))?"),
        ("smollm", r"smollm(?P<version>\d+)?"),
        ("gpt", r"gpt[-_]?(?P<version>\d+(?:\.\d+)?o?)"),
    )
)
_INSTRUCT = {"instruct", "it", "chat", "inst"}
_BASE = {"base", "text", "pt"}
_LINES = {"coder": "coder", "math": "math", "vision": "vision", "vl": "vision", "nemo": "nemo"}
# Microsoft names Phi sizes by word; these are the published parameter counts.
_PHI_WORDS = {"mini": "3.8b", "small": "7b", "medium": "14b"}


@dataclass(frozen=True)
class ModelSize:
    total_b: float  # all parameters, in billions (8x7b counts 56)
    experts: int | None = None
    active_b: float | None = None  # "a3b": parameters active per token

    @property
    def label(self) -> str:
        if self.experts:
            return f"{self.experts}x{_num(self.total_b / self.experts)}b"
        head = f"{_num(self.total_b * 1000)}m" if self.total_b < 1 else f"{_num(self.total_b)}b"
        return head + (f"-a{_num(self.active_b)}b" if self.active_b else "")

    def same_as(self, other: ModelSize) -> bool:
        """The same model size: totals within 2%; experts and active parameters
        equal when both names say them."""
        if abs(self.total_b - other.total_b) > 0.02 * max(self.total_b, other.total_b):
            return False
        if self.experts and other.experts and self.experts != other.experts:
            return False
        return not (self.active_b and other.active_b and self.active_b != other.active_b)


@dataclass(frozen=True)
class ParsedName:
    text: str  # the name as parsed: lower case, without quantisation or file suffix
    base: str  # the name before any ":tag", without a "latest" tag
    family: str | None
    version: str | None
    line: str | None
    tuning: str | None  # "instruct", "base", or None when the name does not say
    size: ModelSize | None


def _num(value: float) -> str:
    return f"{value:g}"


def parse_size(text: str) -> ModelSize | None:
    """'7b' -> 7.0, '135m' -> 0.135, '8x7b' -> 56 with 8 experts, '30b-a3b' -> 30, 3 active."""
    match = _SIZE.search(text.lower())
    if not match:
        return None
    num = float(match["num"]) / (1000 if match["unit"] == "m" else 1)
    experts = int(match["experts"]) if match["experts"] else None
    active = float(match["active"]) if match["active"] else None
    return ModelSize(round(num * (experts or 1), 6), experts, active)


def normalise(name: str) -> tuple[str, str]:
    """(text, base): lower case, last path part, quantisation, shards and file
    suffixes gone, an Ollama tag joined with '-' (a 'latest' tag dropped)."""
    lowered = name.strip().lower().rsplit("/", 1)[-1]
    lowered = re.sub(r"\.(gguf|bin|safetensors)$", "", lowered)
    base, _, tag = lowered.partition(":")
    base = base.strip()
    text = base if tag in ("", "latest") else f"{base}-{tag}"
    text = _QUANT.sub("", _SHARD.sub("", text))
    text = re.sub(r"[-_. ]{2,}", "-", text).strip("-_. ")
    return text, base


def parse_model_name(name: str) -> ParsedName:
    text, base = normalise(name)
    family, version, start = _family(text)
    tokens = set(re.split(r"[-_. /]+", text))
    line = _line(text, family, start, tokens)
    tuning = "instruct" if tokens & _INSTRUCT else "base" if tokens & _BASE else None
    size = parse_size(text)
    if size is None and family == "phi":
        size = next((parse_size(s) for w, s in _PHI_WORDS.items() if w in tokens), None)
    return ParsedName(text, base, family, version, line, tuning, size)


def _family(text: str) -> tuple[str | None, str | None, int]:
    found = [(m.start(), -len(m[0]), name, m) for name, p in _FAMILIES if (m := p.search(text))]
    if not found:
        return None, None, -1
    start, _, name, match = min(found, key=lambda f: (f[0], f[1]))
    return name, match.groupdict().get("version"), start


def _line(text: str, family: str | None, start: int, tokens: set[str]) -> str | None:
    if family == "deepseek-r1":
        # "DeepSeek-R1-Distill-Qwen-7B": the distilled model's base names the line.
        rest = text[start + len("deepseek-r1") :]
        for base in ("qwen", "llama"):
            if base in rest:
                return f"distill-{base}"
        return None
    if family == "deepseek-coder":  # "coder" is its family, not a line
        return "lite" if "lite" in tokens else None
    return next((line for word, line in _LINES.items() if word in tokens), None)

"""Model size in billions of parameters, from metadata or, failing that, the name."""

from __future__ import annotations

import re

# "7b", "0.5B", "1.5b-instruct", "135m", "8x7b", "8x22B"; a size must stand
# alone (not "q4_k_m", not "v0.1", not "gpt-4o").
_SIZE = re.compile(
    r"(?<![a-z0-9.])(?:(?P<experts>\d+)x)?(?P<num>\d+(?:\.\d+)?)(?P<unit>[bm])(?![a-z0-9])",
    re.IGNORECASE,
)
# Names that carry no number but a well-known size.
_NAMED_SIZES = {
    "phi3:mini": 3.8,
    "phi3:medium": 14.0,
    "phi3.5": 3.8,
    "phi4-mini": 3.8,
    "phi4": 14.0,
    "gemma:2b": 2.5,
    "tinyllama": 1.1,
    "mistral": 7.2,
    "mixtral": 46.7,
    "llama2": 6.7,
    "llama3": 8.0,
    "codellama": 7.0,
    "nomic-embed-text": 0.137,
    "all-minilm": 0.023,
    "mxbai-embed-large": 0.335,
    "smollm2": 1.7,
}


def parse_parameter_size(text: str | None) -> float | None:
    """'7.6B' -> 7.6, '135M' -> 0.135, '8x7B' -> 56.0; None when it says nothing."""
    if not text:
        return None
    match = _SIZE.fullmatch(text.strip()) or _SIZE.search(text)
    if not match:
        return None
    return _value(match)


def _value(match: re.Match[str]) -> float:
    num = float(match["num"])
    if match["unit"].lower() == "m":
        num /= 1000
    experts = match["experts"]
    return round(num * (int(experts) if experts else 1), 6)


def size_from_name(name: str) -> float | None:
    """Billions of parameters read from a model name, or None."""
    lowered = name.lower()
    # hf.co/owner/Repo-GGUF:Q4_K_M: the size is in the repo part, not the quant tag.
    base = lowered.rsplit("/", 1)[-1]
    tagless = base.split(":", 1)
    candidates = [tagless[1], tagless[0]] if len(tagless) == 2 else [tagless[0]]
    for part in candidates:
        match = _SIZE.search(part)
        if match:
            return _value(match)
    for prefix, size in sorted(_NAMED_SIZES.items(), key=lambda kv: -len(kv[0])):
        if base.startswith(prefix):
            return size
    return None

"""Real model names, as backends and leaderboards spell them, against the table."""

from __future__ import annotations

import pytest

from smarterrouter.benchmarks.matching import Match, Matcher, NoMatch
from smarterrouter.benchmarks.names import parse_model_name, parse_size
from smarterrouter.benchmarks.table import load_table

# name -> the table entry it is, or None (not in the table, or not knowable).
NAMES: dict[str, str | None] = {
    # Ollama library tags
    "qwen2.5-coder:7b-instruct-q4_K_M": "qwen-2.5-coder-7b-instruct",
    "qwen2.5-coder:1.5b": "qwen-2.5-coder-1.5b-instruct",
    "qwen2.5-coder:32b-instruct-q8_0": "qwen-2.5-coder-32b-instruct",
    "qwen2.5-coder:latest": "qwen-2.5-coder-7b-instruct",
    "qwen2.5:0.5b": "qwen-2.5-0.5b-instruct",
    "qwen2.5:7b-instruct-q4_K_M": "qwen-2.5-7b-instruct",
    "qwen2.5:72b": "qwen-2.5-72b-instruct",
    "qwen2.5:7b-text-q4_K_M": None,  # the base model: the table has only instruct figures
    "qwen2:1.5b": "qwen-2-1.5b-instruct",
    "qwen3:8b": "qwen-3-8b-base",
    "qwen3:30b-a3b": "qwen-3-30b-a3b-base",
    "qwen3:0.6b": None,
    "llama3.1:8b": "llama-3.1-8b-instruct",
    "llama3.1:70b-instruct-q4_0": "llama-3.1-70b-instruct",
    "llama3.1": "llama-3.1-8b-instruct",
    "llama3.1:latest": "llama-3.1-8b-instruct",
    "llama3.2:1b": "llama-3.2-1b-instruct",
    "llama3.2:latest": "llama-3.2-3b-instruct",
    "llama3.2-vision:11b": None,
    "llama3.3:70b": "llama-3.3-70b-instruct",
    "llama3:8b": "llama-3-8b-instruct",
    "llama3:70b-text": None,
    "llama2:13b": "llama-2-13b",
    "llama2:7b-text": "llama-2-7b",
    "codellama:13b-instruct": "codellama-13b-instruct",
    "codellama:34b": None,
    "tinyllama:latest": "tinyllama-1.1b",
    "mistral:latest": "mistral-7b",
    "mistral": "mistral-7b",
    "mistral:instruct": None,  # a tag without a size is no default
    "mistral-nemo:12b": "mistral-nemo-12b",
    "mixtral:8x7b": "mixtral-8x7b",
    "mixtral:8x22b": None,
    "gemma2:9b": "gemma-2-9b",
    "gemma2:2b-instruct-q4_K_M": None,  # instruct: the table holds the pretrained figures
    "gemma3:4b": "gemma-3-4b-it",
    "gemma3:27b-it-qat": "gemma-3-27b-it",
    "gemma3:270m": None,
    "gemma-3-270m-q4_k_m": None,
    "phi4-mini": "phi-4-mini-instruct",
    "phi4-mini:3.8b-q8_0": "phi-4-mini-instruct",
    "phi4:latest": "phi-4",
    "phi4:14b": "phi-4",
    "phi3:mini": "phi-3-mini-instruct",
    "phi3:14b": "phi-3-medium-instruct",
    "phi3.5": "phi-3.5-mini-instruct",
    "deepseek-r1:7b": "deepseek-r1-distill-qwen-7b",
    "deepseek-r1:1.5b": "deepseek-r1-distill-qwen-1.5b",
    "deepseek-r1:70b": "deepseek-r1-distill-llama-70b",
    "deepseek-r1:8b": None,  # Ollama moved this tag to another distill: never guess
    "deepseek-r1:latest": None,
    "deepseek-coder:6.7b": "deepseek-coder-6.7b-instruct",
    "deepseek-coder-v2:16b": "deepseek-coder-v2-lite-instruct",
    "smollm2:135m": "smollm-2-135m-instruct",
    "smollm2:360m": None,
    "smollm2": "smollm-2-1.7b-instruct",
    "nomic-embed-text:latest": None,
    # Hugging Face repos, GGUF files, llama-server router ids
    "hf.co/bartowski/Llama-3.2-3B-Instruct-GGUF:Q4_K_M": "llama-3.2-3b-instruct",
    "hf.co/Qwen/Qwen2.5-Coder-1.5B-Instruct-GGUF:Q8_0": "qwen-2.5-coder-1.5b-instruct",
    "hf.co/unsloth/Qwen3-30B-A3B-GGUF:Q4_K_M": "qwen-3-30b-a3b-base",
    "hf.co/bartowski/Meta-Llama-3.1-8B-Instruct-GGUF:IQ4_XS": "llama-3.1-8b-instruct",
    "hf.co/bartowski/Llama-3.2-3B-Instruct-GGUF": "llama-3.2-3b-instruct",
    "Qwen2.5-Coder-0.5B-Instruct-Q8_0.gguf": "qwen-2.5-coder-0.5b-instruct",
    "qwen2.5-coder-0.5b-instruct-q4_k_m": "qwen-2.5-coder-0.5b-instruct",
    "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf": "qwen-2.5-coder-1.5b-instruct",
    "smollm2-135m-instruct-q4_1": "smollm-2-135m-instruct",
    "SmolLM2-135M-Instruct.Q4_1.gguf": "smollm-2-135m-instruct",
    "ggml-org/gemma-3-1b-it-GGUF:Q4_K_M": "gemma-3-1b-it",
    "gemma-3-12b-it-Q4_K_M-00001-of-00002.gguf": "gemma-3-12b-it",
    "Phi-3.5-mini-instruct-Q4_K_M.gguf": "phi-3.5-mini-instruct",
    "Mixtral-8x7B-v0.1.Q5_K_M.gguf": "mixtral-8x7b",
    "mistral-7b-instruct-v0.2.Q4_K_M.gguf": None,  # instruct: the table holds v0.1 base
    "DeepSeek-R1-Distill-Qwen-14B-Q4_K_M.gguf": "deepseek-r1-distill-qwen-14b",
    "DeepSeek-R1-Distill-Llama-8B-Q4_K_M.gguf": "deepseek-r1-distill-llama-8b",
    "TinyLlama-1.1B-Chat-v1.0.Q4_K_M.gguf": None,  # chat model; the paper's figures are base
    "all-minilm-l6-v2-q8_0.gguf": None,
    # llama-server router mode: the models.ini section names of scripts/install_models.py
    "qwen2.5-coder-0.5b-instruct": "qwen-2.5-coder-0.5b-instruct",
    "qwen2.5-coder-1.5b-instruct": "qwen-2.5-coder-1.5b-instruct",
    "smollm2-135m-instruct": "smollm-2-135m-instruct",
    "all-minilm-l6-v2": None,
    # Leaderboard names
    "Qwen/Qwen2.5-7B-Instruct": "qwen-2.5-7b-instruct",
    "meta-llama/Llama-3.3-70B-Instruct": "llama-3.3-70b-instruct",
    "meta-llama/Meta-Llama-3-8B-Instruct": "llama-3-8b-instruct",
    "meta-llama/Llama-2-70b-hf": "llama-2-70b",  # the pretrained model
    "google/gemma-2-27b": "gemma-2-27b",
    "gemma-2-9b-it": None,
    "llama-3.1-405b-instruct": "llama-3.1-405b-instruct",
    "qwen2.5-72b-instruct": "qwen-2.5-72b-instruct",
    "phi-4": "phi-4",
    "microsoft/phi-4": "phi-4",
    "deepseek-ai/DeepSeek-Coder-V2-Lite-Instruct": "deepseek-coder-v2-lite-instruct",
    "mistralai/Mistral-7B-v0.1": "mistral-7b",
    # OpenAI API names: closed models, not in the table
    "gpt-4o-mini": None,
    "gpt-4o": None,
    "gpt-3.5-turbo": None,
    "text-embedding-3-small": None,
}


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return Matcher(load_table())


def test_the_table_covers_at_least_fifty_real_names() -> None:
    assert len(NAMES) >= 50
    assert sum(v is not None for v in NAMES.values()) >= 40


@pytest.mark.parametrize(("name", "expected"), sorted(NAMES.items()))
def test_each_name_matches_its_entry_or_nothing(
    matcher: Matcher, name: str, expected: str | None
) -> None:
    found = matcher.match(name)
    got = found.entry.id if isinstance(found, Match) else None
    assert got == expected, found


def test_a_match_never_crosses_sizes(matcher: Matcher) -> None:
    for name in NAMES:
        found = matcher.match(name)
        parsed = parse_model_name(name)
        if isinstance(found, Match) and found.how == "parsed":
            assert parsed.size is not None and found.entry.size.same_as(parsed.size), name


def test_the_parts_of_a_name() -> None:
    p = parse_model_name("qwen2.5-coder:7b-instruct-q4_K_M")
    assert (p.family, p.version, p.line, p.tuning, p.size) == (
        "qwen",
        "2.5",
        "coder",
        "instruct",
        parse_size("7b"),
    )
    g = parse_model_name("gemma-3-270m-q4_k_m")
    assert (g.family, g.version, g.size and g.size.label) == ("gemma", "3", "270m")
    moe = parse_model_name("hf.co/unsloth/Qwen3-30B-A3B-GGUF:Q4_K_M").size
    assert moe is not None and (moe.total_b, moe.active_b, moe.label) == (30, 3, "30b-a3b")
    mixtral = parse_model_name("mixtral:8x7b-instruct-v0.1-q4_0")
    assert mixtral.size is not None and (mixtral.size.experts, mixtral.size.total_b) == (8, 56)
    assert parse_model_name("deepseek-r1:7b").line is None
    assert parse_model_name("DeepSeek-R1-Distill-Llama-70B").line == "distill-llama"


def test_how_each_match_was_made(matcher: Matcher) -> None:
    assert _how(matcher, "qwen2.5:7b") == "parsed"
    assert _how(matcher, "mistral:latest") == "default size"
    assert _how(matcher, "deepseek-r1:7b") == "exact name"
    base = matcher.match("llama2:13b")
    assert isinstance(base, Match) and base.note and "base model" in base.note


def test_a_family_without_a_size_says_why(matcher: Matcher) -> None:
    found = matcher.match("deepseek-r1:latest")
    assert isinstance(found, NoMatch) and "no size" in found.reason


def test_the_mapping_file_decides_first() -> None:
    matcher = Matcher(load_table(), {"my-coder": "qwen-2.5-coder-7b-instruct", "qwen2.5:7b": None})
    assert _how(matcher, "my-coder") == "mapping file"
    assert isinstance(matcher.match("qwen2.5:7b"), NoMatch)


def _how(matcher: Matcher, name: str) -> str | None:
    found = matcher.match(name)
    return found.how if isinstance(found, Match) else None

import pytest

from smarterrouter.routing.sizes import parse_parameter_size, size_from_name

NAMES = [
    ("mistral:7b", 7.0),
    ("mistral:latest", 7.2),
    ("mixtral:8x7b", 56.0),
    ("mixtral:8x22b", 176.0),
    ("llama3.3:70b", 70.0),
    ("llama3.2:1b-instruct-q4_K_M", 1.0),
    ("llama3.2:3b", 3.0),
    ("llama3.1:405b", 405.0),
    ("llama3:latest", 8.0),
    ("llama2:13b-chat", 13.0),
    ("gemma3:27b", 27.0),
    ("gemma3:270m", 0.27),
    ("gemma2:2b-instruct-q8_0", 2.0),
    ("gemma:2b", 2.0),
    ("qwen2.5-coder:32b", 32.0),
    ("qwen2.5-coder:1.5b-instruct-q4_K_M", 1.5),
    ("qwen2.5:0.5b", 0.5),
    ("qwen3:30b-a3b", 30.0),
    ("qwen3:235b-a22b", 235.0),
    ("deepseek-r1:70b", 70.0),
    ("deepseek-r1:1.5b", 1.5),
    ("deepseek-coder-v2:16b", 16.0),
    ("phi3:mini", 3.8),
    ("phi3:medium", 14.0),
    ("phi3:14b", 14.0),
    ("phi4:latest", 14.0),
    ("phi4-mini:latest", 3.8),
    ("tinyllama:latest", 1.1),
    ("codellama:34b-instruct", 34.0),
    ("codellama:latest", 7.0),
    ("smollm2:135m", 0.135),
    ("smollm2:360m-instruct-q8_0", 0.36),
    ("nomic-embed-text:latest", 0.137),
    ("all-minilm:l6-v2", 0.023),
    ("hf.co/bartowski/Llama-3.2-3B-Instruct-GGUF:Q4_K_M", 3.0),
    ("hf.co/bartowski/Qwen2.5-Coder-14B-Instruct-GGUF:Q5_K_M", 14.0),
    ("hf.co/unsloth/gemma-3-12b-it-GGUF:Q4_K_XL", 12.0),
    ("qwen2.5-coder-0.5b-instruct", 0.5),
    ("qwen2.5-coder-1.5b-instruct", 1.5),
    ("smollm2-135m-instruct", 0.135),
    ("Meta-Llama-3.1-8B-Instruct-Q4_K_M.gguf", 8.0),
    ("mistral-nemo:12b", 12.0),
    ("command-r:35b", 35.0),
    ("yi:34b", 34.0),
    ("solar:10.7b", 10.7),
]


@pytest.mark.parametrize(("name", "size"), NAMES)
def test_size_from_real_model_names(name: str, size: float) -> None:
    assert size_from_name(name) == pytest.approx(size)


@pytest.mark.parametrize(
    "name", ["gpt-4o", "claude-3-5-sonnet", "o1-mini", "text-embedding-3-small"]
)
def test_names_without_size_say_so(name: str) -> None:
    assert size_from_name(name) is None


@pytest.mark.parametrize(
    ("text", "size"),
    [("7.6B", 7.6), ("135M", 0.135), ("8x7B", 56.0), ("70.6B", 70.6), ("494.03M", 0.49403)],
)
def test_metadata_sizes(text: str, size: float) -> None:
    assert parse_parameter_size(text) == pytest.approx(size)


@pytest.mark.parametrize("text", ["", None, "unknown", "Q4_K_M"])
def test_metadata_without_size(text: str | None) -> None:
    assert parse_parameter_size(text) is None

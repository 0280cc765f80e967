"""create_backend picks the class by provider and hands over name and prefix."""

from __future__ import annotations

import pytest

from smarterrouter.backends.base import ManagedBackend
from smarterrouter.backends.factory import create_backend
from smarterrouter.backends.llamacpp import LlamaCppBackend
from smarterrouter.backends.llamaswap import LlamaSwapBackend
from smarterrouter.backends.ollama import OllamaBackend
from smarterrouter.backends.openai_compat import OpenAICompatBackend
from smarterrouter.backends.resilience import ResilientBackend
from smarterrouter.settings import BackendConfig, Settings

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize(
    ("provider", "cls"),
    [
        ("ollama", OllamaBackend),
        ("llama.cpp", LlamaCppBackend),
        ("llama-swap", LlamaSwapBackend),
        ("openai", OpenAICompatBackend),
    ],
)
async def test_create_backend(provider: str, cls: type) -> None:
    config = BackendConfig(name="b1", provider=provider, url="http://h:1", model_prefix="x/")  # type: ignore[arg-type]
    backend = create_backend(config, Settings(_env_file=None))  # type: ignore[call-arg]
    try:
        assert isinstance(backend, ResilientBackend)  # retries and breakers around it
        assert isinstance(backend.inner, cls)
        assert isinstance(backend, ManagedBackend) == (provider != "openai")
        assert (backend.name, backend.prefix) == ("b1", "x/")
    finally:
        await backend.aclose()

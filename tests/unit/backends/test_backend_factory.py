"""create_backend picks the class by provider and hands over name and prefix."""

from __future__ import annotations

import pytest

from smarterrouter.backends.factory import create_backend
from smarterrouter.backends.llamacpp import LlamaCppBackend
from smarterrouter.backends.ollama import OllamaBackend
from smarterrouter.backends.openai_compat import OpenAICompatBackend
from smarterrouter.settings import BackendConfig, Settings

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize(
    ("provider", "cls"),
    [("ollama", OllamaBackend), ("llama.cpp", LlamaCppBackend), ("openai", OpenAICompatBackend)],
)
async def test_create_backend(provider: str, cls: type) -> None:
    config = BackendConfig(name="b1", provider=provider, url="http://h:1", model_prefix="x/")  # type: ignore[arg-type]
    backend = create_backend(config, Settings())
    try:
        assert isinstance(backend, cls)
        assert (backend.name, backend.prefix) == ("b1", "x/")
    finally:
        await backend.aclose()

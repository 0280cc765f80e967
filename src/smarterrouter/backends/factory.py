"""Build a backend from its configuration: the one place that picks the class."""

from __future__ import annotations

from smarterrouter.backends.base import Backend
from smarterrouter.backends.http import make_client
from smarterrouter.backends.llamacpp import LlamaCppBackend
from smarterrouter.backends.ollama import OllamaBackend
from smarterrouter.backends.openai_compat import OpenAICompatBackend
from smarterrouter.settings import BackendConfig, Settings


def keep_alive(value: str) -> int | str:
    """Ollama takes a number of seconds (-1: for ever) or a duration like "10m"."""
    try:
        return int(value)
    except ValueError:
        return value


def create_backend(config: BackendConfig, settings: Settings) -> Backend:
    """A backend for `config`, owning a new pooled client (closed by its `aclose`)."""
    client = make_client(
        config.url,
        api_key=config.api_key,
        connect_timeout=settings.connect_timeout,
        read_timeout=settings.generation_timeout,
    )
    if config.provider == "ollama":
        return OllamaBackend(
            config.name,
            client,
            prefix=config.model_prefix,
            load_timeout=settings.model_load_timeout,
            keep_alive=keep_alive(settings.model_keep_alive),
        )
    if config.provider == "llama.cpp":
        return LlamaCppBackend(
            config.name,
            client,
            prefix=config.model_prefix,
            load_timeout=settings.model_load_timeout,
        )
    return OpenAICompatBackend(config.name, client, prefix=config.model_prefix)

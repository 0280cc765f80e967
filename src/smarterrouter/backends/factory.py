"""Build a backend from its configuration: the one place that picks the class."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx

from smarterrouter.backends.base import Backend
from smarterrouter.backends.http import make_client
from smarterrouter.backends.llamacpp import LlamaCppBackend
from smarterrouter.backends.llamaswap import LlamaSwapBackend
from smarterrouter.backends.ollama import OllamaBackend
from smarterrouter.backends.openai_compat import OpenAICompatBackend
from smarterrouter.backends.resilience import (
    BreakerConfig,
    CircuitBreakers,
    RetryPolicy,
    with_resilience,
)
from smarterrouter.settings import BackendConfig, Settings

RequestHook = Callable[[httpx.Request], Awaitable[None]]


def keep_alive(value: str) -> int | str:
    """Ollama takes a number of seconds (-1: for ever) or a duration like "10m"."""
    try:
        return int(value)
    except ValueError:
        return value


def retry_policy(settings: Settings) -> RetryPolicy:
    return RetryPolicy(
        enabled=settings.backend_retry_enabled,
        max_retries=settings.backend_max_retries,
        base_delay=settings.backend_retry_base_delay,
        max_delay=settings.backend_retry_max_delay,
    )


def breaker_config(settings: Settings) -> BreakerConfig:
    return BreakerConfig(
        enabled=settings.backend_circuit_breaker_enabled,
        failure_threshold=settings.backend_circuit_breaker_failure_threshold,
        reset_timeout=settings.backend_circuit_breaker_reset_timeout,
        half_open_max_attempts=settings.backend_circuit_breaker_half_open_max_attempts,
        sliding_window_size=settings.backend_circuit_breaker_sliding_window_size,
    )


def create_backend(
    config: BackendConfig,
    settings: Settings,
    breakers: CircuitBreakers | None = None,
    request_hook: RequestHook | None = None,
) -> Backend:
    """A backend for `config` with retries and circuit breakers (`breakers` shared
    app-wide, so that their states can be shown together); `request_hook` sees
    each request it sends (trace headers)."""
    if breakers is None:
        breakers = CircuitBreakers(breaker_config(settings))
    plain = _create_plain(config, settings, request_hook)
    return with_resilience(plain, retry_policy(settings), breakers)


def _create_plain(
    config: BackendConfig, settings: Settings, request_hook: RequestHook | None
) -> Backend:
    """A backend for `config`, owning a new pooled client (closed by its `aclose`)."""
    client = make_client(
        config.url,
        api_key=config.api_key,
        connect_timeout=settings.connect_timeout,
        read_timeout=settings.generation_timeout,
        request_hook=request_hook,
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
    if config.provider == "llama-swap":
        return LlamaSwapBackend(
            config.name,
            client,
            prefix=config.model_prefix,
            load_timeout=settings.model_load_timeout,
        )
    return OpenAICompatBackend(config.name, client, prefix=config.model_prefix)

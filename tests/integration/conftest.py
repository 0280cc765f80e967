"""The router served on loopback in front of fake backends, and an `openai` client."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import openai
import pytest

from fakes import FakeOllama, FakeOpenAI
from smarterrouter.settings import BackendConfig, Settings
from support.keys import CLOUD_KEY
from support.router import RouterServer


@pytest.fixture
def ollama() -> Iterator[FakeOllama]:
    with FakeOllama() as fake:
        yield fake


@pytest.fixture
def cloud() -> Iterator[FakeOpenAI]:
    with FakeOpenAI(api_key=CLOUD_KEY, models=("gpt-4o-mini",)) as fake:
        yield fake


@pytest.fixture
def make_settings(tmp_path: Path) -> Callable[..., Settings]:
    def make(backends: list[BackendConfig], **extra: Any) -> Settings:
        # Retries off unless a test turns them on: most tests here inject one
        # failure to watch the next model take over, which a retry would hide.
        extra.setdefault("backend_retry_enabled", False)
        # Profiling on discovery would send the fakes prompts of its own; tests that
        # are about it turn it on.
        extra.setdefault("profile_on_discovery", False)
        return Settings(
            _env_file=None,  # type: ignore[call-arg]
            backends=backends,
            database_url=f"sqlite:///{tmp_path / 'router.db'}",
            **extra,
        )

    return make


@pytest.fixture
def two_backends(
    ollama: FakeOllama, cloud: FakeOpenAI, make_settings: Callable[..., Settings]
) -> Settings:
    """An Ollama box and a cloud API under a prefix: one namespace."""
    return make_settings(
        [
            BackendConfig(name="gpu", provider="ollama", url=ollama.url),
            BackendConfig(
                name="cloud",
                provider="openai",
                url=cloud.base_url,
                api_key=CLOUD_KEY,
                model_prefix="cloud/",
            ),
        ]
    )


@pytest.fixture
def router(two_backends: Settings) -> Iterator[RouterServer]:
    with RouterServer(two_backends) as server:
        yield server


@pytest.fixture
def client(router: RouterServer) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(base_url=router.openai_url, api_key="unused", max_retries=0) as c:
        yield c

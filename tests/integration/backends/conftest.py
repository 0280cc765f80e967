"""Fixtures: each backend with its loopback fake, and a port nobody listens on."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Iterator

import pytest
from backend_cases import API_KEY, KINDS, MODELS, Case, backend_for, fake_for

from fakes import FakeLlamaCpp, FakeOllama, FakeOpenAI


@pytest.fixture(params=KINDS)
async def case(request: pytest.FixtureRequest) -> AsyncIterator[Case]:
    kind: str = request.param
    with fake_for(kind) as fake:
        backend = backend_for(kind, fake.url)
        try:
            yield Case(kind, fake, backend, *MODELS[kind])
        finally:
            await backend.aclose()


@pytest.fixture
def closed_port_url() -> str:
    """A URL on which nothing listens: connecting is refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.fixture
def fake_ollama() -> Iterator[FakeOllama]:
    with FakeOllama() as fake:
        yield fake


@pytest.fixture
def fake_openai() -> Iterator[FakeOpenAI]:
    with FakeOpenAI(api_key=API_KEY) as fake:
        yield fake


@pytest.fixture
def fake_llamacpp_router() -> Iterator[FakeLlamaCpp]:
    with FakeLlamaCpp("router", load_delay=0.1) as fake:
        yield fake

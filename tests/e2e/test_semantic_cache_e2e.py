"""The semantic cache with the REAL MiniLM embedding model on llama-server.

The chat model is the fake Ollama (the answers do not matter here, the cache's
choices do); the embeddings, the similarity and the near-miss guard are real.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
from llama_server import MINILM_ID, ServerProcess

from fakes import FakeOllama
from fakes.fake_ollama import DEFAULT_MODELS
from smarterrouter.settings import BackendConfig, Settings
from support.router import RouterServer

pytestmark = pytest.mark.e2e


@pytest.fixture
def ollama() -> Iterator[FakeOllama]:
    chat_only = tuple(m for m in DEFAULT_MODELS if "embedding" not in m.capabilities)
    with FakeOllama(models=chat_only) as fake:
        yield fake


@pytest.fixture
def server(
    ollama: FakeOllama, llama_embedder: ServerProcess, tmp_path: Path
) -> Iterator[RouterServer]:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        backends=[
            BackendConfig(name="gpu", provider="ollama", url=ollama.url),
            BackendConfig(name="minilm", provider="llama.cpp", url=llama_embedder.url),
        ],
        database_url=f"sqlite:///{tmp_path / 'router.db'}",
        profile_on_discovery=False,
    )
    with RouterServer(settings) as s:
        yield s


def ask(client: openai.OpenAI, text: str) -> Any:
    return client.chat.completions.with_raw_response.create(
        model="smarterrouter/main",
        temperature=0,
        messages=[{"role": "user", "content": text}],
    )


def test_a_real_paraphrase_hits_and_real_near_misses_are_refused(
    server: RouterServer, ollama: FakeOllama
) -> None:
    with openai.OpenAI(base_url=server.openai_url, api_key="x", max_retries=0) as client:
        pairs = [
            ("How do I reverse a list in Python?", "How can I reverse a Python list?", "hit"),
            ("Convert 7 km to miles", "Convert 8 km to miles", "miss"),
            (
                "What is the boiling point of water in Celsius?",
                "What is the boiling point of water in Fahrenheit?",
                "miss",
            ),
        ]
        for first, second, outcome in pairs:
            assert ask(client, first).headers["x-smarterrouter-cache"] == "miss"
            again = ask(client, second).headers["x-smarterrouter-cache"]
            assert again == ("hit-semantic" if outcome == "hit" else "miss"), second
    asked = [r.json["messages"][-1]["content"] for r in ollama.received("/api/chat")]
    assert asked == [pairs[0][0], *pairs[1][:2], *pairs[2][:2]]  # the paraphrase never asked
    semantic = httpx.get(f"{server.url}/admin/cache").json()["semantic"]
    assert semantic["active"] and semantic["embedding_model"] == MINILM_ID
    # Both near misses were above the 0.85 threshold: only the guard kept them apart.
    assert semantic["refused_near_misses"] == 2
    assert semantic["hits"] == 1 and semantic["embedding_failures"] == 0

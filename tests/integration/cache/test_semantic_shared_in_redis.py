"""The semantic layer shared through one real Redis: a paraphrase asked on one
router is answered with the answer another router stored, and invalidation
reaches every router."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import openai
import pytest

from fakes.embedding_ollama import EmbeddingOllama
from smarterrouter.settings import BackendConfig, Settings
from support.redis_server import RedisServer
from support.router import RouterServer

pytestmark = pytest.mark.redis

QUESTION = "What is the capital of France?"
PARAPHRASE = "Tell me the capital city of France."
VECTORS = {QUESTION: [1.0, 0.0, 0.0, 0.0], PARAPHRASE: [0.95, 0.31, 0.0, 0.0]}  # cosine 0.95


@pytest.fixture
def ollama() -> Iterator[EmbeddingOllama]:
    with EmbeddingOllama(dict(VECTORS)) as fake:
        yield fake


@pytest.fixture
def routers(
    ollama: EmbeddingOllama,
    redis_server: RedisServer,
    redis_prefix: str,
    make_settings: Callable[..., Settings],
) -> Iterator[Callable[[], RouterServer]]:
    started: list[RouterServer] = []

    def start() -> RouterServer:
        backends = [BackendConfig(name="gpu", provider="ollama", url=ollama.url)]
        settings = make_settings(
            backends, redis_url=redis_server.url, redis_key_prefix=redis_prefix
        )
        started.append(RouterServer(settings).__enter__())
        return started[-1]

    yield start
    for router in started:
        router.__exit__(None, None, None)


def ask(router: RouterServer, content: str) -> str:
    """The X-SmarterRouter-Cache header of one deterministic chat."""
    with openai.OpenAI(base_url=router.openai_url, api_key="x", max_retries=0) as client:
        raw = client.chat.completions.with_raw_response.create(
            model="smarterrouter/main",
            messages=[{"role": "user", "content": content}],
            temperature=0,
        )
    return raw.headers["x-smarterrouter-cache"]


def semantic_entries(router: RouterServer) -> int:
    layer: dict[str, Any] = httpx.get(f"{router.url}/admin/cache", timeout=10).json()["semantic"]
    return int(layer["size"])


def eventually(check: Callable[[], bool], seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return check()


def test_a_paraphrase_on_one_router_is_answered_with_the_others_answer(
    routers: Callable[[], RouterServer], ollama: EmbeddingOllama
) -> None:
    first, second = routers(), routers()
    assert ask(first, QUESTION) == "miss"
    assert eventually(lambda: semantic_entries(second) == 1)
    chats = len(ollama.received("/api/chat"))
    assert ask(second, PARAPHRASE) == "hit-semantic"
    assert len(ollama.received("/api/chat")) == chats  # answered without the model


def test_a_router_started_later_knows_the_questions_answered_before(
    routers: Callable[[], RouterServer],
) -> None:
    first = routers()
    assert ask(first, QUESTION) == "miss"
    late = routers()
    assert eventually(lambda: semantic_entries(late) == 1)
    assert ask(late, PARAPHRASE) == "hit-semantic"


def test_invalidation_on_one_router_empties_the_others(
    routers: Callable[[], RouterServer],
) -> None:
    first, second = routers(), routers()
    ask(first, QUESTION)
    assert eventually(lambda: semantic_entries(second) == 1)
    assert httpx.post(f"{first.url}/admin/cache/invalidate", timeout=10).status_code == 200
    assert eventually(lambda: semantic_entries(second) == 0)
    assert ask(second, PARAPHRASE) == "miss"

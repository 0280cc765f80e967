"""Two routers sharing one real Redis: one cache, one set of counters, and answers
that keep coming when Redis goes away."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import openai
import pytest

from fakes import FakeOllama
from smarterrouter.settings import BackendConfig, Settings
from support.redis_server import PASSWORD, RedisServer, redis_server_binary
from support.router import RouterServer

pytestmark = pytest.mark.redis

ASK = [{"role": "user", "content": "What is the capital of France?"}]


@pytest.fixture
def routers(
    ollama: FakeOllama, make_settings: Callable[..., Settings]
) -> Iterator[Callable[[RedisServer, str], RouterServer]]:
    """Routers in front of one Ollama fake, each given a Redis and a key prefix."""
    started: list[RouterServer] = []

    def start(redis: RedisServer, prefix: str) -> RouterServer:
        backends = [BackendConfig(name="gpu", provider="ollama", url=ollama.url)]
        settings = make_settings(backends, redis_url=redis.url, redis_key_prefix=prefix)
        started.append(RouterServer(settings).__enter__())
        return started[-1]

    yield start
    for router in started:
        router.__exit__(None, None, None)


@pytest.fixture
def own_redis() -> Iterator[RedisServer]:
    """A Redis for one test alone: it will be stopped under the routers' feet."""
    with RedisServer(redis_server_binary()) as server:
        yield server


def ask(router: RouterServer, content: str = "") -> tuple[str, str]:
    """One deterministic chat through `router`: its cache header and answer text."""
    messages: list[Any] = [{"role": "user", "content": content}] if content else ASK
    with openai.OpenAI(base_url=router.openai_url, api_key="x", max_retries=0) as client:
        raw = client.chat.completions.with_raw_response.create(
            model="smarterrouter/main",
            messages=messages,
            temperature=0,  # type: ignore[arg-type]
        )
    return raw.headers["x-smarterrouter-cache"], raw.parse().choices[0].message.content or ""


def admin(router: RouterServer, method: str, path: str) -> httpx.Response:
    return httpx.request(method, router.url + path, timeout=10)


def exact_layer(router: RouterServer) -> dict[str, Any]:
    response = admin(router, "GET", "/admin/cache")
    assert response.status_code == 200, response.text
    layer: dict[str, Any] = response.json()["exact"]
    return layer


def upstream_chats(ollama: FakeOllama) -> int:
    return len(ollama.received("/api/chat"))


def test_an_answer_from_one_router_is_a_hit_on_the_other(
    redis_server: RedisServer,
    redis_prefix: str,
    routers: Callable[[RedisServer, str], RouterServer],
    ollama: FakeOllama,
) -> None:
    one, two = routers(redis_server, redis_prefix), routers(redis_server, redis_prefix)

    first = ask(one)
    second = ask(two)

    assert (first[0], second[0]) == ("miss", "hit-exact")
    assert first[1] == second[1]
    assert upstream_chats(ollama) == 1
    # What the store holds is Redis's: each router reports the one shared entry.
    for router in (one, two):
        assert exact_layer(router)["size"] == 1


def test_another_prefix_is_another_cache(
    redis_server: RedisServer,
    redis_prefix: str,
    routers: Callable[[RedisServer, str], RouterServer],
    ollama: FakeOllama,
) -> None:
    one = routers(redis_server, redis_prefix)
    other_app = routers(redis_server, redis_prefix + "-other")

    assert ask(one)[0] == "miss"
    assert ask(other_app)[0] == "miss"
    assert upstream_chats(ollama) == 2


def test_invalidating_on_one_router_empties_the_other(
    redis_server: RedisServer,
    redis_prefix: str,
    routers: Callable[[RedisServer, str], RouterServer],
    ollama: FakeOllama,
) -> None:
    one, two = routers(redis_server, redis_prefix), routers(redis_server, redis_prefix)
    ask(one)
    assert ask(two)[0] == "hit-exact"
    assert exact_layer(two)["size"] == 1

    removed = admin(one, "POST", "/admin/cache/invalidate")

    assert removed.status_code == 200, removed.text
    assert removed.json()["removed"]["exact"] == 1
    assert exact_layer(two)["size"] == 0
    assert ask(two)[0] == "miss"
    assert upstream_chats(ollama) == 2


def test_requests_are_answered_while_redis_is_down_and_cached_again_after(
    own_redis: RedisServer,
    redis_prefix: str,
    routers: Callable[[RedisServer, str], RouterServer],
    ollama: FakeOllama,
    caplog: pytest.LogCaptureFixture,
) -> None:
    one, two = routers(own_redis, redis_prefix), routers(own_redis, redis_prefix)
    header, before = ask(one)
    assert header == "miss"

    own_redis.stop()
    answers = [ask(router) for router in (one, two, one, two)]
    refused = admin(one, "GET", "/admin/cache")
    scraped = admin(one, "GET", "/metrics")

    assert [header for header, _ in answers] == ["miss"] * 4
    assert [text for _, text in answers] == [before] * 4
    assert upstream_chats(ollama) == 5
    assert refused.status_code == 503
    assert refused.json()["error"]["code"] == "cache_unavailable"
    assert scraped.status_code == 200  # the other metrics matter most now
    assert 'smarterrouter_cache_requests_total{outcome="miss"} 3.0' in scraped.text
    assert "unreachable" in caplog.text
    assert PASSWORD not in caplog.text

    own_redis.start()  # same port, empty: nothing was persisted
    assert wait_for(lambda: ask(one)[0] == "hit-exact", after=lambda: ask(one))
    assert ask(two)[0] == "hit-exact"


def wait_for(condition: Callable[[], bool], after: Callable[[], object]) -> bool:
    """Ask until `condition` holds: the routers skip Redis for a moment after a failure."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        after()  # a miss stores the answer once Redis is used again
        if condition():
            return True
        time.sleep(0.2)
    return False

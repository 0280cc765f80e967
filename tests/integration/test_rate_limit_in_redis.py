"""Rate limits kept in a real Redis: routers that share it share each client's budget,
and a Redis that goes away lets requests through rather than refusing everyone."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from fakes import FakeOllama
from smarterrouter.settings import BackendConfig, Settings
from support.redis_server import PASSWORD, RedisServer, redis_server_binary
from support.router import RouterServer

pytestmark = pytest.mark.redis

KEY = "sk-shared-budget-0f3e"


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    with RedisServer(redis_server_binary()) as server:
        yield server


@pytest.fixture
def limited(
    ollama: FakeOllama, make_settings: Callable[..., Settings], redis_server: RedisServer
) -> Iterator[Callable[..., RouterServer]]:
    """Routers allowing 3 requests a minute per client, counted in the test's Redis."""
    started: list[RouterServer] = []
    prefix = f"test-{uuid.uuid4().hex[:10]}"

    def start(**extra: Any) -> RouterServer:
        extra.setdefault("redis_key_prefix", prefix)
        settings = make_settings(
            [BackendConfig(name="gpu", provider="ollama", url=ollama.url)],
            api_keys=[KEY],
            rate_limit_enabled=True,
            rate_limit_requests_per_minute=3,
            redis_url=redis_server.url,
            **extra,
        )
        started.append(RouterServer(settings).__enter__())
        return started[-1]

    yield start
    for router in started:
        router.__exit__(None, None, None)


def models(router: RouterServer) -> httpx.Response:
    headers = {"Authorization": f"Bearer {KEY}"}
    return httpx.get(router.openai_url + "/models", headers=headers, timeout=10)


def test_two_routers_share_one_budget_per_client(limited: Callable[..., RouterServer]) -> None:
    one, two = limited(), limited()

    statuses = [models(r).status_code for r in (one, two, one)]
    refused = models(two)

    assert statuses == [200, 200, 200]
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "rate_limit_exceeded"
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert models(one).status_code == 429


def test_another_prefix_counts_apart(limited: Callable[..., RouterServer]) -> None:
    one, elsewhere = limited(), limited(redis_key_prefix=f"other-{uuid.uuid4().hex[:8]}")
    for _ in range(3):
        assert models(one).status_code == 200

    assert models(one).status_code == 429
    assert models(elsewhere).status_code == 200


def test_requests_pass_while_redis_is_down(
    limited: Callable[..., RouterServer],
    redis_server: RedisServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    router = limited()
    assert models(router).status_code == 200

    redis_server.stop()
    statuses = [models(router).status_code for _ in range(5)]

    assert statuses == [200] * 5  # more than the budget: nothing counted, nobody refused
    assert "rate-limit counters in Redis unreachable" in caplog.text
    assert PASSWORD not in caplog.text

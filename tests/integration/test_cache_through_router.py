"""The exact response cache through the router, with the official openai client."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator

import httpx
import openai
import pytest

from fakes import FakeOllama, Reply, ToolCall
from smarterrouter.settings import BackendConfig, Settings
from support.router import RouterServer

ASK = [{"role": "user", "content": "What is the capital of France?"}]


@pytest.fixture
def server(ollama: FakeOllama, make_settings: Callable[..., Settings]) -> Iterator[RouterServer]:
    settings = make_settings([BackendConfig(name="gpu", provider="ollama", url=ollama.url)])
    with RouterServer(settings) as s:
        yield s


@pytest.fixture
def client(server: RouterServer) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(base_url=server.openai_url, api_key="x", max_retries=0) as c:
        yield c


def upstream_chats(ollama: FakeOllama) -> int:
    return len(ollama.received("/api/chat"))


def test_a_repeated_deterministic_request_is_answered_from_the_cache(
    client: openai.OpenAI, ollama: FakeOllama
) -> None:
    first = client.chat.completions.with_raw_response.create(
        model="smarterrouter/main",
        messages=ASK,
        temperature=0,  # type: ignore[arg-type]
    )
    second = client.chat.completions.with_raw_response.create(
        model="smarterrouter/main",
        messages=ASK,
        temperature=0,  # type: ignore[arg-type]
    )
    assert first.headers["x-smarterrouter-cache"] == "miss"
    assert second.headers["x-smarterrouter-cache"] == "hit-exact"
    assert upstream_chats(ollama) == 1
    a, b = first.parse(), second.parse()
    assert a.choices[0].message.content == b.choices[0].message.content  # signed once each
    assert (b.choices[0].message.content or "").count("\nModel: ") == 1
    assert a.id != b.id
    assert second.headers["x-smarterrouter-model"] == a.model


def test_a_hit_is_replayed_as_a_stream_with_tool_calls(
    client: openai.OpenAI, ollama: FakeOllama
) -> None:
    ollama.reply = Reply(content="", tool_calls=(ToolCall("lookup", {"q": "paris"}),))
    tools = [{"type": "function", "function": {"name": "lookup", "parameters": {}}}]
    kwargs = {"model": "llama3.2:3b", "messages": ASK, "temperature": 0, "tools": tools}
    client.chat.completions.create(**kwargs)  # type: ignore[call-overload]
    with client.chat.completions.with_streaming_response.create(stream=True, **kwargs) as response:  # type: ignore[call-overload]
        assert response.headers["x-smarterrouter-cache"] == "hit-exact"
        chunks = list(response.parse())
    args = "".join(
        call.function.arguments or ""
        for c in chunks
        if c.choices
        for call in c.choices[0].delta.tool_calls or []
        if call.function
    )
    assert json.loads(args) == {"q": "paris"}
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "tool_calls"
    assert upstream_chats(ollama) == 1


def test_a_streamed_answer_is_cached_too(client: openai.OpenAI, ollama: FakeOllama) -> None:
    stream = client.chat.completions.create(
        model="llama3.2:3b",
        messages=ASK,
        temperature=0,
        stream=True,  # type: ignore[arg-type]
    )
    streamed = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
    again = client.chat.completions.with_raw_response.create(
        model="llama3.2:3b",
        messages=ASK,
        temperature=0,  # type: ignore[arg-type]
    )
    assert again.headers["x-smarterrouter-cache"] == "hit-exact"
    assert again.parse().choices[0].message.content == streamed
    assert upstream_chats(ollama) == 1


@pytest.mark.parametrize(
    ("extra", "headers", "reason"),
    [
        ({}, {}, "nondeterministic"),  # no temperature: the model samples
        ({"temperature": 0}, {"Cache-Control": "no-cache"}, "cache-control"),
        ({"temperature": 0, "smarterrouter_cache": False}, {}, "opt-out"),
    ],
)
def test_bypasses_reach_the_model_every_time(
    server: RouterServer,
    ollama: FakeOllama,
    extra: dict[str, object],
    headers: dict[str, str],
    reason: str,
) -> None:
    body = {"model": "llama3.2:3b", "messages": ASK, **extra}
    for _ in range(2):
        resp = httpx.post(f"{server.openai_url}/chat/completions", json=body, headers=headers)
        assert resp.status_code == 200
        assert resp.headers["x-smarterrouter-cache"] == f"bypass; reason={reason}"
    assert upstream_chats(ollama) == 2
    assert all("smarterrouter_cache" not in r.json for r in ollama.received("/api/chat"))


def test_different_requests_do_not_share_an_answer(
    client: openai.OpenAI, ollama: FakeOllama
) -> None:
    client.chat.completions.create(model="llama3.2:3b", messages=ASK, temperature=0)
    other = [{"role": "user", "content": "What is the capital of Germany?"}]
    client.chat.completions.create(model="llama3.2:3b", messages=other, temperature=0)
    client.chat.completions.create(model="llava:7b", messages=ASK, temperature=0)
    assert upstream_chats(ollama) == 3


def test_hits_are_counted_and_can_be_rated(server: RouterServer, ollama: FakeOllama) -> None:
    body = {"model": "llama3.2:3b", "messages": ASK, "temperature": 0}
    httpx.post(f"{server.openai_url}/chat/completions", json=body)
    hit = httpx.post(f"{server.openai_url}/chat/completions", json=body).json()
    rated = httpx.post(f"{server.openai_url}/feedback", json={"response_id": hit["id"], "score": 1})
    assert rated.status_code == 200 and rated.json()["model"] == "llama3.2:3b"
    stats = httpx.get(f"{server.url}/admin/stats").json()
    assert stats["cache"] == {"hit": 1, "miss": 1}


def test_cache_admin_shows_and_forgets(server: RouterServer, ollama: FakeOllama) -> None:
    url = f"{server.openai_url}/chat/completions"
    for model in ("llama3.2:3b", "llava:7b"):
        for _ in range(2):
            httpx.post(url, json={"model": model, "messages": ASK, "temperature": 0})
    report = httpx.get(f"{server.url}/admin/cache").json()
    assert set(report) == {"exact", "semantic", "routing"}
    stats = report["exact"]
    assert (stats["size"], stats["hits"], stats["misses"]) == (2, 2, 2)
    assert stats["hit_rate"] == 0.5 and stats["approx_bytes"] > 0
    assert stats["evictions"] == 0 and stats["active"] is True
    gone = httpx.post(f"{server.url}/admin/cache/invalidate", params={"model": "llava:7b"})
    assert gone.json() == {
        "removed": {"exact": 1, "semantic": 1, "routing": 0},
        "model": "llava:7b",
        "response_cache_only": False,
    }
    httpx.post(url, json={"model": "llava:7b", "messages": ASK, "temperature": 0})
    httpx.post(url, json={"model": "llama3.2:3b", "messages": ASK, "temperature": 0})
    assert upstream_chats(ollama) == 3  # llava asked again, llama still cached
    assert httpx.post(f"{server.url}/admin/cache/invalidate").json()["removed"]["exact"] == 2

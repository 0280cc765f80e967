"""The semantic layer and the routing cache through the router, with the official
`openai` client. The fake Ollama serves embeddings whose closeness the test
decides, so the threshold and the guard are exercised exactly."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest

from fakes import FakeOllama, Fault
from fakes.embedding_ollama import EmbeddingOllama
from fakes.fake_ollama import DEFAULT_MODELS
from smarterrouter.settings import BackendConfig, Settings
from support.router import RouterServer

QUESTION = "What is the capital of France?"
PARAPHRASE = "Tell me the capital city of France."
SEVEN = "How many days are there in 7 weeks?"
EIGHT = "How many days are there in 8 weeks?"
SHORTER = "Make it shorter."
SHORTER_TOO = "Please make that shorter."


def pad(*values: float) -> list[float]:
    return [*values, *[0.0] * (64 - len(values))]


VECTORS = {
    QUESTION: pad(1.0),
    PARAPHRASE: pad(0.95, 0.31),  # cosine 0.95 to QUESTION
    SEVEN: pad(0, 0, 1.0),
    EIGHT: pad(0, 0, 0.99, 0.14),  # cosine 0.99 to SEVEN: only the guard tells them apart
    SHORTER: pad(0, 0, 0, 0, 1.0),
    SHORTER_TOO: pad(0, 0, 0, 0, 0.96, 0.28),
}


@pytest.fixture
def ollama() -> Iterator[EmbeddingOllama]:
    with EmbeddingOllama(dict(VECTORS)) as fake:
        yield fake


@pytest.fixture
def server(
    ollama: EmbeddingOllama, make_settings: Callable[..., Settings]
) -> Iterator[RouterServer]:
    settings = make_settings(
        [BackendConfig(name="gpu", provider="ollama", url=ollama.url)], polling_interval=0.2
    )
    with RouterServer(settings) as s:
        yield s


@pytest.fixture
def client(server: RouterServer) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(base_url=server.openai_url, api_key="x", max_retries=0) as c:
        yield c


def chat(client: openai.OpenAI, text: str, history: list[Any] | None = None, **extra: Any) -> Any:
    messages = [*(history or []), {"role": "user", "content": text}]
    kwargs = {"model": "smarterrouter/main", "temperature": 0, **extra}
    return client.chat.completions.with_raw_response.create(messages=messages, **kwargs)


def upstream_chats(ollama: FakeOllama) -> list[str]:
    """The last user text of every chat that reached the model."""
    return [r.json["messages"][-1]["content"] for r in ollama.received("/api/chat")]


def caches(server: RouterServer) -> dict[str, Any]:
    report: dict[str, Any] = httpx.get(f"{server.url}/admin/cache").json()
    return report


def decision_rows(server: RouterServer, tmp_path: Path) -> list[tuple[str, int]]:
    httpx.get(f"{server.url}/admin/stats")  # writes the queued decisions
    with sqlite3.connect(tmp_path / "router.db") as db:
        return list(db.execute("SELECT reason, cached FROM routing_decisions ORDER BY id"))


# --- semantic layer ---


def test_a_paraphrase_is_answered_from_the_semantic_cache(
    client: openai.OpenAI, ollama: EmbeddingOllama, server: RouterServer, tmp_path: Path
) -> None:
    first = chat(client, QUESTION)
    second = chat(client, PARAPHRASE)
    assert first.headers["x-smarterrouter-cache"] == "miss"
    assert second.headers["x-smarterrouter-cache"] == "hit-semantic"
    assert upstream_chats(ollama) == [QUESTION]
    a, b = first.parse(), second.parse()
    assert b.choices[0].message.content == a.choices[0].message.content
    assert b.id != a.id
    assert second.headers["x-smarterrouter-model"] == a.model
    # One embedding per request, of the last user text only.
    assert [r.json["input"] for r in ollama.received("/api/embed")] == [QUESTION, PARAPHRASE]
    reason, cached = decision_rows(server, tmp_path)[-1]
    assert cached == 1
    assert reason.startswith("answered from the semantic cache: request ")
    assert "at similarity 0.951" in reason  # 0.95 / |(0.95, 0.31)|
    assert QUESTION not in reason  # a key, never the text
    semantic = caches(server)["semantic"]
    assert semantic["active"] and semantic["embedding_model"] == "nomic-embed-text:latest"
    assert (semantic["hits"], semantic["misses"], semantic["size"]) == (1, 1, 1)


def test_a_streamed_paraphrase_is_replayed(client: openai.OpenAI, ollama: EmbeddingOllama) -> None:
    stored = chat(client, QUESTION).parse().choices[0].message.content
    kwargs = {"model": "smarterrouter/main", "temperature": 0, "stream": True}
    messages = [{"role": "user", "content": PARAPHRASE}]
    with client.chat.completions.with_streaming_response.create(
        messages=messages,  # type: ignore[arg-type]
        **kwargs,  # type: ignore[arg-type]
    ) as response:
        assert response.headers["x-smarterrouter-cache"] == "hit-semantic"
        text = "".join(c.choices[0].delta.content or "" for c in response.parse() if c.choices)
    assert text == stored
    assert upstream_chats(ollama) == [QUESTION]


def test_a_near_miss_with_another_number_is_refused(
    client: openai.OpenAI, ollama: EmbeddingOllama, server: RouterServer
) -> None:
    chat(client, SEVEN)
    eight = chat(client, EIGHT)
    assert eight.headers["x-smarterrouter-cache"] == "miss"
    assert upstream_chats(ollama) == [SEVEN, EIGHT]
    semantic = caches(server)["semantic"]
    assert semantic["refused_near_misses"] == 1
    assert semantic["last_refusal"] == "numbers differ"


def test_a_follow_up_is_never_answered_from_another_conversation(
    client: openai.OpenAI, ollama: EmbeddingOllama
) -> None:
    poem = [{"role": "user", "content": "Write a poem."}, {"role": "assistant", "content": "A"}]
    essay = [{"role": "user", "content": "Write an essay."}, {"role": "assistant", "content": "B"}]
    chat(client, SHORTER, poem)
    other = chat(client, SHORTER, essay)  # the very same words
    paraphrased = chat(client, SHORTER_TOO, essay)  # same conversation: may share
    assert other.headers["x-smarterrouter-cache"] == "miss"
    assert paraphrased.headers["x-smarterrouter-cache"] == "hit-semantic"
    assert upstream_chats(ollama) == [SHORTER, SHORTER]


@pytest.mark.parametrize(
    "extra",
    [
        {"model": "smarterrouter/best"},
        {"seed": 4},
        {"max_tokens": 7},
        {"response_format": {"type": "json_object"}},
        {"tools": [{"type": "function", "function": {"name": "f", "parameters": {}}}]},
    ],
    ids=["router model", "seed", "max_tokens", "response_format", "tools"],
)
def test_a_paraphrase_that_differs_in_anything_else_misses(
    client: openai.OpenAI, ollama: EmbeddingOllama, extra: dict[str, Any]
) -> None:
    chat(client, QUESTION)
    again = chat(client, PARAPHRASE, **extra)
    assert again.headers["x-smarterrouter-cache"] == "miss"
    assert upstream_chats(ollama) == [QUESTION, PARAPHRASE]


def test_an_invalidated_answer_is_not_served_by_meaning(
    client: openai.OpenAI, ollama: EmbeddingOllama, server: RouterServer
) -> None:
    model = chat(client, QUESTION).parse().model
    gone = httpx.post(f"{server.url}/admin/cache/invalidate", params={"model": model}).json()
    assert gone["removed"] == {"exact": 1, "semantic": 1, "routing": gone["removed"]["routing"]}
    assert chat(client, PARAPHRASE).headers["x-smarterrouter-cache"] == "miss"
    assert upstream_chats(ollama) == [QUESTION, PARAPHRASE]


def test_a_failed_embedding_routes_normally_and_is_counted(
    client: openai.OpenAI, ollama: EmbeddingOllama, server: RouterServer
) -> None:
    ollama.inject(Fault(status=500, path="/api/embed"))
    answer = chat(client, QUESTION)
    assert answer.headers["x-smarterrouter-cache"] == "miss"
    assert answer.parse().choices[0].message.content
    semantic = caches(server)["semantic"]
    assert semantic["embedding_failures"] == 1 and semantic["last_embedding_failure"]
    # Without an embedding nothing was recorded to match later: a paraphrase misses.
    assert chat(client, PARAPHRASE).headers["x-smarterrouter-cache"] == "miss"
    metrics = httpx.get(f"{server.url}/metrics").text
    assert "smarterrouter_cache_embedding_failures_total 1.0" in metrics


def test_without_an_embedding_model_the_layer_is_off_and_says_why(
    make_settings: Callable[..., Settings],
) -> None:
    chat_only = tuple(m for m in DEFAULT_MODELS if "embedding" not in m.capabilities)
    with EmbeddingOllama(dict(VECTORS), models=chat_only) as ollama:
        settings = make_settings([BackendConfig(name="gpu", provider="ollama", url=ollama.url)])
        with (
            RouterServer(settings) as server,
            openai.OpenAI(base_url=server.openai_url, api_key="x", max_retries=0) as client,
        ):
            chat(client, QUESTION)
            assert chat(client, PARAPHRASE).headers["x-smarterrouter-cache"] == "miss"
            semantic = caches(server)["semantic"]
    assert semantic["active"] is False
    assert semantic["reason"].startswith("no embedding model: ")
    assert semantic["embedding_failures"] == 0


def test_the_semantic_switch_turns_the_layer_off(make_settings: Callable[..., Settings]) -> None:
    with EmbeddingOllama(dict(VECTORS)) as ollama:
        settings = make_settings(
            [BackendConfig(name="gpu", provider="ollama", url=ollama.url)],
            cache_semantic_enabled=False,
        )
        with (
            RouterServer(settings) as server,
            openai.OpenAI(base_url=server.openai_url, api_key="x", max_retries=0) as client,
        ):
            chat(client, QUESTION)
            assert chat(client, PARAPHRASE).headers["x-smarterrouter-cache"] == "miss"
            semantic = caches(server)["semantic"]
        assert ollama.received("/api/embed") == []
    assert semantic["reason"] == "ROUTER_CACHE_SEMANTIC_ENABLED is false"


# --- routing cache ---


def sampled(client: openai.OpenAI, text: str = "Write a haiku about the sea.") -> Any:
    """A routed request the response cache bypasses (it samples): routed every time."""
    messages = [{"role": "user", "content": text}]
    return client.chat.completions.with_raw_response.create(
        model="smarterrouter/main",
        messages=messages,  # type: ignore[arg-type]
    )


def routing(server: RouterServer) -> dict[str, Any]:
    layer: dict[str, Any] = caches(server)["routing"]
    return layer


def test_a_repeated_routed_request_reuses_its_decision(
    client: openai.OpenAI, server: RouterServer, tmp_path: Path
) -> None:
    first, second = sampled(client), sampled(client)
    assert first.headers["x-smarterrouter-model"] == second.headers["x-smarterrouter-model"]
    layer = routing(server)
    assert (layer["hits"], layer["misses"], layer["size"]) == (1, 1, 1)
    reasons = [reason for reason, _ in decision_rows(server, tmp_path)]
    assert not reasons[0].endswith("(decision from the routing cache)")
    assert reasons[1] == f"{reasons[0]} (decision from the routing cache)"


def test_a_named_model_never_writes_the_routing_cache(
    client: openai.OpenAI, server: RouterServer
) -> None:
    messages = [{"role": "user", "content": "Hello"}]
    for _ in range(2):
        client.chat.completions.create(model="llama3.2:3b", messages=messages)  # type: ignore[arg-type]
    layer = routing(server)
    assert (layer["hits"], layer["misses"], layer["size"]) == (0, 0, 0)


def test_feedback_forgets_the_decisions(client: openai.OpenAI, server: RouterServer) -> None:
    answer = sampled(client).parse()
    rated = httpx.post(
        f"{server.openai_url}/feedback", json={"response_id": answer.id, "score": -1}
    )
    assert rated.status_code == 200
    sampled(client)
    layer = routing(server)
    assert (layer["hits"], layer["misses"], layer["invalidations"]) == (0, 2, 1)


def test_a_removed_model_forgets_the_decisions(
    client: openai.OpenAI, server: RouterServer, ollama: EmbeddingOllama
) -> None:
    sampled(client)
    del ollama.models["llava:7b"]
    deadline = time.monotonic() + 10
    while any(m.id == "llava:7b" for m in client.models.list()):  # the poller's next round
        assert time.monotonic() < deadline, "the poller never saw the model go"
        time.sleep(0.05)
    sampled(client)
    layer = routing(server)
    assert layer["hits"] == 0 and layer["invalidations"] >= 1


def test_invalidate_can_keep_the_routing_cache(client: openai.OpenAI, server: RouterServer) -> None:
    sampled(client)
    chat(client, QUESTION)
    kept = httpx.post(
        f"{server.url}/admin/cache/invalidate", params={"response_cache_only": "true"}
    ).json()
    assert kept == {
        "removed": {"exact": 1, "semantic": 1, "routing": 0},
        "model": None,
        "response_cache_only": True,
    }
    assert routing(server)["size"] == 2
    everything = httpx.post(f"{server.url}/admin/cache/invalidate").json()
    assert everything["removed"] == {"exact": 0, "semantic": 0, "routing": 2}


def test_every_layer_is_in_the_metrics(client: openai.OpenAI, server: RouterServer) -> None:
    chat(client, QUESTION)
    chat(client, QUESTION)
    chat(client, PARAPHRASE)
    metrics = httpx.get(f"{server.url}/metrics").text
    assert 'smarterrouter_cache_hits_total{layer="exact"} 1.0' in metrics
    assert 'smarterrouter_cache_hits_total{layer="semantic"} 1.0' in metrics
    assert 'smarterrouter_cache_misses_total{layer="exact"} 2.0' in metrics
    assert 'smarterrouter_cache_hits_total{layer="routing"} 0.0' in metrics
    assert 'smarterrouter_cache_misses_total{layer="routing"} 1.0' in metrics
    assert 'smarterrouter_cache_entries{layer="exact"} 1.0' in metrics
    assert 'smarterrouter_cache_evictions_total{layer="semantic"} 0.0' in metrics

"""The OpenAI API as a client sees it, through the router, in front of fake backends."""

from __future__ import annotations

import base64
import json
import sqlite3
from pathlib import Path

import httpx
import openai
import pytest

from fakes import FakeOllama, FakeOpenAI, Fault, Reply, ToolCall
from support.router import RouterServer

ROUTER_MODEL = "smarterrouter/main"


def test_models_lists_the_router_first_then_every_backend_model(client: openai.OpenAI) -> None:
    ids = [m.id for m in client.models.list()]
    assert ids[:3] == [ROUTER_MODEL, "smarterrouter/fast", "smarterrouter/best"]
    assert sorted(ids[3:]) == [
        "cloud/gpt-4o-mini",
        "llama3.2:3b",
        "llava:7b",
        "nomic-embed-text:latest",
    ]


def test_routed_chat_answers_with_model_header_signature_and_usage(
    client: openai.OpenAI, ollama: FakeOllama
) -> None:
    raw = client.chat.completions.with_raw_response.create(
        model=ROUTER_MODEL, messages=[{"role": "user", "content": "What is the capital of France?"}]
    )
    answer = raw.parse()
    chosen = raw.headers["x-smarterrouter-model"]
    assert answer.model == chosen
    assert answer.choices[0].message.content == f"Paris is the capital of France.\nModel: {chosen}"
    assert answer.usage is not None and answer.usage.completion_tokens == 7
    assert raw.headers["x-request-id"]


def test_a_named_model_bypasses_routing_and_reaches_its_backend(
    client: openai.OpenAI, cloud: FakeOpenAI, ollama: FakeOllama
) -> None:
    answer = client.chat.completions.create(
        model="cloud/gpt-4o-mini", messages=[{"role": "user", "content": "hi"}]
    )
    assert answer.model == "cloud/gpt-4o-mini"
    [sent] = cloud.received("/v1/chat/completions")
    assert sent.json["model"] == "gpt-4o-mini"  # the prefix is ours, not the backend's
    assert ollama.received("/api/chat") == []


def test_every_openai_field_reaches_the_backend_in_its_own_form(
    client: openai.OpenAI, ollama: FakeOllama
) -> None:
    tools = [
        {
            "type": "function",
            "function": {"name": "get_weather", "parameters": {"type": "object", "properties": {}}},
        }
    ]
    client.chat.completions.create(
        model="llama3.2:3b",
        messages=[{"role": "system", "content": "be brief"}, {"role": "user", "content": "hi"}],
        tools=tools,  # type: ignore[arg-type]
        response_format={"type": "json_object"},
        temperature=0.2,
        top_p=0.9,
        seed=7,
        max_tokens=64,
        stop=["END"],
        presence_penalty=0.5,
        frequency_penalty=0.25,
        user="u-1",
        extra_body={"top_k": 20},
    )
    [sent] = ollama.received("/api/chat")
    body = sent.json
    assert body["model"] == "llama3.2:3b"
    assert body["messages"] == [
        {"role": "system", "content": "be brief"},
        {"role": "user", "content": "hi"},
    ]
    assert body["tools"] == tools
    assert body["format"] == "json"
    assert body["options"] == {
        "temperature": 0.2,
        "top_p": 0.9,
        "seed": 7,
        "num_predict": 64,
        "stop": ["END"],
        "presence_penalty": 0.5,
        "frequency_penalty": 0.25,
        "top_k": 20,
    }


def test_images_reach_ollama_as_base64_and_route_to_a_vision_model(
    client: openai.OpenAI, ollama: FakeOllama
) -> None:
    image = base64.b64encode(b"\x89PNG fake").decode()
    raw = client.chat.completions.with_raw_response.create(
        model=ROUTER_MODEL,
        messages=[
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "what is in this picture?"},
                    {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{image}"}},
                ],
            }
        ],
    )
    assert raw.headers["x-smarterrouter-model"] == "llava:7b"
    [sent] = ollama.received("/api/chat")
    assert sent.json["messages"][0]["images"] == [image]
    assert sent.json["messages"][0]["content"] == "what is in this picture?"


def test_json_answers_carry_no_signature(client: openai.OpenAI, ollama: FakeOllama) -> None:
    ollama.reply = Reply(content='{"city": "Paris"}')
    answer = client.chat.completions.create(
        model="llama3.2:3b",
        messages=[{"role": "user", "content": "city as json"}],
        response_format={"type": "json_object"},
    )
    assert json.loads(answer.choices[0].message.content or "") == {"city": "Paris"}


def test_tool_calls_come_back_untouched(client: openai.OpenAI, ollama: FakeOllama) -> None:
    ollama.reply = Reply(content="", tool_calls=(ToolCall("get_weather", {"city": "Oslo"}),))
    tools = [{"type": "function", "function": {"name": "get_weather", "parameters": {}}}]
    answer = client.chat.completions.create(
        model="llama3.2:3b",
        messages=[{"role": "user", "content": "weather in Oslo?"}],
        tools=tools,  # type: ignore[arg-type]
    )
    choice = answer.choices[0]
    assert choice.finish_reason == "tool_calls"
    [call] = choice.message.tool_calls or []
    assert call.function.name == "get_weather"  # type: ignore[union-attr]
    assert json.loads(call.function.arguments) == {"city": "Oslo"}  # type: ignore[union-attr]
    assert not choice.message.content


def test_streamed_chat_reassembles_and_signs_once(client: openai.OpenAI) -> None:
    with client.chat.completions.with_streaming_response.create(
        model="llama3.2:3b",
        stream=True,
        stream_options={"include_usage": True},
        messages=[{"role": "user", "content": "capital of France?"}],
    ) as response:
        assert response.headers["x-smarterrouter-model"] == "llama3.2:3b"
        chunks = list(response.parse())
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "Paris is the capital of France.\nModel: llama3.2:3b"
    assert {c.model for c in chunks} == {"llama3.2:3b"}
    assert chunks[-1].choices == [] and chunks[-1].usage is not None
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"


def test_streamed_tool_calls_pass_through(client: openai.OpenAI, cloud: FakeOpenAI) -> None:
    cloud.reply = Reply(content="", tool_calls=(ToolCall("lookup", {"q": "x"}),))
    stream = client.chat.completions.create(
        model="cloud/gpt-4o-mini",
        stream=True,
        messages=[{"role": "user", "content": "look it up"}],
        tools=[{"type": "function", "function": {"name": "lookup", "parameters": {}}}],
    )
    args = ""
    for chunk in stream:
        for call in (chunk.choices[0].delta.tool_calls or []) if chunk.choices else []:
            args += call.function.arguments or "" if call.function else ""
        assert not (chunk.choices and chunk.choices[0].delta.content)
    assert json.loads(args) == {"q": "x"}


def test_unknown_model_is_a_404_in_openai_form(client: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError) as caught:
        client.chat.completions.create(
            model="no-such-model", messages=[{"role": "user", "content": "hi"}]
        )
    assert caught.value.code == "model_not_found"
    assert "no-such-model" in caught.value.message


@pytest.mark.parametrize(
    ("body", "mentions"),
    [
        (b"{not json", "not valid JSON"),
        (b"[1, 2]", "JSON object"),
        (b'{"model": "smarterrouter/main", "messages": []}', "messages"),
        (b'{"messages": [{"role": "wizard", "content": "x"}]}', "role"),
        (b'{"messages": [{"role": "user", "content": "x"}], "temperature": 5}', "temperature"),
        (b'{"messages": [{"role": "user", "content": "x"}], "max_tokens": 0}', "max_tokens"),
    ],
)
def test_bad_requests_get_a_clear_400(router: RouterServer, body: bytes, mentions: str) -> None:
    resp = httpx.post(
        f"{router.openai_url}/chat/completions",
        content=body,
        headers={"content-type": "application/json"},
    )
    assert resp.status_code == 400
    error = resp.json()["error"]
    assert error["type"] == "invalid_request_error"
    assert mentions in error["message"]


def test_a_failing_model_falls_back_to_the_next(
    client: openai.OpenAI, ollama: FakeOllama, cloud: FakeOpenAI, router: RouterServer
) -> None:
    decision = httpx.post(
        f"{router.url}/admin/explain",
        json={"messages": [{"role": "user", "content": "Write a haiku about autumn"}]},
    ).json()["decision"]
    first, second = decision["model"], decision["fallbacks"][0]
    failing = ollama if not first.startswith("cloud/") else cloud
    failing.inject(Fault(status=500, times=None))
    raw = client.chat.completions.with_raw_response.create(
        model=ROUTER_MODEL, messages=[{"role": "user", "content": "Write a haiku about autumn"}]
    )
    assert raw.headers["x-smarterrouter-model"] != first
    assert raw.parse().choices[0].message.content
    if failing is ollama:  # the next candidate on the same box fails too; then the cloud
        assert raw.headers["x-smarterrouter-model"] == "cloud/gpt-4o-mini"
    else:
        assert raw.headers["x-smarterrouter-model"] == second


def test_when_every_model_fails_the_client_gets_a_502_naming_them(
    client: openai.OpenAI, ollama: FakeOllama, cloud: FakeOpenAI
) -> None:
    ollama.inject(Fault(status=503, times=None))
    cloud.inject(Fault(status=500, times=None))
    with pytest.raises(openai.APIStatusError) as caught:
        client.chat.completions.create(
            model=ROUTER_MODEL, messages=[{"role": "user", "content": "hi"}]
        )
    assert caught.value.status_code == 502
    assert "llama3.2:3b" in caught.value.message and "cloud/gpt-4o-mini" in caught.value.message


def test_a_stream_that_dies_midway_ends_with_an_error_not_a_hang(
    client: openai.OpenAI, ollama: FakeOllama
) -> None:
    ollama.inject(Fault(die_after=2, path="/api/chat"))
    stream = client.chat.completions.create(
        model="llama3.2:3b", stream=True, messages=[{"role": "user", "content": "tell me"}]
    )
    received = []
    with pytest.raises(openai.APIError):
        for chunk in stream:
            received.append(chunk)
    assert received  # the first chunks had reached the client before the break


def test_a_stream_that_fails_before_its_first_byte_falls_back(
    client: openai.OpenAI, ollama: FakeOllama, router: RouterServer
) -> None:
    question = {"messages": [{"role": "user", "content": "hello"}]}
    decision = httpx.post(f"{router.url}/admin/explain", json=question).json()["decision"]
    assert decision["model"] == "llama3.2:3b"  # the smallest: an easy prompt wants speed
    ollama.inject(Fault(status=500, path="/api/chat"))
    with client.chat.completions.with_streaming_response.create(
        model=ROUTER_MODEL, stream=True, messages=question["messages"]
    ) as response:
        text = "".join(c.choices[0].delta.content or "" for c in response.parse() if c.choices)
        chosen = response.headers["x-smarterrouter-model"]
    assert chosen == decision["fallbacks"][0]
    assert text == f"Paris is the capital of France.\nModel: {chosen}"
    assert ollama.received("/api/chat")[0].json["model"] == "llama3.2:3b"


def test_embeddings_go_to_an_embedding_model(client: openai.OpenAI, ollama: FakeOllama) -> None:
    result = client.embeddings.create(model=ROUTER_MODEL, input=["one", "two"])
    assert result.model == "nomic-embed-text:latest"
    assert len(result.data) == 2 and result.data[0].embedding
    [sent] = ollama.received("/api/embed")
    assert sent.json["input"] == ["one", "two"]


def test_embeddings_without_an_embedding_model_are_a_clear_400(
    cloud: FakeOpenAI, make_settings: object
) -> None:
    from smarterrouter.settings import BackendConfig

    settings = make_settings(
        [  # type: ignore[operator]
            BackendConfig(
                name="cloud",
                provider="openai",
                url=cloud.base_url,
                api_key=cloud.api_key,
            )
        ]
    )
    with (
        RouterServer(settings) as server,
        openai.OpenAI(base_url=server.openai_url, api_key="x", max_retries=0) as c,
        pytest.raises(openai.BadRequestError) as caught,
    ):
        c.embeddings.create(model=ROUTER_MODEL, input="hello")
    assert caught.value.code == "no_capable_model"


def test_request_id_is_echoed_and_decisions_are_stored(
    router: RouterServer, client: openai.OpenAI, tmp_path: Path
) -> None:
    raw = client.chat.completions.with_raw_response.create(
        model=ROUTER_MODEL,
        messages=[{"role": "user", "content": "Write a poem about rain"}],
        extra_headers={"X-Request-ID": "req-abc-123"},
    )
    assert raw.headers["x-request-id"] == "req-abc-123"
    chosen = raw.headers["x-smarterrouter-model"]
    router.__exit__(None, None, None)  # shutdown flushes the queued decisions
    with sqlite3.connect(tmp_path / "router.db") as db:
        rows = db.execute(
            "SELECT request_id, chosen_model, category, status, prompt_hash FROM routing_decisions"
        ).fetchall()
    assert len(rows) == 1
    request_id, model, category, status, prompt_hash = rows[0]
    assert (request_id, model, category, status) == ("req-abc-123", chosen, "creativity", "ok")
    assert "poem" not in prompt_hash and len(prompt_hash) == 64


def test_health_and_readiness(router: RouterServer, ollama: FakeOllama) -> None:
    assert httpx.get(f"{router.url}/health").json()["status"] == "ok"
    ready = httpx.get(f"{router.url}/ready")
    assert ready.status_code == 200
    assert ready.json()["backends"]["gpu"]["ok"] is True
    assert ready.json()["database"]["ok"] is True


def test_an_upstream_that_echoes_our_key_does_not_show_it_to_clients(
    client: openai.OpenAI, cloud: FakeOpenAI
) -> None:
    key = cloud.api_key
    assert key
    cloud.inject(Fault(status=401, message=f"Incorrect API key provided: {key}"))
    with pytest.raises(openai.APIStatusError) as caught:
        client.chat.completions.create(
            model="cloud/gpt-4o-mini", messages=[{"role": "user", "content": "hi"}]
        )
    assert "Incorrect API key provided" in caught.value.message
    assert key not in caught.value.message
    assert key not in caught.value.response.text

"""The cache's answers on the wire, read by the official `openai` client.

A small app stands in for the gateway and follows the wiring the gateway uses:
look up, answer a hit as JSON or as a replayed stream, store a miss's answer
(a streamed one through the StreamAssembler). The client is what any user runs.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import openai
import orjson
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from smarterrouter.cache import (
    CACHE_HEADER,
    MemoryResponseStore,
    ResponseCache,
    StreamAssembler,
    replay_chunks,
)
from smarterrouter.gateway import sse

MODEL = "qwen3:8b"
UPSTREAM: dict[str, Any] = {
    "id": "chatcmpl-up",
    "object": "chat.completion",
    "created": 1700000000,
    "model": MODEL,
    "choices": [
        {
            "index": 0,
            "message": {"role": "assistant", "content": "Paris is the capital of France. " * 4},
            "finish_reason": "stop",
        }
    ],
    "usage": {"prompt_tokens": 9, "completion_tokens": 28, "total_tokens": 37},
}


def make_app(cache: ResponseCache, upstream_calls: list[bool]) -> Starlette:
    async def chat(request: Request) -> Response:
        body = orjson.loads(await request.body())
        lookup = await cache.lookup(
            body,
            target=body.get("model") or "smarterrouter/main",
            preference=0.5,
            cache_control=request.headers.get("cache-control"),
        )
        headers = {CACHE_HEADER: lookup.header, "X-SmarterRouter-Model": MODEL}
        usage = bool((body.get("stream_options") or {}).get("include_usage"))
        if lookup.answer is not None:
            answer = cache.hit_completion(lookup.answer)
            if body.get("stream"):
                return _stream(replay_chunks(answer, include_usage=usage), headers)
            return Response(orjson.dumps(answer), media_type="application/json", headers=headers)
        upstream_calls.append(True)
        if body.get("stream"):
            return _stream(replay_chunks(UPSTREAM, include_usage=usage), headers, cache, lookup)
        await cache.save(lookup, MODEL, dict(UPSTREAM))
        return Response(orjson.dumps(UPSTREAM), media_type="application/json", headers=headers)

    return Starlette(routes=[Route("/v1/chat/completions", chat, methods=["POST"])])


def _stream(
    chunks: list[dict[str, Any]],
    headers: dict[str, str],
    cache: ResponseCache | None = None,
    lookup: Any = None,
) -> StreamingResponse:
    async def events() -> AsyncIterator[bytes]:
        assembler = StreamAssembler()
        for chunk in chunks:
            assembler.observe(chunk)
            yield sse(chunk)
        yield b"data: [DONE]\n\n"
        # Only a stream that ran to its end is stored.
        if cache is not None and (answer := assembler.completion()) is not None:
            await cache.save(lookup, MODEL, answer)

    return StreamingResponse(events(), media_type="text/event-stream", headers=headers)


@pytest.fixture
def upstream_calls() -> list[bool]:
    return []


@pytest.fixture
def client(upstream_calls: list[bool]) -> openai.AsyncOpenAI:
    cache = ResponseCache(MemoryResponseStore(max_size=10, ttl_seconds=60))
    transport = httpx.ASGITransport(app=make_app(cache, upstream_calls))
    return openai.AsyncOpenAI(
        base_url="http://router/v1",
        api_key="unused",
        http_client=httpx.AsyncClient(transport=transport),
    )


MESSAGES: list[Any] = [{"role": "user", "content": "Capital of France?"}]


@pytest.mark.anyio
async def test_a_plain_answer_is_replayed_as_a_stream(
    client: openai.AsyncOpenAI, upstream_calls: list[bool]
) -> None:
    first = await client.chat.completions.with_raw_response.create(
        model="smarterrouter/main", messages=MESSAGES, temperature=0
    )
    assert first.headers[CACHE_HEADER] == "miss"
    stream = await client.chat.completions.create(
        model="smarterrouter/main",
        messages=MESSAGES,
        temperature=0,
        stream=True,
        stream_options={"include_usage": True},
    )
    text, usage = "", None
    async for chunk in stream:
        text += "".join(c.delta.content or "" for c in chunk.choices)
        usage = chunk.usage or usage
    assert text == UPSTREAM["choices"][0]["message"]["content"]
    assert usage is not None
    assert usage.total_tokens == 37
    assert len(upstream_calls) == 1


@pytest.mark.anyio
async def test_a_streamed_answer_is_stored_and_answers_plain_requests(
    client: openai.AsyncOpenAI, upstream_calls: list[bool]
) -> None:
    stream = await client.chat.completions.create(
        model="smarterrouter/main", messages=MESSAGES, temperature=0, stream=True
    )
    async for _ in stream:
        pass
    again = await client.chat.completions.with_raw_response.create(
        model="smarterrouter/main", messages=MESSAGES, temperature=0
    )
    assert again.headers[CACHE_HEADER] == "hit-exact"
    answer = again.parse()
    assert answer.choices[0].message.content == UPSTREAM["choices"][0]["message"]["content"]
    assert answer.id != UPSTREAM["id"]
    assert len(upstream_calls) == 1


@pytest.mark.anyio
async def test_no_cache_header_goes_upstream(
    client: openai.AsyncOpenAI, upstream_calls: list[bool]
) -> None:
    for _ in range(2):
        response = await client.chat.completions.with_raw_response.create(
            model="smarterrouter/main",
            messages=MESSAGES,
            temperature=0,
            extra_headers={"Cache-Control": "no-cache"},
        )
        assert response.headers[CACHE_HEADER] == "bypass; reason=cache-control"
    assert len(upstream_calls) == 2

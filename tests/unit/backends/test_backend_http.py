"""The shared HTTP plumbing: error mapping, client setup, SSE and NDJSON readers."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Iterable

import httpx
import pytest

from smarterrouter.backends.http import (
    call_json,
    error_for_status,
    make_client,
    ndjson,
    open_stream,
    sse_data,
    sse_json,
)
from smarterrouter.errors import BackendError, BackendTimeout, BackendUnavailable

pytestmark = pytest.mark.anyio

Handler = Callable[[httpx.Request], httpx.Response]


def client_for(handler: Handler, base_url: str = "http://upstream") -> httpx.AsyncClient:
    return make_client(base_url, transport=httpx.MockTransport(handler))


async def lines_of(items: Iterable[str]) -> AsyncIterator[str]:
    for item in items:
        yield item


async def collect(stream: AsyncIterator[object]) -> list[object]:
    return [item async for item in stream]


def answer(status: int, body: object) -> Handler:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return lambda request: httpx.Response(status, content=content)


def raise_(exc: Exception) -> Handler:
    def handler(request: httpx.Request) -> httpx.Response:
        raise exc

    return handler


@pytest.mark.parametrize(
    ("status", "body", "message", "retryable"),
    [
        (
            500,
            {"error": {"message": "CUDA out of memory", "type": "server_error"}},
            "CUDA out of memory",
            True,
        ),
        (503, {"error": {"message": "Loading model", "code": 503}}, "Loading model", True),
        (429, {"error": {"message": "Rate limit reached"}}, "Rate limit reached", True),
        (404, {"error": "model 'llama9' not found"}, "model 'llama9' not found", False),
        (400, {"error": {"message": "'messages' is required"}}, "'messages' is required", False),
        (401, {"detail": "bad key"}, "bad key", False),
        (501, {"error": {"message": "Start it with `--embeddings`"}}, "--embeddings", False),
        (502, b"<html>Bad Gateway</html>", "<html>Bad Gateway</html>", True),
        (500, b"", "Internal Server Error", True),
    ],
)
async def test_error_statuses_carry_the_upstream_message(
    status: int, body: object, message: str, retryable: bool
) -> None:
    async with client_for(answer(status, body)) as client:
        with pytest.raises(BackendError) as caught:
            await call_json(client, "box", "GET", "/models")
    err = caught.value
    assert type(err) is BackendError
    assert message in err.message
    assert err.backend == "box"
    assert err.upstream_status == status
    assert err.retryable is retryable


def test_error_for_status_names_backend_and_status() -> None:
    err = error_for_status("gpu1", 404, b'{"error": "model \\"x\\" not found"}')
    assert err.message == "backend 'gpu1' answered 404: model \"x\" not found"


@pytest.mark.parametrize(
    ("exc", "kind", "retryable"),
    [
        (httpx.ConnectError("connection refused"), BackendUnavailable, True),
        (httpx.ConnectTimeout("slow connect"), BackendUnavailable, True),
        (httpx.ReadTimeout("no byte"), BackendTimeout, True),
        (httpx.RemoteProtocolError("peer closed"), BackendError, True),
        (httpx.ReadError("reset"), BackendError, True),
        (httpx.TooManyRedirects("loop"), BackendError, False),
    ],
)
async def test_transport_failures_become_backend_errors(
    exc: Exception, kind: type[BackendError], retryable: bool
) -> None:
    async with client_for(raise_(exc)) as client:
        with pytest.raises(BackendError) as caught:
            await call_json(client, "box", "GET", "/models")
    assert type(caught.value) is kind
    assert caught.value.retryable is retryable
    assert caught.value.upstream_status is None


async def test_invalid_json_is_a_non_retryable_backend_error() -> None:
    async with client_for(answer(200, b"not json")) as client:
        with pytest.raises(BackendError) as caught:
            await call_json(client, "box", "GET", "/models")
    assert caught.value.retryable is False
    assert "invalid JSON" in caught.value.message


async def test_client_sends_bearer_key_json_and_keeps_the_base_path() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"ok": True})

    transport = httpx.MockTransport(handler)
    async with make_client("https://api.example/v1", api_key="sk-1", transport=transport) as c:
        assert await call_json(c, "box", "POST", "/chat/completions", {"a": 1}) == {"ok": True}
    assert str(seen[0].url) == "https://api.example/v1/chat/completions"
    assert seen[0].headers["authorization"] == "Bearer sk-1"
    assert seen[0].headers["content-type"] == "application/json"
    assert json.loads(seen[0].content) == {"a": 1}


def test_client_timeouts_come_from_the_arguments() -> None:
    client = make_client("http://x", connect_timeout=2.0, read_timeout=90.0)
    assert client.timeout.connect == 2.0
    assert client.timeout.read == 90.0
    assert "authorization" not in client.headers


async def test_sse_data_joins_multiline_events_and_skips_comments() -> None:
    lines = [": keep-alive", "", "event: message", 'data: {"a":', "data: 1}", "", "data:[DONE]", ""]
    assert await collect(sse_data(lines_of(lines))) == ['{"a":\n1}', "[DONE]"]


async def test_sse_json_stops_at_done() -> None:
    lines = ['data: {"n": 1}', "", 'data: {"n": 2}', "", "data: [DONE]", "", 'data: {"n": 3}', ""]
    assert await collect(sse_json(lines_of(lines), "box")) == [{"n": 1}, {"n": 2}]


async def test_sse_json_without_done_raises_after_the_events() -> None:
    got: list[object] = []
    with pytest.raises(BackendError, match=r"before \[DONE\]"):
        async for event in sse_json(lines_of(['data: {"n": 1}', ""]), "box"):
            got.append(event)
    assert got == [{"n": 1}]


async def test_sse_json_error_event_raises_with_its_message() -> None:
    lines = ['data: {"n": 1}', "", 'data: {"error": {"message": "slot crashed"}}', ""]
    with pytest.raises(BackendError, match="slot crashed") as caught:
        await collect(sse_json(lines_of(lines), "box"))
    assert caught.value.retryable is True


async def test_sse_json_undecodable_event_raises() -> None:
    with pytest.raises(BackendError, match="undecodable"):
        await collect(sse_json(lines_of(["data: {oops", ""]), "box"))


async def test_ndjson_yields_objects_and_skips_blank_lines() -> None:
    lines = ['{"a": 1}', "", '{"b": 2}']
    assert await collect(ndjson(lines_of(lines), "box")) == [{"a": 1}, {"b": 2}]


async def test_ndjson_error_line_raises_after_earlier_objects() -> None:
    got: list[object] = []
    with pytest.raises(BackendError, match="model runner has unexpectedly stopped"):
        async for item in ndjson(
            lines_of(['{"a": 1}', '{"error": "model runner has unexpectedly stopped"}']), "box"
        ):
            got.append(item)
    assert got == [{"a": 1}]


class _BreakingStream(httpx.AsyncByteStream):
    """A body that sends some lines, then loses the connection."""

    def __init__(self, lines: list[bytes]) -> None:
        self._lines = lines

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for line in self._lines:
            yield line
        raise httpx.RemoteProtocolError("peer closed connection without sending complete body")


async def test_open_stream_translates_errors_raised_while_reading() -> None:
    body = _BreakingStream([b'data: {"n": 1}\n\n'])
    got: list[object] = []
    async with client_for(lambda r: httpx.Response(200, stream=body)) as client:
        with pytest.raises(BackendError, match="peer closed") as caught:
            async with open_stream(client, "box", "/chat", {}) as lines:
                async for event in sse_json(lines, "box"):
                    got.append(event)
    assert got == [{"n": 1}]
    assert caught.value.retryable is True


async def test_open_stream_raises_on_error_status_before_reading() -> None:
    handler = answer(400, {"error": {"message": "bad field"}})
    async with client_for(handler) as client:
        with pytest.raises(BackendError, match="bad field") as caught:
            async with open_stream(client, "box", "/chat", {}):
                pytest.fail("the block must not run for an error status")
    assert caught.value.upstream_status == 400


@pytest.mark.parametrize("body", [[], "ok", 3])
async def test_an_answer_that_is_not_a_json_object_is_a_backend_error(body: object) -> None:
    async with client_for(answer(200, body)) as client:
        with pytest.raises(BackendError, match="not an object"):
            await call_json(client, "up", "POST", "/v1/chat/completions", {})


async def test_an_empty_answer_is_an_empty_object() -> None:
    async with client_for(lambda _: httpx.Response(200)) as client:
        assert await call_json(client, "up", "GET", "/health") == {}


@pytest.mark.parametrize(
    ("status", "header", "expected"),
    [(429, "3", 3.0), (503, "0", 0.0), (429, None, None), (500, "3", None), (429, "soon", None)],
)
async def test_retry_after_rides_on_the_error(
    status: int, header: str | None, expected: float | None
) -> None:
    headers = {"Retry-After": header} if header is not None else {}

    def handler(_: httpx.Request) -> httpx.Response:
        return httpx.Response(status, json={"error": "busy"}, headers=headers)

    async with client_for(handler) as client:
        with pytest.raises(BackendError) as caught:
            await call_json(client, "up", "POST", "/v1/chat/completions", {})
    assert caught.value.retry_after == expected


async def test_an_upstream_echoing_our_key_has_it_masked_at_the_edge() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        key = request.headers["authorization"].removeprefix("Bearer ")
        return httpx.Response(401, json={"error": {"message": f"Incorrect API key: {key}"}})

    client = make_client(
        "http://upstream", api_key="ck-secret-value", transport=httpx.MockTransport(handler)
    )
    async with client:
        with pytest.raises(BackendError) as caught:
            await call_json(client, "up", "GET", "/models")
    assert "ck-secret-value" not in caught.value.message
    assert "Incorrect API key: ***" in caught.value.message

"""Who counts as local for /admin, and the limit on request bodies."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from starlette.requests import Request
from starlette.types import Message

from smarterrouter.errors import PayloadTooLarge
from smarterrouter.security.admin import is_loopback
from smarterrouter.security.limits import read_limited


@pytest.mark.parametrize(
    "host",
    ["127.0.0.1", "127.10.20.30", "::1", "::ffff:127.0.0.1", "localhost"],
)
def test_loopback_addresses(host: str) -> None:
    assert is_loopback(host)


@pytest.mark.parametrize(
    "host",
    [
        None,
        "",
        "10.0.0.1",
        "192.168.1.5",
        "0.0.0.0",
        "::",
        "::ffff:10.0.0.1",
        "2001:db8::1",
        "localhost.evil.example",
        "testclient",
    ],
)
def test_anything_else_is_not_loopback(host: str | None) -> None:
    assert not is_loopback(host)


def _request(chunks: Sequence[bytes], headers: Sequence[tuple[bytes, bytes]] = ()) -> Request:
    messages: list[Message] = [
        {"type": "http.request", "body": c, "more_body": i < len(chunks) - 1}
        for i, c in enumerate(chunks)
    ]

    async def receive() -> Message:
        return messages.pop(0)

    scope = {"type": "http", "method": "POST", "path": "/", "headers": list(headers)}
    return Request(scope, receive)


@pytest.mark.anyio
async def test_a_body_within_the_limit_is_read_whole() -> None:
    assert await read_limited(_request([b"ab", b"cd", b""]), limit=4) == b"abcd"


@pytest.mark.anyio
async def test_a_streamed_body_past_the_limit_is_refused_without_reading_the_rest() -> None:
    request = _request([b"abc", b"def", b"never read"])
    with pytest.raises(PayloadTooLarge, match="larger than"):
        await read_limited(request, limit=4)


@pytest.mark.anyio
async def test_a_declared_length_past_the_limit_is_refused_before_reading() -> None:
    request = _request([b"x" * 8], headers=[(b"content-length", b"8")])
    with pytest.raises(PayloadTooLarge):
        await read_limited(request, limit=4)

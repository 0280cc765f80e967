"""Limits on what a client may send, checked before the router holds it in memory."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from smarterrouter.errors import PayloadTooLarge

# Vision requests carry images as base64 and run to several megabytes; nothing
# an OpenAI client sends comes near this.
MAX_BODY_BYTES = 64 * 1024 * 1024


async def read_limited(request: Request, limit: int) -> bytes:
    """The request body, or PayloadTooLarge as soon as it is known to pass `limit` bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise _too_large(limit)
    return bytes(body)


async def read_body(request: Request) -> bytes:
    return await read_limited(request, MAX_BODY_BYTES)


def _too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(f"The request body is larger than {limit // (1024 * 1024)} MiB")


RawBody = Annotated[bytes, Depends(read_body)]

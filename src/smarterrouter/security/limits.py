"""Limits on what a client may send: the body before it is read, then the parsed
chat request. Requests over a limit are refused with a message naming the limit
and its setting; nothing the user wrote is ever cut or rewritten to fit."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Annotated, Any

from fastapi import Depends, Request

from smarterrouter.errors import InvalidRequest, PayloadTooLarge
from smarterrouter.settings import Settings

MIB = 1024 * 1024


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
    settings: Settings = request.app.state.settings
    return await read_limited(request, int(settings.max_body_mb * MIB))


def _too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(
        f"The request body is larger than {limit / MIB:g} MiB (ROUTER_MAX_BODY_MB)"
    )


RawBody = Annotated[bytes, Depends(read_body)]


def check_input(body: Mapping[str, Any], settings: Settings) -> None:
    """Refuse a chat request past ROUTER_MAX_MESSAGES, _MAX_CONTENT_CHARS, _MAX_IMAGES
    or _MAX_IMAGE_MB: InvalidRequest (400) for counts, PayloadTooLarge (413) for sizes.

    Pure, and tolerant of a malformed body: shapes are the validator's business.
    """
    messages = body.get("messages")
    if not isinstance(messages, list):
        return
    if len(messages) > settings.max_messages:
        raise InvalidRequest(
            f"The request has {len(messages)} messages; the limit is "
            f"{settings.max_messages} (ROUTER_MAX_MESSAGES)",
            param="messages",
        )
    chars = sum(len(text) for text in _texts(messages))
    if chars > settings.max_content_chars:
        raise PayloadTooLarge(
            f"The messages hold {chars} characters of text; the limit is "
            f"{settings.max_content_chars} (ROUTER_MAX_CONTENT_CHARS)",
            param="messages",
        )
    _check_images(list(_image_urls(messages)), settings)


def _check_images(urls: list[str], settings: Settings) -> None:
    if len(urls) > settings.max_images:
        raise InvalidRequest(
            f"The request has {len(urls)} images; the limit is "
            f"{settings.max_images} (ROUTER_MAX_IMAGES)",
            param="messages",
        )
    limit = settings.max_image_mb * MIB
    for index, url in enumerate(urls):
        size = inline_image_bytes(url)
        if size is not None and size > limit:
            raise PayloadTooLarge(
                f"Image {index + 1} is {size / MIB:.1f} MiB; the limit is "
                f"{settings.max_image_mb:g} MiB per image (ROUTER_MAX_IMAGE_MB)",
                param="messages",
            )


def inline_image_bytes(url: str) -> int | None:
    """The decoded size of a base64 data URL, None for a link (its size is not ours to know)."""
    if not url.startswith("data:"):
        return None
    header, _, data = url.partition(",")
    if not header.endswith(";base64"):
        return len(data)
    # Counted, not decoded: a 20 MiB image need not be copied to be measured.
    data = data.strip()
    padding = len(data) - len(data.rstrip("="))
    return len(data) * 3 // 4 - padding


def _parts(messages: list[Any]) -> Iterator[Mapping[str, Any]]:
    for message in messages:
        content = message.get("content") if isinstance(message, Mapping) else None
        if isinstance(content, list):
            yield from (p for p in content if isinstance(p, Mapping))


def _texts(messages: list[Any]) -> Iterator[str]:
    for message in messages:
        content = message.get("content") if isinstance(message, Mapping) else None
        if isinstance(content, str):
            yield content
    for part in _parts(messages):
        if isinstance(part.get("text"), str):
            yield part["text"]


def _image_urls(messages: list[Any]) -> Iterator[str]:
    for part in _parts(messages):
        image = part.get("image_url")
        url = image.get("url") if isinstance(image, Mapping) else image
        if part.get("type") == "image_url" and isinstance(url, str):
            yield url

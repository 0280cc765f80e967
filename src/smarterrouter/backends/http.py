"""What every HTTP backend shares: a pooled client, error translation, stream readers.

httpx exceptions stop here. Every call to an upstream runs inside
`upstream_errors()` (directly, or through `call_json` / `open_stream`), which maps

    httpx.ConnectError, ConnectTimeout    -> BackendUnavailable  (retryable)
    httpx.TimeoutException (read, write)  -> BackendTimeout      (retryable)
    other transport failures (peer closed
      mid-body, reset connection)         -> BackendError        (retryable)
    an error status from the upstream     -> BackendError with upstream_status and
                                             the upstream's own message; retryable
                                             for 408, 429 and 5xx except 501
    a body that is not the JSON promised  -> BackendError        (not retryable)

Streamed answers are read line by line (`response.aiter_lines()`), so each event
reaches the caller as soon as its bytes arrive.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any

import httpx
import orjson

from smarterrouter.backends.resilience import parse_retry_after
from smarterrouter.errors import BackendError, BackendTimeout, BackendUnavailable

JSON = dict[str, Any]

JSON_HEADERS: Mapping[str, str] = {"Content-Type": "application/json"}
SSE_DONE = "[DONE]"

# 408 and 429 say "try again later"; 501 says the upstream never will.
_RETRYABLE_4XX = frozenset({408, 429})
_NEVER_RETRYABLE_5XX = frozenset({501})
_MAX_DETAIL_CHARS = 500


def make_client(
    base_url: str,
    *,
    api_key: str | None = None,
    connect_timeout: float = 5.0,
    read_timeout: float = 120.0,
    transport: httpx.AsyncBaseTransport | None = None,
    request_hook: Callable[[httpx.Request], Awaitable[None]] | None = None,
) -> httpx.AsyncClient:
    """One pooled client for one backend, to be kept for the backend's lifetime.

    `connect_timeout` bounds reaching the host; `read_timeout` bounds the wait for
    each next byte, which covers a model loading before its first token. Calls
    that may take longer (loading a model explicitly) pass their own timeout.
    `request_hook` sees every request before it is sent (trace headers).
    """
    headers = {"User-Agent": "smarterrouter"}
    if api_key:
        headers["Authorization"] = f"Bearer {api_key}"
    timeout = httpx.Timeout(
        connect=connect_timeout, read=read_timeout, write=read_timeout, pool=read_timeout
    )
    # Many concurrent streams to one local server are normal (UIs fire background
    # tasks next to the chat), so the pool is far larger than httpx's default.
    limits = httpx.Limits(max_connections=512, max_keepalive_connections=64, keepalive_expiry=30.0)
    hooks = {"request": [request_hook]} if request_hook else None
    return httpx.AsyncClient(
        base_url=base_url,
        headers=headers,
        timeout=timeout,
        limits=limits,
        transport=transport,
        event_hooks=hooks,
    )


def is_retryable_status(status: int) -> bool:
    if status >= 500:
        return status not in _NEVER_RETRYABLE_5XX
    return status in _RETRYABLE_4XX


def error_message(data: Any) -> str | None:
    """The message in an upstream's error body: OpenAI's `{"error": {"message"}}`,
    Ollama's `{"error": "..."}`, or a bare `message` / `detail`."""
    if not isinstance(data, dict):
        return None
    err = data.get("error")
    if isinstance(err, str):
        return err
    if isinstance(err, dict) and isinstance(err.get("message"), str):
        return str(err["message"])
    for key in ("message", "detail"):
        value = data.get(key)
        if isinstance(value, str):
            return value
    return None


def body_message(body: bytes) -> str | None:
    """The upstream's own words from an error body, JSON or not."""
    try:
        found = error_message(orjson.loads(body))
    except orjson.JSONDecodeError:
        found = None
    if found is None:
        found = body.decode("utf-8", errors="replace").strip() or None
    return None if found is None else found[:_MAX_DETAIL_CHARS]


def error_for_status(
    backend: str, status: int, body: bytes, headers: Mapping[str, str] | None = None
) -> BackendError:
    """The BackendError for an upstream's error answer."""
    detail = body_message(body) or _phrase(status)
    return BackendError(
        f"backend '{backend}' answered {status}: {detail}",
        backend=backend,
        upstream_status=status,
        retryable=is_retryable_status(status),
        retry_after=_retry_after(status, headers),
    )


def _retry_after(status: int, headers: Mapping[str, str] | None) -> float | None:
    # Only 429 and 503 carry a Retry-After that means something for a repeat.
    if status not in (429, 503) or not headers or "retry-after" not in headers:
        return None
    return parse_retry_after(headers["retry-after"], datetime.now(UTC))


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "error"


async def ensure_ok(response: httpx.Response, backend: str) -> None:
    """Raise the BackendError for an error status (reading a streamed body first)."""
    if response.status_code < 400:
        return
    body = _without_our_key(await response.aread(), response.request)
    raise error_for_status(backend, response.status_code, body, response.headers)


def _without_our_key(body: bytes, request: httpx.Request) -> bytes:
    """The error body with the key we sent masked: upstreams echo it ("Incorrect
    API key provided: sk-…"), and from here the text reaches logs and clients."""
    scheme, _, key = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or len(key) < 6:
        return body
    return body.replace(key.encode(), b"***")


@contextlib.contextmanager
def upstream_errors(backend: str) -> Iterator[None]:
    """Translate httpx exceptions raised inside the block into BackendError."""
    try:
        yield
    except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
        raise BackendUnavailable(
            f"cannot connect to backend '{backend}': {_describe(exc)}", backend=backend
        ) from exc
    except httpx.TimeoutException as exc:
        raise BackendTimeout(
            f"backend '{backend}' did not answer in time ({_describe(exc)})", backend=backend
        ) from exc
    except httpx.TransportError as exc:
        raise BackendError(
            f"connection to backend '{backend}' failed: {_describe(exc)}", backend=backend
        ) from exc
    except (httpx.HTTPError, httpx.InvalidURL, httpx.StreamError) as exc:
        raise BackendError(
            f"request to backend '{backend}' failed: {_describe(exc)}",
            backend=backend,
            retryable=False,
        ) from exc
    except json.JSONDecodeError as exc:  # orjson's error is a subclass
        raise BackendError(
            f"backend '{backend}' sent invalid JSON: {exc}", backend=backend, retryable=False
        ) from exc


def _describe(exc: Exception) -> str:
    return str(exc) or type(exc).__name__


async def call_json(
    client: httpx.AsyncClient,
    backend: str,
    method: str,
    path: str,
    payload: Any = None,
    *,
    time_limit: float | None = None,
) -> JSON:
    """Send one request and return its answer, a JSON object; BackendError otherwise.

    Every endpoint the backends call answers an object, so anything else (an
    array, a bare string) is a broken upstream, and an empty body is `{}`.
    `time_limit` replaces the client's read timeout for this call (model loads).
    """
    extra: dict[str, Any] = {}
    if payload is not None:
        extra = {"content": orjson.dumps(payload), "headers": JSON_HEADERS}
    if time_limit is not None:
        extra["timeout"] = time_limit
    with upstream_errors(backend):
        response = await client.request(method, path, **extra)
        await ensure_ok(response, backend)
        answer = orjson.loads(response.content) if response.content else {}
    if not isinstance(answer, dict):
        raise BackendError(
            f"backend '{backend}' answered {method} {path} with JSON that is not an object",
            backend=backend,
        )
    return answer


@contextlib.asynccontextmanager
async def open_stream(
    client: httpx.AsyncClient, backend: str, path: str, payload: Any
) -> AsyncIterator[AsyncIterator[str]]:
    """POST `payload` and give the answer's lines as they arrive.

    An error status raises before anything is read. Transport errors raised while
    the caller reads the lines, inside the `async with` block, are translated too,
    and the response is closed when the block ends, however it ends.
    """
    with upstream_errors(backend):
        async with client.stream(
            "POST", path, content=orjson.dumps(payload), headers=JSON_HEADERS
        ) as response:
            await ensure_ok(response, backend)
            yield response.aiter_lines()


async def sse_data(lines: AsyncIterator[str]) -> AsyncIterator[str]:
    """The `data` of each server-sent event, multi-line data joined by newlines.

    Comments and other fields (event, id, retry) carry nothing the router uses.
    """
    data: list[str] = []
    async for line in lines:
        if not line:
            if data:
                yield "\n".join(data)
                data = []
            continue
        name, _, value = line.partition(":")
        if name == "data":
            data.append(value[1:] if value.startswith(" ") else value)
    if data:
        yield "\n".join(data)


async def sse_json(lines: AsyncIterator[str], backend: str) -> AsyncIterator[JSON]:
    """OpenAI-style SSE: one JSON object per event until `[DONE]`.

    An `{"error": ...}` event, an undecodable event, or an end without `[DONE]`
    (the upstream stopped mid-answer) raise BackendError.
    """
    async for data in sse_data(lines):
        if data.strip() == SSE_DONE:
            return
        yield _decode_event(data, backend)
    raise BackendError(f"backend '{backend}' ended the stream before [DONE]", backend=backend)


async def ndjson(lines: AsyncIterator[str], backend: str) -> AsyncIterator[JSON]:
    """Newline-delimited JSON: one object per line; an `{"error": ...}` line raises."""
    async for line in lines:
        if line.strip():
            yield _decode_event(line, backend)


def _decode_event(text: str, backend: str) -> JSON:
    try:
        event = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise BackendError(
            f"backend '{backend}' sent an undecodable stream event: {text[:200]!r}",
            backend=backend,
        ) from exc
    if not isinstance(event, dict):
        raise BackendError(
            f"backend '{backend}' sent a stream event that is not an object", backend=backend
        )
    if event.get("error") is not None:
        detail = error_message(event) or str(event["error"])
        raise BackendError(f"backend '{backend}' failed mid-stream: {detail}", backend=backend)
    return event

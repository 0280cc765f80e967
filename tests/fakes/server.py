"""A small real HTTP/1.1 server on 127.0.0.1 for fake upstreams.

It runs its own event loop in a background thread, so sync and async tests use
it alike (`with FakeX() as fake: ... fake.url`). It records every request it
receives and can be told to misbehave (`Fault`): answer with an error status,
wait before answering, close the connection without answering, drop the
connection after N stream chunks, send an in-stream error event after N chunks,
or hold a stream after N chunks until the test calls `resume()`.

Subclasses implement `handle()` (a request in, a `Response` out) and say what
their upstream's errors look like (`error_body`, `stream_error`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self
from urllib.parse import parse_qsl, urlsplit

_REASONS = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    429: "Too Many Requests",
    500: "Internal Server Error",
    501: "Not Implemented",
    503: "Service Unavailable",
}


@dataclass(frozen=True)
class RecordedRequest:
    """A request as the fake received it."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # lower-case names
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


@dataclass
class Fault:
    """A misbehaviour for the next `times` requests to `path` (any path if None)."""

    status: int | None = None  # answer with this error status (upstream's error shape)
    message: str = "injected failure"
    delay: float = 0.0  # seconds to wait before answering
    close: bool = False  # close the connection without answering
    die_after: int | None = None  # streams: drop the connection after N chunks
    error_after: int | None = None  # streams: send an in-stream error after N chunks
    pause_after: int | None = None  # streams: hold after N chunks until resume()
    headers: dict[str, str] | None = None  # with `status`: extra headers (Retry-After…)
    garbage: bytes | None = None  # answer 200 with this body instead of the real answer
    path: str | None = None
    times: int | None = 1  # None: every matching request


@dataclass
class Response:
    """What a fake answers: a whole body, or `chunks` written and flushed one by one."""

    status: int = 200
    body: bytes = b""
    content_type: str = "application/json"
    chunks: Sequence[bytes] | None = None
    headers: dict[str, str] | None = None

    @classmethod
    def json(cls, data: Any, status: int = 200) -> Response:
        return cls(status=status, body=json.dumps(data).encode())


@dataclass(frozen=True)
class ToolCall:
    name: str
    arguments: dict[str, Any]


@dataclass
class Reply:
    """What a fake model says: content (streamed word by word) and/or tool calls."""

    content: str = "Paris is the capital of France."
    tool_calls: tuple[ToolCall, ...] = ()
    prompt_tokens: int = 12
    completion_tokens: int = 7

    def pieces(self) -> list[str]:
        """The content as stream deltas, whitespace kept, so they join back exactly."""
        if not self.content:
            return []
        words = self.content.split(" ")
        return [w + " " for w in words[:-1]] + [words[-1]]


@dataclass(eq=False)
class _Connection:
    writer: asyncio.StreamWriter
    task: asyncio.Task[None]


class LoopbackServer:
    """The HTTP machinery; subclasses give it an upstream's behaviour."""

    def __init__(self) -> None:
        self.requests: list[RecordedRequest] = []
        self.port = 0
        self._faults: list[Fault] = []
        self._lock = threading.Lock()
        self._resume = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: asyncio.Server | None = None
        self._connections: set[_Connection] = set()

    # --- what subclasses provide ---------------------------------------------

    def handle(self, request: RecordedRequest) -> Response:
        raise NotImplementedError

    def error_body(self, status: int, message: str) -> bytes:
        return json.dumps({"error": {"message": message, "code": status}}).encode()

    def stream_error(self, message: str) -> bytes:
        return b"data: " + self.error_body(500, message) + b"\n\n"

    # --- what tests use --------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def inject(self, fault: Fault) -> None:
        with self._lock:
            self._faults.append(fault)

    def resume(self) -> None:
        """Let a stream held by `Fault(pause_after=...)` go on."""
        self._resume.set()

    def received(self, path: str, method: str | None = None) -> list[RecordedRequest]:
        return [r for r in self.requests if r.path == path and method in (None, r.method)]

    def start(self) -> Self:
        ready = threading.Event()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, args=(ready,), daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("fake server did not start")
        return self

    def stop(self) -> None:
        if self._loop is None or self._thread is None:
            return
        self._resume.set()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop = self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # --- the server ------------------------------------------------------------

    def _run(self, ready: threading.Event) -> None:
        assert self._loop is not None
        loop = self._loop
        asyncio.set_event_loop(loop)
        self._server = loop.run_until_complete(asyncio.start_server(self._accept, "127.0.0.1", 0))
        self.port = self._server.sockets[0].getsockname()[1]
        ready.set()
        try:
            loop.run_forever()
        finally:
            loop.run_until_complete(self._shutdown())
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    async def _shutdown(self) -> None:
        assert self._server is not None
        self._server.close()
        for conn in list(self._connections):
            conn.task.cancel()
        await asyncio.gather(*(c.task for c in self._connections), return_exceptions=True)
        await self._server.wait_closed()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        conn = _Connection(writer, task)
        self._connections.add(conn)
        try:
            while await self._serve_one(reader, writer):
                pass
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            self._connections.discard(conn)
            writer.close()
            with contextlib.suppress(ConnectionError, asyncio.CancelledError):
                await writer.wait_closed()

    async def _serve_one(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        """Serve one request; False when the connection is to be closed."""
        request = await _read_request(reader)
        if request is None:
            return False
        self.requests.append(request)
        fault = self._take_fault(request.path)
        if fault and fault.delay:
            await asyncio.sleep(fault.delay)
        if fault and fault.close:
            return False
        if fault and fault.status:
            body = self.error_body(fault.status, fault.message)
            response = Response(fault.status, body, headers=fault.headers)
        elif fault and fault.garbage is not None:
            response = Response(200, fault.garbage)
        else:
            response = self._safe_handle(request)
        if response.chunks is None:
            await _write_whole(writer, response)
            return request.headers.get("connection", "").lower() != "close"
        return await self._write_stream(writer, response, fault)

    def _safe_handle(self, request: RecordedRequest) -> Response:
        try:
            return self.handle(request)
        except Exception as exc:  # a bug in a fake shows as a 500 with its message
            return Response(500, self.error_body(500, f"fake failed: {exc!r}"))

    def _take_fault(self, path: str) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.path in (None, path):
                    if fault.times is not None:
                        fault.times -= 1
                        if fault.times <= 0:
                            self._faults.remove(fault)
                    return fault
        return None

    async def _write_stream(
        self, writer: asyncio.StreamWriter, response: Response, fault: Fault | None
    ) -> bool:
        head = _head(response.status, response.content_type, {"Transfer-Encoding": "chunked"})
        writer.write(head)
        assert response.chunks is not None
        for index, chunk in enumerate(response.chunks):
            if fault and fault.die_after == index:
                await writer.drain()
                return False  # closing now leaves the chunked body incomplete
            if fault and fault.error_after == index:
                writer.write(_chunked(self.stream_error(fault.message)))
                break
            if fault and fault.pause_after == index:
                await writer.drain()
                await self._wait_resume()
            writer.write(_chunked(chunk))
            await writer.drain()
        writer.write(b"0\r\n\r\n")
        await writer.drain()
        return True

    async def _wait_resume(self) -> None:
        # The test sets a threading.Event from its own thread; polling it keeps
        # this loop free without handing a waiting thread to an executor.
        while not self._resume.is_set():  # noqa: ASYNC110
            await asyncio.sleep(0.01)
        self._resume.clear()


async def _read_request(reader: asyncio.StreamReader) -> RecordedRequest | None:
    line = await reader.readline()
    if not line.strip():
        return None
    method, target, _ = line.decode("latin-1").split(" ", 2)
    headers: dict[str, str] = {}
    while (raw := await reader.readline()) not in (b"\r\n", b"\n", b""):
        name, _, value = raw.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    body = await _read_body(reader, headers)
    parts = urlsplit(target)
    return RecordedRequest(method, parts.path, dict(parse_qsl(parts.query)), headers, body)


async def _read_body(reader: asyncio.StreamReader, headers: dict[str, str]) -> bytes:
    if headers.get("transfer-encoding", "").lower() == "chunked":
        body = b""
        while size := int((await reader.readline()).split(b";")[0], 16):
            body += await reader.readexactly(size + 2)
            body = body[:-2]
        await reader.readline()
        return body
    length = int(headers.get("content-length", "0"))
    return await reader.readexactly(length) if length else b""


def _head(status: int, content_type: str, extra: dict[str, str]) -> bytes:
    lines = [f"HTTP/1.1 {status} {_REASONS.get(status, 'Status')}", f"Content-Type: {content_type}"]
    lines += [f"{k}: {v}" for k, v in extra.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


async def _write_whole(writer: asyncio.StreamWriter, response: Response) -> None:
    extra = {"Content-Length": str(len(response.body)), **(response.headers or {})}
    writer.write(_head(response.status, response.content_type, extra) + response.body)
    await writer.drain()


def _chunked(data: bytes) -> bytes:
    return f"{len(data):x}\r\n".encode() + data + b"\r\n"


def sse(events: Iterable[Any]) -> list[bytes]:
    """OpenAI-style SSE chunks for JSON events, ending with `[DONE]`."""
    chunks = [b"data: " + json.dumps(e).encode() + b"\n\n" for e in events]
    return [*chunks, b"data: [DONE]\n\n"]


def fake_vector(text: str, dims: int = 8) -> list[float]:
    """A deterministic embedding: equal texts, equal vectors."""
    seed = sum(text.encode()) or 1
    return [((seed * (i + 3)) % 97) / 97 - 0.5 for i in range(dims)]

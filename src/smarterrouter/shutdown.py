"""Graceful shutdown: open requests and streams finish, new ones get a 503.

uvicorn, on SIGTERM/SIGINT, stops accepting connections, closes idle keep-alive
connections and waits (ROUTER_SHUTDOWN_TIMEOUT) for running requests. Until its
next tick notices the signal, and on connections that are still busy, a request
can still come in: `ShutdownGate` answers those with 503 "shutting_down" and
`Connection: close`, so that the client retries elsewhere instead of starting
an answer that would be cut.

The flag is raised by the server's signal handler (`cli.py`), or at the latest
when the ASGI lifespan shutdown begins (any other server).
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from smarterrouter.errors import ServiceUnavailable
from smarterrouter.security.gate import send_error


class ShuttingDown(ServiceUnavailable):
    code = "shutting_down"


class Draining:
    """Whether the server has begun to shut down. Set once, never cleared."""

    def __init__(self) -> None:
        self._started = False

    def begin(self) -> None:
        # A plain flag: safe to set from a signal handler.
        self._started = True

    @property
    def started(self) -> bool:
        return self._started


class ShutdownGate:
    def __init__(self, app: ASGIApp, draining: Draining) -> None:
        self.app = app
        self._draining = draining

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self.app(scope, self._watch(receive), send)
            return
        if scope["type"] == "http" and self._draining.started:
            error = ShuttingDown("The router is shutting down; retry on another instance")
            await send_error(send, error, [(b"connection", b"close")])
            return
        await self.app(scope, receive, send)

    def _watch(self, receive: Receive) -> Receive:
        async def watched() -> Message:
            message = await receive()
            if message["type"] == "lifespan.shutdown":
                self._draining.begin()
            return message

        return watched

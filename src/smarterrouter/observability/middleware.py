"""Request ids and the one log line per request, as plain ASGI middleware.

Plain ASGI (not BaseHTTPMiddleware) so that streams pass through untouched and
the per-request cost stays a few microseconds.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from smarterrouter.observability.context import request_id_var

log = logging.getLogger("smarterrouter.access")
# Response headers the gateway sets, as the access line's fields.
_ROUTING_HEADERS = {
    b"x-smarterrouter-model": "model",
    b"x-smarterrouter-category": "category",
    b"x-smarterrouter-cache": "cache",
    b"x-smarterrouter-fallbacks": "fallbacks",
}
_VALID_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
_errors = logging.getLogger(__name__)
_INTERNAL_ERROR = orjson.dumps(
    {
        "error": {
            "message": "Internal error in the router; see its log",
            "type": "server_error",
            "param": None,
            "code": "internal_error",
        }
    }
)


class RequestContextMiddleware:
    def __init__(
        self, app: ASGIApp, on_done: Callable[[str, str, int, float], None] | None = None
    ) -> None:
        """`on_done(route template, method, status, seconds)` runs after each request."""
        self.app = app
        self._on_done = on_done

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _incoming_id(scope) or uuid.uuid4().hex
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        status = 500
        routing = {"model": "-", "category": "-", "cache": "-", "fallbacks": "0"}
        responded = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, responded
            if message["type"] == "http.response.start":
                responded = True
                status = message["status"]
                headers = list(message.get("headers", []))
                for key, value in headers:
                    if key in _ROUTING_HEADERS:
                        routing[_ROUTING_HEADERS[key]] = value.decode("latin-1")
                headers.append((b"x-request-id", request_id.encode()))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            if responded:
                raise  # a stream broke midway: nothing more can be sent
            # Answered here rather than by the server's last-resort handler, so
            # that the line logged and the answer both carry the request id.
            _errors.exception("unexpected error")
            await _send_internal_error(send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            if self._on_done is not None:
                route = scope.get("route")
                # The template ("/v1/chat/completions"), never the raw path: a
                # client probing random URLs must not grow the label set.
                template = getattr(route, "path", None) or "unmatched"
                self._on_done(template, scope["method"], status, elapsed)
            log.info(
                "%s %s %s %.1fms model=%s category=%s cache=%s fallbacks=%s",
                scope["method"],
                scope["path"],
                status,
                elapsed * 1000,
                routing["model"],
                routing["category"],
                routing["cache"],
                routing["fallbacks"],
                extra={
                    "route": scope["path"],
                    "status": status,
                    "latency_ms": round(elapsed * 1000, 1),
                    **routing,
                },
            )
            request_id_var.reset(token)


def _incoming_id(scope: Scope) -> str | None:
    for key, value in scope.get("headers", []):
        if key == b"x-request-id":
            text = value.decode("latin-1")
            # Echo a client's id only if it is safe to put in logs and headers.
            return text if _VALID_ID.match(text) else None
    return None


async def _send_internal_error(send: Send) -> None:
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(_INTERNAL_ERROR)).encode()),
    ]
    await send({"type": "http.response.start", "status": 500, "headers": headers})
    await send({"type": "http.response.body", "body": _INTERNAL_ERROR})

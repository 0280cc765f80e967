"""The chat route, answered without FastAPI's per-request machinery.

POST /v1/chat/completions is the hot path, and a cache hit's own work is
smaller than FastAPI's routing, dependency solving and endpoint wrapping. This
ASGI layer sits just inside the middlewares (request id and access line, CORS,
the draining and client gates) and answers that one route itself, with the same
handler and the same error bodies; every other request goes on to FastAPI. The
route stays declared in FastAPI too, so /openapi.json still describes it.
"""

from __future__ import annotations

from types import SimpleNamespace

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from smarterrouter.api.openai import CHAT_PATH, chat_completions, router_error_response
from smarterrouter.errors import RouterError

# What the access metrics read from scope["route"]: the route's template.
_ROUTE = SimpleNamespace(path=CHAT_PATH)


class ChatFastPath:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != CHAT_PATH or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        scope["route"] = _ROUTE
        request = Request(scope, receive)
        try:
            response = await chat_completions(request)
        except RouterError as exc:
            response = router_error_response(request, exc)
        await response(scope, receive, send)

"""The door to /v1 and /admin: client keys (ROUTER_API_KEYS) and rate limits.

Plain ASGI, like the request-context middleware: it decides from the request
line and headers alone, and passes streams through untouched. /health, /ready
and the docs are never gated, so probes keep working whatever the settings.
"""

from __future__ import annotations

import orjson
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from smarterrouter.errors import AuthError, RateLimited, RouterError
from smarterrouter.security.clients import bearer, client_address, find_key, key_identity
from smarterrouter.security.ratelimit import (
    Budget,
    RateLimiter,
    per_minute,
    retry_after_header,
)
from smarterrouter.settings import Settings

_API = "/v1/"
_ADMIN = "/admin/"


class ClientGate:
    def __init__(self, app: ASGIApp, settings: Settings, limiter: RateLimiter | None) -> None:
        """`limiter` counts requests when rate limits are on; its owner closes it."""
        self.app = app
        self._keys = [k.get_secret_value() for k in settings.api_keys]
        self._trusted = list(settings.trusted_proxies)
        self._limiter = limiter
        self._budgets = {
            _API: per_minute("api", settings.rate_limit_requests_per_minute),
            _ADMIN: per_minute("admin", settings.rate_limit_admin_requests_per_minute),
        }

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        area = _area(scope)
        if area is None:
            await self.app(scope, receive, send)
            return
        refusal = await self._refusal(scope, area)
        if refusal is None:
            await self.app(scope, receive, send)
            return
        error, headers = refusal
        await send_error(send, error, headers)

    async def _refusal(
        self, scope: Scope, area: str
    ) -> tuple[RouterError, list[tuple[bytes, bytes]]] | None:
        headers = Headers(scope=scope)
        key = find_key(bearer(headers.get("authorization")), self._keys)
        # Counted before the key is checked, so that guessing keys uses up the
        # guesser's budget too.
        if self._limiter is not None:
            identity = key_identity(key) if key else self._address(scope, headers)
            wait = await self._limiter.hit(self._budgets[area], identity)
            if wait is not None:
                return _rate_limited(self._budgets[area], wait)
        if area == _API and self._keys and key is None:
            return AuthError(_AUTH_MESSAGE), [(b"www-authenticate", b"Bearer")]
        return None

    def _address(self, scope: Scope, headers: Headers) -> str:
        peer = scope["client"][0] if scope.get("client") else None
        return "addr:" + client_address(peer, headers.get("x-forwarded-for"), self._trusted)


_AUTH_MESSAGE = (
    "Missing or wrong API key: send 'Authorization: Bearer <key>' with one of the "
    "keys in ROUTER_API_KEYS"
)


def _area(scope: Scope) -> str | None:
    if scope["type"] != "http":
        return None
    path: str = scope["path"]
    for prefix in (_API, _ADMIN):
        if path.startswith(prefix):
            return prefix
    return None


def _rate_limited(budget: Budget, wait: float) -> tuple[RouterError, list[tuple[bytes, bytes]]]:
    setting = (
        "ROUTER_RATE_LIMIT_ADMIN_REQUESTS_PER_MINUTE"
        if budget.name == "admin"
        else "ROUTER_RATE_LIMIT_REQUESTS_PER_MINUTE"
    )
    error = RateLimited(
        f"Rate limit reached: {budget.item.amount} requests per minute ({setting}); "
        f"retry in {retry_after_header(wait)}s"
    )
    return error, [(b"retry-after", retry_after_header(wait).encode())]


async def send_error(
    send: Send, error: RouterError, headers: list[tuple[bytes, bytes]] | None = None
) -> None:
    """Answer with `error` in OpenAI's form, from middleware (outside FastAPI's handlers)."""
    body = orjson.dumps(error.to_openai())
    head = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        *(headers or []),
    ]
    await send({"type": "http.response.start", "status": error.status_code, "headers": head})
    await send({"type": "http.response.body", "body": body})

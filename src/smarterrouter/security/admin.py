"""Who may call /admin: the holder of ROUTER_ADMIN_API_KEY, or with no key set,
only clients on this machine (never the whole network)."""

from __future__ import annotations

import hmac
import ipaddress

from fastapi import Depends, Request

from smarterrouter.errors import AuthError, RouterError
from smarterrouter.security.clients import bearer
from smarterrouter.settings import Settings


class AdminForbidden(RouterError):
    status_code = 403
    error_type = "permission_error"
    code = "admin_forbidden"


def is_loopback(host: str | None) -> bool:
    if not host:
        return False
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host == "localhost"
    # A dual-stack socket (ROUTER_HOST="::") sees local IPv4 clients as ::ffff:127.x.
    mapped = getattr(address, "ipv4_mapped", None)
    return address.is_loopback or (mapped is not None and mapped.is_loopback)


def bearer_token(request: Request) -> str | None:
    return bearer(request.headers.get("authorization"))


async def _check_admin(request: Request) -> None:
    key = request.app.state.settings.admin_api_key
    if key is None:
        if not is_loopback(request.client.host if request.client else None):
            raise AdminForbidden(
                "Admin endpoints answer only local clients while ROUTER_ADMIN_API_KEY is unset"
            )
        return
    token = bearer_token(request)
    # compare_digest: the time taken must not tell how much of the key matched.
    if token is None or not hmac.compare_digest(token.encode(), key.get_secret_value().encode()):
        raise AuthError("Admin endpoints need 'Authorization: Bearer <ROUTER_ADMIN_API_KEY>'")


require_admin = Depends(_check_admin)


def admin_access_note(settings: Settings) -> str:
    """The one line said at start about who may call /admin."""
    if settings.admin_api_key is None:
        return (
            "ROUTER_ADMIN_API_KEY is unset: /admin/* answers only clients on this machine "
            "(loopback); set it to reach /admin from the network"
        )
    return "/admin/* needs 'Authorization: Bearer <ROUTER_ADMIN_API_KEY>'"

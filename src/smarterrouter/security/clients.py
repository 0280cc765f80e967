"""Who a client is: the key it holds (ROUTER_API_KEYS) and the address it comes from.

Pure functions over what the request carries, so that the rules (constant-time
key checks, which X-Forwarded-For entry to believe) are tested without a server.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
from collections.abc import Sequence

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def bearer(header: str | None) -> str | None:
    """The token of an `Authorization: Bearer <token>` header, or None."""
    scheme, _, token = (header or "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def find_key(token: str | None, keys: Sequence[str]) -> str | None:
    """The configured key equal to `token`, or None.

    Every key is compared, whatever matched: neither the time taken nor an early
    exit may tell which key, or how much of one, was guessed.
    """
    if token is None:
        return None
    given = token.encode()
    found = None
    for key in keys:
        if hmac.compare_digest(given, key.encode()):
            found = key
    return found


def key_identity(key: str) -> str:
    """A stable name for a key's budget that does not reveal the key (Redis sees it)."""
    return "key:" + hashlib.sha256(key.encode()).hexdigest()[:24]


def client_address(peer: str | None, forwarded_for: str | None, trusted: Sequence[Network]) -> str:
    """The client's address: the TCP peer, or behind trusted proxies the right-most
    X-Forwarded-For entry that is not itself a trusted proxy.

    Entries left of the first untrusted one were written by the client and prove
    nothing; an unparsable entry ends the walk there, so a proxy's own garbage
    cannot be used to slip past.
    """
    address = peer or "unknown"
    if not forwarded_for or not _is_trusted(address, trusted):
        return address
    for entry in reversed(forwarded_for.split(",")):
        hop = entry.strip()
        if not _is_trusted(hop, trusted):
            return hop if _parse(hop) is not None else address
        address = hop
    return address  # every hop a trusted proxy: the left-most is the client


def _is_trusted(host: str, trusted: Sequence[Network]) -> bool:
    ip = _parse(host)
    return ip is not None and any(ip in network for network in trusted)


def _parse(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return None
    # A dual-stack socket shows IPv4 peers as ::ffff:a.b.c.d; match them as IPv4.
    mapped = getattr(ip, "ipv4_mapped", None)
    return mapped if mapped is not None else ip

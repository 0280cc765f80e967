"""The request fingerprint: one sha256 for everything that changes the answer.

The key covers the target (the router model with its quality preference, or the
model the client named) and every field of the body — messages with their
content parts, names and tool calls, tools, tool_choice, response_format, every
sampling parameter, and any field the router does not know, since an upstream
may well act on it. Left out are only the fields that cannot change the answer:
how it is delivered (`stream`, `stream_options`), who asked (`user`,
`metadata`) and the cache opt-out flag. So a streamed request and a plain one
share a key: either can be answered from the other's stored answer.

The body is written as canonical JSON (sorted keys, no whitespace, integral
floats as integers) before hashing, so key order and formatting never matter.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

import orjson

OPT_OUT_FIELD = "smarterrouter_cache"
"""Body flag: `"smarterrouter_cache": false` skips the cache for one request.

For clients that cannot set a `Cache-Control` header (the `openai` SDK's
`extra_body` can set it). Prefixed because upstreams may reject fields they do
not know: the gateway removes this one key before forwarding.
"""

IGNORED_FIELDS = frozenset({"stream", "stream_options", "user", "metadata", OPT_OUT_FIELD})
"""Top-level fields that do not change the answer, so not in the key."""


def request_key(body: Mapping[str, Any], *, target: str, preference: float | None) -> str:
    """The sha256 hex digest of what decides the answer to `body`.

    `target` is the router model the client asked for (absent `model` means the
    default router model) or the named model; `preference` is the routing
    quality preference, None for a named model. The body's own `model` field is
    replaced by `target`, so "absent" and "the default router model" agree.
    """
    fields = {k: v for k, v in body.items() if k not in IGNORED_FIELDS and k != "model"}
    document = {"target": target, "preference": preference, "request": fields}
    return hashlib.sha256(canonical_json(document)).hexdigest()


def canonical_json(value: Any) -> bytes:
    """Sorted keys, no whitespace; `1.0` and `1` written alike (the same JSON number)."""
    return orjson.dumps(_normalized(value), option=orjson.OPT_SORT_KEYS)


# Past 2**53 a float no longer holds every integer, and past 2**63 the integer
# would not fit JSON's usual 64-bit range: such floats are kept as they are.
_EXACT_INTEGERS = 2**53


def _normalized(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer() and abs(value) <= _EXACT_INTEGERS:
        return int(value)
    if isinstance(value, Mapping):
        return {str(k): _normalized(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_normalized(v) for v in value]
    return value

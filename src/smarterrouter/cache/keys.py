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

Two more fingerprints: `context_key` (all of the above but the last user
message's text: what the semantic layer groups by) and `routing_key` (only
what routing reads: what the routing cache is keyed by).
"""

from __future__ import annotations

import hashlib
import re
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


# As routing/signals.py recognises them.
_UI_TASK = re.compile(r"^\s*### Task:", re.IGNORECASE)

ROUTING_FIELDS = (
    "messages",
    "tools",
    "tool_choice",
    "response_format",
    "max_tokens",
    "max_completion_tokens",
)
"""The body fields routing/signals.py reads; a routing decision depends on nothing else
of the request."""


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


def last_user_text(body: Mapping[str, Any]) -> str | None:
    """The text of the last message when it is a user message of text only.

    None when the last message is not the user's, or carries anything but text
    (an image, audio, a file), or is a chat UI's background task (Open WebUI's
    "### Task:" prompts for titles, tags, follow-ups: one template each around
    the same chat, close in embedding space yet asking for different answers):
    the semantic cache then stays out of it.
    """
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        return None
    last = messages[-1]
    if not isinstance(last, Mapping) or last.get("role") != "user":
        return None
    content = last.get("content")
    text = None
    if isinstance(content, str):
        text = content
    elif isinstance(content, list) and content and all(_is_plain_text(p) for p in content):
        text = "\n".join(p["text"] for p in content)
    if text is None or not text.strip() or _UI_TASK.match(text):
        return None
    return text


def _is_plain_text(part: Any) -> bool:
    return (
        isinstance(part, Mapping)
        and part.get("type") == "text"
        and isinstance(part.get("text"), str)
        and set(part) <= {"type", "text"}
    )


def context_key(body: Mapping[str, Any], *, target: str, preference: float | None) -> str | None:
    """The fingerprint of everything but the last user message's text.

    Requests that share it differ at most in how the user phrased the last
    question: same target, history, tools, format and sampling. It groups the
    semantic cache's entries, so that a paraphrase may only ever be answered
    from a request that agrees on all the rest. None when the request has no
    last user text (see `last_user_text`).
    """
    if last_user_text(body) is None:
        return None
    messages = list(body["messages"])
    messages[-1] = {k: v for k, v in messages[-1].items() if k != "content"}
    fields = {k: v for k, v in body.items() if k not in IGNORED_FIELDS and k != "model"}
    fields["messages"] = messages
    # "context" marks the document's kind: it can never equal a request_key document.
    document = {"context": True, "target": target, "preference": preference, "request": fields}
    return hashlib.sha256(canonical_json(document)).hexdigest()


def routing_key(body: Mapping[str, Any], *, preference: float) -> str:
    """The fingerprint of what routing reads: the messages, tools, tool choice,
    response format and answer length (routing/signals.py), and the preference."""
    fields = {k: body.get(k) for k in ROUTING_FIELDS}
    document = {"routing": True, "preference": preference, "request": fields}
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

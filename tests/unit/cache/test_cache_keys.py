"""The request fingerprint: every field that changes the answer changes the key."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import orjson
import pytest

from smarterrouter.cache.keys import canonical_json, request_key

Body = dict[str, Any]

TOOL = {
    "type": "function",
    "function": {"name": "weather", "parameters": {"type": "object", "properties": {}}},
}
IMAGE = {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}}


def base_body() -> Body:
    return {
        "model": "smarterrouter/main",
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": [{"type": "text", "text": "What is this?"}, IMAGE]},
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": "call_1",
                        "type": "function",
                        "function": {"name": "weather", "arguments": '{"city":"Oslo"}'},
                    }
                ],
            },
            {"role": "tool", "tool_call_id": "call_1", "content": "4 degrees", "name": "weather"},
        ],
        "tools": [TOOL],
        "tool_choice": "auto",
        "response_format": {"type": "text"},
        "temperature": 0,
        "top_p": 1,
        "max_tokens": 64,
        "stop": ["\n\n"],
        "presence_penalty": 0,
        "frequency_penalty": 0,
        "seed": 7,
        "n": 1,
        "logit_bias": {"50256": -100},
    }


def key(body: Body, target: str = "smarterrouter/main", preference: float | None = 0.5) -> str:
    return request_key(body, target=target, preference=preference)


def setter(*path: Any, value: Any) -> Callable[[Body], None]:
    def change(body: Body) -> None:
        node: Any = body
        for step in path[:-1]:
            node = node[step]
        node[path[-1]] = value

    return change


CHANGES: dict[str, Callable[[Body], None]] = {
    "system prompt": setter("messages", 0, "content", value="Be verbose."),
    "user text": setter("messages", 1, "content", 0, "text", value="What is that?"),
    "image part": setter("messages", 1, "content", 1, "image_url", "url", value="data:,B"),
    "role": setter("messages", 0, "role", value="developer"),
    "message name": setter("messages", 1, "name", value="alice"),
    "tool call arguments": setter(
        "messages", 2, "tool_calls", 0, "function", "arguments", value='{"city":"Rome"}'
    ),
    "tool_call_id": setter("messages", 3, "tool_call_id", value="call_2"),
    "one more message": lambda b: b["messages"].append({"role": "user", "content": "And?"}),
    "message order": lambda b: b["messages"].reverse(),
    "tools": setter("tools", 0, "function", "name", value="forecast"),
    "tool_choice": setter("tool_choice", value="required"),
    "response_format": setter("response_format", value={"type": "json_object"}),
    "temperature": setter("temperature", value=0.2),
    "top_p": setter("top_p", value=0.9),
    "max_tokens": setter("max_tokens", value=65),
    "max_completion_tokens": setter("max_completion_tokens", value=64),
    "stop": setter("stop", value=["END"]),
    "presence_penalty": setter("presence_penalty", value=0.5),
    "frequency_penalty": setter("frequency_penalty", value=0.5),
    "seed": setter("seed", value=8),
    "n": setter("n", value=2),
    "logit_bias": setter("logit_bias", value={"50256": 100}),
    "unknown sampling option": setter("top_k", value=40),
    "unknown nested option": setter("chat_template_kwargs", value={"enable_thinking": False}),
}


@pytest.mark.parametrize("change", CHANGES.values(), ids=CHANGES.keys())
def test_changing_any_field_that_shapes_the_answer_misses(change: Callable[[Body], None]) -> None:
    body = base_body()
    changed = copy.deepcopy(body)
    change(changed)
    assert changed != body  # the change did something
    assert key(changed) != key(body)


IGNORED: dict[str, Callable[[Body], None]] = {
    "stream": setter("stream", value=True),
    "stream_options": setter("stream_options", value={"include_usage": True}),
    "user": setter("user", value="someone"),
    "metadata": setter("metadata", value={"ticket": "42"}),
    "cache opt-out flag": setter("smarterrouter_cache", value=False),
    "model field (the target stands for it)": lambda b: b.pop("model"),
}


@pytest.mark.parametrize("change", IGNORED.values(), ids=IGNORED.keys())
def test_fields_that_do_not_change_the_answer_keep_the_key(
    change: Callable[[Body], None],
) -> None:
    body = base_body()
    changed = copy.deepcopy(body)
    change(changed)
    assert key(changed) == key(body)


def test_target_and_preference_are_part_of_the_key() -> None:
    body = base_body()
    assert key(body, target="smarterrouter/best") != key(body)
    assert key(body, preference=0.9) != key(body)
    assert key(body, target="qwen3:8b", preference=None) != key(body)


def test_key_order_and_whitespace_do_not_matter() -> None:
    body = base_body()
    text = orjson.dumps(body).decode()
    spaced = orjson.loads(orjson.dumps(body, option=orjson.OPT_INDENT_2))
    reordered = {k: body[k] for k in reversed(list(body))}
    reordered["messages"] = [dict(reversed(list(m.items()))) for m in body["messages"]]
    assert list(reordered) != list(body)
    assert key(orjson.loads(text)) == key(spaced) == key(reordered) == key(body)


def test_an_integral_float_is_the_same_number() -> None:
    assert key({**base_body(), "temperature": 0.0}) == key(base_body())
    assert key({**base_body(), "temperature": 0.5}) != key(base_body())


def test_canonical_json_is_sorted_and_compact() -> None:
    assert canonical_json({"b": [1.0, {"d": 1, "c": "é"}], "a": None}) == (
        '{"a":null,"b":[1,{"c":"é","d":1}]}'.encode()
    )


def test_the_key_is_a_sha256_hex_digest() -> None:
    digest = key(base_body())
    assert len(digest) == 64
    assert int(digest, 16) >= 0

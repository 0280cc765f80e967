"""The context key (everything but the last user text) and the routing key."""

from __future__ import annotations

import copy
from collections.abc import Callable

import pytest
from test_cache_keys import CHANGES, IGNORED, Body, base_body, setter

from smarterrouter.cache.keys import context_key, last_user_text, request_key, routing_key

QUESTION = "And what about tomorrow?"


def chat_body() -> Body:
    """The full request of test_cache_keys, ending with a user question in text."""
    body = base_body()
    body["messages"].append({"role": "user", "content": QUESTION})
    return body


def context(body: Body, target: str = "smarterrouter/main", preference: float | None = 0.5) -> str:
    found = context_key(body, target=target, preference=preference)
    assert found is not None
    return found


def exact(body: Body) -> str:
    return request_key(body, target="smarterrouter/main", preference=0.5)


@pytest.mark.parametrize("change", CHANGES.values(), ids=CHANGES.keys())
def test_any_change_but_the_last_user_text_changes_the_context(
    change: Callable[[Body], None],
) -> None:
    body = chat_body()
    changed = copy.deepcopy(body)
    change(changed)
    assert context_key(changed, target="smarterrouter/main", preference=0.5) != context(body)


@pytest.mark.parametrize("change", IGNORED.values(), ids=IGNORED.keys())
def test_what_the_exact_key_ignores_the_context_ignores_too(
    change: Callable[[Body], None],
) -> None:
    body = chat_body()
    changed = copy.deepcopy(body)
    change(changed)
    assert context(changed) == context(body)


def test_the_last_user_text_is_the_only_thing_the_context_leaves_out() -> None:
    body = chat_body()
    rephrased = copy.deepcopy(body)
    rephrased["messages"][-1]["content"] = "What will tomorrow bring?"
    assert exact(rephrased) != exact(body)
    assert context(rephrased) == context(body)
    # The same words as text parts are the same question.
    parts = copy.deepcopy(body)
    parts["messages"][-1]["content"] = [{"type": "text", "text": QUESTION}]
    assert context(parts) == context(body)
    assert last_user_text(parts) == QUESTION


@pytest.mark.parametrize(
    "change",
    [
        setter("messages", -1, "name", value="bob"),
        setter("messages", 0, "content", value="Be verbose."),
        setter("messages", 2, "content", value="It was sunny."),
    ],
    ids=["name of the last message", "system prompt", "earlier turn"],
)
def test_the_rest_of_the_conversation_is_in_the_context(change: Callable[[Body], None]) -> None:
    body = chat_body()
    changed = copy.deepcopy(body)
    change(changed)
    assert context(changed) != context(body)


def test_target_and_preference_are_in_the_context() -> None:
    body = chat_body()
    assert context(body, target="smarterrouter/best") != context(body)
    assert context(body, preference=0.9) != context(body)
    assert context(body, target="qwen3:8b", preference=None) != context(body)


def test_the_context_never_equals_an_exact_key() -> None:
    body = chat_body()
    assert context(body) != exact(body)


@pytest.mark.parametrize(
    "last",
    [
        {"role": "assistant", "content": "Sunny."},
        {"role": "tool", "tool_call_id": "call_1", "content": "4 degrees"},
        {"role": "user", "content": [{"type": "text", "text": "This?"}, {"type": "image_url"}]},
        {"role": "user", "content": [{"type": "text", "text": "x", "cache_control": {}}]},
        {"role": "user", "content": "   "},
        {"role": "user", "content": None},
        {"role": "user", "content": "### Task:\nGenerate a concise title for the chat."},
    ],
    ids=["assistant", "tool", "image", "extra part field", "blank", "no content", "UI task"],
)
def test_no_context_without_a_last_user_text(last: dict[str, object]) -> None:
    body = chat_body()
    body["messages"][-1] = last
    assert last_user_text(body) is None
    assert context_key(body, target="smarterrouter/main", preference=0.5) is None


def test_no_context_without_messages() -> None:
    assert context_key({"messages": []}, target="t", preference=None) is None
    assert context_key({}, target="t", preference=None) is None


ROUTING_INPUTS: dict[str, Callable[[Body], None]] = {
    "user text": setter("messages", -1, "content", value="Anything else?"),
    "system prompt": setter("messages", 0, "content", value="Be verbose."),
    "tools": setter("tools", value=[]),
    "tool_choice": setter("tool_choice", value="required"),
    "response_format": setter("response_format", value={"type": "json_object"}),
    "max_tokens": setter("max_tokens", value=4096),
    "max_completion_tokens": setter("max_completion_tokens", value=4096),
}


@pytest.mark.parametrize("change", ROUTING_INPUTS.values(), ids=ROUTING_INPUTS.keys())
def test_what_routing_reads_changes_the_routing_key(change: Callable[[Body], None]) -> None:
    body = chat_body()
    changed = copy.deepcopy(body)
    change(changed)
    assert routing_key(changed, preference=0.5) != routing_key(body, preference=0.5)


def test_sampling_and_delivery_do_not_change_the_routing_key() -> None:
    body = chat_body()
    changed = {**body, "temperature": 0.9, "seed": 1, "stream": True, "top_p": 0.5}
    assert routing_key(changed, preference=0.5) == routing_key(body, preference=0.5)
    assert routing_key(body, preference=0.9) != routing_key(body, preference=0.5)

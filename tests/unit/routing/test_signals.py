from typing import Any

import pytest

from smarterrouter.routing.signals import classify, text_of


def chat(*turns: tuple[str, Any], **extra: Any) -> dict[str, Any]:
    return {"messages": [{"role": r, "content": c} for r, c in turns], **extra}


@pytest.mark.parametrize(
    ("prompt", "category"),
    [
        ("Write a Python function that reverses a linked list", "coding"),
        ("Why does this traceback say KeyError?\n```\nTraceback...\n```", "coding"),
        ("Prove there are infinitely many primes of the form 4k+3", "reasoning"),
        ("how many km is 26.2 miles", "reasoning"),
        ("Write a short poem about the sea at night", "creativity"),
        ("name ideas for a golden retriever puppy? she's super clumsy", "creativity"),
        ("What is the capital of France?", "general"),
    ],
)
def test_category_of_the_last_turn(prompt: str, category: str) -> None:
    assert classify(chat(("user", prompt))).category == category


def test_follow_up_inherits_the_conversation() -> None:
    body = chat(
        ("user", "Write a Python function to parse ISO dates"),
        ("assistant", "```python\ndef parse(s):\n    return datetime.fromisoformat(s)\n```"),
        ("user", "thanks, now add tests"),
    )
    assert classify(body).category == "coding"


def test_hard_proof_is_hard_and_greeting_is_simple() -> None:
    hard = classify(chat(("user", "Prove rigorously that the algorithm is optimal")))
    assert hard.difficulty == "hard"
    assert classify(chat(("user", "hello"))).difficulty == "simple"


def test_needs_from_the_request_shape() -> None:
    image = [
        {"type": "text", "text": "what is this?"},
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}},
    ]
    tools = [{"type": "function", "function": {"name": "f", "parameters": {}}}]
    body = chat(
        ("user", image),
        tools=tools,
        tool_choice="required",
        response_format={"type": "json_object"},
        max_tokens=100,
    )
    s = classify(body)
    assert (s.needs_vision, s.needs_tools, s.offers_tools, s.needs_json) == (True, True, True, True)
    assert s.estimated_tokens >= 100


def test_offered_tools_are_not_required() -> None:
    tools = [{"type": "function", "function": {"name": "f", "parameters": {}}}]
    s = classify(chat(("user", "hi"), tools=tools))
    assert (s.offers_tools, s.needs_tools) == (True, False)


def test_open_webui_task_requests_are_trivial() -> None:
    s = classify(chat(("user", "### Task:\nGenerate a concise title for the chat about code")))
    assert (s.ui_task, s.category, s.difficulty) == (True, "general", "simple")


def test_long_paste_with_short_instruction_is_not_hard() -> None:
    article = "The city council met on Tuesday to discuss the budget. " * 300
    s = classify(chat(("user", article + "\n\nsummarize in one line")))
    assert s.category == "general"
    assert s.estimated_tokens > 3000


def test_text_of_parts() -> None:
    assert text_of([{"type": "text", "text": "a"}, {"type": "image_url"}]) == "a"
    assert text_of(None) == ""

"""What a request needs: category, difficulty and hard requirements.

Pure and fast (no I/O; a small linear model read once from the package, see
`classifier.py`): the last user turn decides, with earlier turns and the system
prompt as context. Hard requirements (vision, tools, JSON, context size) come
from the request's shape, never from guessing at its text.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, cast

from smarterrouter.routing.actions import wants_action
from smarterrouter.routing.classifier import predict

Category = Literal["coding", "reasoning", "creativity", "general"]
Difficulty = Literal["simple", "medium", "hard"]

# Open WebUI (and others) send background "### Task:" requests: titles, tags,
# follow-ups. They are trivial and should go to the fastest model.
_UI_TASK = re.compile(r"^\s*### Task:", re.IGNORECASE)


@dataclass(frozen=True)
class Signals:
    category: Category = "general"
    difficulty: Difficulty = "simple"
    needs_vision: bool = False
    needs_tools: bool = False  # the model must be able to call tools
    offers_tools: bool = False  # tools were offered, the model may ignore them
    needs_json: bool = False
    estimated_tokens: int = 0  # prompt plus the answer asked for
    ui_task: bool = False
    # The text asks for something done in the world (run, book, send, look up
    # live data): a hint for tool-capable models, never a hard requirement.
    wants_action: bool = False


def text_of(content: Any) -> str:
    """The text of a message's content, whether a string or a list of parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(
            str(p.get("text", "")) for p in content if isinstance(p, Mapping) and "text" in p
        )
    return ""


def _has_image(messages: Sequence[Mapping[str, Any]]) -> bool:
    for m in messages:
        content = m.get("content")
        if isinstance(content, list) and any(
            isinstance(p, Mapping) and p.get("type") == "image_url" for p in content
        ):
            return True
    return False


def _needs_tool_calling(body: Mapping[str, Any]) -> bool:
    """A model that ignores tools would break this request."""
    choice = body.get("tool_choice")
    if choice == "required" or isinstance(choice, Mapping):
        return True
    messages = body.get("messages") or []
    return any(m.get("role") == "tool" or m.get("tool_calls") for m in messages[-4:])


@dataclass(frozen=True)
class Conversation:
    """The turn being answered and what came before it."""

    last: str
    context: str
    system: str
    previous: str = ""  # the user turn before the last one


def conversation_of(messages: Sequence[Mapping[str, Any]]) -> Conversation:
    """The last user turn, and the system prompt plus earlier turns as context."""
    last_index = max((i for i, m in enumerate(messages) if m.get("role") == "user"), default=-1)
    last = text_of(messages[last_index].get("content")) if last_index >= 0 else ""
    system = "\n".join(
        text_of(m.get("content")) for m in messages if m.get("role") in ("system", "developer")
    )
    earlier = "\n".join(
        text_of(m.get("content"))
        for m in messages[:last_index]
        if m.get("role") in ("user", "assistant")
    )
    previous = next(
        (
            text_of(m.get("content"))
            for m in reversed(messages[: max(last_index, 0)])
            if m.get("role") == "user"
        ),
        "",
    )
    return Conversation(
        last=last, context=f"{system}\n{earlier}".strip(), system=system, previous=previous
    )


def classify(body: Mapping[str, Any]) -> Signals:
    """Signals for an OpenAI chat request body."""
    messages: Sequence[Mapping[str, Any]] = body.get("messages") or []
    all_chars = sum(len(text_of(m.get("content"))) for m in messages)
    answer = body.get("max_completion_tokens") or body.get("max_tokens") or 512
    fmt = body.get("response_format") or {}
    conversation = conversation_of(messages)
    ui_task = bool(_UI_TASK.match(conversation.last))
    category: Category = "general"
    difficulty: Difficulty = "simple"
    if not ui_task:
        prediction = predict(
            conversation.last, conversation.context, previous=conversation.previous
        )
        category = cast(Category, prediction.category)
        difficulty = cast(Difficulty, prediction.difficulty)
    return Signals(
        category=category,
        difficulty=difficulty,
        needs_vision=_has_image(messages),
        needs_tools=bool(body.get("tools")) and _needs_tool_calling(body),
        offers_tools=bool(body.get("tools")),
        needs_json=isinstance(fmt, Mapping) and fmt.get("type") in ("json_object", "json_schema"),
        estimated_tokens=all_chars // 4 + int(answer),
        ui_task=ui_task,
        wants_action=not ui_task and wants_action(conversation.last, conversation.system),
    )


class RecentSignals:
    """The signals of recently answered requests, by their cache key, so that a
    request answered again from the cache is not classified a second time."""

    def __init__(self, size: int) -> None:
        self._size = max(1, size)
        self._by_key: OrderedDict[str, Signals] = OrderedDict()

    def remember(self, key: str | None, signals: Signals) -> None:
        if key is None:
            return
        self._by_key[key] = signals
        self._by_key.move_to_end(key)
        if len(self._by_key) > self._size:
            self._by_key.popitem(last=False)

    def recall(self, key: str | None) -> Signals | None:
        """The signals kept for `key`, now counted as the most recently used."""
        if key is None or key not in self._by_key:
            return None
        self._by_key.move_to_end(key)
        return self._by_key[key]

"""The model signature: a line naming the model that answered, added to its text.

It is only ever appended — nothing a model wrote is removed — and never where it
would corrupt the answer: not inside tool calls, not in JSON output, and not
inside an unclosed code fence (the fence is closed first).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

_FENCE = "```"


def wants_signature(body: Mapping[str, Any]) -> bool:
    """False where extra text would break what the client parses."""
    fmt = body.get("response_format")
    return not (isinstance(fmt, Mapping) and fmt.get("type") in ("json_object", "json_schema"))


def signature_suffix(template: str, model: str, written: str) -> str:
    """The text to append after `written`, the content the model produced."""
    sig = template.format(model=model)
    if written.count(_FENCE) % 2 == 1:  # cut off inside a code block
        sig = "\n" + _FENCE + sig
    return sig


def sign_completion(answer: dict[str, Any], template: str, model: str) -> None:
    """Append the signature to a chat.completion's text answer, in place."""
    for choice in answer.get("choices") or []:
        message = choice.get("message") or {}
        content = message.get("content")
        if message.get("tool_calls") or not isinstance(content, str) or not content:
            continue
        message["content"] = content + signature_suffix(template, model, content)


class StreamSigner:
    """Follows a stream's text so that the signature can be added at its end."""

    def __init__(self, template: str, model: str) -> None:
        self._template = template
        self._model = model
        self._written: list[str] = []
        self._tool_calls = False
        self.done = False

    def observe(self, chunk: Mapping[str, Any]) -> None:
        for choice in chunk.get("choices") or []:
            delta = choice.get("delta") or {}
            if delta.get("tool_calls"):
                self._tool_calls = True
            if isinstance(delta.get("content"), str):
                self._written.append(delta["content"])

    def is_final(self, chunk: Mapping[str, Any]) -> bool:
        return any(c.get("finish_reason") for c in chunk.get("choices") or [])

    def suffix(self) -> str | None:
        """The signature text, once, unless the answer was a tool call or empty."""
        if self.done or self._tool_calls or not any(self._written):
            return None
        self.done = True
        return signature_suffix(self._template, self._model, "".join(self._written))

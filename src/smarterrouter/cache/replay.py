"""Between one chat.completion and the chat.completion.chunk stream that carries it.

`replay_chunks` turns a stored answer into the chunks a live stream would have
sent, so a streaming client can be answered from the cache; `StreamAssembler`
rebuilds the chat.completion from a live stream's chunks, so a streamed answer
can be stored. Text fields are split into a few deltas only to look like a
stream: joined again, they give back the very same text.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

JSON = dict[str, Any]

# Text fields of a message that streams carry as deltas, in the order they come.
# `reasoning_content` is llama.cpp's and DeepSeek's thinking text; `refusal` is OpenAI's.
TEXT_FIELDS = ("reasoning_content", "content", "refusal")
_MAX_PIECES = 8
_MIN_PIECE = 16
_HEADER_FIELDS = ("id", "created", "model", "system_fingerprint", "service_tier")


def replay_chunks(completion: Mapping[str, Any], *, include_usage: bool = False) -> list[JSON]:
    """The chat.completion.chunk dicts that stream `completion`, without `[DONE]`.

    Per choice: a role-only delta, its text fields in a few deltas, each tool
    call (index, id, type and name first, then its arguments), and a final
    chunk with the finish_reason. With `include_usage` (the request's
    `stream_options.include_usage`) and a stored usage, one more chunk with
    `choices: []` carries it, as OpenAI sends it.
    """
    head = {k: completion[k] for k in _HEADER_FIELDS if k in completion}
    head["object"] = "chat.completion.chunk"
    chunks: list[JSON] = []
    for choice in completion.get("choices") or []:
        index = choice.get("index", 0)
        for delta in _deltas(choice.get("message") or {}):
            chunks.append(_chunk(head, index, delta))
        final = _chunk(head, index, {}, choice.get("finish_reason"))
        if choice.get("logprobs") is not None:
            final["choices"][0]["logprobs"] = choice["logprobs"]
        chunks.append(final)
    usage = completion.get("usage")
    if include_usage and usage is not None:
        chunks.append({**head, "choices": [], "usage": usage})
    return chunks


def _chunk(head: JSON, index: int, delta: JSON, finish_reason: str | None = None) -> JSON:
    choice = {"index": index, "delta": delta, "finish_reason": finish_reason}
    return {**head, "choices": [choice]}


def _deltas(message: Mapping[str, Any]) -> Iterable[JSON]:
    yield {"role": message.get("role") or "assistant"}
    for field in TEXT_FIELDS:
        text = message.get(field)
        if isinstance(text, str):
            # An empty text is still sent once, so that it comes back "" and not null.
            for piece in split_text(text) or [""]:
                yield {field: piece}
    for position, call in enumerate(message.get("tool_calls") or []):
        function = call.get("function") or {}
        opening = {
            "index": position,
            "id": call.get("id"),
            "type": call.get("type", "function"),
            "function": {"name": function.get("name"), "arguments": ""},
        }
        yield {"tool_calls": [opening]}
        for piece in split_text(function.get("arguments") or ""):
            yield {"tool_calls": [{"index": position, "function": {"arguments": piece}}]}


def split_text(text: str) -> list[str]:
    """`text` in at most a few pieces that join back to it; none for empty text."""
    if not text:
        return []
    size = max(_MIN_PIECE, math.ceil(len(text) / _MAX_PIECES))
    return [text[i : i + size] for i in range(0, len(text), size)]


class StreamAssembler:
    """Follows a live stream's chunks and rebuilds its chat.completion.

    Feed it every chunk from upstream (before any the gateway adds, such as the
    signature), then ask `completion()` once the stream ended. A stream that
    carried an error event, or whose choices did not all finish, has no
    completion: only whole, successful answers are worth storing.
    """

    def __init__(self) -> None:
        self._head: JSON = {}
        self._choices: dict[int, _ChoiceBuilder] = {}
        self._usage: Any = None
        self._failed = False

    def observe(self, chunk: Mapping[str, Any]) -> None:
        if "error" in chunk:
            self._failed = True
            return
        if not self._head:
            self._head = {k: chunk[k] for k in _HEADER_FIELDS if chunk.get(k) is not None}
        if chunk.get("usage") is not None:
            self._usage = chunk["usage"]
        for choice in chunk.get("choices") or []:
            index = choice.get("index", 0)
            self._choices.setdefault(index, _ChoiceBuilder(index)).observe(choice)

    def completion(self) -> JSON | None:
        """The chat.completion the stream carried, or None if it is not whole."""
        builders = [self._choices[i] for i in sorted(self._choices)]
        if self._failed or not builders or not all(b.finish_reason for b in builders):
            return None
        answer: JSON = {**self._head, "object": "chat.completion"}
        answer["choices"] = [b.build() for b in builders]
        if self._usage is not None:
            answer["usage"] = self._usage
        return answer


class _ChoiceBuilder:
    def __init__(self, index: int) -> None:
        self.index = index
        self.role = "assistant"
        self.texts: dict[str, list[str]] = {}
        self.tool_calls: dict[int, JSON] = {}
        self.finish_reason: str | None = None
        self.logprobs: Any = None

    def observe(self, choice: Mapping[str, Any]) -> None:
        delta = choice.get("delta") or {}
        if delta.get("role"):
            self.role = delta["role"]
        for field in TEXT_FIELDS:
            if isinstance(delta.get(field), str):
                self.texts.setdefault(field, []).append(delta[field])
        for call in delta.get("tool_calls") or []:
            self._merge_call(call)
        if choice.get("finish_reason"):
            self.finish_reason = choice["finish_reason"]
        if choice.get("logprobs") is not None:
            self.logprobs = choice["logprobs"]

    def _merge_call(self, part: Mapping[str, Any]) -> None:
        # The id, type and name come once, in the call's first part; arguments in pieces.
        call = self.tool_calls.setdefault(
            part.get("index", 0), {"id": None, "type": "function", "function": {}}
        )
        if part.get("id"):
            call["id"] = part["id"]
        if part.get("type"):
            call["type"] = part["type"]
        function = call["function"]
        for name in ("name", "arguments"):
            piece = (part.get("function") or {}).get(name)
            if isinstance(piece, str):
                function[name] = function.get(name, "") + piece

    def build(self) -> JSON:
        message: JSON = {"role": self.role, "content": None}
        for field, pieces in self.texts.items():
            message[field] = "".join(pieces)
        if self.tool_calls:
            message["tool_calls"] = [
                {**c, "function": {"name": "", "arguments": "", **c["function"]}}
                for _, c in sorted(self.tool_calls.items())
            ]
        choice: JSON = {"index": self.index, "message": message}
        choice["finish_reason"] = self.finish_reason
        if self.logprobs is not None:
            choice["logprobs"] = self.logprobs
        return choice

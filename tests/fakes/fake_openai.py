"""A fake OpenAI-compatible API (`/v1/models`, `/v1/chat/completions`, `/v1/embeddings`).

Answers as OpenAI does (SSE with a role-only first delta, tool-call arguments in
fragments, a usage chunk with `choices: []` when `stream_options.include_usage`),
with no delay of its own, so it also serves as a zero-cost upstream for benchmarks.

    with FakeOpenAI(api_key="sk-test") as fake:
        backend = OpenAICompatBackend("openai", make_client(fake.base_url, api_key="sk-test"))
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from typing import Any

from fakes.server import LoopbackServer, RecordedRequest, Reply, Response, fake_vector, sse


class FakeOpenAI(LoopbackServer):
    def __init__(
        self,
        *,
        models: Sequence[str] = ("gpt-4o-mini", "text-embedding-3-small"),
        api_key: str | None = None,
        reply: Reply | None = None,
    ) -> None:
        super().__init__()
        self.models = list(models)
        self.api_key = api_key
        self.reply = reply or Reply()

    @property
    def base_url(self) -> str:
        return self.url + "/v1"

    def error_body(self, status: int, message: str) -> bytes:
        kind = "server_error" if status >= 500 else "invalid_request_error"
        error = {"message": message, "type": kind, "param": None, "code": None}
        return json.dumps({"error": error}).encode()

    def stream_error(self, message: str) -> bytes:
        return b"data: " + self.error_body(500, message) + b"\n\n"

    def handle(self, request: RecordedRequest) -> Response:
        if self.api_key and request.headers.get("authorization") != f"Bearer {self.api_key}":
            return Response(401, self.error_body(401, "Incorrect API key provided"))
        routes = {
            ("GET", "/v1/models"): self._models,
            ("POST", "/v1/chat/completions"): self._chat,
            ("POST", "/v1/embeddings"): self._embeddings,
        }
        route = routes.get((request.method, request.path))
        if route is None:
            message = f"Unknown request URL: {request.method} {request.path}"
            return Response(404, self.error_body(404, message))
        return route(request)

    def _models(self, request: RecordedRequest) -> Response:
        data = [
            {"id": m, "object": "model", "created": 1_700_000_000, "owned_by": "system"}
            for m in self.models
        ]
        return Response.json({"object": "list", "data": data})

    def _unknown_model(self, model: Any) -> Response | None:
        if model in self.models:
            return None
        message = f"The model `{model}` does not exist or you do not have access to it."
        return Response(404, self.error_body(404, message))

    def _chat(self, request: RecordedRequest) -> Response:
        body = request.json or {}
        if not body.get("messages"):
            return Response(400, self.error_body(400, "'messages' is a required property"))
        refused = self._unknown_model(body.get("model"))
        if refused:
            return refused
        envelope = {"id": "chatcmpl-fake0001", "created": int(time.time()), "model": body["model"]}
        if body.get("stream"):
            usage = (body.get("stream_options") or {}).get("include_usage", False)
            events = openai_stream_events(self.reply, envelope, include_usage=usage)
            return Response(content_type="text/event-stream", chunks=sse(events))
        return Response.json(openai_completion(self.reply, envelope))

    def _embeddings(self, request: RecordedRequest) -> Response:
        body = request.json or {}
        refused = self._unknown_model(body.get("model"))
        if refused:
            return refused
        inputs = body.get("input")
        texts = [inputs] if isinstance(inputs, str) else list(inputs or [])
        data = [
            {"object": "embedding", "index": i, "embedding": fake_vector(str(t))}
            for i, t in enumerate(texts)
        ]
        usage = {"prompt_tokens": len(texts) * 3, "total_tokens": len(texts) * 3}
        return Response.json(
            {"object": "list", "data": data, "model": body["model"], "usage": usage}
        )


def _tool_calls(reply: Reply) -> list[dict[str, Any]]:
    return [
        {
            "id": f"call_fake{i}",
            "type": "function",
            "function": {"name": c.name, "arguments": json.dumps(c.arguments)},
        }
        for i, c in enumerate(reply.tool_calls)
    ]


def _usage(reply: Reply) -> dict[str, int]:
    return {
        "prompt_tokens": reply.prompt_tokens,
        "completion_tokens": reply.completion_tokens,
        "total_tokens": reply.prompt_tokens + reply.completion_tokens,
    }


def openai_completion(reply: Reply, envelope: dict[str, Any]) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": reply.content or None}
    if reply.tool_calls:
        message["tool_calls"] = _tool_calls(reply)
    choice = {
        "index": 0,
        "message": message,
        "finish_reason": "tool_calls" if reply.tool_calls else "stop",
        "logprobs": None,
    }
    return {**envelope, "object": "chat.completion", "choices": [choice], "usage": _usage(reply)}


def openai_stream_events(
    reply: Reply, envelope: dict[str, Any], *, include_usage: bool
) -> list[dict[str, Any]]:
    def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        choice = {"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}
        return {**envelope, "object": "chat.completion.chunk", "choices": [choice]}

    events = [chunk({"role": "assistant", "content": ""})]
    events += [chunk({"content": piece}) for piece in reply.pieces()]
    for index, call in enumerate(_tool_calls(reply)):
        args = call["function"]["arguments"]
        head = {**call, "index": index, "function": {**call["function"], "arguments": ""}}
        events.append(chunk({"tool_calls": [head]}))
        # Arguments arrive in fragments, as OpenAI sends them.
        for part in (args[: len(args) // 2], args[len(args) // 2 :]):
            events.append(
                chunk({"tool_calls": [{"index": index, "function": {"arguments": part}}]})
            )
    events.append(chunk({}, "tool_calls" if reply.tool_calls else "stop"))
    if include_usage:
        events.append(
            {**envelope, "object": "chat.completion.chunk", "choices": [], "usage": _usage(reply)}
        )
    return events

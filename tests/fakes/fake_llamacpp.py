"""A fake llama.cpp `llama-server` replaying recorded real answers.

Modes:
- "single": one chat model (Gemma 3 270M), as `llama-server -m gemma.gguf`;
- "single-embedding": one embedding model (MiniLM, `--embeddings`);
- "router": `--models-dir` with three unloaded models and `--models-max 1`;
- "router-preset": `--models-preset` with `gemma-chat` and `minilm-embed`
  (`embeddings = true`, loaded at start).

Router mode keeps state: `/models/load` marks a model `loading` for `load_delay`
seconds, then `loaded` (evicting the least recently used past `models_max`);
`/models/unload` unloads; a chat naming an unloaded model loads it. A single
server can be put in its loading phase (`loading_for(seconds)`), when every
endpoint answers the recorded 503 "Loading model".

By default chat answers are the recorded ones; set `reply` to make the model say
something else (and call tools) inside the recorded envelopes.

    with FakeLlamaCpp("router") as fake:
        backend = LlamaCppBackend("llamacpp", make_client(fake.url))
"""

from __future__ import annotations

import copy
import json
import time
from typing import Any, Literal

from fakes.recordings import Recording, load_recording
from fakes.server import LoopbackServer, RecordedRequest, Reply, Response, sse

Mode = Literal["single", "single-embedding", "router", "router-preset"]


def _rec(name: str, index: int = 0) -> Recording:
    return load_recording("llama-server", name, index)


def _replay(name: str) -> Response:
    rec = _rec(name)
    return Response(rec.status, rec.body, rec.headers.get("content-type", "application/json"))


def _meta_for(model_id: str) -> dict[str, Any]:
    """The `meta` llama-server shows for a loaded model, as recorded for its GGUF."""
    if "minilm" in model_id:
        entries = _rec("router_preset_models.txt").json()["data"]
        return dict(next(e["meta"] for e in entries if e["id"] == "minilm-embed"))
    entries = _rec("router_models_after_load.txt").json()["data"]
    return dict(next(e["meta"] for e in entries if e["id"] == "gemma-3-270m-q4_k_m"))


class FakeLlamaCpp(LoopbackServer):
    def __init__(
        self,
        mode: Mode = "single",
        *,
        models_max: int = 1,
        load_delay: float = 0.0,
        reply: Reply | None = None,
    ) -> None:
        super().__init__()
        self.mode = mode
        self.models_max = models_max
        self.load_delay = load_delay
        self.reply = reply
        self._loading_until = 0.0
        self._ready_at: dict[str, float] = {}  # router: models loading, and when they are ready
        self._lru: list[str] = []  # router: loaded models, least recently used first
        self._entries = self._initial_entries()

    @property
    def router(self) -> bool:
        return self.mode.startswith("router")

    def loading_for(self, seconds: float) -> None:
        """Single mode: answer 503 "Loading model" for the next `seconds`."""
        self._loading_until = time.monotonic() + seconds

    def status(self, model: str) -> str:
        """Router mode: a model's status now (unloaded, loading, loaded)."""
        ready_at = self._ready_at.get(model)
        if ready_at is not None and time.monotonic() >= ready_at:
            del self._ready_at[model]
            self._set_loaded(model)
        return str(self._entry(model)["status"]["value"])

    def error_body(self, status: int, message: str) -> bytes:
        kind = "server_error" if status >= 500 else "invalid_request_error"
        return json.dumps({"error": {"code": status, "message": message, "type": kind}}).encode()

    def stream_error(self, message: str) -> bytes:
        return b"data: " + self.error_body(500, message) + b"\n\n"

    def handle(self, request: RecordedRequest) -> Response:
        if time.monotonic() < self._loading_until:
            return _replay("requests_during_load.txt")
        routes = {
            ("GET", "/health"): lambda _: _replay("health.txt"),
            ("GET", "/props"): self._props,
            ("GET", "/models"): self._models,
            ("GET", "/v1/models"): self._models,
            ("POST", "/models/load"): self._load,
            ("POST", "/models/unload"): self._unload,
            ("POST", "/v1/chat/completions"): self._chat,
            ("POST", "/chat/completions"): self._chat,
            ("POST", "/v1/embeddings"): self._embeddings,
        }
        route = routes.get((request.method, request.path))
        return route(request) if route else _replay("error_404.txt")

    # --- models ------------------------------------------------------------

    def _initial_entries(self) -> list[dict[str, Any]]:
        name = {
            "single": "v1_models.txt",
            "single-embedding": "v1_models_minilm.txt",
            "router": "router_models_initial.txt",
            "router-preset": "router_preset_models.txt",
        }[self.mode]
        entries: list[dict[str, Any]] = copy.deepcopy(_rec(name).json()["data"])
        self._lru = [e["id"] for e in entries if e.get("status", {}).get("value") == "loaded"]
        return entries

    def _entry(self, model: str) -> dict[str, Any]:
        return next(e for e in self._entries if e["id"] == model)

    def _known(self, model: Any) -> bool:
        return any(e["id"] == model for e in self._entries)

    def _models(self, request: RecordedRequest) -> Response:
        if not self.router:
            return Response(
                200, _rec("v1_models.txt" if self.mode == "single" else "v1_models_minilm.txt").body
            )
        for entry in self._entries:
            self.status(entry["id"])
        return Response.json({"data": self._entries, "object": "list"})

    def _props(self, request: RecordedRequest) -> Response:
        if self.router and "model" not in request.query:
            return _replay("router_props_noquery.txt")
        if self.mode == "single-embedding":
            # The real server's props for MiniLM differ from Gemma's in its BERT tokens.
            props = _rec("props.txt").json()
            return Response.json({**props, "bos_token": "[CLS]", "eos_token": "[SEP]"})
        return _replay("props.txt")

    def _set_loaded(self, model: str) -> None:
        entry = self._entry(model)
        entry["status"]["value"] = "loaded"
        entry["meta"] = _meta_for(model)
        if model in self._lru:
            self._lru.remove(model)
        self._lru.append(model)

    def _set_unloaded(self, model: str) -> None:
        entry = self._entry(model)
        entry["status"]["value"] = "unloaded"
        entry.pop("meta", None)
        self._ready_at.pop(model, None)
        if model in self._lru:
            self._lru.remove(model)

    def _start_loading(self, model: str) -> None:
        while len(self._lru) + len(self._ready_at) >= self.models_max and self._lru:
            self._set_unloaded(self._lru[0])
        if self.load_delay <= 0:
            self._set_loaded(model)
            return
        self._entry(model)["status"]["value"] = "loading"
        self._ready_at[model] = time.monotonic() + self.load_delay

    def _load(self, request: RecordedRequest) -> Response:
        model = (request.json or {}).get("model")
        if not self.router or not self._known(model):
            return _replay("router_models_load_unknown.txt")
        if self.status(model) != "unloaded":
            return _replay("router_models_load_already_loaded.txt")
        self._start_loading(model)
        return _replay("router_models_load.txt")

    def _unload(self, request: RecordedRequest) -> Response:
        model = (request.json or {}).get("model")
        if not self.router or not self._known(model):
            return _replay("router_models_load_unknown.txt")
        if self.status(model) == "unloaded":
            return _replay("router_models_unload_not_loaded.txt")
        self._set_unloaded(model)
        return _replay("router_models_unload.txt")

    def _route_model(self, body: dict[str, Any]) -> Response | None:
        """Router mode: refuse an unknown model, load an unloaded one."""
        model = body.get("model")
        if not self._known(model):
            rec = _rec("router_chat_unknown_model.txt")
            return Response(400, rec.body.replace(b"no-such-model", str(model).encode()))
        if self.status(model) == "unloaded":
            self._start_loading(model)
        self._ready_at.pop(model, None)
        self._set_loaded(model)
        return None

    def _is_embedding(self, model: str) -> bool:
        status = self._entry(model).get("status", {})
        return "--embeddings" in status.get("args", []) or "embeddings = true" in status.get(
            "preset", ""
        )

    # --- chat and embeddings -------------------------------------------------

    def _chat(self, request: RecordedRequest) -> Response:
        body = request.json or {}
        if not body.get("messages"):
            return _replay("error_chat_no_messages.txt")
        if self.router:
            refused = self._route_model(body)
            if refused:
                return refused
        model = body["model"] if self.router else self._entries[0]["id"]
        if body.get("stream"):
            include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
            events = self._stream_events(model, include_usage)
            return Response(content_type="text/event-stream", chunks=sse(events))
        return Response.json(self._completion(model))

    def _completion(self, model: str) -> dict[str, Any]:
        name = "router_chat_loaded.txt" if self.router else "chat_completions_nonstream.txt"
        answer: dict[str, Any] = _rec(name).json()
        answer["model"] = model
        if self.reply is not None:
            answer["choices"] = [_reply_choice(self.reply)]
            answer["usage"] = _usage(self.reply)
        return answer

    def _stream_events(self, model: str, include_usage: bool) -> list[dict[str, Any]]:
        recorded = _rec(
            "router_chat_stream_loaded.txt"
            if self.router
            else "chat_completions_stream_include_usage.txt"
        ).sse_events()
        for event in recorded:
            event["model"] = model
        if self.reply is not None:
            recorded = _reply_events(self.reply, recorded)
        if not include_usage:
            recorded = [e for e in recorded if e["choices"]]
        return recorded

    def _embeddings(self, request: RecordedRequest) -> Response:
        body = request.json or {}
        if self.router:
            model = body.get("model")
            if not self._known(model) or not self._is_embedding(str(model)):
                return _replay("router_embeddings_no_flag.txt")
            self._route_model(body)
            recorded = _rec("router_preset_embeddings.txt").json()
        elif self.mode == "single-embedding":
            recorded = _rec("embeddings_minilm.txt").json()
        else:
            return _replay("embeddings_on_chat_server.txt")
        inputs = body.get("input")
        texts = [inputs] if isinstance(inputs, str) else list(inputs or [])
        vector = recorded["data"][0]["embedding"]
        recorded["data"] = [
            {"embedding": vector, "index": i, "object": "embedding"} for i in range(len(texts))
        ]
        recorded["model"] = body.get("model", recorded["model"])
        return Response.json(recorded)


def _usage(reply: Reply) -> dict[str, int]:
    return {
        "completion_tokens": reply.completion_tokens,
        "prompt_tokens": reply.prompt_tokens,
        "total_tokens": reply.prompt_tokens + reply.completion_tokens,
    }


def _tool_calls(reply: Reply) -> list[dict[str, Any]]:
    return [
        {
            "type": "function",
            "function": {"name": c.name, "arguments": json.dumps(c.arguments)},
            "id": f"fakecall{i}",
        }
        for i, c in enumerate(reply.tool_calls)
    ]


def _reply_choice(reply: Reply) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": reply.content or None}
    if reply.tool_calls:
        message["tool_calls"] = _tool_calls(reply)
    finish = "tool_calls" if reply.tool_calls else "stop"
    return {"finish_reason": finish, "index": 0, "message": message}


def _reply_events(reply: Reply, recorded: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """`reply` said in the recorded stream's envelopes (ids, timings, usage chunk)."""
    role, template = recorded[0], recorded[1]
    finish = next(e for e in reversed(recorded) if e["choices"])
    usage = [e for e in recorded if not e["choices"]]

    def with_delta(
        event: dict[str, Any], delta: dict[str, Any], reason: str | None
    ) -> dict[str, Any]:
        out = copy.deepcopy(event)
        out["choices"][0].update(delta=delta, finish_reason=reason)
        return out

    events = [role]
    events += [with_delta(template, {"content": piece}, None) for piece in reply.pieces()]
    for index, call in enumerate(_tool_calls(reply)):
        events.append(with_delta(template, {"tool_calls": [{"index": index, **call}]}, None))
    events.append(with_delta(finish, {}, "tool_calls" if reply.tool_calls else "stop"))
    for event in usage:
        event["usage"] = _usage(reply)
    return events + usage

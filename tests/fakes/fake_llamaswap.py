"""A fake llama-swap proxy, written from its README and API handlers.

Its OpenAI endpoints answer like the OpenAI fake; on top, it keeps which
models are running, as llama-swap does:

- a chat or embeddings request, or any `/upstream/<model>/...` request, starts
  the model and, past `max_running` (1: llama-swap's default swap, one model at
  a time), stops the one started longest ago;
- `GET /running` lists the running models as `{"running": [{"model", "state"}]}`;
- `POST /api/models/unload/<model>` stops one and `GET /unload` stops all, both
  answering plain `OK`;
- an unknown model is a 400 with llama-swap's plain-text error;
- `/health` answers plain `OK`.

`start_behind_our_back(model)` starts a model as another client would.
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import unquote

from fakes.fake_openai import FakeOpenAI
from fakes.server import RecordedRequest, Reply, Response


class FakeLlamaSwap(FakeOpenAI):
    def __init__(
        self,
        *,
        models: Sequence[str] = ("qwen-coder-7b", "llama-3.2-3b", "nomic-embed"),
        max_running: int = 1,
        reply: Reply | None = None,
    ) -> None:
        super().__init__(models=models, reply=reply)
        self.max_running = max_running
        self.fail_to_start: set[str] = set()
        self._started: list[str] = []  # running models, oldest start first

    @property
    def running(self) -> list[str]:
        return list(self._started)

    def start_behind_our_back(self, model: str) -> None:
        self._start(model)

    def handle(self, request: RecordedRequest) -> Response:
        path = request.path
        if path == "/health":
            return _text("OK")
        if path == "/running" and request.method == "GET":
            running = [{"model": m, "state": "ready", "ttl": 0} for m in self._started]
            return Response.json({"running": running})
        if path == "/unload" or (path == "/api/models/unload" and request.method == "POST"):
            self._started.clear()
            return _text("OK")
        if path.startswith("/api/models/unload/") and request.method == "POST":
            model = unquote(path.removeprefix("/api/models/unload/"))
            if model in self._started:
                self._started.remove(model)
            return _text("OK")
        if path.startswith("/upstream/"):
            model = unquote(path.removeprefix("/upstream/").split("/", 1)[0])
            return self._start(model) or Response(404, b"404 page not found", "text/plain")
        if request.method == "POST" and path in ("/v1/chat/completions", "/v1/embeddings"):
            refused = self._start(str((request.json or {}).get("model")))
            if refused:
                return refused
        return super().handle(request)

    def _start(self, model: str) -> Response | None:
        """Start `model` unless it runs; a Response when it cannot be started."""
        if model not in self.models:
            return _text(f"could not find real modelID for {model}", 400)
        if model in self.fail_to_start:
            return _text(f"unable to start process: upstream command exited ({model})", 502)
        if model not in self._started:
            self._started.append(model)
            while len(self._started) > self.max_running:
                self._started.pop(0)
        return None


def _text(body: str, status: int = 200) -> Response:
    return Response(status, body.encode(), "text/plain; charset=utf-8")

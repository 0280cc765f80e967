"""Each backend against its loopback fake, as one `Case` the contract suite shares."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fakes import (
    FakeLlamaCpp,
    FakeLlamaSwap,
    FakeOllama,
    FakeOpenAI,
    LoopbackServer,
    RecordedRequest,
    Reply,
)
from smarterrouter.backends.base import Backend
from smarterrouter.backends.http import make_client
from smarterrouter.backends.llamacpp import LlamaCppBackend
from smarterrouter.backends.llamaswap import LlamaSwapBackend
from smarterrouter.backends.ollama import OllamaBackend
from smarterrouter.backends.openai_compat import OpenAICompatBackend
from support.keys import BACKEND_KEY

KINDS = ["ollama", "llamacpp", "openai", "llamaswap"]
API_KEY = BACKEND_KEY


@dataclass
class Case:
    kind: str
    fake: Any  # FakeOllama | FakeLlamaCpp | FakeOpenAI: each has `reply`
    backend: Backend
    chat_model: str
    embed_model: str
    chat_path: str
    embed_path: str

    def last(self, path: str) -> RecordedRequest:
        return self.fake.received(path)[-1]  # type: ignore[no-any-return]


def fake_for(kind: str) -> LoopbackServer:
    if kind == "ollama":
        return FakeOllama()
    if kind == "llamacpp":
        return FakeLlamaCpp("router-preset", models_max=2, reply=Reply())
    if kind == "llamaswap":
        return FakeLlamaSwap(max_running=2)
    return FakeOpenAI(api_key=API_KEY)


def base_url(kind: str, url: str) -> str:
    return url + "/v1" if kind == "openai" else url


def backend_for(kind: str, url: str, *, read_timeout: float = 10.0) -> Backend:
    """A backend of `kind` at `url` (the server root), prefixed "p/"."""
    client = make_client(
        base_url(kind, url),
        api_key=API_KEY if kind == "openai" else None,
        connect_timeout=2.0,
        read_timeout=read_timeout,
    )
    if kind == "ollama":
        return OllamaBackend(kind, client, prefix="p/", load_timeout=5.0)
    if kind == "llamacpp":
        return LlamaCppBackend(kind, client, prefix="p/", load_timeout=5.0, poll_interval=0.02)
    if kind == "llamaswap":
        return LlamaSwapBackend(kind, client, prefix="p/", load_timeout=5.0, poll_interval=0.02)
    return OpenAICompatBackend(kind, client, prefix="p/")


MODELS = {
    "ollama": ("llama3.2:3b", "nomic-embed-text:latest", "/api/chat", "/api/embed"),
    "llamacpp": ("gemma-chat", "minilm-embed", "/v1/chat/completions", "/v1/embeddings"),
    "openai": ("gpt-4o-mini", "text-embedding-3-small", "/v1/chat/completions", "/v1/embeddings"),
    "llamaswap": ("qwen-coder-7b", "nomic-embed", "/v1/chat/completions", "/v1/embeddings"),
}

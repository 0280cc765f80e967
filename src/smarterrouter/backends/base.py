"""What every backend offers, and the values that cross that boundary.

Requests and answers travel in OpenAI's wire shape (plain JSON-ready dicts): a
backend whose native API differs (Ollama) translates at its edge, in both
directions, and passes through every field it has no reason to touch.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal, Protocol, runtime_checkable

Capability = Literal["chat", "vision", "tools", "embedding"]
JSON = dict[str, Any]


@dataclass(frozen=True)
class ModelInfo:
    """One model as its backend describes it.

    `name` is the backend's own name for it; the registry adds the prefix.
    Unknown facts are None, never guessed here (routing may estimate later).
    """

    name: str
    backend: str = ""
    family: str | None = None
    parameter_count_b: float | None = None  # billions of parameters
    quantization: str | None = None
    context_length: int | None = None
    capabilities: frozenset[Capability] = frozenset({"chat"})
    size_bytes: int | None = None
    digest: str | None = None
    loaded: bool | None = None  # None: the backend does not say
    details: Mapping[str, Any] = field(default_factory=dict)

    def with_(self, **changes: Any) -> ModelInfo:
        return replace(self, **changes)


@dataclass(frozen=True)
class LoadedModel:
    name: str
    size_bytes: int | None = None
    vram_bytes: int | None = None


@dataclass(frozen=True)
class ChatRequest:
    """A chat request for one model: OpenAI's body, with `model` set to the
    backend's own name for it. `body` keeps every field the client sent."""

    model: str
    body: Mapping[str, Any]

    @property
    def stream(self) -> bool:
        return bool(self.body.get("stream"))

    def payload(self, *, stream: bool) -> JSON:
        """The body to send upstream, with this request's model and stream flag."""
        out = dict(self.body)
        out["model"] = self.model
        out["stream"] = stream
        if not stream:
            out.pop("stream_options", None)
        return out


@dataclass(frozen=True)
class EmbedRequest:
    model: str
    body: Mapping[str, Any]


@runtime_checkable
class Backend(Protocol):
    """An upstream that serves models.

    Every method raises only `smarterrouter.errors.BackendError` (or a subclass)
    for upstream trouble; httpx exceptions never escape.
    """

    name: str
    prefix: str

    async def list_models(self) -> list[ModelInfo]:
        """Every model the backend can serve now, loaded or not."""
        ...

    async def chat(self, req: ChatRequest) -> JSON:
        """A non-streamed answer as an OpenAI `chat.completion` object, with `usage`."""
        ...

    def stream_chat(self, req: ChatRequest) -> AsyncIterator[JSON]:
        """OpenAI `chat.completion.chunk` objects, each yielded as soon as it arrives.

        Raises BackendError before the first chunk when the upstream refuses the
        request, and may raise it later if the upstream dies mid-stream.
        """
        ...

    async def embed(self, req: EmbedRequest) -> JSON:
        """An OpenAI embeddings `list` object."""
        ...

    async def health(self) -> None:
        """Return when the backend answers; raise BackendError otherwise."""
        ...

    async def aclose(self) -> None: ...


@runtime_checkable
class ManagedBackend(Backend, Protocol):
    """A backend whose model memory the router controls."""

    async def loaded(self) -> list[LoadedModel]:
        """What the backend itself says is in memory now, with sizes when known."""
        ...

    async def load(self, model: str) -> None:
        """Load `model` and return when it can answer; a no-op if already loaded."""
        ...

    async def unload(self, model: str) -> None:
        """Free `model`'s memory; a no-op if it is not loaded."""
        ...

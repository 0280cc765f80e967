"""Any OpenAI-compatible API (OpenAI, OpenRouter, vLLM, LiteLLM, TGI, LocalAI...).

The router passes bodies through untouched apart from `model` and `stream`: the
upstream already speaks the client's language. Its base URL includes the API
version (`https://api.openai.com/v1`), so paths here are relative to it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any

import httpx

from smarterrouter.backends.base import JSON, Capability, ChatRequest, EmbedRequest, ModelInfo
from smarterrouter.backends.http import call_json, open_stream, sse_json


class OpenAICompatBackend:
    """A Backend for an OpenAI-compatible server; the router does not manage its memory."""

    def __init__(
        self, name: str, client: httpx.AsyncClient, *, prefix: str = "", api_root: str = ""
    ) -> None:
        """`api_root` goes before every path: "" when the base URL ends in the API
        version, "/v1" for a server whose OpenAI API lives under its root (llama.cpp)."""
        self.name = name
        self.prefix = prefix
        self._client = client
        self._root = api_root

    async def list_models(self) -> list[ModelInfo]:
        answer = await call_json(self._client, self.name, "GET", f"{self._root}/models")
        entries = answer.get("data", [])
        return [parse_model(entry, self.name) for entry in entries if "id" in entry]

    async def chat(self, req: ChatRequest) -> JSON:
        path = f"{self._root}/chat/completions"
        return await call_json(self._client, self.name, "POST", path, req.payload(stream=False))

    async def stream_chat(self, req: ChatRequest) -> AsyncIterator[JSON]:
        payload = req.payload(stream=True)
        path = f"{self._root}/chat/completions"
        async with open_stream(self._client, self.name, path, payload) as lines:
            async for chunk in sse_json(lines, self.name):
                yield chunk

    async def embed(self, req: EmbedRequest) -> JSON:
        payload = {**req.body, "model": req.model}
        return await call_json(self._client, self.name, "POST", f"{self._root}/embeddings", payload)

    async def health(self) -> None:
        await call_json(self._client, self.name, "GET", f"{self._root}/models")

    async def aclose(self) -> None:
        await self._client.aclose()


def parse_model(entry: Mapping[str, Any], backend: str) -> ModelInfo:
    """A `/models` entry as ModelInfo, reading the extras some servers add:
    `context_length` (OpenRouter), `max_model_len` (vLLM), `meta` (llama.cpp),
    `architecture.input_modalities`, `supported_parameters`."""
    meta: Mapping[str, Any] = entry["meta"] if isinstance(entry.get("meta"), dict) else {}
    n_params = meta.get("n_params")
    context = entry.get("context_length") or entry.get("max_model_len") or meta.get("n_ctx")
    return ModelInfo(
        name=str(entry["id"]),
        backend=backend,
        parameter_count_b=n_params / 1e9 if isinstance(n_params, int | float) else None,
        context_length=context if isinstance(context, int) else None,
        capabilities=_capabilities(entry),
        size_bytes=meta.get("size") if isinstance(meta.get("size"), int) else None,
        details={k: entry[k] for k in ("owned_by", "created") if k in entry},
    )


def _capabilities(entry: Mapping[str, Any]) -> frozenset[Capability]:
    # OpenAI-style listings say nothing about what a model does; embedding models
    # are recognisable only by the naming convention every provider follows.
    if "embed" in str(entry["id"]).lower():
        return frozenset({"embedding"})
    caps: set[Capability] = {"chat"}
    arch = entry.get("architecture")
    if isinstance(arch, dict) and "image" in (arch.get("input_modalities") or []):
        caps.add("vision")
    if "tools" in (entry.get("supported_parameters") or []):
        caps.add("tools")
    return frozenset(caps)

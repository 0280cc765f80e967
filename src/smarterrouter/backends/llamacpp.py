"""llama.cpp's `llama-server`, in single-model mode or in router mode.

A single-model server serves the one GGUF it was started with and ignores the
request's `model`. A router (`--models-dir` / `--models-preset`) lists many models
at `GET /models`, each with a `status` (unloaded, loading, loaded), starts and
stops them on `POST /models/load` and `/models/unload`, and needs `model` in every
request. Discovery tells the two apart (`GET /props` says `"role": "router"`).

Chat and embeddings go through the server's OpenAI endpoints, untouched apart
from `model` and `stream`. The base URL is the server root, without `/v1`.
"""

from __future__ import annotations

import re
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any

import anyio
import httpx

from smarterrouter.backends.base import (
    JSON,
    Capability,
    ChatRequest,
    EmbedRequest,
    LoadedModel,
    ModelInfo,
)
from smarterrouter.backends.http import call_json
from smarterrouter.backends.openai_compat import OpenAICompatBackend
from smarterrouter.errors import BackendError, BackendTimeout

# A preset's `embeddings = true` line: the model serves embeddings, although
# llama.cpp still lists it with the plain `completion` capability.
_PRESET_EMBEDDINGS = re.compile(r"^\s*embeddings?\s*=\s*(true|1|on)\s*$", re.M | re.I)
_PRESET_CTX = re.compile(r"^\s*ctx-size\s*=\s*(\d+)\s*$", re.M)
_ALREADY_LOADED = ("already running", "already loaded")
_NOT_LOADED = ("not running", "not loaded")


class LlamaCppBackend:
    """A ManagedBackend for one llama-server; `router_mode` is known after discovery."""

    def __init__(
        self,
        name: str,
        client: httpx.AsyncClient,
        *,
        prefix: str = "",
        load_timeout: float = 600.0,
        poll_interval: float = 0.25,
    ) -> None:
        self.name = name
        self.prefix = prefix
        self.router_mode = False
        self._client = client
        self._load_timeout = load_timeout
        self._poll_interval = poll_interval
        self._discovered = False
        # Router mode shows a model's `meta` only while it is loaded: keep it after.
        self._meta: dict[str, Mapping[str, Any]] = {}
        self._openai = OpenAICompatBackend(name, client, prefix=prefix, api_root="/v1")

    async def list_models(self) -> list[ModelInfo]:
        props, entries = await self._discover()
        if self.router_mode:
            return [parse_router_model(e, self.name, self._meta.get(e["id"])) for e in entries]
        return [parse_single_model(e, props, self.name) for e in entries]

    # Chat and embeddings go through llama-server's OpenAI endpoints, unchanged.
    async def chat(self, req: ChatRequest) -> JSON:
        return await self._openai.chat(req)

    def stream_chat(self, req: ChatRequest) -> AsyncIterator[JSON]:
        return self._openai.stream_chat(req)

    async def embed(self, req: EmbedRequest) -> JSON:
        return await self._openai.embed(req)

    async def health(self) -> None:
        await self._call("GET", "/health")

    async def aclose(self) -> None:
        await self._client.aclose()

    async def loaded(self) -> list[LoadedModel]:
        """Router: the models whose status is `loaded`. Single: the one model."""
        _, entries = await self._discover()
        if self.router_mode:
            entries = [e for e in entries if _status(e) == "loaded"]
        return [_loaded_model(e, self._meta.get(e["id"])) for e in entries]

    async def load(self, model: str) -> None:
        """Load `model` and return once its status is `loaded`.

        A no-op when it is loaded already. Raises BackendTimeout after the load
        timeout, and a non-retryable BackendError for a model the server does not
        have. A single-model server only waits until it has finished starting.
        """
        _, entries = await self._discover_when_ready()
        if not self.router_mode:
            _check_served(self.name, model, entries)
            return
        try:
            await self._call("POST", "/models/load", {"model": model})
        except BackendError as exc:
            if not _says(exc, _ALREADY_LOADED):
                raise
        await self._wait_for_status(model, "loaded")

    async def unload(self, model: str) -> None:
        """Stop `model` and return once it is unloaded; a no-op if it is not loaded.

        A single-model server cannot unload its model: that raises a
        non-retryable BackendError.
        """
        if not self._discovered:
            await self._discover_when_ready()
        if not self.router_mode:
            raise BackendError(
                f"backend '{self.name}' is a single-model llama-server and cannot unload "
                f"'{model}'; start it in router mode (--models-dir or --models-preset)",
                backend=self.name,
                retryable=False,
            )
        try:
            await self._call("POST", "/models/unload", {"model": model})
        except BackendError as exc:
            if _says(exc, _NOT_LOADED):
                return
            raise
        await self._wait_for_status(model, "unloaded")

    async def _discover(self) -> tuple[Mapping[str, Any], list[JSON]]:
        props = await self._props()
        answer = await self._call("GET", "/models")
        entries = [e for e in answer.get("data", []) if isinstance(e, dict) and "id" in e]
        self.router_mode = props.get("role") == "router" or any("status" in e for e in entries)
        self._discovered = True
        for entry in entries:
            if isinstance(entry.get("meta"), dict):
                self._meta[entry["id"]] = entry["meta"]
        return props, entries

    async def _props(self) -> Mapping[str, Any]:
        try:
            props = await self._call("GET", "/props")
        except BackendError as exc:
            # Servers started without the props endpoint still serve: discover without it.
            if exc.upstream_status in (403, 404, 501):
                return {}
            raise
        return props if isinstance(props, dict) else {}

    async def _wait_for_status(self, model: str, wanted: str) -> None:
        deadline = time.monotonic() + self._load_timeout
        seen_loading = False
        while True:
            entry = await self._router_entry(model)
            status = _status(entry) if entry else None
            if status == wanted:
                return
            seen_loading = seen_loading or status == "loading"
            if wanted == "loaded" and _load_failed(entry, seen_loading):
                raise BackendError(
                    f"backend '{self.name}' failed to load '{model}'", backend=self.name
                )
            if time.monotonic() >= deadline:
                raise BackendTimeout(
                    f"backend '{self.name}': '{model}' not {wanted} after {self._load_timeout:g}s",
                    backend=self.name,
                )
            await anyio.sleep(self._poll_interval)

    async def _router_entry(self, model: str) -> Mapping[str, Any] | None:
        try:
            _, entries = await self._discover()
        except BackendError as exc:
            if exc.upstream_status == 503:  # "Loading model": ask again
                return None
            raise
        return next((e for e in entries if e["id"] == model), None)

    async def _discover_when_ready(self) -> tuple[Mapping[str, Any], list[JSON]]:
        """Discover, waiting through the 503 "Loading model" a starting server gives."""
        deadline = time.monotonic() + self._load_timeout
        while True:
            try:
                return await self._discover()
            except BackendError as exc:
                if exc.upstream_status != 503 or time.monotonic() >= deadline:
                    raise
            await anyio.sleep(self._poll_interval)

    async def _call(self, method: str, path: str, payload: Any = None) -> Any:
        return await call_json(self._client, self.name, method, path, payload)


def _check_served(backend: str, model: str, entries: Sequence[Mapping[str, Any]]) -> None:
    served = [str(e["id"]) for e in entries]
    if served and model not in served:
        raise BackendError(
            f"backend '{backend}' serves only {served}, not '{model}'",
            backend=backend,
            upstream_status=404,
            retryable=False,
        )


def parse_single_model(
    entry: Mapping[str, Any], props: Mapping[str, Any], backend: str
) -> ModelInfo:
    """The one model of a single-model server, from `/models` and `/props`."""
    meta = _mapping(entry.get("meta"))
    settings = _mapping(props.get("default_generation_settings"))
    caps: set[Capability] = {"chat"}
    if _is_encoder(entry, props):
        caps = {"embedding"}
    if _mapping(props.get("modalities")).get("vision") or _has_image_input(entry):
        caps.add("vision")
    if _mapping(props.get("chat_template_caps")).get("supports_tools"):
        caps.add("tools")
    return _model_info(
        entry, backend, meta, frozenset(caps), meta.get("n_ctx") or settings.get("n_ctx"), True
    )


def _is_encoder(entry: Mapping[str, Any], props: Mapping[str, Any]) -> bool:
    """A single server says nothing of `--embeddings`; an encoder model shows itself
    by BERT's `[CLS]` start token (MiniLM, BGE, E5, GTE, nomic-embed) or its name."""
    return props.get("bos_token") == "[CLS]" or "embed" in str(entry.get("id", "")).lower()


def parse_router_model(
    entry: Mapping[str, Any], backend: str, known_meta: Mapping[str, Any] | None = None
) -> ModelInfo:
    """One model of a router, from its `/models` entry (`status.args`, `status.preset`)."""
    meta = _mapping(entry.get("meta")) or _mapping(known_meta)
    status = _mapping(entry.get("status"))
    args = [str(a) for a in status.get("args") or []]
    preset = str(status.get("preset") or "")
    caps: set[Capability]
    if "--embeddings" in args or "--embedding" in args or _PRESET_EMBEDDINGS.search(preset):
        caps = {"embedding"}
    else:
        caps = {"chat"}
        if "--mmproj" in args or _has_image_input(entry):
            caps.add("vision")
    context = meta.get("n_ctx") or _ctx_from_args(args) or _ctx_from_preset(preset)
    info = _model_info(entry, backend, meta, frozenset(caps), context, _status(entry) == "loaded")
    return info.with_(details={**info.details, "status": _status(entry)})


def _model_info(
    entry: Mapping[str, Any],
    backend: str,
    meta: Mapping[str, Any],
    caps: frozenset[Capability],
    context: Any,
    loaded: bool,
) -> ModelInfo:
    n_params = meta.get("n_params")
    details = {k: meta[k] for k in ("n_ctx_train", "n_embd", "n_vocab") if k in meta}
    if "source" in entry:
        details["source"] = entry["source"]
    return ModelInfo(
        name=str(entry["id"]),
        backend=backend,
        parameter_count_b=n_params / 1e9 if isinstance(n_params, int | float) else None,
        quantization=quantization_name(meta.get("ftype")),
        context_length=int(context) if isinstance(context, int | float) and context else None,
        capabilities=caps,
        size_bytes=meta.get("size") if isinstance(meta.get("size"), int) else None,
        loaded=loaded,
        details=details,
    )


def _loaded_model(entry: Mapping[str, Any], known_meta: Mapping[str, Any] | None) -> LoadedModel:
    meta = _mapping(entry.get("meta")) or _mapping(known_meta)
    size = meta.get("size")
    # The file size is what the weights take in memory; llama-server does not
    # report how much of it sits in VRAM.
    return LoadedModel(name=str(entry["id"]), size_bytes=size if isinstance(size, int) else None)


def _status(entry: Mapping[str, Any] | None) -> str | None:
    value = _mapping(_mapping(entry).get("status")).get("value")
    return str(value) if value is not None else None


def _load_failed(entry: Mapping[str, Any] | None, seen_loading: bool) -> bool:
    status = _mapping(_mapping(entry).get("status"))
    return bool(status.get("failed")) or (seen_loading and status.get("value") == "unloaded")


def _says(exc: BackendError, phrases: Sequence[str]) -> bool:
    return exc.upstream_status == 400 and any(p in exc.message for p in phrases)


def _has_image_input(entry: Mapping[str, Any]) -> bool:
    modalities = _mapping(entry.get("architecture")).get("input_modalities") or []
    return "image" in modalities


def _ctx_from_args(args: Sequence[str]) -> int | None:
    for flag in ("--ctx-size", "-c"):
        if flag in args[:-1]:
            value = args[args.index(flag) + 1]
            return int(value) if value.isdigit() else None
    return None


def _ctx_from_preset(preset: str) -> int | None:
    found = _PRESET_CTX.search(preset)
    return int(found.group(1)) if found else None


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


_FTYPE_SIZES = {"extra small": "XS", "small": "S", "medium": "M", "large": "L", "extra large": "XL"}


def quantization_name(ftype: Any) -> str | None:
    """llama.cpp's file type ("Q4_K - Medium") in the usual tag form ("Q4_K_M")."""
    if not isinstance(ftype, str) or not ftype.strip():
        return None
    base, _, size = (p.strip() for p in ftype.partition(" - "))
    suffix = _FTYPE_SIZES.get(size.lower())
    return f"{base}_{suffix}" if suffix else base

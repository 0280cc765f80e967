"""llama-swap: a proxy that starts and stops one inference server per model.

Chat and embeddings go through its OpenAI endpoints (`/v1/...`) untouched; a
request for a model that is not running makes llama-swap start it (stopping
others unless they share a group). What the router adds is control of memory:

    GET  /running                       the models whose process is running,
                                        `{"running": [{"model", "state", ...}]}`
    GET  /upstream/<model>/<path>       starts <model> if needed, then proxies
    POST /api/models/unload/<model>     stops one model (answers plain "OK")

So `load` asks `/upstream/<model>/health` (the request returns once the server
is up) and then checks `/running`; `unload` stops that one model and waits until
`/running` no longer lists it. llama-swap reports no sizes: the memory manager
estimates footprints from names and the GPU probe, and counts only what
`/running` says is in memory.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import anyio
import httpx

from smarterrouter.backends.base import LoadedModel, ModelInfo
from smarterrouter.backends.http import call_json, ensure_ok, upstream_errors
from smarterrouter.backends.openai_compat import OpenAICompatBackend
from smarterrouter.errors import BackendError, BackendTimeout

READY = "ready"


class LlamaSwapBackend(OpenAICompatBackend):
    """A ManagedBackend for a llama-swap proxy: its OpenAI endpoints as any
    OpenAI-compatible server's, plus what it says of and does with memory."""

    def __init__(
        self,
        name: str,
        client: httpx.AsyncClient,
        *,
        prefix: str = "",
        load_timeout: float = 300.0,
        poll_interval: float = 0.25,
    ) -> None:
        super().__init__(name, client, prefix=prefix, api_root="/v1")
        self._load_timeout = load_timeout
        self._poll_interval = poll_interval

    async def list_models(self) -> list[ModelInfo]:
        models = await super().list_models()
        running = await self._running()
        return [m.with_(loaded=running.get(m.name) == READY) for m in models]

    async def health(self) -> None:
        await self._send("GET", "/health")

    async def loaded(self) -> list[LoadedModel]:
        """The models llama-swap says are running and ready."""
        return [LoadedModel(m) for m, state in (await self._running()).items() if state == READY]

    async def load(self, model: str) -> None:
        """Start `model` and return once `/running` lists it ready; a no-op if it is."""
        if (await self._running()).get(model) == READY:
            return
        await self._known(model)
        # Any request through /upstream/<model>/ starts the model's server and waits
        # for it; what its /health answers does not matter, only that it came up.
        try:
            await self._send(
                "GET", f"/upstream/{quote(model, safe='')}/health", time_limit=self._load_timeout
            )
        except BackendError as exc:
            # An error from the model's own server (no /health, say) still means it
            # started; an error from llama-swap (the start failed) leaves it stopped.
            if exc.upstream_status is None or (await self._running()).get(model) != READY:
                raise
        await self._wait(model, running=True)

    async def unload(self, model: str) -> None:
        """Stop `model` and return once `/running` no longer lists it."""
        if model not in await self._running():
            return
        try:
            await self._send("POST", f"/api/models/unload/{quote(model, safe='')}")
        except BackendError as exc:
            if exc.upstream_status == 404:
                raise BackendError(
                    f"backend '{self.name}': this llama-swap cannot unload one model "
                    "(no /api/models/unload/<model>); upgrade llama-swap",
                    backend=self.name,
                    retryable=False,
                ) from exc
            raise
        await self._wait(model, running=False)

    async def _running(self) -> dict[str, str]:
        answer = await call_json(self._client, self.name, "GET", "/running")
        return parse_running(answer)

    async def _known(self, model: str) -> None:
        names = {m.name for m in await super().list_models()}
        if model not in names:
            raise BackendError(
                f"backend '{self.name}' does not serve '{model}'",
                backend=self.name,
                retryable=False,
            )

    async def _wait(self, model: str, *, running: bool) -> None:
        deadline = time.monotonic() + self._load_timeout
        while True:
            state = (await self._running()).get(model)
            if (state == READY) if running else state is None:
                return
            if time.monotonic() >= deadline:
                wanted = "running" if running else "stopped"
                raise BackendTimeout(
                    f"backend '{self.name}': '{model}' not {wanted} after {self._load_timeout:g}s",
                    backend=self.name,
                )
            await anyio.sleep(self._poll_interval)

    async def _send(self, method: str, path: str, *, time_limit: float | None = None) -> None:
        """A request whose answer is plain text ("OK"): only its status matters."""
        extra: dict[str, Any] = {} if time_limit is None else {"timeout": time_limit}
        with upstream_errors(self.name):
            response = await self._client.request(method, path, **extra)
            await ensure_ok(response, self.name)


def parse_running(answer: Mapping[str, Any]) -> dict[str, str]:
    """`/running` as model -> state. Older releases list only ready models and may
    omit `state`: a listed model without one is taken as ready."""
    out: dict[str, str] = {}
    for entry in answer.get("running") or []:
        if isinstance(entry, Mapping) and isinstance(entry.get("model"), str):
            state = entry.get("state")
            out[entry["model"]] = state if isinstance(state, str) else READY
    return out

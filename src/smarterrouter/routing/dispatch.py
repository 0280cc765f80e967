"""The one place that calls backends: try each candidate in turn until one answers.

A stream falls back only before its first chunk: once a byte has reached the
client, another model cannot take over the answer. The next candidate is tried
on the backend's trouble (connection, timeout, 5xx, a model that fails to load),
never on the client's own mistake: a request the upstream judged malformed
(400, 413, 422) would fail on every model alike, so it is answered at once.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import Any

from smarterrouter.backends.base import JSON, ChatRequest, EmbedRequest
from smarterrouter.backends.registry import BackendRegistry
from smarterrouter.errors import AllBackendsFailed, BackendError, RouterError
from smarterrouter.observability.tracing import OpenSpan, SpanLike, Tracing
from smarterrouter.routing.policy import RoutedModel
from smarterrouter.vram.manager import MemoryManager

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Attempt:
    model: str
    error: str
    status: int | None


@dataclass
class StreamStart:
    """A stream that has produced its first chunk, and the rest of it."""

    model: RoutedModel
    first: JSON
    rest: AsyncIterator[JSON]
    attempts: list[Attempt]


class Dispatcher:
    def __init__(
        self,
        registry: BackendRegistry,
        memory: MemoryManager | None = None,
        tracing: Tracing | None = None,
    ) -> None:
        """`memory`, when given, makes room for each model before it is called;
        `tracing` gives each attempt its span."""
        self._registry = registry
        self._memory = memory
        self._tracing = tracing or Tracing(None)

    def _attempt(self, operation: str, model: RoutedModel) -> AbstractContextManager[SpanLike]:
        return self._tracing.span(f"backend.{operation}", **_attributes(model))

    @property
    def memory(self) -> MemoryManager | None:
        return self._memory

    @property
    def tracing(self) -> Tracing:
        return self._tracing

    async def _prepare(self, model: RoutedModel) -> None:
        if self._memory is not None:
            await self._memory.prepare(model)

    def _using(self, model: RoutedModel) -> AbstractAsyncContextManager[None]:
        return self._memory.using(model) if self._memory is not None else nullcontext()

    async def _busy_while(
        self, model: RoutedModel, stream: AsyncIterator[JSON], span: OpenSpan
    ) -> AsyncIterator[JSON]:
        """The stream, with its model marked busy (and its span open) until the stream
        ends or is closed."""
        failure: BaseException | None = None
        async with self._using(model):
            try:
                async for chunk in stream:
                    yield chunk
            except BackendError as exc:
                failure = exc
                raise
            finally:
                await _close(stream)
                span.end(failure)

    async def chat(
        self, candidates: Sequence[RoutedModel], body: Mapping[str, Any]
    ) -> tuple[RoutedModel, JSON, list[Attempt]]:
        attempts: list[Attempt] = []
        last: BackendError | None = None
        for model in candidates:
            backend = self._registry.backend(model.backend)
            try:
                with self._attempt("chat", model):
                    await self._prepare(model)
                    async with self._using(model):
                        answer = await backend.chat(ChatRequest(model.native_name, body))
            except BackendError as exc:
                last = self._failed(attempts, model, exc)
                if _client_fault(exc):
                    break
                continue
            return model, answer, attempts
        raise self._exhausted(attempts, last)

    async def open_stream(
        self, candidates: Sequence[RoutedModel], body: Mapping[str, Any]
    ) -> StreamStart:
        attempts: list[Attempt] = []
        last: BackendError | None = None
        for model in candidates:
            backend = self._registry.backend(model.backend)
            try:
                with self._attempt("prepare", model):
                    await self._prepare(model)
            except BackendError as cold:
                last = self._failed(attempts, model, cold)
                continue
            # The attempt's span lasts as long as the stream; current while the call
            # is made, so that the backend's request carries it.
            span = self._tracing.open("backend.stream", **_attributes(model))
            stream = self._busy_while(
                model, backend.stream_chat(ChatRequest(model.native_name, body)), span
            )
            try:
                with span.current():
                    first = await anext(stream)
            except StopAsyncIteration:
                empty = BackendError("the stream ended before any chunk", backend=model.backend)
                last = self._failed(attempts, model, empty)
                continue
            except BackendError as exc:
                await _close(stream)
                last = self._failed(attempts, model, exc)
                if _client_fault(exc):
                    break
                continue
            return StreamStart(model, first, stream, attempts)
        raise self._exhausted(attempts, last)

    async def embed(self, model: RoutedModel, body: Mapping[str, Any]) -> JSON:
        backend = self._registry.backend(model.backend)
        with self._attempt("embed", model):
            await self._prepare(model)
            async with self._using(model):
                return await backend.embed(EmbedRequest(model.native_name, body))

    @staticmethod
    def _failed(attempts: list[Attempt], model: RoutedModel, exc: BackendError) -> BackendError:
        log.warning("model %s failed on %s: %s", model.public_name, model.backend, exc.message)
        attempts.append(Attempt(model.public_name, exc.message, exc.upstream_status))
        return exc

    @staticmethod
    def _exhausted(attempts: list[Attempt], last: BackendError | None) -> RouterError:
        err: RouterError
        if last is not None and (len(attempts) == 1 or _client_fault(last)):
            err = last  # one candidate: its own error says the most
        else:
            tried = "; ".join(f"{a.model}: {a.error}" for a in attempts) or "no candidates"
            err = AllBackendsFailed(f"Every candidate model failed ({tried})")
        err.attempts = tuple(attempts)
        return err


def _attributes(model: RoutedModel) -> dict[str, str]:
    return {"smarterrouter.backend": model.backend, "smarterrouter.model": model.public_name}


def _client_fault(exc: BackendError) -> bool:
    """The upstream refused the request itself: BackendError maps that to a 400."""
    return exc.status_code == 400


async def _close(stream: AsyncIterator[JSON]) -> None:
    aclose = getattr(stream, "aclose", None)
    if aclose is not None:
        await aclose()

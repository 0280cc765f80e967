"""Wires the parts together for each request; holds no policy of its own.

validate -> resolve the target (route, or the named model) -> dispatch with
fallbacks -> shape the answer (model name, signature, headers) -> record the
decision off the hot path.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson
from pydantic import ValidationError
from starlette.responses import Response, StreamingResponse

from smarterrouter.backends.base import JSON
from smarterrouter.backends.registry import BackendRegistry
from smarterrouter.cache import (
    CACHE_HEADER,
    OPT_OUT_FIELD,
    Lookup,
    MemoryResponseStore,
    ResponseCache,
    StreamAssembler,
    replay_chunks,
)
from smarterrouter.cache.embedding import PromptEmbedder
from smarterrouter.cache.keys import routing_key
from smarterrouter.cache.routing import RoutingCache
from smarterrouter.decisions import DecisionNotes
from smarterrouter.embedding_shape import ensure_dimensions
from smarterrouter.errors import (
    BackendError,
    InvalidRequest,
    ModelNotFound,
    NoCapableModel,
    RouterError,
    ServiceUnavailable,
)
from smarterrouter.observability.metrics import Metrics
from smarterrouter.observability.tracing import Attribute
from smarterrouter.protocol.openai import ChatCompletionRequest, EmbeddingRequest
from smarterrouter.routing.dispatch import Attempt, Dispatcher, StreamStart
from smarterrouter.routing.explain import explain
from smarterrouter.routing.feedback import FeedbackBook
from smarterrouter.routing.policy import Decision, RoutedModel, Snapshot, decide
from smarterrouter.routing.preference import quality_preference, routed_names
from smarterrouter.routing.quality import NO_PRIORS, QualitySources
from smarterrouter.routing.scoring import Weights
from smarterrouter.routing.signals import classify, text_of
from smarterrouter.security.limits import check_input
from smarterrouter.settings import Settings
from smarterrouter.signature import StreamSigner, sign_completion, wants_signature
from smarterrouter.storage import DecisionRecord

log = logging.getLogger(__name__)

MODEL_HEADER = "X-SmarterRouter-Model"
CATEGORY_HEADER = "X-SmarterRouter-Category"  # routed requests only
FALLBACKS_HEADER = "X-SmarterRouter-Fallbacks"  # models that failed before this one
JSON_TYPE = "application/json"
# Response headers that also go on a request's trace span.
_TRACED_HEADERS = (
    (MODEL_HEADER, "smarterrouter.model"),
    (CATEGORY_HEADER, "smarterrouter.category"),
    (CACHE_HEADER, "smarterrouter.cache"),
    (FALLBACKS_HEADER, "smarterrouter.fallbacks"),
)


@dataclass(frozen=True)
class Target:
    """Where a request goes: a routing decision, or one model the client named."""

    candidates: tuple[RoutedModel, ...]
    decision: Decision | None
    from_routing_cache: bool = False


def parse_json_body(raw: bytes) -> dict[str, Any]:
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise InvalidRequest(f"The request body is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise InvalidRequest("The request body must be a JSON object")
    return data


def validation_message(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors()[:5]:
        where = ".".join(str(p) for p in err["loc"]) or "body"
        parts.append(f"{where}: {err['msg']}")
    return "Invalid request: " + "; ".join(parts)


def sse(data: Mapping[str, Any]) -> bytes:
    return b"data: " + orjson.dumps(data) + b"\n\n"


class Gateway:
    def __init__(
        self,
        settings: Settings,
        registry: BackendRegistry,
        dispatcher: Dispatcher,
        record: Callable[[DecisionRecord], None],
        redact: Callable[[str], str] = str,
        feedback: FeedbackBook | None = None,
        cache: ResponseCache | None = None,
        metrics: Metrics | None = None,
        routes: RoutingCache | None = None,
        quality: QualitySources = NO_PRIORS,
    ) -> None:
        self._settings = settings
        self._registry = registry
        self._dispatcher = dispatcher
        self._redact = redact  # for error text that reaches the client
        self.feedback = feedback or FeedbackBook()
        self._cache = cache or ResponseCache(MemoryResponseStore(1, 1.0), enabled=False)
        self._routes = routes or RoutingCache(1, enabled=False)
        # One embedding of the last user text per request, for the semantic layer.
        timeout = settings.cache_embed_timeout
        self.prompt_embedder = PromptEmbedder(self._embed_text, timeout=timeout)
        self._metrics = metrics or Metrics()
        self.router_model = settings.external_model_name
        self._routed_names = routed_names(settings)
        self._weights = Weights(**settings.routing_weights)
        self._quality = quality  # quality priors: published benchmarks, later profiles
        self._notes = DecisionNotes(record, self.router_model, settings.cache_response_max_size)

    # --- models ----------------------------------------------------------

    async def list_models(self) -> JSON:
        snapshot = self._registry.snapshot
        created = int(time.time())
        data: list[JSON] = [
            {"id": name, "object": "model", "created": created, "owned_by": "smarterrouter"}
            for name in self._routed_names
        ]
        for m in sorted(snapshot.models, key=lambda m: m.public_name):
            data.append(
                {"id": m.public_name, "object": "model", "created": created, "owned_by": m.backend}
            )
        return {"object": "list", "data": data}

    async def resolve(self, body: Mapping[str, Any], quality: str | None = None) -> Target:
        requested = body.get("model")
        if not requested or requested in self._routed_names:
            snapshot = self._registry.snapshot
            if not snapshot.models:
                snapshot = await self._registry.refresh_if_stale()
            if not snapshot.models:
                raise self._nothing_served()
            preference = quality_preference(
                self._routed_names, requested, self.router_model, quality
            )
            with self._dispatcher.tracing.span("routing.decide") as span:
                decision, cached = self._decide(body, snapshot, preference)
                span.set_attribute("smarterrouter.category", decision.signals.category)
                span.set_attribute("smarterrouter.difficulty", decision.signals.difficulty)
                span.set_attribute("smarterrouter.model", decision.model)
                span.set_attribute("smarterrouter.routing_cache", cached)
            models = tuple(m for n in decision.candidates if (m := snapshot.find(n)))
            if not self._settings.cascading_enabled:
                models = models[:1]
            return Target(models, decision, cached)
        model = await self._find(requested)
        if not model.can_chat:
            raise InvalidRequest(
                f"The model '{requested}' cannot chat (it is an embedding model)", param="model"
            )
        return Target((model,), None)

    def _decide(
        self, body: Mapping[str, Any], snapshot: Snapshot, preference: float
    ) -> tuple[Decision, bool]:
        """The routing decision, from the routing cache when the same inputs met the
        same models and ratings before; whether it came from there."""
        if not self._routes.enabled:
            return self._decide_now(body, snapshot, preference), False
        key = routing_key(body, preference=preference)
        generation = self.feedback.generation
        decision = self._routes.get(key, snapshot, generation)
        if decision is not None:
            return decision, True
        decision = self._decide_now(body, snapshot, preference)
        self._routes.put(key, snapshot, generation, decision)
        return decision, False

    def _decide_now(
        self, body: Mapping[str, Any], snapshot: Snapshot, preference: float
    ) -> Decision:
        estimates = self.feedback.estimates()
        memory = self._dispatcher.memory
        unfit = memory.cannot_fit(snapshot.models) if memory is not None else None
        return decide(
            classify(body), snapshot, preference, estimates, self._weights, self._quality, unfit
        )

    async def _find(self, name: str) -> RoutedModel:
        """A model the client named; refreshed once, in case it is new."""
        model = self._registry.snapshot.find(name)
        if model is None:
            model = (await self._registry.refresh_if_stale()).find(name)
        if model is not None:
            return model
        down = self._backends_down()
        if down:  # it may well be there: we cannot ask
            raise ServiceUnavailable(f"The model '{name}' is not known and {down}")
        raise ModelNotFound(name)

    def _backends_down(self) -> str:
        down = [s for s in self._registry.status.values() if not s.ok]
        return "; ".join(f"backend {s.name} is unreachable ({s.error})" for s in down)

    def _nothing_served(self) -> ServiceUnavailable:
        why = self._backends_down() or "the backends serve no models"
        return ServiceUnavailable(f"No model is available right now: {why}")

    def describe_models(self) -> list[JSON]:
        snapshot = self._registry.snapshot
        return [m.describe() for m in sorted(snapshot.models, key=lambda m: m.public_name)]

    async def explain_raw(self, raw: bytes, quality: str | None = None) -> JSON:
        body = self._checked_chat_body(raw)
        check_input(body, self._settings)
        return await self.explain(body, quality)

    async def explain(self, body: Mapping[str, Any], quality: str | None = None) -> JSON:
        target = await self.resolve(body, quality)
        if target.decision is None:
            raise InvalidRequest("explain needs a router model (or no model), not a named one")
        return explain(target.decision, self._registry.snapshot)

    # --- chat ------------------------------------------------------------

    @staticmethod
    def _checked_chat_body(raw: bytes) -> dict[str, Any]:
        body = parse_json_body(raw)
        try:
            ChatCompletionRequest.model_validate(body)
        except ValidationError as exc:
            raise InvalidRequest(validation_message(exc)) from None
        return body

    async def chat(
        self, raw: bytes, quality: str | None = None, cache_control: str | None = None
    ) -> Response:
        body = self._checked_chat_body(raw)
        check_input(body, self._settings)
        tracing = self._dispatcher.tracing
        if not tracing.enabled:  # the hot path builds no span attributes for nothing
            return await self._chat(body, quality, cache_control)
        attributes: dict[str, Attribute | None] = {
            "smarterrouter.requested": str(body.get("model") or self.router_model),
            "smarterrouter.stream": bool(body.get("stream")),
        }
        with tracing.span("chat", **attributes) as span:
            response = await self._chat(body, quality, cache_control)
            for header, attribute in _TRACED_HEADERS:
                if (value := response.headers.get(header)) is not None:
                    span.set_attribute(attribute, value)
            return response

    async def _chat(
        self, body: dict[str, Any], quality: str | None, cache_control: str | None
    ) -> Response:
        started = time.perf_counter()
        lookup = await self._cache_lookup(body, quality, cache_control)
        self._metrics.observe_cache(lookup.header)
        body.pop(OPT_OUT_FIELD, None)  # ours only: upstreams may refuse unknown fields
        if lookup.answer is not None:
            return self._answer_from_cache(body, lookup, started)
        target = await self.resolve(body, quality)
        if self._settings.log_prompts:
            _log_prompt(body)
        if body.get("stream"):
            start = await self._open_stream(target, body, started)
            headers = {
                **_routing_headers(start.model.public_name, lookup, target, start.attempts),
                "Cache-Control": "no-cache",
            }
            return StreamingResponse(
                self._relay(start, body, target, started, lookup),
                media_type="text/event-stream",
                headers=headers,
            )
        try:
            model, answer, attempts = await self._dispatcher.chat(target.candidates, body)
        except RouterError as exc:
            self._notes.answered(body, target, None, exc.status_code, started, list(exc.attempts))
            raise
        answer["model"] = model.public_name
        self._metrics.observe_usage(model.public_name, answer.get("usage"))
        await self._cache.save(lookup, model.public_name, answer)  # before it is signed
        if self._signs(body):
            sign_completion(answer, self._settings.signature_format, model.public_name)
        self._notes.answered(
            body, target, model, 200, started, attempts, answer.get("id"), lookup.key
        )
        if self._settings.log_prompts:
            _log_answer(answer)
        headers = _routing_headers(model.public_name, lookup, target, attempts)
        return Response(orjson.dumps(answer), media_type=JSON_TYPE, headers=headers)

    def _signs(self, body: Mapping[str, Any]) -> bool:
        return self._settings.signature_enabled and wants_signature(body)

    def _signer(self, body: Mapping[str, Any], model: str) -> StreamSigner | None:
        return StreamSigner(self._settings.signature_format, model) if self._signs(body) else None

    async def _cache_lookup(
        self, body: Mapping[str, Any], quality: str | None, cache_control: str | None
    ) -> Lookup:
        """The cache's view of the request. A routed request is keyed by its router
        model and preference (the answer depends on them), a named one by the model."""
        requested = body.get("model")
        preference: float | None
        if not requested or requested in self._routed_names:
            names = self._routed_names
            preference = quality_preference(names, requested, self.router_model, quality)
            target = requested or self.router_model
        else:
            target, preference = requested, None
        with self._dispatcher.tracing.span("cache.lookup") as span:
            lookup = await self._cache.lookup(
                body,
                target=target,
                preference=preference,
                cache_control=cache_control,
                embed=self.prompt_embedder.embed,
            )
            span.set_attribute("smarterrouter.cache", lookup.header)
        return lookup

    async def embedding_model_name(self) -> str:
        """The model the semantic cache embeds with; a RouterError says why there is none."""
        return (await self._embedding_model(None)).public_name

    async def _embed_text(self, text: str) -> tuple[str, Mapping[str, Any]]:
        """The semantic layer's embedding: the default embedding model, one input."""
        model = await self._embedding_model(None)
        answer = await self._dispatcher.embed(model, {"model": model.public_name, "input": text})
        return model.public_name, answer

    def _answer_from_cache(
        self, body: Mapping[str, Any], lookup: Lookup, started: float
    ) -> Response:
        assert lookup.answer is not None
        answer = self._cache.hit_completion(lookup.answer)  # a new id and time, unsigned
        name = lookup.answer.model
        self._notes.hit(body, lookup, name, answer.get("id"), started)
        headers = {MODEL_HEADER: name, CACHE_HEADER: lookup.header}
        if body.get("stream"):
            usage = bool((body.get("stream_options") or {}).get("include_usage"))
            chunks = replay_chunks(answer, include_usage=usage)
            return StreamingResponse(
                self._replay(chunks, self._signer(body, name)),
                media_type="text/event-stream",
                headers={**headers, "Cache-Control": "no-cache"},
            )
        if self._signs(body):
            sign_completion(answer, self._settings.signature_format, name)
        return Response(orjson.dumps(answer), media_type=JSON_TYPE, headers=headers)

    async def _replay(
        self, chunks: Iterable[JSON], signer: StreamSigner | None
    ) -> AsyncIterator[bytes]:
        for chunk in chunks:
            for data in _events(chunk, signer):
                yield data
        yield b"data: [DONE]\n\n"

    async def _open_stream(
        self, target: Target, body: Mapping[str, Any], started: float
    ) -> StreamStart:
        try:
            return await self._dispatcher.open_stream(target.candidates, body)
        except RouterError as exc:
            self._notes.answered(body, target, None, exc.status_code, started, list(exc.attempts))
            raise

    async def _relay(
        self,
        start: StreamStart,
        body: Mapping[str, Any],
        target: Target,
        started: float,
        lookup: Lookup,
    ) -> AsyncIterator[bytes]:
        name = start.model.public_name
        signer = self._signer(body, name)
        # A complete stream is kept for the next identical request.
        assembler = StreamAssembler() if lookup.key is not None else None
        status = 200
        try:
            try:
                async for chunk in _chain(start.first, start.rest):
                    chunk["model"] = name
                    if chunk.get("usage"):
                        self._metrics.observe_usage(name, chunk["usage"])
                    if assembler is not None:
                        assembler.observe(chunk)
                    for data in _events(chunk, signer):
                        yield data
            except BackendError as exc:
                status = exc.status_code
                log.warning("stream from %s broke: %s", name, exc.message)
                event = exc.to_openai()
                event["error"]["message"] = self._redact(exc.message)
                yield sse(event)
            else:
                if assembler is not None and (whole := assembler.completion()):
                    await self._cache.save(lookup, name, whole)
            yield b"data: [DONE]\n\n"
        finally:
            # Also when the client hangs up midway: the decision was made all the same.
            self._notes.answered(
                body,
                target,
                start.model,
                status,
                started,
                start.attempts,
                start.first.get("id"),
                lookup.key,
            )
            aclose = getattr(start.rest, "aclose", None)
            if aclose is not None:
                await aclose()

    # --- embeddings ------------------------------------------------------

    async def embeddings(self, raw: bytes) -> Response:
        body = parse_json_body(raw)
        try:
            EmbeddingRequest.model_validate(body)
        except ValidationError as exc:
            raise InvalidRequest(validation_message(exc)) from None
        model = await self._embedding_model(body.get("model"))
        answer = await self._dispatcher.embed(model, body)
        ensure_dimensions(answer, body.get("dimensions"), model.public_name)
        answer["model"] = model.public_name
        return Response(
            orjson.dumps(answer), media_type=JSON_TYPE, headers={MODEL_HEADER: model.public_name}
        )

    async def _embedding_model(self, requested: str | None) -> RoutedModel:
        if requested and requested not in self._routed_names:
            model = await self._find(requested)
            if not model.can_embed:
                raise InvalidRequest(
                    f"The model '{requested}' cannot create embeddings", param="model"
                )
            return model
        snapshot = self._registry.snapshot
        if not snapshot.models:
            snapshot = await self._registry.refresh_if_stale()
        if not snapshot.models:
            raise self._nothing_served()
        default = self._settings.embed_model
        if default:
            found = snapshot.find(default)
            if found is None:
                raise NoCapableModel(
                    f"ROUTER_EMBED_MODEL is '{default}', which no backend serves now"
                )
            return found
        embedders = sorted((m for m in snapshot.models if m.can_embed), key=lambda m: m.public_name)
        if not embedders:
            raise NoCapableModel(
                "No embedding model is available: serve one on a backend and name it in the "
                "request or in ROUTER_EMBED_MODEL"
            )
        return embedders[0]


async def _chain(first: JSON, rest: AsyncIterator[JSON]) -> AsyncIterator[JSON]:
    yield first
    async for chunk in rest:
        yield chunk


def _log_prompt(body: Mapping[str, Any]) -> None:
    """With ROUTER_LOG_PROMPTS only: the last user message."""
    users = [m for m in body.get("messages") or [] if m.get("role") == "user"]
    log.info("prompt: %s", (text_of(users[-1].get("content")) if users else "")[:2000])


def _log_answer(answer: Mapping[str, Any]) -> None:
    """With ROUTER_LOG_PROMPTS only: the text of a non-streamed answer."""
    choices = answer.get("choices") or [{}]
    log.info("answer: %s", str((choices[0].get("message") or {}).get("content") or "")[:2000])


def _routing_headers(
    model: str, lookup: Lookup, target: Target, attempts: list[Attempt]
) -> dict[str, str]:
    """What the client (and the access log line) learns of how it was served."""
    headers = {MODEL_HEADER: model, CACHE_HEADER: lookup.header}
    if target.decision is not None:
        headers[CATEGORY_HEADER] = target.decision.signals.category
    if attempts:
        headers[FALLBACKS_HEADER] = str(len(attempts))
    return headers


def _events(chunk: JSON, signer: StreamSigner | None) -> list[bytes]:
    """The SSE events for one chunk: the signature first if this chunk ends the text."""
    events = []
    if signer is not None:
        signer.observe(chunk)
        if signer.is_final(chunk) and (suffix := signer.suffix()):
            events.append(sse(_content_chunk(chunk, suffix)))
    events.append(sse(chunk))
    return events


def _content_chunk(like: Mapping[str, Any], text: str) -> JSON:
    """A content-only chunk shaped like `like` (same id, created, model)."""
    return {
        "id": like.get("id"),
        "object": "chat.completion.chunk",
        "created": like.get("created"),
        "model": like.get("model"),
        "choices": [{"index": 0, "delta": {"content": text}, "finish_reason": None}],
    }

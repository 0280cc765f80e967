"""Feedback from users: checked, stored, and counted in the scores at once."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from smarterrouter.backends.registry import BackendRegistry
from smarterrouter.errors import InvalidRequest, RouterError
from smarterrouter.gateway import parse_json_body, validation_message
from smarterrouter.routing.feedback import FeedbackBook
from smarterrouter.storage import DecisionRecorder, Feedback, Storage


class ResponseNotFound(RouterError):
    status_code = 404
    error_type = "invalid_request_error"
    code = "response_not_found"


class FeedbackRequest(BaseModel):
    """Either `response_id` (the `id` of an answer the router gave), or `model`
    with `category` for clients that do not keep response ids."""

    model_config = ConfigDict(extra="forbid")

    score: float = Field(ge=-1.0, le=1.0)
    response_id: str | None = Field(default=None, min_length=1, max_length=128)
    model: str | None = Field(default=None, min_length=1)
    category: Literal["coding", "reasoning", "creativity", "general"] | None = None
    comment: str | None = Field(default=None, max_length=10_000)

    @model_validator(mode="after")
    def _one_target(self) -> FeedbackRequest:
        if (self.response_id is None) == (self.model is None):
            raise ValueError("give either response_id, or model (with category)")
        if self.model is not None and self.category is None:
            raise ValueError("category is required with model")
        return self


class Ratings:
    def __init__(
        self,
        storage: Storage,
        recorder: DecisionRecorder,
        book: FeedbackBook,
        registry: BackendRegistry,
    ) -> None:
        self._storage = storage
        self._recorder = recorder
        self._book = book
        self._registry = registry

    async def rate(self, raw: bytes) -> dict[str, Any]:
        try:
            req = FeedbackRequest.model_validate(parse_json_body(raw))
        except ValidationError as exc:
            raise InvalidRequest(validation_message(exc)) from None
        model, category = await self._target(req)
        await self._storage.add_feedback(
            Feedback(model, category, req.score, req.comment, req.response_id)
        )
        self._book.add(model, category, req.score)
        tally = self._book.tally(model, category)
        return {
            "object": "feedback",
            "model": model,
            "category": category,
            "score": req.score,
            "votes": tally.count,
            "estimate": round(tally.estimate, 4),
        }

    async def _target(self, req: FeedbackRequest) -> tuple[str, str | None]:
        if req.response_id is not None:
            found = await self._storage.rated_decision(req.response_id)
            if found is None and self._recorder.pending:
                await self._recorder.flush()  # the answer may be seconds old
                found = await self._storage.rated_decision(req.response_id)
            if found is None:
                raise ResponseNotFound(
                    f"No answer with id '{req.response_id}' is known", param="response_id"
                )
            return found
        assert req.model is not None
        if self._registry.snapshot.find(req.model) is None:
            raise InvalidRequest(f"The model '{req.model}' is not served", param="model")
        return req.model, req.category

"""POST /v1/feedback: users rate answers, and routing listens."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from smarterrouter.api.deps import RatingsDep
from smarterrouter.api.schema import json_body
from smarterrouter.ratings import FeedbackRequest
from smarterrouter.security.limits import RawBody

router = APIRouter()


@router.post("/v1/feedback", openapi_extra=json_body(FeedbackRequest))
async def feedback(body: RawBody, ratings: RatingsDep) -> dict[str, Any]:
    """`{"response_id", "score": -1..1, "comment"}`, or `{"model", "category", "score"}`."""
    return await ratings.rate(body)

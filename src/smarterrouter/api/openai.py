"""The OpenAI-compatible endpoints. Bodies are read raw and checked by the
gateway, so that what the client sent is forwarded exactly as sent."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header
from starlette.responses import Response

from smarterrouter.api.deps import GatewayDep
from smarterrouter.security.limits import RawBody

router = APIRouter()

# X-SmarterRouter-Quality: 0 (fastest) .. 1 (best), for this request only.
QualityHeader = Annotated[str | None, Header(alias="X-SmarterRouter-Quality")]
# Cache-Control: no-cache (or no-store) skips the response cache for this request.
CacheControlHeader = Annotated[str | None, Header(alias="Cache-Control")]


@router.get("/v1/models")
async def list_models(gateway: GatewayDep) -> dict[str, Any]:
    return await gateway.list_models()


@router.post("/v1/chat/completions")
async def chat_completions(
    body: RawBody,
    gateway: GatewayDep,
    quality: QualityHeader = None,
    cache_control: CacheControlHeader = None,
) -> Response:
    return await gateway.chat(body, quality, cache_control)


@router.post("/v1/embeddings")
async def embeddings(body: RawBody, gateway: GatewayDep) -> Response:
    return await gateway.embeddings(body)

"""The OpenAI-compatible endpoints. Bodies are read raw and checked by the
gateway, so that what the client sent is forwarded exactly as sent."""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import APIRouter, Header, Request
from starlette.responses import JSONResponse, Response

from smarterrouter.api.deps import GatewayDep
from smarterrouter.api.schema import json_body
from smarterrouter.errors import RouterError
from smarterrouter.gateway import Gateway
from smarterrouter.protocol.openai import ChatCompletionRequest, EmbeddingRequest
from smarterrouter.security.limits import RawBody, read_body

log = logging.getLogger(__name__)
router = APIRouter()

# X-SmarterRouter-Quality: 0 (fastest) .. 1 (best), for this request only.
# Cache-Control: no-cache (or no-store) skips the response cache for this request.
QUALITY_HEADER = "x-smarterrouter-quality"
CHAT_PATH = "/v1/chat/completions"
QualityHeader = Annotated[str | None, Header(alias=QUALITY_HEADER)]


@router.get("/v1/models")
async def list_models(gateway: GatewayDep) -> dict[str, Any]:
    return await gateway.list_models()


@router.post(CHAT_PATH, openapi_extra=json_body(ChatCompletionRequest))
async def chat_completions(request: Request) -> Response:
    # The hottest route reads what it needs itself (api/fast.py calls it directly):
    # resolving declared parameters costs more than a cache hit's own work.
    gateway: Gateway = request.app.state.gateway
    headers = request.headers
    body = await read_body(request)
    return await gateway.chat(body, headers.get(QUALITY_HEADER), headers.get("cache-control"))


@router.post("/v1/embeddings", openapi_extra=json_body(EmbeddingRequest))
async def embeddings(body: RawBody, gateway: GatewayDep) -> Response:
    return await gateway.embeddings(body)


def router_error_response(request: Request, exc: RouterError) -> JSONResponse:
    """A RouterError as the client sees it: its status and OpenAI error body, with
    any secret an upstream echoed masked."""
    if exc.status_code >= 500:
        log.warning("%s: %s", type(exc).__name__, exc.message)
    body = exc.to_openai()
    body["error"]["message"] = request.app.state.redact(exc.message)
    return JSONResponse(body, status_code=exc.status_code)

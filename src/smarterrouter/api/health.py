"""Liveness and readiness."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.responses import JSONResponse

from smarterrouter.api.deps import ReadinessDep

router = APIRouter()


@router.get("/health")
async def health() -> dict[str, Any]:
    """Alive: the process serves HTTP. Says nothing of the backends."""
    return {"status": "ok"}


@router.get("/ready")
async def ready(readiness: ReadinessDep) -> JSONResponse:
    """Ready: at least one backend answers and the database works."""
    report = await readiness.check()
    return JSONResponse(report.as_dict(), status_code=200 if report.ready else 503)

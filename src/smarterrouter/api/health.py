"""Liveness and readiness."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import JSONResponse

from smarterrouter.api.deps import ReadinessDep

router = APIRouter()


@router.get("/health")
async def health(request: Request) -> dict[str, Any]:
    """Alive: the process serves HTTP (always 200). It also names the circuit
    breakers that are not closed, as "backend/operation": no backend call is made."""
    breakers = getattr(request.app.state, "breakers", None)
    tripped = [
        f"{b.backend}/{b.operation}"
        for b in (breakers.snapshots() if breakers else ())
        if b.state != "closed"
    ]
    return {"status": "ok", "open_circuit_breakers": tripped}


@router.get("/ready")
async def ready(readiness: ReadinessDep) -> JSONResponse:
    """Ready: at least one backend answers and the database works."""
    report = await readiness.check()
    return JSONResponse(report.as_dict(), status_code=200 if report.ready else 503)

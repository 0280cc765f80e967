"""Dependencies that hand each handler the part it needs from app.state.

They are `async def` on purpose: FastAPI runs a plain `def` dependency in a
worker thread, a thread hop on every request for a dictionary lookup.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from smarterrouter.gateway import Gateway
from smarterrouter.health import Readiness


async def get_gateway(request: Request) -> Gateway:
    gateway: Gateway = request.app.state.gateway
    return gateway


async def get_readiness(request: Request) -> Readiness:
    readiness: Readiness = request.app.state.readiness
    return readiness


GatewayDep = Annotated[Gateway, Depends(get_gateway)]
ReadinessDep = Annotated[Readiness, Depends(get_readiness)]

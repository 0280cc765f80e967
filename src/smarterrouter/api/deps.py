"""Dependencies that hand each handler the part it needs from app.state."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from smarterrouter.gateway import Gateway
from smarterrouter.health import Readiness


def get_gateway(request: Request) -> Gateway:
    gateway: Gateway = request.app.state.gateway
    return gateway


def get_readiness(request: Request) -> Readiness:
    readiness: Readiness = request.app.state.readiness
    return readiness


GatewayDep = Annotated[Gateway, Depends(get_gateway)]
ReadinessDep = Annotated[Readiness, Depends(get_readiness)]

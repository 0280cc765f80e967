"""Dependencies that hand each handler the part it needs from app.state.

They are `async def` on purpose: FastAPI runs a plain `def` dependency in a
worker thread, a thread hop on every request for a dictionary lookup.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from smarterrouter.gateway import Gateway
from smarterrouter.health import Readiness
from smarterrouter.ratings import Ratings
from smarterrouter.storage import DecisionRecorder, Storage


async def get_gateway(request: Request) -> Gateway:
    gateway: Gateway = request.app.state.gateway
    return gateway


async def get_readiness(request: Request) -> Readiness:
    readiness: Readiness = request.app.state.readiness
    return readiness


async def get_ratings(request: Request) -> Ratings:
    ratings: Ratings = request.app.state.ratings
    return ratings


async def get_storage(request: Request) -> Storage:
    storage: Storage = request.app.state.storage
    return storage


async def get_recorder(request: Request) -> DecisionRecorder:
    recorder: DecisionRecorder = request.app.state.recorder
    return recorder


GatewayDep = Annotated[Gateway, Depends(get_gateway)]
RatingsDep = Annotated[Ratings, Depends(get_ratings)]
StorageDep = Annotated[Storage, Depends(get_storage)]
RecorderDep = Annotated[DecisionRecorder, Depends(get_recorder)]
ReadinessDep = Annotated[Readiness, Depends(get_readiness)]

"""Dependencies that hand each handler the part it needs from app.state.

They are `async def` on purpose: FastAPI runs a plain `def` dependency in a
worker thread, a thread hop on every request for an attribute lookup.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, TypeVar, cast

from fastapi import Depends, Request

from smarterrouter.benchmarks.service import Benchmarks
from smarterrouter.gateway import Gateway
from smarterrouter.health import Readiness
from smarterrouter.ratings import Ratings
from smarterrouter.storage import DecisionRecorder, Storage

T = TypeVar("T")


def _from_state(name: str, kind: type[T]) -> Callable[[Request], Awaitable[T]]:
    """A dependency returning `app.state.<name>`, built by the lifespan."""

    async def get(request: Request) -> T:
        return cast(T, getattr(request.app.state, name))

    get.__name__ = f"get_{name}"
    return get


GatewayDep = Annotated[Gateway, Depends(_from_state("gateway", Gateway))]
RatingsDep = Annotated[Ratings, Depends(_from_state("ratings", Ratings))]
StorageDep = Annotated[Storage, Depends(_from_state("storage", Storage))]
RecorderDep = Annotated[DecisionRecorder, Depends(_from_state("recorder", DecisionRecorder))]
ReadinessDep = Annotated[Readiness, Depends(_from_state("readiness", Readiness))]
BenchmarksDep = Annotated[Benchmarks, Depends(_from_state("benchmarks", Benchmarks))]

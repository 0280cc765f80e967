"""Readiness: can the router serve right now? Backends answer, the database works."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from smarterrouter.backends.base import Backend
from smarterrouter.errors import BackendError

_CHECK_TIMEOUT = 5.0


@dataclass(frozen=True)
class ReadinessReport:
    backends: Mapping[str, str | None]  # name -> None when ok, else the error
    database: str | None
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def ready(self) -> bool:
        return self.database is None and any(e is None for e in self.backends.values())

    def as_dict(self) -> dict[str, Any]:
        return {
            "status": "ready" if self.ready else "not ready",
            "backends": {
                n: {"ok": e is None, **({"error": e} if e else {})}
                for n, e in self.backends.items()
            },
            "database": {
                "ok": self.database is None,
                **({"error": self.database} if self.database else {}),
            },
        }


class Readiness:
    def __init__(
        self, backends: Mapping[str, Backend], check_database: Callable[[], Awaitable[None]]
    ) -> None:
        self._backends = backends
        self._check_database = check_database

    async def check(self) -> ReadinessReport:
        names = list(self._backends)
        results = await asyncio.gather(
            *(self._probe(self._backends[n]) for n in names), self._database()
        )
        return ReadinessReport(
            backends=dict(zip(names, results[:-1], strict=True)), database=results[-1]
        )

    @staticmethod
    async def _probe(backend: Backend) -> str | None:
        try:
            await asyncio.wait_for(backend.health(), _CHECK_TIMEOUT)
        except BackendError as exc:
            return exc.message
        except TimeoutError:
            return f"no answer within {_CHECK_TIMEOUT:g}s"
        return None

    async def _database(self) -> str | None:
        try:
            await asyncio.wait_for(self._check_database(), _CHECK_TIMEOUT)
        except TimeoutError:
            return f"no answer within {_CHECK_TIMEOUT:g}s"
        except Exception as exc:  # any failure means "not ready"; report it, do not crash
            return str(exc)
        return None

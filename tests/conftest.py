"""Suite-wide fixtures: a clean ROUTER_* environment and the anyio backend."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def _clean_router_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # Settings are passed in explicitly; a developer's own ROUTER_* variables
    # must not change what a test sees.
    for name in list(os.environ):
        if name.startswith("ROUTER_"):
            monkeypatch.delenv(name)
    yield


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"

"""Suite-wide fixtures: a clean ROUTER_* environment, the anyio backend, and a
scan of everything logged during the suite for the secrets the tests hand out."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator

import pytest

from support.keys import SECRETS


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


class _Everything(logging.Handler):
    """Keeps every record's full text: message with its arguments, and traceback."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.texts: list[str] = []
        self._formatter = logging.Formatter()

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        if record.exc_info:
            text += "\n" + self._formatter.formatException(record.exc_info)
        self.texts.append(text + " " + " ".join(f"{k}={v}" for k, v in vars(record).items()))


@pytest.fixture(scope="session", autouse=True)
def _no_secret_is_ever_logged() -> Iterator[None]:
    """Whatever the router logs, across the whole suite, holds none of the secrets
    the tests gave it (keys in settings, headers and upstream error messages)."""
    handler = _Everything()
    root = logging.getLogger()
    root.addHandler(handler)
    level = root.level
    root.setLevel(logging.DEBUG)
    yield
    root.removeHandler(handler)
    root.setLevel(level)
    leaked = [(s, t[:300]) for t in handler.texts for s in SECRETS if s in t]
    assert not leaked, f"secrets reached the logs: {leaked[:5]}"
    assert handler.texts, "nothing was logged: the scan saw nothing"

"""A dependency the router can answer without (Redis): failures counted, logged sparingly.

When Redis goes away, every request would otherwise log the same error and
wait on the same dead connection. `OutageWatch` keeps the count, writes one
warning per `report_every` seconds (with how many failures it stands for), one
line when the dependency is back, and asks callers to skip it for a short
`cooldown` after each failure so that a hung server does not slow every request.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from urllib.parse import urlsplit


def url_without_credentials(url: str) -> str:
    """`redis://user:secret@host:6379/0` -> `redis://host:6379/0`, for logs."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    try:
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        port = ""
    return f"{parts.scheme}://{host}{port}{parts.path}"


class OutageWatch:
    def __init__(
        self,
        what: str,
        logger: logging.Logger,
        *,
        cooldown: float = 1.0,
        report_every: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._what = what  # says where, never with credentials
        self._log = logger
        self._cooldown = cooldown
        self._report_every = report_every
        self._clock = clock
        self._skip_until = float("-inf")
        self._next_report = float("-inf")
        self._unreported = 0
        self._down = False
        self.failures = 0  # since start

    @property
    def cooling_down(self) -> bool:
        """True shortly after a failure: callers go without the dependency meanwhile."""
        return self._clock() < self._skip_until

    def failed(self, error: BaseException) -> None:
        now = self._clock()
        self.failures += 1
        self._unreported += 1
        self._down = True
        self._skip_until = now + self._cooldown
        if now >= self._next_report:
            # The exception's type only: some clients put the URL in the message.
            self._log.warning(
                "%s unreachable (%s); going on without it (%d failures since the last report)",
                self._what,
                type(error).__name__,
                self._unreported,
            )
            self._unreported = 0
            self._next_report = now + self._report_every

    def succeeded(self) -> None:
        if self._down:
            self._down = False
            self._unreported = 0
            self._next_report = float("-inf")
            self._log.warning("%s reachable again", self._what)

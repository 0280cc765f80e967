"""The router app served for real on 127.0.0.1, in a background thread.

Tests talk to it over HTTP with the official `openai` client, exactly as a user's
client would; `url` is the server's root, `openai_url` its `/v1`.
"""

from __future__ import annotations

import asyncio
import threading
from types import TracebackType
from typing import Self

import uvicorn

from smarterrouter.app import create_app
from smarterrouter.settings import Settings


class RouterServer:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.app = create_app(settings)
        config = uvicorn.Config(
            self.app,
            host="127.0.0.1",
            port=0,
            log_config=None,
            lifespan="on",
            timeout_graceful_shutdown=5,
            proxy_headers=False,  # as `smarterrouter serve` runs it
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._error: BaseException | None = None
        self.port = 0

    def _run(self) -> None:
        try:
            asyncio.run(self._server.serve())
        except BaseException as exc:  # reported to the test by __enter__
            self._error = exc

    def __enter__(self) -> Self:
        self._thread.start()
        while not self._server.started:
            if not self._thread.is_alive():
                raise RuntimeError(f"the router did not start: {self._error!r}")
            self._thread.join(0.02)
        self.port = self._server.servers[0].sockets[0].getsockname()[1]
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._server.should_exit = True
        self._thread.join(30)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def openai_url(self) -> str:
        return f"{self.url}/v1"

"""Run the app under uvicorn, telling it when a shutdown signal arrives.

uvicorn sends the ASGI lifespan shutdown only after the open requests have
finished; the gate that refuses new requests during that wait must know
earlier, so the server's own signal handler raises the flag.
"""

from __future__ import annotations

import contextlib
from types import FrameType

import uvicorn
from fastapi import FastAPI

from smarterrouter.settings import Settings
from smarterrouter.shutdown import Draining

# uvicorn's own exit status when the app fails to start.
STARTUP_FAILURE = 3


class DrainingServer(uvicorn.Server):
    def __init__(self, config: uvicorn.Config, draining: Draining) -> None:
        super().__init__(config)
        self._draining = draining

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        self._draining.begin()
        super().handle_exit(sig, frame)


def serve(app: FastAPI, settings: Settings) -> int:
    """Serve until SIGTERM/SIGINT; open streams get ROUTER_SHUTDOWN_TIMEOUT seconds."""
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        log_config=None,
        timeout_graceful_shutdown=settings.shutdown_timeout,
        # uvicorn would believe X-Forwarded-For from 127.0.0.1 on its own;
        # ROUTER_TRUSTED_PROXIES is the one rule for whom to believe.
        proxy_headers=False,
    )
    server = DrainingServer(config, app.state.draining)
    # uvicorn re-raises the signal it caught once it has shut down, so that the
    # exit status tells a supervisor why; SIGINT's comes back as KeyboardInterrupt.
    with contextlib.suppress(KeyboardInterrupt):
        server.run()
    return 0 if server.started else STARTUP_FAILURE

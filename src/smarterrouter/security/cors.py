"""CORS for browser clients on other origins (ROUTER_CORS_ORIGINS); off when empty."""

from __future__ import annotations

from typing import Any

from smarterrouter.settings import Settings

# What OpenAI clients send: their key, JSON bodies, our own request headers.
ALLOWED_HEADERS = ("Authorization", "Content-Type", "X-Request-ID", "X-SmarterRouter-Quality")
# What a browser client may read: which model answered, and the id to quote in a report.
EXPOSED_HEADERS = ("X-SmarterRouter-Model", "X-Request-ID")


def cors_options(settings: Settings) -> dict[str, Any] | None:
    """Keyword arguments for Starlette's CORSMiddleware, or None for no CORS at all."""
    if not settings.cors_origins:
        return None
    return {
        "allow_origins": list(settings.cors_origins),
        "allow_methods": ["GET", "POST", "OPTIONS"],
        "allow_headers": list(ALLOWED_HEADERS),
        "expose_headers": list(EXPOSED_HEADERS),
        # Keys travel in the Authorization header, never in cookies.
        "allow_credentials": False,
        "max_age": 600,
    }

"""How much quality counts against speed for one request."""

from __future__ import annotations

from collections.abc import Mapping

from smarterrouter.errors import InvalidRequest
from smarterrouter.settings import Settings

QUALITY_HEADER = "X-SmarterRouter-Quality"


def routed_names(settings: Settings) -> dict[str, float]:
    """Every model name that means "route for me", with its quality preference."""
    return {settings.external_model_name: settings.quality_preference, **settings.virtual_models}


def quality_preference(
    names: Mapping[str, float], requested: str | None, router_model: str, header: str | None
) -> float:
    """The X-SmarterRouter-Quality header if sent, else the requested router
    model's own preference (smarterrouter/fast, /best...), else the router model's."""
    if header is None:
        return names.get(requested or router_model, names[router_model])
    try:
        value = float(header)
    except ValueError:
        value = -1.0
    if not 0.0 <= value <= 1.0:  # NaN fails this too
        raise InvalidRequest(
            f"{QUALITY_HEADER} must be a number from 0 (fastest) to 1 (best), got {header!r}"
        )
    return value

"""What /admin/cache shows: each layer's figures, and whether it is on and why not."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from smarterrouter.cache.embedding import PromptEmbedder
from smarterrouter.cache.response import ResponseCache
from smarterrouter.cache.routing import RoutingCache
from smarterrouter.cache.store import LayerStats
from smarterrouter.errors import RouterError

LAYERS = ("exact", "semantic", "routing")
_EMPTY = LayerStats(hits=0, misses=0, evictions=0, size=0, approx_bytes=0)


@dataclass(frozen=True)
class CacheParts:
    """The three layers and what the semantic one needs, as the app built them."""

    responses: ResponseCache
    routes: RoutingCache
    embedder: PromptEmbedder
    embedding_model: Callable[[], Awaitable[str]]  # its name, or a RouterError saying why not
    enabled: bool  # ROUTER_CACHE_ENABLED

    async def layer_stats(self) -> dict[str, LayerStats]:
        layers = await self.responses.layer_stats()
        layers.setdefault("semantic", _EMPTY)
        layers["routing"] = self.routes.stats()
        return {name: layers[name] for name in LAYERS}


async def cache_report(parts: CacheParts) -> dict[str, Any]:
    """Per layer: on or off (and why), entries, hits, misses, evictions, hit rate, bytes."""
    layers = await parts.layer_stats()
    report = {name: stats.as_dict() for name, stats in layers.items()}
    off = None if parts.enabled else "ROUTER_CACHE_ENABLED is false"
    report["exact"]["active"] = off is None
    report["exact"]["reason"] = off
    report["routing"] |= {
        "active": off is None,
        "reason": off,
        "invalidations": parts.routes.invalidations,
    }
    report["semantic"] |= await _semantic_status(parts, off)
    return report


async def _semantic_status(parts: CacheParts, off: str | None) -> dict[str, Any]:
    semantic = parts.responses.semantic
    if off is None and semantic is None:
        off = "ROUTER_CACHE_SEMANTIC_ENABLED is false"
    model = None
    if off is None:
        try:
            model = await parts.embedding_model()
        except RouterError as exc:
            off = f"no embedding model: {exc.message}"
    status: dict[str, Any] = {"active": off is None, "reason": off, "embedding_model": model}
    if semantic is not None:
        status |= {
            "threshold": semantic.threshold,
            "refused_near_misses": semantic.refused,
            "last_refusal": semantic.last_refusal,
            "embedding_failures": parts.embedder.failures,
            "last_embedding_failure": parts.embedder.last_failure,
        }
    return status

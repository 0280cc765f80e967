"""decide(signals, snapshot) -> Decision: which model, and which next if it fails.

Pure: the same signals and snapshot always give the same decision, so
`/admin/explain` shows exactly what a request would get.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from smarterrouter.backends.base import ModelInfo
from smarterrouter.errors import NoCapableModel
from smarterrouter.routing.quality import NO_PRIORS, QualitySources
from smarterrouter.routing.scoring import (
    DEFAULT_WEIGHTS,
    ModelFacts,
    ScoreBreakdown,
    Weights,
    score,
)
from smarterrouter.routing.signals import Signals
from smarterrouter.routing.sizes import parse_parameter_size, size_from_name


@dataclass(frozen=True)
class RoutedModel:
    """A model in the router's namespace: its public name and where it lives."""

    public_name: str
    backend: str
    info: ModelInfo

    @property
    def native_name(self) -> str:
        return self.info.name

    @property
    def can_chat(self) -> bool:
        return "chat" in self.info.capabilities

    @property
    def can_embed(self) -> bool:
        return "embedding" in self.info.capabilities

    @property
    def size_b(self) -> float | None:
        if self.info.parameter_count_b is not None:
            return self.info.parameter_count_b
        return size_from_name(self.info.name) or parse_parameter_size(self.info.family)

    def describe(self) -> dict[str, Any]:
        """What is known of the model, JSON-ready (for /admin/models and the CLI)."""
        info, size = self.info, self.size_b
        source = None if size is None else "name"
        return {
            "name": self.public_name,
            "backend": self.backend,
            "native_name": info.name,
            "family": info.family,
            "parameters_b": size,
            "parameters_from": "metadata" if info.parameter_count_b is not None else source,
            "quantization": info.quantization,
            "context_length": info.context_length,
            "capabilities": sorted(info.capabilities),
            "size_bytes": info.size_bytes,
            "loaded": info.loaded,
        }


@dataclass(frozen=True)
class Snapshot:
    """Everything routing may look at, frozen at one moment."""

    models: tuple[RoutedModel, ...]

    def find(self, public_name: str) -> RoutedModel | None:
        for m in self.models:
            if m.public_name == public_name:
                return m
        return None


@dataclass(frozen=True)
class Decision:
    model: str
    backend: str
    fallbacks: tuple[str, ...]
    scores: Mapping[str, ScoreBreakdown]
    reason: str
    signals: Signals
    excluded: Mapping[str, str] = field(default_factory=dict)
    preference: float = 0.5

    @property
    def candidates(self) -> tuple[str, ...]:
        return (self.model, *self.fallbacks)


def _exclusion(model: RoutedModel, signals: Signals, tool_models: bool) -> str | None:
    caps = model.info.capabilities
    if not model.can_chat:
        return "cannot chat (embedding model)"
    if signals.needs_vision and "vision" not in caps:
        return "no vision"
    if signals.needs_tools and tool_models and "tools" not in caps:
        return "no tool calling"
    ctx = model.info.context_length
    if ctx is not None and signals.estimated_tokens > ctx:
        return f"context {ctx} < ~{signals.estimated_tokens} tokens needed"
    return None


def decide(
    signals: Signals,
    snapshot: Snapshot,
    preference: float,
    feedback: Mapping[tuple[str, str | None], float] | None = None,
    weights: Weights = DEFAULT_WEIGHTS,
    quality: QualitySources = NO_PRIORS,
    unfit: Mapping[str, str] | None = None,
) -> Decision:
    """Rank the models that can serve the request; raise NoCapableModel if none.

    `feedback` maps (model, category) to users' smoothed rating, -1..1;
    `quality` gives each model's quality prior in the category, when known;
    `unfit` names the models that cannot fit in memory at all, with why.
    """
    ratings = feedback or {}
    # Only insist on tool calling when some model can do it; otherwise the best
    # effort is a model that answers in text.
    tool_models = any("tools" in m.info.capabilities for m in snapshot.models)
    excluded: dict[str, str] = {}
    scores: dict[str, ScoreBreakdown] = {}
    by_name: dict[str, RoutedModel] = {}
    for model in snapshot.models:
        why = _exclusion(model, signals, tool_models) or (unfit or {}).get(model.public_name)
        if why:
            excluded[model.public_name] = why
            continue
        facts = ModelFacts(
            name=model.public_name,
            size_b=model.size_b,
            family=model.info.family,
            loaded=bool(model.info.loaded),
            tools="tools" in model.info.capabilities,
            feedback=ratings.get((model.public_name, signals.category), 0.0),
            prior=quality.prior(model.public_name, model.native_name, signals.category),
        )
        scores[model.public_name] = score(facts, signals, preference, weights)
        by_name[model.public_name] = model
    if not scores:
        detail = "; ".join(f"{n}: {w}" for n, w in sorted(excluded.items())) or "no models"
        raise NoCapableModel(f"No model can serve this request ({detail})")
    ranked = sorted(scores, key=lambda n: (-scores[n].total, n))
    best = by_name[ranked[0]]
    return Decision(
        model=best.public_name,
        backend=best.backend,
        fallbacks=tuple(ranked[1:]),
        scores=scores,
        reason=_reason(signals, best, scores[best.public_name], preference),
        signals=signals,
        excluded=excluded,
        preference=preference,
    )


def _reason(
    signals: Signals, best: RoutedModel, breakdown: ScoreBreakdown, preference: float
) -> str:
    size = f"{best.size_b:.3g}B" if best.size_b is not None else "unknown size"
    needs = [
        n
        for n, on in (
            ("vision", signals.needs_vision),
            ("tools", signals.needs_tools),
            ("json", signals.needs_json),
        )
        if on
    ]
    extra = f", needs {'+'.join(needs)}" if needs else ""
    return (
        f"{signals.category}/{signals.difficulty}{extra}: {best.public_name} ({size}) "
        f"scored {breakdown.total:.3f} at quality preference {preference:g}"
    )

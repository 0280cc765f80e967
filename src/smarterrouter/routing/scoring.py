"""How well each model suits a request: a pure function, values in, values out.

A model is scored on whether it is big enough for the task, not on being big:

- quality: how well its size meets the size a task of this category and
  difficulty needs (`target_size`: its minimum for the fastest preference,
  its comfortable size, COMFORT_B, from 0.5 up), saturating at 1 once it does,
  with a bonus for a coder model on code;
- the quality preference then leans to bigger models above 0.5 (best) and to
  smaller ones below (fast), and among equally sufficient models the smaller,
  faster one wins;
- a penalty in proportion to how far a model falls below the minimum size for
  the task (MIN_SIZE_B), never a silent drop, so that a small box still answers;
- bonuses for a model already in memory and for tool support when tools are
  offered, and users' feedback in the category.

A quality prior (routing/quality.py: published benchmarks today, measured
profiles ahead of them later) is blended into quality when a model has one. It
is a size too, the size of a typical model of that quality, so it is measured
against the same target:

    quality = (1 - prior_weight) * sufficiency(size) + prior_weight * sufficiency(prior size)

A model as good as its size suggests scores as on size alone; a better one
more, a worse one less, up to sufficiency (quality beyond what the task needs
earns nothing, as for size). The coder bonus still applies on top: among models
that all suffice, the specialist is the better bet for code.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from smarterrouter.routing.quality import QualityPrior
from smarterrouter.routing.signals import Category, Difficulty, Signals

# Minimum billions of parameters per category and difficulty (as in the
# original project); below it a model is penalised in proportion to the gap.
MIN_SIZE_B: dict[Category, dict[Difficulty, float]] = {
    "coding": {"simple": 0.0, "medium": 4.0, "hard": 8.0},
    "reasoning": {"simple": 0.0, "medium": 4.0, "hard": 8.0},
    "creativity": {"simple": 0.0, "medium": 1.0, "hard": 4.0},
    "general": {"simple": 0.0, "medium": 1.0, "hard": 4.0},
}
# The size at which a task is comfortably served: more brings little for it.
COMFORT_B: dict[Category, dict[Difficulty, float]] = {
    "coding": {"simple": 0.5, "medium": 8.0, "hard": 14.0},
    "reasoning": {"simple": 0.5, "medium": 8.0, "hard": 14.0},
    "creativity": {"simple": 0.5, "medium": 3.0, "hard": 8.0},
    "general": {"simple": 0.5, "medium": 3.0, "hard": 8.0},
}
# Sizes past this count as the biggest there is, for the size scale.
_SIZE_CEILING_B = 70.0
_UNKNOWN_SIZE_B = 7.0


@dataclass(frozen=True)
class Weights:
    """How much each factor counts; ROUTER_ROUTING_WEIGHTS overrides any of them."""

    loaded_bonus: float = 0.05  # an equal model already in memory wins: no swap
    tools_bonus: float = 0.1  # tools offered and the model can call them
    size_deficit_penalty: float = 0.5  # at a deficit of the whole minimum size
    feedback: float = 0.2  # the most a unanimous, long record of ratings moves a score
    preference_strength: float = 0.5  # how far fast/best lean to small/big models
    size_tiebreak: float = 0.15  # among sufficient models, the smaller (faster) wins
    coder_bonus: float = 0.15  # a coder model on code
    prior_weight: float = 0.5  # the share of quality a benchmark or profile prior takes


DEFAULT_WEIGHTS = Weights()


@dataclass(frozen=True)
class ModelFacts:
    """What scoring knows about one model."""

    name: str
    size_b: float | None
    family: str | None
    loaded: bool
    tools: bool
    feedback: float = 0.0  # users' smoothed rating in this category, -1..1
    prior: QualityPrior | None = None  # published or measured quality in this category


@dataclass(frozen=True)
class ScoreBreakdown:
    quality: float  # how well it meets the size the task is comfortable with, 0..1
    speed: float  # 1 for the smallest model, 0 at 70B and beyond
    preference: float  # the quality preference's lean to bigger or smaller models
    size_penalty: float
    loaded_bonus: float
    tools_bonus: float
    feedback: float
    total: float
    quality_source: str = "size"  # "size", or the prior's source and detail


def _size_scale(size: float) -> float:
    return min(1.0, math.log1p(size) / math.log1p(_SIZE_CEILING_B))


def target_size(signals: Signals, preference: float) -> float:
    """The size a model needs to be fully sufficient: the task's minimum for the
    fastest preference, rising to its comfortable size at 0.5 and above."""
    minimum = MIN_SIZE_B[signals.category][signals.difficulty]
    comfort = COMFORT_B[signals.category][signals.difficulty]
    return max(0.5, minimum + (comfort - minimum) * min(1.0, 2 * preference))


def _quality(
    facts: ModelFacts, size: float, signals: Signals, preference: float, weights: Weights
) -> float:
    target = target_size(signals, preference)
    sufficiency = min(1.0, math.log1p(size) / math.log1p(target))
    if facts.prior is not None:
        known = min(1.0, math.log1p(max(0.0, facts.prior.size_b)) / math.log1p(target))
        sufficiency = (1 - weights.prior_weight) * sufficiency + weights.prior_weight * known
    name = f"{facts.family or ''} {facts.name}".lower()
    if "coder" in name or "code" in name:
        # Good at code, a little worse at prose than a general model of its size.
        sufficiency += weights.coder_bonus if signals.category == "coding" else -0.02
    return min(1.0 + weights.coder_bonus, max(0.0, sufficiency))


def score(
    facts: ModelFacts, signals: Signals, preference: float, weights: Weights = DEFAULT_WEIGHTS
) -> ScoreBreakdown:
    size = facts.size_b if facts.size_b is not None else _UNKNOWN_SIZE_B
    quality = _quality(facts, size, signals, preference, weights)
    scale = _size_scale(size)
    lean = (preference - 0.5) * 2 * weights.preference_strength * scale
    tiebreak = weights.size_tiebreak * scale
    minimum = MIN_SIZE_B[signals.category][signals.difficulty]
    deficit = (minimum - size) / minimum if size < minimum else 0.0
    penalty = weights.size_deficit_penalty * deficit
    loaded = weights.loaded_bonus if facts.loaded else 0.0
    tools = weights.tools_bonus if signals.offers_tools and facts.tools else 0.0
    feedback = weights.feedback * facts.feedback
    total = quality + lean - tiebreak - penalty + loaded + tools + feedback
    return ScoreBreakdown(
        quality=round(quality, 4),
        speed=round(1 - scale, 4),
        preference=round(lean, 4),
        size_penalty=round(penalty, 4),
        loaded_bonus=loaded,
        tools_bonus=tools,
        feedback=round(feedback, 4),
        total=round(total, 4),
        quality_source=facts.prior.explained if facts.prior else "size",
    )

"""How well each model suits a request: a pure function, values in, values out.

First version: capability comes from priors (size first, then family, e.g. a
coder model for code), speed from size, a bonus for a model already in memory,
and a penalty in proportion to how far a model falls below the size a task of
this category and difficulty deserves. Measured profiles, benchmarks and
feedback slot in as more factors of the same breakdown.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from smarterrouter.routing.signals import Category, Difficulty, Signals

# Minimum billions of parameters per category and difficulty (as in the
# original project); below it a model is penalised, never silently dropped, so
# that a small box still answers.
MIN_SIZE_B: dict[Category, dict[Difficulty, float]] = {
    "coding": {"simple": 0.0, "medium": 4.0, "hard": 8.0},
    "reasoning": {"simple": 0.0, "medium": 4.0, "hard": 8.0},
    "creativity": {"simple": 0.0, "medium": 1.0, "hard": 4.0},
    "general": {"simple": 0.0, "medium": 1.0, "hard": 4.0},
}
# Sizes past this count as "as capable as we can tell" for the size prior.
_SIZE_CEILING_B = 70.0
_UNKNOWN_SIZE_B = 7.0


@dataclass(frozen=True)
class Weights:
    """How much each factor counts; ROUTER_ROUTING_WEIGHTS overrides any of them."""

    loaded_bonus: float = 0.05  # an equal model already in memory wins: no swap
    tools_bonus: float = 0.1  # tools offered and the model can call them
    size_deficit_penalty: float = 0.5  # at a deficit of the whole minimum size
    feedback: float = 0.2  # the most a unanimous, long record of ratings moves a score
    difficulty_shift: float = 0.3  # easy leans to speed, hard to quality, by this much
    coder_bonus: float = 0.15  # a coder model on code


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


@dataclass(frozen=True)
class ScoreBreakdown:
    quality: float
    speed: float
    size_penalty: float
    loaded_bonus: float
    tools_bonus: float
    feedback: float
    quality_weight: float
    total: float


def quality_weight(
    preference: float, difficulty: Difficulty, weights: Weights = DEFAULT_WEIGHTS
) -> float:
    """How much quality counts against speed, from the user's preference.

    Easy requests lean to speed and hard ones to quality, around the preference.
    """
    shift = {"simple": -1, "medium": 0, "hard": 1}[difficulty] * weights.difficulty_shift
    return min(1.0, max(0.0, preference + shift))


def _quality(facts: ModelFacts, category: Category, weights: Weights) -> float:
    size = facts.size_b if facts.size_b is not None else _UNKNOWN_SIZE_B
    prior = math.log1p(size) / math.log1p(_SIZE_CEILING_B)
    name = f"{facts.family or ''} {facts.name}".lower()
    is_coder = "coder" in name or "code" in name
    if category == "coding" and is_coder:
        prior += weights.coder_bonus
    elif category in ("creativity", "general") and is_coder:
        prior -= 0.05
    return min(1.0, max(0.0, prior))


def _speed(facts: ModelFacts) -> float:
    size = facts.size_b if facts.size_b is not None else _UNKNOWN_SIZE_B
    return 1.0 / (1.0 + math.log1p(size))


def score(
    facts: ModelFacts, signals: Signals, preference: float, weights: Weights = DEFAULT_WEIGHTS
) -> ScoreBreakdown:
    quality = _quality(facts, signals.category, weights)
    speed = _speed(facts)
    minimum = MIN_SIZE_B[signals.category][signals.difficulty]
    size = facts.size_b if facts.size_b is not None else _UNKNOWN_SIZE_B
    deficit = (minimum - size) / minimum if size < minimum else 0.0
    penalty = weights.size_deficit_penalty * deficit
    weight = quality_weight(preference, signals.difficulty, weights)
    loaded = weights.loaded_bonus if facts.loaded else 0.0
    tools = weights.tools_bonus if signals.offers_tools and facts.tools else 0.0
    feedback = weights.feedback * facts.feedback
    total = weight * quality + (1 - weight) * speed - penalty + loaded + tools + feedback
    return ScoreBreakdown(
        quality=round(quality, 4),
        speed=round(speed, 4),
        size_penalty=round(penalty, 4),
        loaded_bonus=loaded,
        tools_bonus=tools,
        feedback=round(feedback, 4),
        quality_weight=round(weight, 4),
        total=round(total, 4),
    )

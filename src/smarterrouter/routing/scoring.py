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
_LOADED_BONUS = 0.05
_TOOLS_BONUS = 0.1
_DEFICIT_PENALTY = 0.5
# Feedback moves a score by at most this much (a unanimous, long record).
FEEDBACK_WEIGHT = 0.2


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


def quality_weight(preference: float, difficulty: Difficulty) -> float:
    """How much quality counts against speed, from the user's preference.

    Easy requests lean to speed and hard ones to quality, around the preference.
    """
    shift = {"simple": -0.3, "medium": 0.0, "hard": 0.3}[difficulty]
    return min(1.0, max(0.0, preference + shift))


def _quality(facts: ModelFacts, category: Category) -> float:
    size = facts.size_b if facts.size_b is not None else _UNKNOWN_SIZE_B
    prior = math.log1p(size) / math.log1p(_SIZE_CEILING_B)
    name = f"{facts.family or ''} {facts.name}".lower()
    is_coder = "coder" in name or "code" in name
    if category == "coding" and is_coder:
        prior += 0.15
    elif category in ("creativity", "general") and is_coder:
        prior -= 0.05
    return min(1.0, max(0.0, prior))


def _speed(facts: ModelFacts) -> float:
    size = facts.size_b if facts.size_b is not None else _UNKNOWN_SIZE_B
    return 1.0 / (1.0 + math.log1p(size))


def score(facts: ModelFacts, signals: Signals, preference: float) -> ScoreBreakdown:
    quality = _quality(facts, signals.category)
    speed = _speed(facts)
    minimum = MIN_SIZE_B[signals.category][signals.difficulty]
    size = facts.size_b if facts.size_b is not None else _UNKNOWN_SIZE_B
    penalty = _DEFICIT_PENALTY * (minimum - size) / minimum if size < minimum else 0.0
    weight = quality_weight(preference, signals.difficulty)
    loaded = _LOADED_BONUS if facts.loaded else 0.0
    tools = _TOOLS_BONUS if signals.offers_tools and facts.tools else 0.0
    feedback = FEEDBACK_WEIGHT * facts.feedback
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

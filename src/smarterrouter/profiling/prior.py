"""Measured profiles as routing's quality source, ahead of published benchmarks.

A prior speaks in sizes (see routing/quality.py): "this model codes like a
typical N-billion model". Profiles give scores from 0 to 1 on this machine's
prompt set, so they are calibrated against the profiled models themselves: per
category, a line of score on log10(size) with a fixed slope (SCORE_PER_DECADE)
through the mean of the models with a successful profile and a known size. A
model's prior is the size at which that line reaches its score: a model scoring
above the line for its size is treated as a larger one. The slope is fixed,
not fitted, because the pool is small and its best model may well be its
smallest; with fewer than two profiled models the profiles say nothing yet
(None) and the next source answers.

`update()` is called when profiles or the model list change; `prior()` answers
from memory, as routing requires.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from smarterrouter.profiling.profile import ModelProfile
from smarterrouter.routing.quality import QualityPrior
from smarterrouter.routing.signals import Category

MIN_MODELS = 2
# How much the score rises per tenfold parameters, for a typical model: about
# what the real small models show on the default prompts (SmolLM2-135M, Qwen2.5-
# Coder 0.5B and 1.5B: coding 0.43, 0.89, 1.0; reasoning 0, 0.33, 1.0).
SCORE_PER_DECADE = 0.5
# Priors stay within what real models span.
SMALLEST_B, LARGEST_B = 0.05, 1000.0


@dataclass(frozen=True)
class Fit:
    intercept: float  # the score of a typical 1B model
    slope: float = SCORE_PER_DECADE

    def size_for(self, score: float) -> float:
        size = 10 ** ((score - self.intercept) / self.slope)
        return min(LARGEST_B, max(SMALLEST_B, size))


def fit(points: Sequence[tuple[float, float]]) -> Fit | None:
    """The line through the mean of (size_b, score) points, at the fixed slope;
    None with fewer than MIN_MODELS points."""
    if len(points) < MIN_MODELS:
        return None
    mean_x = sum(math.log10(size) for size, _ in points) / len(points)
    mean_y = sum(score for _, score in points) / len(points)
    return Fit(mean_y - SCORE_PER_DECADE * mean_x)


class ProfilePriors:
    def __init__(self) -> None:
        self._scores: dict[str, Mapping[str, float]] = {}
        self._fits: dict[str, Fit] = {}

    def update(self, profiles: Sequence[ModelProfile], sizes: Mapping[str, float | None]) -> None:
        """Take the latest profiles; `sizes` gives each model's parameters (billions)."""
        ok = [p for p in profiles if p.status == "ok" and p.model in sizes]
        self._scores = {p.model: {c: s.score for c, s in p.categories.items()} for p in ok}
        fits = {}
        for category in ("coding", "reasoning", "creativity", "general"):
            points = [
                (size, scores[category])
                for model, scores in self._scores.items()
                if category in scores and (size := sizes.get(model))
            ]
            if (found := fit(points)) is not None:
                fits[category] = found
        self._fits = fits

    def prior(self, public_name: str, native_name: str, category: Category) -> QualityPrior | None:
        score = self._scores.get(public_name, {}).get(category)
        line = self._fits.get(category)
        if score is None or line is None:
            return None
        size = line.size_for(score)
        detail = f"{category} {score:.2f} on this machine's prompts, as a typical {size:.3g}B model"
        return QualityPrior(round(size, 3), "profile", detail)

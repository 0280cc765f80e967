"""Published scores as a quality prior for routing (a routing.quality.QualitySource).

Per category, the first benchmark the model has a figure for, in this order:

    coding      HumanEval
    reasoning   GSM8K, MATH, MATH-500, MMLU, MMLU-Pro, MATH Lvl 5
    general     MMLU, MMLU-Pro, Arena
    creativity  Arena, MMLU, MMLU-Pro

A bundled (published) figure is taken before a synced one of the same benchmark.
The figure becomes a size: the size at which a typical model of the catalog
scores it. Per benchmark, score = a + b * ln(billions of parameters) is fitted
by least squares over every entry of the catalog that has a figure for it (the
table, plus synced figures once there are some); a benchmark with fewer than
MIN_POINTS figures, or whose scores do not rise with size, is not used.
LiveCodeBench is shown but not used: its problems change with each release.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from smarterrouter.benchmarks.catalog import BenchmarkCatalog
from smarterrouter.benchmarks.matching import Match
from smarterrouter.benchmarks.store import SyncedRows
from smarterrouter.routing.quality import QualityPrior
from smarterrouter.routing.signals import Category

ORDER: dict[Category, tuple[str, ...]] = {
    "coding": ("humaneval",),
    "reasoning": ("gsm8k", "math", "math_500", "mmlu", "mmlu_pro", "math_lvl5"),
    "general": ("mmlu", "mmlu_pro", "arena_elo"),
    "creativity": ("arena_elo", "mmlu", "mmlu_pro"),
}
LABELS = {
    "humaneval": "HumanEval",
    "gsm8k": "GSM8K",
    "math": "MATH",
    "math_500": "MATH-500",
    "mmlu": "MMLU",
    "mmlu_pro": "MMLU-Pro",
    "math_lvl5": "MATH Lvl 5",
    "arena_elo": "Arena",
}
MIN_POINTS = 5
# Equivalent sizes are kept in a sane range: far outside the fit they mean little.
SIZE_RANGE_B = (0.01, 2000.0)


@dataclass(frozen=True)
class Fit:
    """score = intercept + slope * ln(size in billions)."""

    intercept: float
    slope: float

    def size_for(self, score: float) -> float:
        low, high = SIZE_RANGE_B
        exponent = (score - self.intercept) / self.slope
        return min(high, max(low, math.exp(min(exponent, math.log(high)))))


def fit(points: Iterable[tuple[float, float]]) -> Fit | None:
    """Least squares over (size_b, score); None with too few points or no rise."""
    pts = [(math.log(size), score) for size, score in points if size > 0]
    if len(pts) < MIN_POINTS:
        return None
    mean_x = sum(x for x, _ in pts) / len(pts)
    mean_y = sum(y for _, y in pts) / len(pts)
    sxx = sum((x - mean_x) ** 2 for x, _ in pts)
    if sxx == 0:
        return None
    slope = sum((x - mean_x) * (y - mean_y) for x, y in pts) / sxx
    return Fit(mean_y - slope * mean_x, slope) if slope > 0 else None


def calibrate(catalog: BenchmarkCatalog) -> dict[str, Fit]:
    points: dict[str, list[tuple[float, float]]] = {}
    for entry in catalog.table.entries:
        seen = set()
        for figure in catalog.figures(entry):
            if figure.benchmark not in seen:  # one point per entry and benchmark
                seen.add(figure.benchmark)
                points.setdefault(figure.benchmark, []).append((entry.size.total_b, figure.value))
    return {bench: f for bench, pts in points.items() if (f := fit(pts)) is not None}


class BenchmarkPrior:
    """Answers from the catalog, in memory: matches are remembered by the matcher,
    and the fits are redone only when the synced figures change."""

    def __init__(self, catalog: BenchmarkCatalog) -> None:
        self._catalog = catalog
        self._fits: Mapping[str, Fit] = {}
        self._fitted_on: SyncedRows | None = None

    @property
    def fits(self) -> Mapping[str, Fit]:
        if self._fitted_on is not self._catalog.synced:
            self._fits, self._fitted_on = calibrate(self._catalog), self._catalog.synced
        return self._fits

    def prior(self, public_name: str, native_name: str, category: Category) -> QualityPrior | None:
        found = self._catalog.match(native_name)
        if not isinstance(found, Match):
            return None
        figures = self._catalog.figures(found.entry)
        fits = self.fits
        for bench in ORDER[category]:
            figure = next((f for f in figures if f.benchmark == bench), None)
            if figure is not None and bench in fits:
                size = fits[bench].size_for(figure.value)
                detail = (
                    f"{LABELS[bench]} {figure.value:g} ({figure.source}), "
                    f"as a typical {size:.3g}B model"
                )
                return QualityPrior(round(size, 3), "benchmark", detail)
        return None

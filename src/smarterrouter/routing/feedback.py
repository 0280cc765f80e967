"""What users said of each model in each category, as a smoothed estimate.

The estimate is the mean score shrunk towards 0 ("no opinion") by a prior
worth `PRIOR_VOTES` neutral votes, so that one vote moves a model a little and
many agreeing votes move it a lot: +1 once gives 1/6; +1 twenty times, 0.8.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

PRIOR_VOTES = 5.0


@dataclass(frozen=True)
class Tally:
    count: int = 0
    total: float = 0.0

    @property
    def estimate(self) -> float:
        return self.total / (self.count + PRIOR_VOTES)


class FeedbackBook:
    """In-memory tallies per (model, category), loaded from and kept in step with
    the database; reads are dictionary lookups, cheap on the request path."""

    def __init__(self, totals: Iterable[tuple[str, str | None, int, float]] = ()) -> None:
        self._tallies: dict[tuple[str, str | None], Tally] = {
            (model, category): Tally(count, total) for model, category, count, total in totals
        }
        self.generation = 0  # counts changes: what was decided from older tallies is stale

    def add(self, model: str, category: str | None, score: float) -> None:
        old = self._tallies.get((model, category), Tally())
        self._tallies[(model, category)] = Tally(old.count + 1, old.total + score)
        self.generation += 1

    def estimates(self) -> Mapping[tuple[str, str | None], float]:
        """A frozen copy for one decision: (model, category) -> estimate in [-1, 1]."""
        return {key: tally.estimate for key, tally in self._tallies.items()}

    def tally(self, model: str, category: str | None) -> Tally:
        return self._tallies.get((model, category), Tally())

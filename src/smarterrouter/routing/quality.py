"""What is known of a model's quality in a category, beyond its size.

A `QualitySource` answers with a `QualityPrior` or None. A prior speaks in the
size prior's own unit: the size at which a typical model shows that quality
(a 7B model that codes like a typical 30B one has a coding prior of 30B). Each
source calibrates its own scale; scoring then treats every model alike, known
to a source or not, and only a model better or worse than its size suggests
moves. `QualitySources` asks its sources in order and takes the
first answer, so a better-informed source goes first: profiles measured on this
machine, when there are any, ahead of published benchmarks. Scoring blends the
prior with the size prior (see scoring.py); a model no source knows is scored
on its size alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from smarterrouter.routing.signals import Category


@dataclass(frozen=True)
class QualityPrior:
    size_b: float  # billions of parameters a typical model of this quality has
    source: str  # "benchmark", "profile"…
    detail: str  # for people: "HumanEval 88.4 (Qwen2.5-Coder Technical Report …)"

    @property
    def explained(self) -> str:
        return f"{self.source}: {self.detail}"


class QualitySource(Protocol):
    def prior(self, public_name: str, native_name: str, category: Category) -> QualityPrior | None:
        """The model's quality prior in `category`, or None when this source does not know it.
        Called for every candidate of every decision: answer from memory, no I/O."""
        ...


@dataclass(frozen=True)
class QualitySources:
    sources: tuple[QualitySource, ...] = ()

    def prior(self, public_name: str, native_name: str, category: Category) -> QualityPrior | None:
        for source in self.sources:
            if (found := source.prior(public_name, native_name, category)) is not None:
                return found
        return None


NO_PRIORS = QualitySources()

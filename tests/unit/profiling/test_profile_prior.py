"""Profiles as routing's quality prior: calibrated on the profiled models' sizes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from smarterrouter.profiling.prior import SCORE_PER_DECADE, SMALLEST_B, ProfilePriors, fit
from smarterrouter.profiling.profile import CategoryScore, ModelProfile

AT = datetime(2026, 11, 22, tzinfo=UTC)


def _profile(model: str, coding: float, status: str = "ok") -> ModelProfile:
    category = CategoryScore(coding, "checks", None, None, 3, "")
    return ModelProfile(model, "b", "i", "v", status, AT, categories={"coding": category})  # type: ignore[arg-type]


def test_the_line_runs_through_the_pools_mean_at_the_fixed_slope() -> None:
    line = fit([(0.1, 0.2), (1.0, 0.5), (10.0, 0.8)])
    assert line is not None
    assert line.intercept == pytest.approx(0.5)
    assert line.size_for(0.5) == pytest.approx(1.0)
    assert line.size_for(0.5 + SCORE_PER_DECADE) == pytest.approx(10.0)
    assert line.size_for(-5.0) == SMALLEST_B


def test_one_model_alone_says_nothing() -> None:
    assert fit([(1.0, 0.5)]) is None


def test_the_smallest_model_can_be_the_best() -> None:
    line = fit([(1.0, 1.0), (3.0, 0.0), (8.0, 0.0)])
    assert line is not None
    assert line.size_for(1.0) > 8.0 > 1.0 > line.size_for(0.0)


def test_a_small_model_that_codes_well_gets_a_larger_prior() -> None:
    priors = ProfilePriors()
    profiles = [_profile("tiny", 0.1), _profile("mid", 0.5), _profile("big", 0.8),
                _profile("gem", 0.8), _profile("broken", 0.0, "failed")]  # fmt: skip
    sizes = {"tiny": 0.1, "mid": 1.0, "big": 10.0, "gem": 1.0, "broken": 0.1}
    priors.update(profiles, sizes)
    gem = priors.prior("gem", "gem", "coding")
    assert gem is not None and gem.source == "profile"
    assert gem.size_b > 3.0  # codes like the 10B one, though it has 1B parameters
    assert "0.80 on this machine's prompts" in gem.detail
    assert priors.prior("broken", "broken", "coding") is None  # failed: no prior
    assert priors.prior("gem", "gem", "reasoning") is None  # not profiled there

"""Quality priors in scoring: published benchmarks as an equivalent size, in a stated order."""

from __future__ import annotations

import math

from smarterrouter.backends.base import ModelInfo
from smarterrouter.benchmarks.catalog import BenchmarkCatalog
from smarterrouter.benchmarks.matching import Matcher
from smarterrouter.benchmarks.prior import BenchmarkPrior, fit
from smarterrouter.benchmarks.table import load_table
from smarterrouter.routing.explain import explain
from smarterrouter.routing.policy import RoutedModel, Snapshot, decide
from smarterrouter.routing.quality import QualityPrior, QualitySources
from smarterrouter.routing.signals import Category, Signals


def _model(name: str, size: float) -> RoutedModel:
    caps = frozenset({"chat"})
    info = ModelInfo(name=name, backend="b", parameter_count_b=size, capabilities=caps)
    return RoutedModel(public_name=name, backend="b", info=info)


class Known:
    """A source that knows some models (by public name) as an equivalent size."""

    def __init__(self, source: str, sizes: dict[str, float]) -> None:
        self.source, self.sizes = source, sizes

    def prior(self, public_name: str, native_name: str, category: Category) -> QualityPrior | None:
        size = self.sizes.get(public_name)
        return None if size is None else QualityPrior(size, self.source, f"{size:g}")


def _benchmarks() -> BenchmarkPrior:
    table = load_table()
    return BenchmarkPrior(BenchmarkCatalog(table, Matcher(table)))


def test_between_two_models_of_one_size_the_better_published_one_wins() -> None:
    pool = Snapshot(models=(_model("weak-7b", 7.0), _model("strong-7b", 7.0)))
    hard = Signals(category="coding", difficulty="hard")
    size_only = decide(hard, pool, 0.5)
    assert size_only.scores["weak-7b"].total == size_only.scores["strong-7b"].total
    known = Known("benchmark", {"weak-7b": 1.0, "strong-7b": 30.0})
    ranked = decide(hard, pool, 0.5, quality=QualitySources((known,)))
    assert ranked.model == "strong-7b"
    assert ranked.scores["strong-7b"].quality_source == "benchmark: 30"
    assert ranked.scores["weak-7b"].quality < size_only.scores["weak-7b"].quality


def test_a_model_as_good_as_its_size_scores_as_on_size_alone() -> None:
    pool = Snapshot(models=(_model("typical-7b", 7.0), _model("unknown-7b", 7.0)))
    signals = Signals(category="general", difficulty="hard")
    d = decide(signals, pool, 0.5, quality=QualitySources((Known("b", {"typical-7b": 7.0}),)))
    assert d.scores["typical-7b"].total == d.scores["unknown-7b"].total
    assert d.scores["unknown-7b"].quality_source == "size"


def test_the_first_source_that_knows_a_model_decides() -> None:
    sources = QualitySources(
        (Known("profile", {"a": 9.0}), Known("benchmark", {"a": 1.0, "b": 5.0}))
    )
    assert sources.prior("a", "a", "general") == QualityPrior(9.0, "profile", "9")
    assert sources.prior("b", "b", "general") == QualityPrior(5.0, "benchmark", "5")
    assert sources.prior("c", "c", "general") is None


def test_a_fit_gives_back_the_size_of_a_score_on_its_line() -> None:
    line = fit([(1.0, 40.0), (3.0, 48.0), (8.0, 60.0), (14.0, 62.0), (70.0, 80.0)])
    assert line is not None and line.slope > 0
    assert abs(line.size_for(line.intercept + line.slope * math.log(8.0)) - 8.0) < 1e-6
    assert fit([(1.0, 50.0), (8.0, 40.0), (9.0, 30.0), (20.0, 20.0), (70.0, 10.0)]) is None
    assert fit([(1.0, 50.0), (8.0, 60.0)]) is None  # too few to say anything


def test_published_figures_become_equivalent_sizes_per_category() -> None:
    prior = _benchmarks()
    coding = prior.prior("c", "qwen2.5-coder:7b", "coding")
    assert coding is not None and coding.size_b > 4 * 7.6  # codes far above its size
    assert coding.detail.startswith("HumanEval 88.4 (Qwen2.5-Coder Technical Report")
    old = prior.prior("l", "llama2:13b-text", "coding")
    assert old is not None and old.size_b < 13  # HumanEval 18.3: below its size
    reasoning = prior.prior("l", "llama3.1:8b", "reasoning")
    assert reasoning is not None and reasoning.detail.startswith("GSM8K 84.5")
    assert prior.prior("c", "qwen2.5-coder:7b", "reasoning") is None  # no figure: size decides
    assert prior.prior("x", "my-finetune", "coding") is None


def test_explain_shows_where_quality_came_from() -> None:
    pool = Snapshot(models=(_model("qwen2.5-coder:7b", 7.6), _model("house-model", 7.0)))
    signals = Signals(category="coding", difficulty="medium")
    decision = decide(signals, pool, 0.5, quality=QualitySources((_benchmarks(),)))
    shown = {c["model"]: c["quality_source"] for c in explain(decision, pool)["candidates"]}
    assert shown["house-model"] == "size"
    assert shown["qwen2.5-coder:7b"].startswith("benchmark: HumanEval 88.4 (")

import pytest

from smarterrouter.backends.base import Capability, ModelInfo
from smarterrouter.errors import NoCapableModel
from smarterrouter.routing.policy import RoutedModel, Snapshot, decide
from smarterrouter.routing.signals import Signals


def model(
    name: str,
    size: float | None,
    caps: frozenset[Capability] = frozenset({"chat"}),
    *,
    ctx: int | None = None,
    loaded: bool = False,
) -> RoutedModel:
    info = ModelInfo(
        name=name,
        backend="b",
        parameter_count_b=size,
        capabilities=caps,
        context_length=ctx,
        loaded=loaded,
    )
    return RoutedModel(public_name=name, backend="b", info=info)


POOL = Snapshot(
    models=(
        model("tiny-135m", 0.135),
        model("coder-1.5b", 1.5),
        model("general-8b", 8.0),
        model("embed", 0.02, frozenset({"embedding"})),
    )
)


def test_easy_goes_to_the_smallest_sufficient_model_and_hard_goes_big() -> None:
    easy = decide(Signals(category="general", difficulty="simple"), POOL, 0.5)
    hard = decide(Signals(category="reasoning", difficulty="hard"), POOL, 0.5)
    assert easy.model == "coder-1.5b"  # 135M is too small even for easy questions
    assert hard.model == "general-8b"


def test_a_big_enough_model_beats_a_far_bigger_one() -> None:
    pool = Snapshot(models=(model("m-3b", 3.0), model("m-8b", 8.0), model("m-70b", 70.0)))
    assert decide(Signals(category="general", difficulty="medium"), pool, 0.5).model == "m-3b"
    assert decide(Signals(category="coding", difficulty="medium"), pool, 0.5).model == "m-8b"
    assert decide(Signals(category="general", difficulty="medium"), pool, 1.0).model == "m-70b"


def test_fallbacks_rank_every_other_chat_model_and_skip_embedders() -> None:
    d = decide(Signals(category="reasoning", difficulty="hard"), POOL, 0.5)
    assert set(d.candidates) == {"tiny-135m", "coder-1.5b", "general-8b"}
    assert d.excluded == {"embed": "cannot chat (embedding model)"}
    totals = [d.scores[n].total for n in d.candidates]
    assert totals == sorted(totals, reverse=True)


def test_small_models_are_penalised_in_proportion_not_dropped() -> None:
    d = decide(Signals(category="coding", difficulty="hard"), POOL, 0.5)
    assert d.scores["tiny-135m"].size_penalty > d.scores["coder-1.5b"].size_penalty > 0
    assert d.scores["general-8b"].size_penalty == 0


def test_quality_preference_moves_the_choice() -> None:
    signals = Signals(category="general", difficulty="medium")
    assert decide(signals, POOL, 0.0).model != decide(signals, POOL, 1.0).model
    assert decide(signals, POOL, 1.0).model == "general-8b"


def test_vision_is_a_hard_filter() -> None:
    pool = Snapshot(models=(model("text", 8.0), model("eyes", 4.0, frozenset({"chat", "vision"}))))
    assert decide(Signals(needs_vision=True), pool, 0.5).model == "eyes"
    with pytest.raises(NoCapableModel, match="no vision"):
        decide(Signals(needs_vision=True), Snapshot(models=(model("text", 8.0),)), 0.5)


def test_context_length_filters() -> None:
    pool = Snapshot(models=(model("short", 8.0, ctx=2048), model("long", 1.0, ctx=32768)))
    d = decide(Signals(estimated_tokens=5000), pool, 0.5)
    assert d.model == "long"
    assert "context 2048" in d.excluded["short"]


def test_loaded_model_wins_a_tie() -> None:
    pool = Snapshot(models=(model("a-7b", 7.0), model("b-7b", 7.0, loaded=True)))
    assert decide(Signals(), pool, 0.5).model == "b-7b"


def test_deterministic_with_name_tie_break() -> None:
    pool = Snapshot(models=(model("z-7b", 7.0), model("a-7b", 7.0)))
    assert [decide(Signals(), pool, 0.5).model for _ in range(3)] == ["a-7b"] * 3


def test_coder_preferred_for_code_at_equal_size() -> None:
    pool = Snapshot(models=(model("chat-1.5b", 1.5), model("coder-1.5b", 1.5)))
    assert decide(Signals(category="coding", difficulty="medium"), pool, 0.5).model == "coder-1.5b"


def test_no_models_is_a_clear_error() -> None:
    with pytest.raises(NoCapableModel, match="no models"):
        decide(Signals(), Snapshot(models=()), 0.5)


def test_weights_change_the_ranking() -> None:
    from smarterrouter.routing.scoring import Weights

    pool = Snapshot(models=(model("a-7b", 7.0), model("small-1b", 1.0, loaded=True)))
    signals = Signals(category="general", difficulty="medium")
    assert decide(signals, pool, 1.0).model == "a-7b"
    heavy = Weights(loaded_bonus=1.0)
    decided = decide(signals, pool, 1.0, None, heavy)
    assert decided.model == "small-1b"
    assert decided.scores["small-1b"].loaded_bonus == 1.0

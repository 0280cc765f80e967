from __future__ import annotations

from smarterrouter.routing.signals import RecentSignals, classify


def signals_of(text: str):  # type: ignore[no-untyped-def]
    return classify({"messages": [{"role": "user", "content": text}]})


def test_remembered_signals_come_back_by_key_and_the_oldest_go_first() -> None:
    seen = RecentSignals(2)
    code, poem, fact = (
        signals_of(t) for t in ("Write a Python sort", "A poem on rain", "Capital of France?")
    )
    seen.remember("a", code)
    seen.remember("b", poem)
    assert seen.recall("a") == code  # and "a" is now the most recent
    seen.remember("c", fact)
    assert (seen.recall("a"), seen.recall("b"), seen.recall("c")) == (code, None, fact)


def test_no_key_is_neither_kept_nor_found() -> None:
    seen = RecentSignals(4)
    seen.remember(None, signals_of("hello"))
    assert seen.recall(None) is None

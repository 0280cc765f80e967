"""Numbers in a request body, however large, make a key and never an error."""

from __future__ import annotations

from smarterrouter.cache.keys import request_key

MESSAGES = [{"role": "user", "content": "hi"}]


def key(**fields: object) -> str:
    return request_key({"messages": MESSAGES, **fields}, target="m", preference=None)


def test_integral_floats_and_integers_share_a_key() -> None:
    assert key(temperature=1.0) == key(temperature=1)
    assert key(seed=2.0**53) == key(seed=2**53)


def test_floats_too_large_for_an_integer_still_make_distinct_keys() -> None:
    assert key(x=3.6e239) != key(x=3.7e239)
    assert key(x=-1.7976931348623155e308) != key(x=1.7976931348623155e308)

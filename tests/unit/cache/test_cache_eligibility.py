"""Which requests may use the cache, and what the X-SmarterRouter-Cache header says."""

from __future__ import annotations

from typing import Any

import pytest

from smarterrouter.cache.eligibility import BypassReason, Eligibility, check_eligibility
from smarterrouter.errors import InvalidRequest

GREEDY: dict[str, Any] = {"messages": [{"role": "user", "content": "hi"}], "temperature": 0}


def check(
    body: dict[str, Any],
    cache_control: str | None = None,
    *,
    nondeterministic: bool = False,
    enabled: bool = True,
) -> BypassReason | None:
    return check_eligibility(
        body, cache_control, cache_nondeterministic=nondeterministic, enabled=enabled
    ).bypass


def test_greedy_request_is_cacheable() -> None:
    assert check(GREEDY) is None
    assert check({**GREEDY, "stream": True, "n": 1}) is None


@pytest.mark.parametrize(
    "extra",
    [{"temperature": 0.7}, {"temperature": None}, {}],
    ids=["sampled", "null temperature", "absent temperature (model default)"],
)
def test_sampled_requests_bypass_unless_allowed(extra: dict[str, Any]) -> None:
    body = {"messages": GREEDY["messages"], **extra}
    assert check(body) is BypassReason.SAMPLED
    assert check(body, nondeterministic=True) is None


def test_a_pinned_seed_makes_a_sampled_request_reproducible() -> None:
    assert check({**GREEDY, "temperature": 0.9, "seed": 1}) is None


def test_several_choices_are_never_cached() -> None:
    assert check({**GREEDY, "n": 2}) is BypassReason.SEVERAL_CHOICES
    assert check({**GREEDY, "n": 2}, nondeterministic=True) is BypassReason.SEVERAL_CHOICES


@pytest.mark.parametrize(
    "header", ["no-cache", "no-store", "No-Cache", "max-age=0, no-store", 'no-cache="x"']
)
def test_cache_control_header_opts_out(header: str) -> None:
    assert check(GREEDY, header) is BypassReason.HEADER


@pytest.mark.parametrize("header", [None, "", "max-age=60", "no-transform"])
def test_other_cache_control_directives_do_not(header: str | None) -> None:
    assert check(GREEDY, header) is None


def test_body_flag_opts_out() -> None:
    assert check({**GREEDY, "smarterrouter_cache": False}) is BypassReason.BODY_FLAG
    assert check({**GREEDY, "smarterrouter_cache": True}) is None


def test_a_body_flag_that_is_not_a_boolean_is_refused() -> None:
    with pytest.raises(InvalidRequest) as caught:
        check({**GREEDY, "smarterrouter_cache": "no"})
    assert caught.value.param == "smarterrouter_cache"


def test_disabled_cache_bypasses_everything() -> None:
    assert check(GREEDY, enabled=False) is BypassReason.DISABLED


def test_header_values() -> None:
    assert Eligibility().header(hit=True) == "hit-exact"
    assert Eligibility().header(hit=False) == "miss"
    assert Eligibility(BypassReason.SAMPLED).header(hit=False) == (
        "bypass; reason=nondeterministic"
    )

"""Whether a request may be answered from, and stored in, the response cache.

Pure: the body, the request's `Cache-Control` header and one setting in, an
`Eligibility` out. The gateway acts on it and reports it in the
`X-SmarterRouter-Cache` header.

Sampling: an answer is reused only when asking again would give the same
answer anyway, that is when sampling is greedy (`temperature` 0) or the client
pinned a `seed` (it asked for a reproducible answer). An absent temperature means
the model's own default, which is above 0 for Ollama (0.8), llama.cpp (0.8) and
OpenAI (1), so it counts as sampled. Sampled answers are cached only when
`cache_nondeterministic` is on (ROUTER_CACHE_NONDETERMINISTIC, off by default):
someone who asks again for a creative answer wants a new one, not a replay.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from smarterrouter.cache.keys import OPT_OUT_FIELD
from smarterrouter.errors import InvalidRequest

CACHE_HEADER = "X-SmarterRouter-Cache"

_OPT_OUT_DIRECTIVES = frozenset({"no-cache", "no-store"})


class CacheStatus(enum.StrEnum):
    HIT_EXACT = "hit-exact"
    HIT_SEMANTIC = "hit-semantic"
    MISS = "miss"
    BYPASS = "bypass"


class BypassReason(enum.StrEnum):
    """Why a request skips the cache, as the header shows it."""

    DISABLED = "disabled"
    HEADER = "cache-control"
    BODY_FLAG = "opt-out"
    SEVERAL_CHOICES = "n>1"
    SAMPLED = "nondeterministic"


@dataclass(frozen=True)
class Eligibility:
    """Cacheable, or not and why."""

    bypass: BypassReason | None = None

    @property
    def cacheable(self) -> bool:
        return self.bypass is None

    def header(self, hit: bool) -> str:
        """The `X-SmarterRouter-Cache` value: `hit-exact`, `miss` or `bypass; reason=…`."""
        if self.bypass is not None:
            return f"{CacheStatus.BYPASS.value}; reason={self.bypass.value}"
        return (CacheStatus.HIT_EXACT if hit else CacheStatus.MISS).value


def check_eligibility(
    body: Mapping[str, Any],
    cache_control: str | None,
    *,
    cache_nondeterministic: bool,
    enabled: bool = True,
) -> Eligibility:
    """Decide whether `body` may use the cache. Raises InvalidRequest when the
    opt-out flag is not a boolean (a typo must not silently keep caching)."""
    if not enabled:
        return Eligibility(BypassReason.DISABLED)
    if _opted_out_by_header(cache_control):
        return Eligibility(BypassReason.HEADER)
    if _opted_out_by_body(body):
        return Eligibility(BypassReason.BODY_FLAG)
    n = body.get("n")
    if isinstance(n, int) and n > 1:
        return Eligibility(BypassReason.SEVERAL_CHOICES)
    if not cache_nondeterministic and is_sampled(body):
        return Eligibility(BypassReason.SAMPLED)
    return Eligibility()


def is_sampled(body: Mapping[str, Any]) -> bool:
    """True when asking again may give another answer (see the module docstring)."""
    if body.get("seed") is not None:
        return False
    temperature = body.get("temperature")
    if temperature is None:
        return True  # the model's default, above 0 for the usual backends
    return not (isinstance(temperature, int | float) and temperature <= 0)


def _opted_out_by_header(cache_control: str | None) -> bool:
    if not cache_control:
        return False
    # Directives may carry arguments (`no-cache="x"`) and come in any case.
    directives = {d.split("=", 1)[0].strip().lower() for d in cache_control.split(",")}
    return not directives.isdisjoint(_OPT_OUT_DIRECTIVES)


def _opted_out_by_body(body: Mapping[str, Any]) -> bool:
    flag = body.get(OPT_OUT_FIELD, True)
    if not isinstance(flag, bool):
        raise InvalidRequest(
            f"'{OPT_OUT_FIELD}' must be true or false, got {flag!r}", param=OPT_OUT_FIELD
        )
    return not flag

"""Retry decisions, Retry-After parsing and the breaker's state machine, as values."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from smarterrouter.backends.base import JSON, ChatRequest, EmbedRequest, ManagedBackend, ModelInfo
from smarterrouter.backends.resilience import (
    BreakerConfig,
    BreakerSnapshot,
    CircuitBreaker,
    CircuitBreakers,
    CircuitOpen,
    RetryPolicy,
    backoff_delay,
    parse_retry_after,
    retry_after_of,
    retry_delay,
    with_resilience,
)
from smarterrouter.errors import BackendError, BackendTimeout, BackendUnavailable

NOW = datetime(2025, 3, 1, 12, 0, 0, tzinfo=UTC)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def transient(status: int = 503, retry_after: object = None) -> BackendError:
    exc = BackendError("boom", backend="b", upstream_status=status, retryable=True)
    if retry_after is not None:
        exc.retry_after = retry_after  # type: ignore[attr-defined]
    return exc


def client_fault() -> BackendError:
    return BackendError("bad", backend="b", upstream_status=400, retryable=False)


# --- backoff -----------------------------------------------------------------------


def test_backoff_ceiling_doubles_up_to_the_max() -> None:
    policy = RetryPolicy(base_delay=0.5, max_delay=8.0)
    almost_one = 0.999999
    ceilings = [round(backoff_delay(policy, k, lambda: almost_one), 3) for k in range(7)]
    assert ceilings == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0, 8.0]


def test_backoff_is_full_jitter() -> None:
    policy = RetryPolicy(base_delay=0.5, max_delay=8.0)
    assert backoff_delay(policy, 3, lambda: 0.0) == 0.0
    assert backoff_delay(policy, 3, lambda: 0.25) == 1.0


@pytest.mark.parametrize(
    ("exc", "retry", "expected"),
    [
        (transient(500), 0, 0.25),
        (transient(429), 2, 1.0),
        (BackendTimeout("slow", backend="b"), 1, 0.5),
        (BackendUnavailable("refused", backend="b"), 0, 0.25),
        (transient(500), 3, None),  # max_retries reached
        (client_fault(), 0, None),
        (CircuitOpen("open", backend="b"), 0, None),
    ],
)
def test_retry_delay(exc: BackendError, retry: int, expected: float | None) -> None:
    assert retry_delay(RetryPolicy(), retry, exc, lambda: 0.5) == expected


def test_retry_disabled_never_retries() -> None:
    assert retry_delay(RetryPolicy(enabled=False), 0, transient(), lambda: 0.5) is None


def test_retry_after_replaces_backoff_and_beyond_the_max_gives_up() -> None:
    policy = RetryPolicy(max_delay=8.0)
    assert retry_delay(policy, 0, transient(429, retry_after=3.0), lambda: 0.5) == 3.0
    assert retry_delay(policy, 0, transient(503, retry_after=8), lambda: 0.5) == 8.0
    assert retry_delay(policy, 0, transient(429, retry_after=30.0), lambda: 0.5) is None


# --- Retry-After -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("120", 120.0),
        (" 0 ", 0.0),
        ("1.5", 1.5),
        ("Sat, 01 Mar 2025 12:00:30 GMT", 30.0),
        ("Sat, 01 Mar 2025 11:59:00 GMT", 0.0),  # already past
        ("Saturday, 01-Mar-25 12:01:00 GMT", 60.0),  # obsolete RFC 850 form
        ("-5", None),
        ("nan", None),
        ("inf", None),
        ("soon", None),
        ("", None),
    ],
)
def test_parse_retry_after(header: str, seconds: float | None) -> None:
    assert parse_retry_after(header, NOW) == seconds


def test_retry_after_is_read_defensively() -> None:
    assert retry_after_of(transient()) is None
    assert retry_after_of(transient(retry_after=2)) == 2.0
    assert retry_after_of(transient(retry_after="7")) == 7.0
    assert retry_after_of(transient(retry_after=-1.0)) is None
    assert retry_after_of(transient(retry_after=True)) is None


# --- the breaker -------------------------------------------------------------------

CONFIG = BreakerConfig(
    failure_threshold=3, reset_timeout=60.0, half_open_max_attempts=2, sliding_window_size=5
)


def breaker(clock: FakeClock, config: BreakerConfig = CONFIG) -> CircuitBreaker:
    return CircuitBreaker("gpu", "chat", config, clock)


def fail(b: CircuitBreaker, times: int = 1) -> None:
    for _ in range(times):
        b.record(b.admit(), "failure")


def succeed(b: CircuitBreaker, times: int = 1) -> None:
    for _ in range(times):
        b.record(b.admit(), "success")


def test_opens_at_the_threshold_of_failures_in_the_window() -> None:
    clock = FakeClock()
    b = breaker(clock)
    fail(b, 2)
    assert b.snapshot() == BreakerSnapshot("gpu", "chat", "closed", 2, 2, None)
    fail(b)
    assert b.snapshot() == BreakerSnapshot("gpu", "chat", "open", 3, 3, 1000.0)
    with pytest.raises(CircuitOpen, match=r"circuit breaker for chat is open.*60s") as caught:
        b.admit()
    assert caught.value.retryable


def test_failures_that_slid_out_of_the_window_no_longer_count() -> None:
    b = breaker(FakeClock())
    fail(b, 2)
    succeed(b, 3)  # window of 5: F F S S S
    fail(b)  # F S S S F: the first failure slid out
    assert (b.state, b.snapshot().failures) == ("closed", 2)


def test_ignored_outcomes_do_not_enter_the_window() -> None:
    b = breaker(FakeClock())
    b.record(b.admit(), "ignored")
    assert b.snapshot().calls == 0


def test_half_open_after_the_reset_timeout_admits_a_limited_number_of_trials() -> None:
    clock = FakeClock()
    b = breaker(clock)
    fail(b, 3)
    clock.now += 59.9
    assert b.snapshot().state == "open"
    clock.now += 0.1
    assert b.snapshot().state == "half_open"
    b.admit()
    b.admit()
    with pytest.raises(CircuitOpen):
        b.admit()  # both trials still running


def test_a_successful_trial_closes_with_a_fresh_window() -> None:
    clock = FakeClock()
    b = breaker(clock)
    fail(b, 3)
    clock.now += 60
    succeed(b)
    assert b.snapshot() == BreakerSnapshot("gpu", "chat", "closed", 0, 0, None)


def test_a_failed_trial_reopens_from_now() -> None:
    clock = FakeClock()
    b = breaker(clock)
    fail(b, 3)
    clock.now += 60
    fail(b)
    assert (b.state, b.snapshot().opened_at) == ("open", 1060.0)
    clock.now += 59
    assert b.state == "open"


def test_a_cancelled_trial_gives_its_place_back() -> None:
    clock = FakeClock()
    b = breaker(clock)
    fail(b, 3)
    clock.now += 60
    first, _ = b.admit(), b.admit()
    b.record(first, "ignored")
    b.admit()  # the freed place
    assert b.state == "half_open"


def test_a_call_admitted_before_the_breaker_opened_cannot_close_it() -> None:
    clock = FakeClock()
    b = breaker(clock)
    slow = b.admit()
    fail(b, 3)
    clock.now += 60
    b.record(slow, "success")
    assert b.state == "half_open"


def test_a_failure_outside_a_call_counts_only_while_closed() -> None:
    clock = FakeClock()
    b = breaker(clock)
    b.record_failure()
    assert b.snapshot().failures == 1
    fail(b, 2)
    clock.now += 60
    b.record_failure()
    assert b.state == "half_open"


def test_breakers_are_per_backend_and_operation() -> None:
    clock = FakeClock()
    breakers = CircuitBreakers(CONFIG, clock=clock)
    fail(breakers.get("gpu", "chat"), 3)
    succeed(breakers.get("gpu", "embed"))
    succeed(breakers.get("cloud", "chat"))
    states = [(s.backend, s.operation, s.state) for s in breakers.snapshots()]
    assert states == [
        ("cloud", "chat", "closed"),
        ("gpu", "chat", "open"),
        ("gpu", "embed", "closed"),
    ]


def test_disabled_breakers_never_open() -> None:
    breakers = CircuitBreakers(BreakerConfig(enabled=False), clock=FakeClock())
    b = breakers.get("gpu", "chat")
    fail(b, 50)
    assert b.snapshot().state == "closed"


# --- the wrapper, around an in-memory backend --------------------------------------


class ScriptedBackend:
    """Answers chat from a script: an exception to raise, or an answer."""

    name = "scripted"
    prefix = ""

    def __init__(self, *script: BackendError | JSON) -> None:
        self.script = list(script)
        self.calls = 0

    async def list_models(self) -> list[ModelInfo]:
        return []

    async def chat(self, req: ChatRequest) -> JSON:
        self.calls += 1
        step = self.script.pop(0)
        if isinstance(step, BackendError):
            raise step
        return step

    def stream_chat(self, req: ChatRequest) -> AsyncIterator[JSON]:
        raise NotImplementedError

    async def embed(self, req: EmbedRequest) -> JSON:
        raise NotImplementedError

    async def health(self) -> None:
        raise BackendUnavailable("down", backend=self.name)

    async def aclose(self) -> None:
        return None


REQ = ChatRequest("m", {"messages": []})


@pytest.mark.anyio
async def test_retry_after_is_waited_for_exactly() -> None:
    inner = ScriptedBackend(transient(429, retry_after=2.5), {"id": "ok"})
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    backend = with_resilience(inner, RetryPolicy(), CircuitBreakers(), sleep=sleep)
    assert await backend.chat(REQ) == {"id": "ok"}
    assert waits == [2.5]


@pytest.mark.anyio
async def test_a_long_retry_after_fails_at_once_for_dispatch_to_move_on() -> None:
    inner = ScriptedBackend(transient(429, retry_after=3600), {"id": "ok"})
    backend = with_resilience(inner, RetryPolicy(), CircuitBreakers(), sleep=_never)
    with pytest.raises(BackendError, match="boom"):
        await backend.chat(REQ)


@pytest.mark.anyio
async def test_retries_stop_when_the_breaker_opens() -> None:
    inner = ScriptedBackend(*[transient(500) for _ in range(4)])
    breakers = CircuitBreakers(BreakerConfig(failure_threshold=2), clock=FakeClock())
    backend = with_resilience(inner, RetryPolicy(max_retries=3), breakers, sleep=_instant)
    with pytest.raises(BackendError, match="boom") as caught:
        await backend.chat(REQ)
    assert not isinstance(caught.value, CircuitOpen)  # the upstream's error, not the breaker's
    assert inner.calls == 2  # the script's remaining answers were never asked for


@pytest.mark.anyio
async def test_health_is_guarded_but_not_retried() -> None:
    breakers = CircuitBreakers(BreakerConfig(failure_threshold=1), clock=FakeClock())
    backend = with_resilience(ScriptedBackend(), RetryPolicy(), breakers, sleep=_never)
    with pytest.raises(BackendUnavailable, match="down"):
        await backend.health()
    with pytest.raises(CircuitOpen, match="list is open"):
        await backend.list_models()


def test_only_a_managed_backend_stays_managed() -> None:
    plain = with_resilience(ScriptedBackend(), RetryPolicy(), CircuitBreakers())
    assert not isinstance(plain, ManagedBackend)
    assert (plain.name, plain.prefix) == ("scripted", "")


async def _instant(seconds: float) -> None:
    return None


async def _never(seconds: float) -> None:
    raise AssertionError(f"no retry expected, yet asked to wait {seconds}s")

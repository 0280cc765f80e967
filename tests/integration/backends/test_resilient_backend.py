"""Retries and circuit breakers around real backends and their loopback fakes.

What is asserted crosses a boundary: the requests each fake received, and the
answers or errors that come out of the wrapped backend. Sleeps and the breakers'
clock are fakes, so nothing here waits for a backoff.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncGenerator, AsyncIterator
from typing import Any, cast

import pytest
from backend_cases import KINDS, Case, backend_for

from fakes import FakeOllama, Fault
from smarterrouter.backends.base import ChatRequest, ManagedBackend
from smarterrouter.backends.resilience import (
    BreakerConfig,
    CircuitBreakers,
    CircuitOpen,
    RetryPolicy,
    with_resilience,
)
from smarterrouter.errors import BackendError, BackendTimeout, BackendUnavailable

pytestmark = pytest.mark.anyio

QUESTION = {"messages": [{"role": "user", "content": "Name three colors."}]}


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class Waits:
    """A sleep that returns at once and remembers how long it was asked to wait."""

    def __init__(self) -> None:
        self.seconds: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.seconds.append(seconds)


class Wrapped:
    """A case's backend wrapped, with the fakes that drive the wrapper."""

    def __init__(self, case: Case, policy: RetryPolicy, config: BreakerConfig) -> None:
        self.case = case
        self.clock = FakeClock()
        self.waits = Waits()
        self.breakers = CircuitBreakers(config, clock=self.clock)
        self.backend = with_resilience(
            case.backend, policy, self.breakers, sleep=self.waits, rand=lambda: 0.5
        )

    def chat_requests(self) -> int:
        return len(self.case.fake.received(self.case.chat_path))

    def request(self, **extra: Any) -> ChatRequest:
        return ChatRequest(self.case.chat_model, {**QUESTION, **extra})

    def fail_chat(self, **fault: Any) -> None:
        self.case.fake.inject(Fault(path=self.case.chat_path, **fault))


@pytest.fixture
def wrapped(case: Case) -> Wrapped:
    return Wrapped(case, RetryPolicy(), BreakerConfig())


@pytest.fixture
def unretried(case: Case) -> Wrapped:
    """Retries off, so each call is one request and the breaker counts calls."""
    return Wrapped(case, RetryPolicy(enabled=False), BreakerConfig())


async def collect(chunks: AsyncIterator[dict[str, Any]], into: list[dict[str, Any]]) -> None:
    """Read `chunks` into `into`, closing the stream however the reading ends."""
    generator = cast("AsyncGenerator[dict[str, Any], None]", chunks)
    async with contextlib.aclosing(generator) as stream:
        async for chunk in stream:
            into.append(chunk)


def content_of(chunks: list[dict[str, Any]]) -> str:
    return "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"])


# --- retries -----------------------------------------------------------------------


async def test_two_500s_then_an_answer(wrapped: Wrapped) -> None:
    wrapped.fail_chat(status=500, times=2)
    answer = await wrapped.backend.chat(wrapped.request())
    assert answer["choices"][0]["message"]["content"] == wrapped.case.fake.reply.content
    assert wrapped.chat_requests() == 3
    assert wrapped.waits.seconds == [0.25, 0.5]  # full jitter at rand()=0.5: 0.5 * 0.5, 0.5 * 1


async def test_a_400_is_not_retried(wrapped: Wrapped) -> None:
    wrapped.fail_chat(status=400, message="context too long")
    with pytest.raises(BackendError, match="context too long") as caught:
        await wrapped.backend.chat(wrapped.request())
    assert caught.value.upstream_status == 400
    assert wrapped.chat_requests() == 1
    assert wrapped.waits.seconds == []


async def test_a_persistent_503_gives_up_after_the_retries_with_the_upstreams_error(
    wrapped: Wrapped,
) -> None:
    wrapped.fail_chat(status=503, message="busy", times=None)
    with pytest.raises(BackendError, match="busy") as caught:
        await wrapped.backend.chat(wrapped.request())
    assert (caught.value.upstream_status, caught.value.retryable) == (503, True)
    assert wrapped.chat_requests() == 4  # the first attempt and 3 retries
    assert wrapped.waits.seconds == [0.25, 0.5, 1.0]


async def test_a_connection_closed_without_answer_is_retried(wrapped: Wrapped) -> None:
    wrapped.fail_chat(close=True)
    await wrapped.backend.chat(wrapped.request())
    assert wrapped.chat_requests() == 2


async def test_a_stream_refused_before_its_first_chunk_is_retried(wrapped: Wrapped) -> None:
    wrapped.fail_chat(status=500)
    got: list[dict[str, Any]] = []
    await collect(wrapped.backend.stream_chat(wrapped.request(stream=True)), got)
    assert content_of(got) == wrapped.case.fake.reply.content
    assert wrapped.chat_requests() == 2


async def test_a_stream_that_died_after_its_first_chunk_is_not_retried(wrapped: Wrapped) -> None:
    wrapped.fail_chat(die_after=1)
    got: list[dict[str, Any]] = []
    with pytest.raises(BackendError) as caught:
        await collect(wrapped.backend.stream_chat(wrapped.request(stream=True)), got)
    assert got  # the first chunk reached the caller before the error
    assert caught.value.retryable is True
    assert wrapped.chat_requests() == 1
    assert wrapped.waits.seconds == []


async def test_a_timeout_is_retried(case: Case) -> None:
    slow = backend_for(case.kind, case.fake.url, read_timeout=0.2)
    case.fake.inject(Fault(delay=1.0, path=case.chat_path))
    waits = Waits()
    backend = with_resilience(slow, RetryPolicy(), CircuitBreakers(), sleep=waits)
    try:
        await backend.chat(ChatRequest(case.chat_model, QUESTION))
    finally:
        await backend.aclose()
    assert len(case.fake.received(case.chat_path)) == 2
    assert len(waits.seconds) == 1


@pytest.mark.parametrize("kind", KINDS)
async def test_an_unreachable_backend_is_retried_then_unavailable(
    kind: str, closed_port_url: str
) -> None:
    waits = Waits()
    backend = with_resilience(
        backend_for(kind, closed_port_url), RetryPolicy(), CircuitBreakers(), sleep=waits
    )
    try:
        with pytest.raises(BackendUnavailable, match="cannot connect"):
            await backend.list_models()
    finally:
        await backend.aclose()
    assert len(waits.seconds) == 3


async def test_load_is_retried(fake_ollama: FakeOllama) -> None:
    fake_ollama.inject(Fault(status=500, path="/api/generate"))
    backend = with_resilience(
        backend_for("ollama", fake_ollama.url), RetryPolicy(), CircuitBreakers(), sleep=Waits()
    )
    assert isinstance(backend, ManagedBackend)
    try:
        await backend.load("llama3.2:3b")
        loaded = await backend.loaded()
    finally:
        await backend.aclose()
    assert [m.name for m in loaded] == ["llama3.2:3b"]
    assert len(fake_ollama.received("/api/generate")) == 2


# --- circuit breakers --------------------------------------------------------------


async def open_chat_breaker(w: Wrapped) -> None:
    w.fail_chat(status=500, times=5)
    for _ in range(5):
        with pytest.raises(BackendError, match="injected failure"):
            await w.backend.chat(w.request())


async def test_five_failures_open_the_breaker_and_the_next_call_fails_fast(
    unretried: Wrapped,
) -> None:
    await open_chat_breaker(unretried)
    with pytest.raises(CircuitOpen, match="circuit breaker for chat is open") as caught:
        await unretried.backend.chat(unretried.request())
    assert caught.value.retryable is True  # dispatch moves on to the next model
    assert unretried.chat_requests() == 5
    [snapshot] = unretried.breakers.snapshots()
    assert (snapshot.operation, snapshot.state, snapshot.failures) == ("chat", "open", 5)


async def test_an_open_chat_breaker_leaves_other_operations_alone(unretried: Wrapped) -> None:
    await open_chat_breaker(unretried)
    assert await unretried.backend.list_models()
    got: list[dict[str, Any]] = []
    await collect(unretried.backend.stream_chat(unretried.request(stream=True)), got)
    assert content_of(got) == unretried.case.fake.reply.content


async def test_after_the_reset_timeout_a_trial_call_closes_the_breaker(unretried: Wrapped) -> None:
    await open_chat_breaker(unretried)
    unretried.clock.now += 60.0
    [snapshot] = unretried.breakers.snapshots()
    assert snapshot.state == "half_open"
    await unretried.backend.chat(unretried.request())
    assert unretried.chat_requests() == 6
    [snapshot] = unretried.breakers.snapshots()
    assert (snapshot.state, snapshot.failures, snapshot.opened_at) == ("closed", 0, None)


async def test_a_failed_trial_reopens_the_breaker(unretried: Wrapped) -> None:
    await open_chat_breaker(unretried)
    unretried.clock.now += 60.0
    unretried.fail_chat(status=503, message="still down")
    with pytest.raises(BackendError, match="still down"):
        await unretried.backend.chat(unretried.request())
    with pytest.raises(CircuitOpen):
        await unretried.backend.chat(unretried.request())
    assert unretried.chat_requests() == 6
    [snapshot] = unretried.breakers.snapshots()
    assert (snapshot.state, snapshot.opened_at) == ("open", 60.0)


async def test_client_errors_never_open_the_breaker(unretried: Wrapped) -> None:
    unretried.fail_chat(status=400, times=10)
    for _ in range(10):
        with pytest.raises(BackendError):
            await unretried.backend.chat(unretried.request())
    await unretried.backend.chat(unretried.request())
    assert unretried.chat_requests() == 11


async def test_retries_count_against_the_breaker(case: Case) -> None:
    w = Wrapped(case, RetryPolicy(max_retries=3), BreakerConfig(failure_threshold=5))
    w.fail_chat(status=500, times=None)
    with pytest.raises(BackendError, match="injected failure"):
        await w.backend.chat(w.request())  # 4 attempts, 4 failures
    with pytest.raises(BackendError, match="injected failure"):
        await w.backend.chat(w.request())  # the 5th opens it: its retry is refused
    with pytest.raises(CircuitOpen):
        await w.backend.chat(w.request())
    assert w.chat_requests() == 5


async def test_a_disabled_breaker_never_fails_fast(case: Case) -> None:
    w = Wrapped(case, RetryPolicy(enabled=False), BreakerConfig(enabled=False))
    w.fail_chat(status=500, times=8)
    for _ in range(8):
        with pytest.raises(BackendError, match="injected failure"):
            await w.backend.chat(w.request())
    await w.backend.chat(w.request())
    assert w.chat_requests() == 9


async def test_timeouts_count_as_failures(case: Case) -> None:
    slow = backend_for(case.kind, case.fake.url, read_timeout=0.2)
    case.fake.inject(Fault(delay=1.0, path=case.chat_path))
    breakers = CircuitBreakers(BreakerConfig(failure_threshold=1), clock=FakeClock())
    backend = with_resilience(slow, RetryPolicy(enabled=False), breakers)
    try:
        with pytest.raises(BackendTimeout):
            await backend.chat(ChatRequest(case.chat_model, QUESTION))
        with pytest.raises(CircuitOpen):
            await backend.chat(ChatRequest(case.chat_model, QUESTION))
    finally:
        await backend.aclose()
    assert len(case.fake.received(case.chat_path)) == 1

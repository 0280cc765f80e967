"""Retries with backoff, and a circuit breaker per backend and operation.

`ResilientBackend` wraps any Backend (composition, like httpx's transports): each
call goes through the breaker for its (backend, operation), and a transient
failure (`BackendError.retryable`: timeouts, refused connections, 408, 429, 5xx)
is tried again after a delay, while anything else is raised at once.

    attempt ──> breaker admits? ── no ──> CircuitOpen (retryable: dispatch moves on)
                     │ yes
                   inner call ── transient failure ──> wait, try again (at most N times)

- Delay before retry k (0-based): uniform(0, min(max_delay, base_delay * 2**k))
  ("full jitter"), unless the upstream said `Retry-After`: then exactly that,
  or no retry at all when it asks for longer than `max_delay` (another model
  will answer sooner than this one).
- A stream is retried only until its first chunk: once a chunk was yielded,
  the caller may have sent it on, and a second answer cannot be spliced in.
- Breaker: closed -> open when `failure_threshold` of the last
  `sliding_window_size` calls failed transiently; open -> half-open after
  `reset_timeout`, letting `half_open_max_attempts` trial calls through; the
  first trial to succeed closes it, the first to fail re-opens it.

Sleep, randomness and the clock are injected, so tests run instantly.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Literal, TypeVar

from smarterrouter.backends.base import (
    JSON,
    Backend,
    ChatRequest,
    EmbedRequest,
    LoadedModel,
    ManagedBackend,
    ModelInfo,
)
from smarterrouter.errors import BackendError, BackendUnavailable

log = logging.getLogger(__name__)

T = TypeVar("T")
Operation = Literal["chat", "stream", "embed", "list", "load"]
BreakerState = Literal["closed", "open", "half_open"]
Outcome = Literal["success", "failure", "ignored"]
Sleep = Callable[[float], Awaitable[None]]
Clock = Callable[[], float]
Random = Callable[[], float]


# --- retries ---------------------------------------------------------------------


@dataclass(frozen=True)
class RetryPolicy:
    """How often, and after how long, a transient failure is tried again."""

    enabled: bool = True
    max_retries: int = 3  # attempts after the first one
    base_delay: float = 0.5
    max_delay: float = 8.0


def backoff_delay(policy: RetryPolicy, retry: int, rand: Random) -> float:
    """Full-jitter backoff before retry number `retry` (0-based); `rand()` in [0, 1)."""
    ceiling = min(policy.max_delay, policy.base_delay * 2.0**retry)
    return rand() * ceiling


def retry_delay(policy: RetryPolicy, retry: int, exc: BackendError, rand: Random) -> float | None:
    """Seconds to wait before retry number `retry` after `exc`, or None to give up."""
    if not policy.enabled or retry >= policy.max_retries:
        return None
    if not exc.retryable or isinstance(exc, CircuitOpen):
        return None
    hinted = retry_after_of(exc)
    if hinted is None:
        return backoff_delay(policy, retry, rand)
    return hinted if hinted <= policy.max_delay else None


def parse_retry_after(value: str, now: datetime) -> float | None:
    """A `Retry-After` header as seconds from `now`: delay-seconds or an HTTP date.

    A date in the past is 0; anything unreadable is None (no hint).
    """
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        return _seconds_until(text, now)
    # float() also reads "nan" and "inf", which no server means.
    return seconds if 0 <= seconds < float("inf") else None


def _seconds_until(http_date: str, now: datetime) -> float | None:
    try:
        when = parsedate_to_datetime(http_date)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:  # "-0000" dates: RFC 9110 dates are in GMT
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def retry_after_of(exc: BackendError) -> float | None:
    """The upstream's `Retry-After` hint carried by `exc`, in seconds, if any.

    Read defensively: the attribute is set by the HTTP edge (`error_for_status`)
    as seconds, and may be absent, or a raw header string, on other errors.
    """
    value = getattr(exc, "retry_after", None)
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value) if value >= 0 else None
    if isinstance(value, str):
        return parse_retry_after(value, datetime.now(UTC))
    return None


# --- circuit breakers ------------------------------------------------------------


@dataclass(frozen=True)
class BreakerConfig:
    enabled: bool = True
    failure_threshold: int = 5
    reset_timeout: float = 60.0
    half_open_max_attempts: int = 3
    sliding_window_size: int = 100


@dataclass(frozen=True)
class BreakerSnapshot:
    """One breaker as /health, /admin/backends and metrics show it.

    `opened_at` is a reading of the breakers' clock (monotonic by default).
    """

    backend: str
    operation: Operation
    state: BreakerState
    failures: int  # transient failures among the last `calls` calls
    calls: int
    opened_at: float | None


class CircuitOpen(BackendUnavailable):
    """A call refused without reaching the backend, because its breaker is open.

    Retryable, so dispatch tries the next candidate at once; never retried here.
    """

    code = "circuit_open"


class CircuitBreaker:
    """The breaker of one backend operation.

    A call asks `admit()` (which raises CircuitOpen) and reports with
    `record(ticket, outcome)`. The ticket is the breaker's epoch, which changes
    at every state change, so a slow call admitted before the breaker opened
    cannot re-close it, nor count twice.
    """

    def __init__(
        self, backend: str, operation: Operation, config: BreakerConfig, clock: Clock
    ) -> None:
        self.backend = backend
        self.operation = operation
        self._config = config
        self._clock = clock
        self._state: BreakerState = "closed"
        self._window: deque[bool] = deque(maxlen=config.sliding_window_size)  # True: failed
        self._opened_at: float | None = None
        self._trials = 0  # trial calls admitted in this half-open period
        self._epoch = 0

    @property
    def state(self) -> BreakerState:
        # Time alone turns open into half-open, so reading the state applies it.
        if self._state == "open" and self._reset_due():
            self._enter("half_open")
        return self._state

    def admit(self) -> int:
        """The ticket for one call, or CircuitOpen when the call may not go through."""
        state = self.state
        if state == "open" or (
            state == "half_open" and self._trials >= self._config.half_open_max_attempts
        ):
            raise self._refusal()
        if state == "half_open":
            self._trials += 1
        return self._epoch

    def record(self, ticket: int, outcome: Outcome) -> None:
        """Count how an admitted call ended; outcomes from a past epoch are dropped."""
        if ticket != self._epoch:
            return
        if self._state == "half_open":
            self._settle_trial(outcome)
        elif self._state == "closed" and outcome != "ignored":
            self._window.append(outcome == "failure")
            if sum(self._window) >= self._config.failure_threshold:
                self._enter("open")

    def record_failure(self) -> None:
        """A failure outside an admitted call (a stream that died after its first
        chunk): it counts while closed, and changes nothing otherwise."""
        if self.state == "closed":
            self.record(self._epoch, "failure")

    def snapshot(self) -> BreakerSnapshot:
        state = self.state
        return BreakerSnapshot(
            self.backend,
            self.operation,
            state,
            failures=sum(self._window),
            calls=len(self._window),
            opened_at=self._opened_at,
        )

    def _settle_trial(self, outcome: Outcome) -> None:
        if outcome == "success":
            self._enter("closed")
        elif outcome == "failure":
            self._enter("open")
        else:  # a cancelled trial proved nothing: give its place back
            self._trials -= 1

    def _enter(self, state: BreakerState) -> None:
        self._state = state
        self._epoch += 1
        self._trials = 0
        if state == "open":
            self._opened_at = self._clock()
            log.warning("circuit breaker for %s %s opened", self.backend, self.operation)
        elif state == "closed":
            self._opened_at = None
            self._window.clear()

    def _reset_due(self) -> bool:
        assert self._opened_at is not None
        return self._clock() - self._opened_at >= self._config.reset_timeout

    def _refusal(self) -> CircuitOpen:
        wait = ""
        if self._state == "open" and self._opened_at is not None:
            left = self._config.reset_timeout - (self._clock() - self._opened_at)
            wait = f"; next trial in {max(0.0, left):.0f}s"
        return CircuitOpen(
            f"backend '{self.backend}': circuit breaker for {self.operation} is open "
            f"after repeated failures{wait}",
            backend=self.backend,
        )


class _Disabled(CircuitBreaker):
    """Admits everything and counts nothing (`enabled=False`)."""

    @property
    def state(self) -> BreakerState:
        return "closed"

    def admit(self) -> int:
        return 0

    def record(self, ticket: int, outcome: Outcome) -> None:
        return None


class CircuitBreakers:
    """Every breaker, one per (backend, operation), made on first use."""

    def __init__(
        self, config: BreakerConfig | None = None, *, clock: Clock = time.monotonic
    ) -> None:
        self.config = config or BreakerConfig()
        self._clock = clock
        self._breakers: dict[tuple[str, Operation], CircuitBreaker] = {}

    def get(self, backend: str, operation: Operation) -> CircuitBreaker:
        key = (backend, operation)
        if key not in self._breakers:
            kind = CircuitBreaker if self.config.enabled else _Disabled
            self._breakers[key] = kind(backend, operation, self.config, self._clock)
        return self._breakers[key]

    def snapshots(self) -> tuple[BreakerSnapshot, ...]:
        """Every breaker used so far, ordered by backend then operation."""
        return tuple(self._breakers[key].snapshot() for key in sorted(self._breakers))


# --- the wrapper -----------------------------------------------------------------


def outcome_of(exc: BackendError) -> Outcome:
    """Only transient failures count against a backend: a client's 400 means the
    backend is up and answering."""
    return "failure" if exc.retryable else "success"


class ResilientBackend:
    """A Backend whose calls are retried and guarded by circuit breakers.

    `list_models` and `health` share the "list" breaker; `health` is not retried,
    since a probe must say how the backend is now. Every error raised is the
    inner backend's own BackendError (the last one, after retries), or CircuitOpen
    when the breaker refused the first attempt.
    """

    def __init__(
        self,
        inner: Backend,
        policy: RetryPolicy,
        breakers: CircuitBreakers,
        *,
        sleep: Sleep = asyncio.sleep,
        rand: Random = random.random,
    ) -> None:
        self.inner = inner
        self.name = inner.name
        self.prefix = inner.prefix
        self._policy = policy
        self._breakers = breakers
        self._sleep = sleep
        self._rand = rand

    async def list_models(self) -> list[ModelInfo]:
        return await self._retried("list", self.inner.list_models)

    async def chat(self, req: ChatRequest) -> JSON:
        return await self._retried("chat", lambda: self.inner.chat(req))

    async def stream_chat(self, req: ChatRequest) -> AsyncIterator[JSON]:
        """The inner stream, retried until its first chunk and never after."""
        opened = await self._retried("stream", lambda: _first_chunk(self.inner.stream_chat(req)))
        if opened is None:
            return
        stream, first = opened
        try:
            yield first
            async for chunk in stream:
                yield chunk
        except BackendError as exc:
            if exc.retryable:
                self._breakers.get(self.name, "stream").record_failure()
            raise
        finally:
            await _close(stream)

    async def embed(self, req: EmbedRequest) -> JSON:
        return await self._retried("embed", lambda: self.inner.embed(req))

    async def health(self) -> None:
        await _guarded(self._breakers.get(self.name, "list"), self.inner.health)

    async def aclose(self) -> None:
        await self.inner.aclose()

    async def _retried(self, operation: Operation, call: Callable[[], Awaitable[T]]) -> T:
        breaker = self._breakers.get(self.name, operation)
        retry = 0
        last: BackendError | None = None
        while True:
            try:
                return await _guarded(breaker, call)
            except CircuitOpen:
                # Refused on a retry (the earlier failures opened it): the
                # upstream's own error says more to the client than the breaker.
                if last is None:
                    raise
                raise last from None
            except BackendError as exc:
                delay = retry_delay(self._policy, retry, exc, self._rand)
                if delay is None:
                    raise
                last = exc
                log.info(
                    "retrying %s on %s in %.2fs (%d/%d): %s",
                    operation,
                    self.name,
                    delay,
                    retry + 1,
                    self._policy.max_retries,
                    exc.message,
                )
                await self._sleep(delay)
                retry += 1


class ResilientManagedBackend(ResilientBackend):
    """The wrapper of a ManagedBackend: `load` is retried and guarded too;
    `loaded` and `unload` go straight through."""

    inner: ManagedBackend

    def __init__(
        self,
        inner: ManagedBackend,
        policy: RetryPolicy,
        breakers: CircuitBreakers,
        *,
        sleep: Sleep = asyncio.sleep,
        rand: Random = random.random,
    ) -> None:
        super().__init__(inner, policy, breakers, sleep=sleep, rand=rand)
        self.inner = inner

    async def loaded(self) -> list[LoadedModel]:
        return await self.inner.loaded()

    async def load(self, model: str) -> None:
        await self._retried("load", lambda: self.inner.load(model))

    async def unload(self, model: str) -> None:
        await self.inner.unload(model)


def with_resilience(
    inner: Backend,
    policy: RetryPolicy,
    breakers: CircuitBreakers,
    *,
    sleep: Sleep = asyncio.sleep,
    rand: Random = random.random,
) -> ResilientBackend:
    """`inner` wrapped, still a ManagedBackend when it was one (and only then, so
    `isinstance(b, ManagedBackend)` keeps telling the truth)."""
    if isinstance(inner, ManagedBackend):
        return ResilientManagedBackend(inner, policy, breakers, sleep=sleep, rand=rand)
    return ResilientBackend(inner, policy, breakers, sleep=sleep, rand=rand)


async def _guarded(breaker: CircuitBreaker, call: Callable[[], Awaitable[T]]) -> T:
    """One attempt through `breaker`, its outcome recorded however it ends."""
    ticket = breaker.admit()
    try:
        result = await call()
    except BackendError as exc:
        breaker.record(ticket, outcome_of(exc))
        raise
    except BaseException:  # cancelled, or a bug: says nothing about the backend
        breaker.record(ticket, "ignored")
        raise
    breaker.record(ticket, "success")
    return result


async def _first_chunk(
    stream: AsyncIterator[JSON],
) -> tuple[AsyncIterator[JSON], JSON] | None:
    """Open `stream` up to its first chunk; None when it ends without one."""
    try:
        first = await anext(stream)
    except StopAsyncIteration:
        return None
    except BaseException:
        await _close(stream)
        raise
    return stream, first


async def _close(stream: AsyncIterator[JSON]) -> None:
    aclose = getattr(stream, "aclose", None)
    if aclose is not None:
        await aclose()

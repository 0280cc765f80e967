"""OutageWatch: how often a lost dependency is logged and skipped, on a clock the test moves."""

from __future__ import annotations

import logging

import pytest

from smarterrouter.observability.outage import OutageWatch, url_without_credentials


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def watch(clock: Clock) -> OutageWatch:
    log = logging.getLogger("test.outage")
    return OutageWatch(
        "cache in redis://h:6379/0", log, cooldown=1.0, report_every=60.0, clock=clock
    )


def lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "test.outage"]


def test_many_failures_make_one_line_a_minute_with_their_count(
    watch: OutageWatch, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    for _ in range(5):
        watch.failed(ConnectionError("Error 111 connecting to h:6379"))
        clock.now += 10
    clock.now += 10
    watch.failed(ConnectionError())  # 60 s after the first line

    assert lines(caplog) == [
        "cache in redis://h:6379/0 unreachable (ConnectionError); going on without it "
        "(1 failures since the last report)",
        "cache in redis://h:6379/0 unreachable (ConnectionError); going on without it "
        "(5 failures since the last report)",
    ]
    assert watch.failures == 6


def test_callers_skip_the_dependency_for_the_cooldown(watch: OutageWatch, clock: Clock) -> None:
    assert not watch.cooling_down
    watch.failed(TimeoutError())
    assert watch.cooling_down
    clock.now += 0.9
    assert watch.cooling_down
    clock.now += 0.2
    assert not watch.cooling_down


def test_coming_back_is_said_once_and_the_next_outage_is_logged_at_once(
    watch: OutageWatch, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    watch.failed(ConnectionError())
    clock.now += 2
    watch.succeeded()
    watch.succeeded()
    clock.now += 2
    watch.failed(ConnectionError())

    assert [line.split(" (")[0] for line in lines(caplog)] == [
        "cache in redis://h:6379/0 unreachable",
        "cache in redis://h:6379/0 reachable again",
        "cache in redis://h:6379/0 unreachable",
    ]


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("redis://:s3cret@cache.lan:6379/0", "redis://cache.lan:6379/0"),
        ("rediss://user:s3cret@cache.lan/2", "rediss://cache.lan/2"),
        ("redis://[::1]:6380", "redis://[::1]:6380"),
        ("redis://localhost", "redis://localhost"),
    ],
)
def test_a_url_is_shown_without_its_credentials(url: str, shown: str) -> None:
    assert url_without_credentials(url) == shown

"""The judge: its rubric on the wire, verdicts parsed, errors retried, no made-up score."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

import httpx
import pytest

from fakes import Fault
from fakes.fake_judge import FakeJudge
from smarterrouter.profiling.grading import grade
from smarterrouter.profiling.judge import Judge, JudgeFailed, http_ask, parse_verdict
from smarterrouter.profiling.prompts import PromptItem

ITEM = PromptItem(
    "creativity/moon",
    "creativity",
    ({"role": "user", "content": "Describe the moon in one sentence."},),
    96,
    {"kind": "open", "words": [6, 40], "reference": "The moon is a silver coin."},
)
ANSWER = "The moon is a pale lantern that the night carries over the sleeping hills."


@pytest.mark.parametrize(
    ("reply", "rating"),
    [
        ("Vivid and apt. Rating: [[8]]", 8.0),
        ("Good.\n[[7.5]]", 7.5),
        ("Clear metaphor. Rating: 8/10", 8.0),
        ("I would give this 6 out of 10.", 6.0),
        ("**Score:** 9", 9.0),
        ("Nice imagery, fits one sentence.\n\n7", 7.0),
        ("It rates [[0]] on my scale", None),
        ("Rating: [[11]]", None),
        ("A fine answer overall.", None),
    ],
)
def test_verdicts_are_parsed_from_common_formats(reply: str, rating: float | None) -> None:
    assert parse_verdict(reply) == rating


@asynccontextmanager
async def judging(replies: Sequence[str]) -> AsyncIterator[tuple[FakeJudge, Judge]]:
    with FakeJudge(replies) as fake:
        async with httpx.AsyncClient(base_url=fake.base_url + "/") as client:
            yield fake, Judge(http_ask(client, "judge-model"), retries=2, backoff_s=0)


@pytest.mark.anyio
async def test_the_rubric_with_the_reference_reaches_the_judge() -> None:
    async with judging(["Apt and vivid. Rating: [[8]]"]) as (fake, judge):
        result = await judge.rate(ITEM, ANSWER)
    assert (result.score, result.method, result.detail) == (0.8, "judge", "judge rated 8/10")
    body = fake.received("/v1/chat/completions")[0].json
    prompt = body["messages"][-1]["content"]
    assert body["model"] == "judge-model" and body["temperature"] == 0
    assert "Describe the moon in one sentence." in prompt
    assert ANSWER in prompt
    assert "[Reference answer]\nThe moon is a silver coin." in prompt
    assert "[[N]]" in prompt


@pytest.mark.anyio
async def test_an_unreadable_verdict_is_asked_again() -> None:
    async with judging(["It is quite nice.", "Rating: 6/10"]) as (fake, judge):
        result = await judge.rate(ITEM, ANSWER)
    assert result.detail == "judge rated 6/10"
    assert len(fake.received("/v1/chat/completions")) == 2


@pytest.mark.anyio
async def test_server_errors_and_garbage_are_retried() -> None:
    async with judging(["[[9]]"]) as (fake, judge):
        fake.inject(Fault(status=500, path="/v1/chat/completions"))
        fake.inject(Fault(garbage=b"<html>oops</html>", path="/v1/chat/completions"))
        result = await judge.rate(ITEM, ANSWER)
    assert result.score == 0.9
    assert len(fake.received("/v1/chat/completions")) == 3


@pytest.mark.anyio
async def test_no_verdict_after_every_try_raises_instead_of_scoring() -> None:
    async with judging(["I cannot decide."]) as (fake, judge):
        with pytest.raises(JudgeFailed, match="after 3 tries"):
            await judge.rate(ITEM, ANSWER)
    assert len(fake.received("/v1/chat/completions")) == 3


@pytest.mark.anyio
async def test_an_open_answer_falls_back_to_heuristics_when_the_judge_fails() -> None:
    async with judging(["Hmm."]) as (_, judge):
        result = await grade(ITEM, ANSWER, judge)
    assert result.method == "heuristic"
    assert result.detail.startswith("judge gave no verdict after 3 tries")
    assert result.detail.endswith(
        "heuristics: no problem found (empty, refusal, repetition, language, length)"
    )


@pytest.mark.anyio
async def test_an_empty_answer_is_not_sent_to_the_judge() -> None:
    async with judging(["[[10]]"]) as (fake, judge):
        result = await grade(ITEM, "", judge)
    assert (result.score, result.method) == (0.0, "heuristic")
    assert fake.received("/v1/chat/completions") == []


@pytest.mark.anyio
async def test_a_refused_key_is_an_error_without_the_body() -> None:
    with FakeJudge(["[[9]]"]) as fake:
        fake.api_key = "sk-judge-secret"
        async with httpx.AsyncClient(base_url=fake.base_url + "/") as client:
            judge = Judge(http_ask(client, "judge-model"), retries=0, backoff_s=0)
            with pytest.raises(JudgeFailed, match=r"HTTP 401\)$"):
                await judge.rate(ITEM, ANSWER)

"""Users rate answers; ratings are stored, move the scores, and survive a restart.
/admin/stats counts what the router did."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from fakes import FakeOllama
from smarterrouter.settings import BackendConfig, Settings
from support.router import RouterServer

POEM = {"messages": [{"role": "user", "content": "Write a short poem about rain"}]}


@pytest.fixture
def settings(ollama: FakeOllama, make_settings: Callable[..., Settings]) -> Settings:
    return make_settings([BackendConfig(name="gpu", provider="ollama", url=ollama.url)])


@pytest.fixture
def server(settings: Settings) -> Iterator[RouterServer]:
    with RouterServer(settings) as s:
        yield s


def ask(server: RouterServer, body: dict[str, object]) -> httpx.Response:
    resp = httpx.post(f"{server.openai_url}/chat/completions", json=body)
    assert resp.status_code == 200, resp.text
    return resp


def rate(server: RouterServer, **body: object) -> httpx.Response:
    return httpx.post(f"{server.openai_url}/feedback", json=body)


def test_rating_an_answer_by_its_id_is_stored_with_its_model_and_category(
    server: RouterServer, tmp_path: Path
) -> None:
    answer = ask(server, POEM)
    model, response_id = answer.headers["x-smarterrouter-model"], answer.json()["id"]
    resp = rate(server, response_id=response_id, score=1.0, comment="lovely")
    assert resp.status_code == 200
    assert resp.json() == {
        "object": "feedback", "model": model, "category": "creativity", "score": 1.0,
        "votes": 1, "estimate": pytest.approx(1 / 6, abs=1e-4),
    }  # fmt: skip
    with sqlite3.connect(tmp_path / "router.db") as db:
        rows = db.execute("SELECT response_id, model, category, score, comment FROM feedback")
        assert rows.fetchall() == [(response_id, model, "creativity", 1.0, "lovely")]


def test_a_streamed_answer_can_be_rated_too(server: RouterServer) -> None:
    with httpx.stream(
        "POST", f"{server.openai_url}/chat/completions", json={**POEM, "stream": True}
    ) as resp:
        first = next(line for line in resp.iter_lines() if line.startswith("data: {"))
    response_id = httpx.Response(200, content=first[6:]).json()["id"]
    assert rate(server, response_id=response_id, score=-0.5).status_code == 200


def test_an_unknown_response_id_is_a_404(server: RouterServer) -> None:
    resp = rate(server, response_id="chatcmpl-never-given", score=1)
    assert resp.status_code == 404
    assert resp.json()["error"]["code"] == "response_not_found"


@pytest.mark.parametrize(
    "body",
    [
        {"response_id": "x", "score": 2},
        {"response_id": "x"},
        {"score": 1},
        {"model": "llama3.2:3b", "score": 1},
        {"model": "llama3.2:3b", "category": "poetry", "score": 1},
        {"response_id": "x", "model": "llama3.2:3b", "category": "general", "score": 1},
    ],
)
def test_bad_feedback_is_a_400(server: RouterServer, body: dict[str, object]) -> None:
    resp = rate(server, **body)
    assert resp.status_code == 400
    assert resp.json()["error"]["type"] == "invalid_request_error"


def test_feedback_moves_the_score_smoothly_and_is_in_explain(server: RouterServer) -> None:
    def feedback_factor() -> float:
        report = httpx.get(f"{server.url}/admin/explain", params={"prompt": "Write a poem"})
        [llava] = [c for c in report.json()["candidates"] if c["model"] == "llava:7b"]
        return float(llava["factors"]["feedback"])

    assert feedback_factor() == 0.0
    rate(server, model="llava:7b", category="creativity", score=-1)
    once = feedback_factor()
    for _ in range(19):
        rate(server, model="llava:7b", category="creativity", score=-1)
    many = feedback_factor()
    assert -0.05 < once < 0  # one vote cannot swing a model
    assert many < 4 * once  # a long record does
    other = httpx.get(f"{server.url}/admin/explain", params={"prompt": "fix this python bug"})
    [llava] = [c for c in other.json()["candidates"] if c["model"] == "llava:7b"]
    assert llava["factors"]["feedback"] == 0.0  # another category is untouched


def test_feedback_survives_a_restart(settings: Settings) -> None:
    question = {"prompt": "Tell me about the history of the Roman empire"}
    with RouterServer(settings) as first:
        explained = httpx.get(f"{first.url}/admin/explain", params=question).json()
        category = explained["signals"]["category"]
        for _ in range(5):
            rate(first, model="llava:7b", category=category, score=1)
    with RouterServer(settings) as second:
        report = httpx.get(f"{second.url}/admin/explain", params=question)
    [llava] = [c for c in report.json()["candidates"] if c["model"] == "llava:7b"]
    assert llava["factors"]["feedback"] == pytest.approx(0.2 * 5 / 10)


def test_stats_count_requests_by_category_model_and_outcome(server: RouterServer) -> None:
    ask(server, POEM)
    ask(server, POEM)
    ask(server, {**POEM, "model": "llava:7b"})
    stats = httpx.get(f"{server.url}/admin/stats", params={"window": 600}).json()
    assert stats["requests"] == 3
    assert stats["by_category"] == {"creativity": 3}
    assert stats["errors"] == 0 and stats["with_fallbacks"] == 0
    assert sum(m["requests"] for m in stats["by_model"].values()) == 3
    assert stats["by_model"]["llava:7b"]["requests"] >= 1
    assert stats["cache"] == {"hit": 0, "miss": 3}

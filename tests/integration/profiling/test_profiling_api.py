"""Profiling through the admin API, on fake Ollama servers that answer the bundled
prompts well (the reference solutions and answers) or badly (a refusal)."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import openai
import pytest

from fakes import FakeOllama, FakeOllamaModel, FakeOpenAI, Fault, RecordedRequest, Reply
from fakes.server import Response
from smarterrouter.profiling.prompts import load_prompt_set
from smarterrouter.settings import BackendConfig, Settings
from support.keys import JUDGE_KEY
from support.router import RouterServer

QWEN = FakeOllamaModel(
    "qwen2.5-coder:1.5b", "qwen2", "1.5B", 1_543_714_304, "Q4_K_M",
    ("completion", "tools"), 32768, 986_061_056, "6d3abb8d2d53" + "0" * 52,
)  # fmt: skip
PROMPTS = load_prompt_set()


def good_answer(prompt: str) -> str:
    """What a model that knows the answers says: the reference code, the right number."""
    item = next((i for i in PROMPTS.items if i.messages[-1]["content"] == prompt), None)
    check = dict(item.check) if item else {}
    if check.get("kind") == "python_tests":
        return f"```python\n{check['reference']}\n```"
    if "answer" in check:
        return f"The answer is {check['answer']}."
    return "Here is my answer, written with care for the request."


class ScriptedOllama(FakeOllama):
    """A FakeOllama whose reply depends on the prompt."""

    def __init__(self, answer: Callable[[str], str]) -> None:
        super().__init__(models=(QWEN,))
        self._answer = answer

    def _chat(self, request: RecordedRequest) -> Response:
        messages = (request.json or {}).get("messages") or [{}]
        content = self._answer(str(messages[-1].get("content", "")))
        self.reply = Reply(content=content, prompt_tokens=40, completion_tokens=30)
        return super()._chat(request)


@pytest.fixture
def good() -> Iterator[ScriptedOllama]:
    with ScriptedOllama(good_answer) as fake:
        yield fake


@pytest.fixture
def bad() -> Iterator[ScriptedOllama]:
    with ScriptedOllama(lambda _: "I'm sorry, I cannot help with that.") as fake:
        yield fake


@pytest.fixture
def settings(
    good: ScriptedOllama, bad: ScriptedOllama, make_settings: Callable[..., Settings]
) -> Settings:
    return make_settings(
        [
            BackendConfig(name="box1", provider="ollama", url=good.url, model_prefix="good/"),
            BackendConfig(name="box2", provider="ollama", url=bad.url, model_prefix="bad/"),
        ],
        profile_prompts_per_category=2,
        backend_circuit_breaker_enabled=False,
    )


@pytest.fixture
def admin(settings: Settings) -> Iterator[httpx.Client]:
    with RouterServer(settings) as server, httpx.Client(base_url=server.url, timeout=30) as c:
        yield c


def finished(admin: httpx.Client, job_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 120  # a bound for a hung job, not a speed check
    while time.monotonic() < deadline:
        job = admin.get(f"/admin/jobs/{job_id}").json()
        if job["state"] != "running":
            return dict(job)
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} still running: {job}")


def profiles(admin: httpx.Client) -> dict[str, dict[str, Any]]:
    return {p["model"]: p for p in admin.get("/admin/profiles").json()["profiles"]}


def test_a_good_model_outscores_a_bad_one_and_every_number_says_where_it_came_from(
    admin: httpx.Client, good: ScriptedOllama
) -> None:
    started = admin.post("/admin/reprofile")
    assert started.status_code == 202
    job = finished(admin, started.json()["job_id"])
    assert job["state"] == "done"
    assert {(m["model"], m["state"], m["done"], m["total"]) for m in job["models"]} == {
        ("bad/qwen2.5-coder:1.5b", "ok", 8, 8),
        ("good/qwen2.5-coder:1.5b", "ok", 8, 8),
    }
    found = profiles(admin)
    good_p, bad_p = found["good/qwen2.5-coder:1.5b"], found["bad/qwen2.5-coder:1.5b"]
    for category in ("coding", "reasoning"):
        assert good_p["categories"][category]["score"] == 1.0
        assert bad_p["categories"][category]["score"] == 0.0
        assert good_p["categories"][category]["method"] == "checks"
    assert good_p["categories"]["coding"]["passed"] == good_p["categories"]["coding"]["total"] > 0
    assert good_p["prompt_set_version"] == PROMPTS.version
    # Ollama's own counters: 30 tokens in 4.799921 s, 40 prompt tokens in 0.383809 s.
    assert good_p["speed"]["source"] == "backend"
    assert good_p["speed"]["generation_tokens_per_s"] == pytest.approx(30 / 4.799921, abs=0.01)
    assert good_p["speed"]["prompt_tokens_per_s"] == pytest.approx(40 / 0.383809, abs=0.01)
    assert good_p["memory"]["backend_bytes"] == QWEN.size
    assert good_p["memory"]["backend_source"] == "ollama: size_vram"
    # The prompts went to the backend directly, streamed, deterministic, bounded.
    sent = [r.json for r in good.received("/api/chat")]
    assert len(sent) == 8
    assert all(b["stream"] and b["options"]["temperature"] == 0 for b in sent)
    assert all(b["options"]["num_predict"] <= 1024 for b in sent)


def test_a_current_profile_is_kept_unless_forced(admin: httpx.Client) -> None:
    first = admin.post("/admin/reprofile", params={"models": "good/qwen2.5-coder:1.5b"})
    finished(admin, first.json()["job_id"])
    again = finished(admin, admin.post("/admin/reprofile").json()["job_id"])
    states = {m["model"]: (m["state"], m["reason"]) for m in again["models"]}
    assert states["good/qwen2.5-coder:1.5b"] == ("skipped", "profile is current")
    assert states["bad/qwen2.5-coder:1.5b"][0] == "ok"
    forced = admin.post(
        "/admin/reprofile", params={"models": "good/qwen2.5-coder:1.5b", "force": "true"}
    )
    assert [m["state"] for m in finished(admin, forced.json()["job_id"])["models"]] == ["ok"]


def test_a_failing_model_is_recorded_as_failed_and_the_others_still_profiled(
    admin: httpx.Client, bad: ScriptedOllama
) -> None:
    bad.inject(Fault(status=500, message="CUDA error: out of memory", path="/api/chat", times=None))
    job = finished(admin, admin.post("/admin/reprofile").json()["job_id"])
    states = {m["model"]: m for m in job["models"]}
    assert states["bad/qwen2.5-coder:1.5b"]["state"] == "failed"
    assert "out of memory" in states["bad/qwen2.5-coder:1.5b"]["reason"]
    assert states["good/qwen2.5-coder:1.5b"]["state"] == "ok"
    failed = profiles(admin)["bad/qwen2.5-coder:1.5b"]
    assert failed["status"] == "failed"
    assert failed["categories"] == {} and failed["speed"] is None  # no made-up scores


def test_a_job_can_be_cancelled(admin: httpx.Client, good: ScriptedOllama) -> None:
    good.inject(Fault(delay=0.5, path="/api/chat", times=None))
    job_id = admin.post("/admin/reprofile").json()["job_id"]
    cancelled = admin.delete(f"/admin/jobs/{job_id}")
    assert cancelled.status_code == 200
    assert cancelled.json()["state"] == "cancelled"
    assert admin.get(f"/admin/jobs/{job_id}").json()["state"] == "cancelled"
    assert "good/qwen2.5-coder:1.5b" not in profiles(admin)  # nothing half-written


def test_bad_requests_get_clear_errors(admin: httpx.Client) -> None:
    unknown = admin.post("/admin/reprofile", params={"models": "no-such-model"})
    assert unknown.status_code == 404
    assert unknown.json()["error"]["code"] == "model_not_found"
    missing = admin.get("/admin/jobs/0123abcd")
    assert missing.status_code == 404
    assert "0123abcd" in missing.json()["error"]["message"]
    assert admin.post("/admin/jobs/0123abcd/cancel").status_code == 404


def test_chat_still_works_while_a_job_runs(settings: Settings, good: ScriptedOllama) -> None:
    good.inject(Fault(delay=0.2, path="/api/chat", times=3))
    with RouterServer(settings) as server, httpx.Client(base_url=server.url) as admin:
        admin.post("/admin/reprofile")
        with openai.OpenAI(base_url=server.openai_url, api_key="x", max_retries=0) as client:
            answer = client.chat.completions.create(
                model="good/qwen2.5-coder:1.5b",
                messages=[{"role": "user", "content": "What is the capital of Australia?"}],
            )
    assert answer.choices[0].message.content


def test_discovery_profiles_new_and_changed_models_and_keeps_removed_ones(
    good: ScriptedOllama, make_settings: Callable[..., Settings]
) -> None:
    settings = make_settings(
        [BackendConfig(name="box1", provider="ollama", url=good.url)],
        profile_prompts_per_category=1,
        polling_interval=0.2,
        profile_on_discovery=True,
    )
    name = "qwen2.5-coder:1.5b"

    def wait_for(admin: httpx.Client, check: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
        deadline = time.monotonic() + 60  # a bound, not a speed check
        while time.monotonic() < deadline:
            found = profiles(admin).get(name)
            if found is not None and check(found):
                return found
            time.sleep(0.1)
        raise AssertionError(f"never seen: {profiles(admin)}")

    with RouterServer(settings) as server, httpx.Client(base_url=server.url) as admin:
        first = wait_for(admin, lambda p: p["status"] == "ok")
        assert first["identity"] == f"digest:{QWEN.digest}"
        changed = dataclasses.replace(QWEN, digest="f" * 64)
        good.models[name] = changed  # the same name, new weights
        second = wait_for(admin, lambda p: p["identity"] == "digest:" + "f" * 64)
        assert second["status"] == "ok" and second["served"] is True
        chats = len(good.received("/api/chat"))
        del good.models[name]
        removed = wait_for(admin, lambda p: p["served"] is False)
        assert removed["identity"] == second["identity"]  # its history stays
        time.sleep(0.5)  # a few more polls: nothing new is profiled
        assert len(good.received("/api/chat")) == chats


def test_a_configured_judge_grades_open_answers_and_its_key_stays_secret(
    good: ScriptedOllama, make_settings: Callable[..., Settings]
) -> None:
    with FakeOpenAI(
        models=("judge-model",), api_key=JUDGE_KEY, reply=Reply("Rating: [[9]]")
    ) as judge:
        settings = make_settings(
            [BackendConfig(name="box1", provider="ollama", url=good.url)],
            profile_prompts_per_category=4,  # the fourth creativity prompt is an open one
            judge_enabled=True,
            judge_model="judge-model",
            judge_base_url=judge.base_url,
            judge_api_key=JUDGE_KEY,
        )
        with RouterServer(settings) as server, httpx.Client(base_url=server.url) as admin:
            job = finished(admin, admin.post("/admin/reprofile").json()["job_id"])
            assert [m["state"] for m in job["models"]] == ["ok"]
            [profile] = profiles(admin).values()
        asked = judge.received("/v1/chat/completions")
    judged = [i for i in profile["items"] if i["method"] == "judge"]
    assert [i["id"] for i in judged] == ["creativity/bakery_slogan"]
    assert judged[0]["score"] > 0.8
    assert profile["categories"]["creativity"]["method"] == "mixed"
    assert len(asked) == 1
    assert asked[0].headers["authorization"] == f"Bearer {JUDGE_KEY}"


SIZED = tuple(
    dataclasses.replace(QWEN, name=name, parameter_size=f"{size}B",
                        parameter_count=int(size * 1e9), digest=name[:1] * 64)
    for name, size in (("small:1b", 1.0), ("mid:3b", 3.0), ("large:8b", 8.0))
)  # fmt: skip


class PerModelOllama(ScriptedOllama):
    """Three models of different sizes; only the smallest knows the answers."""

    def __init__(self) -> None:
        FakeOllama.__init__(self, models=SIZED)

    def _chat(self, request: RecordedRequest) -> Response:
        body = request.json or {}
        prompt = str((body.get("messages") or [{}])[-1].get("content", ""))
        knows = body.get("model") == "small:1b"
        content = good_answer(prompt) if knows else "I'm sorry, I cannot help with that."
        self.reply = Reply(content=content, prompt_tokens=40, completion_tokens=30)
        return FakeOllama._chat(self, request)


HARD_CODING = (
    "Implement a thread-safe LRU cache in Python with a generic type, O(1) get and put, "
    "time-based expiry and unit tests, then explain the complexity of every operation."
)


def test_routing_takes_measured_profiles_as_its_quality_prior(
    make_settings: Callable[..., Settings],
) -> None:
    with PerModelOllama() as fake:
        settings = make_settings(
            [BackendConfig(name="box", provider="ollama", url=fake.url)],
            profile_prompts_per_category=1,
        )
        with RouterServer(settings) as server, httpx.Client(base_url=server.url) as admin:
            ask = {"prompt": HARD_CODING, "model": "smarterrouter/best"}
            before = admin.get("/admin/explain", params=ask)
            finished(admin, admin.post("/admin/reprofile").json()["job_id"])
            after = admin.get("/admin/explain", params=ask)
    sources = {c["model"]: c["quality_source"] for c in after.json()["candidates"]}
    assert sources["small:1b"].startswith("profile: coding 1.00 on this machine's prompts")
    assert sources["large:8b"].startswith("profile: coding 0.00 on this machine's prompts")
    assert {c["quality_source"] for c in before.json()["candidates"]} == {"size"}

    def quality(answer: httpx.Response) -> dict[str, float]:
        return {c["model"]: c["factors"]["quality"] for c in answer.json()["candidates"]}

    # The 8B model refused every prompt: routing no longer takes its size on trust.
    assert quality(after)["large:8b"] < quality(before)["large:8b"]
    assert quality(after)["small:1b"] > quality(after)["large:8b"]

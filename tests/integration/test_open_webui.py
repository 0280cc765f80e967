"""Open WebUI's real traffic, replayed through the router in front of an Ollama box.

`tests/recordings/open-webui/requests_sample.jsonl` holds every request Open WebUI
sent to an OpenAI-compatible upstream, with the status it got. Each one must get
the same status from the router; streams must end with `[DONE]`; the background
"### Task:" requests (titles, tags, follow-ups) must go to the smallest model.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from fakes import FakeOllama, FakeOllamaModel, RecordedRequest
from fakes.fake_ollama import DEFAULT_MODELS
from smarterrouter.settings import BackendConfig, Settings
from support.keys import OPEN_WEBUI_KEY
from support.router import RouterServer

ROUTER_MODEL = "smarterrouter/main"
RECORDING = Path(__file__).parents[1] / "recordings" / "open-webui" / "requests_sample.jsonl"
RECORDS: list[dict[str, Any]] = [json.loads(line) for line in RECORDING.read_text().splitlines()]
SMALLEST = FakeOllamaModel(
    "qwen2.5:0.5b", "qwen2", "494.03M", 494_032_768, "Q4_K_M",
    ("completion",), 32768, 397_821_319, "a8b0c5157701" + "0" * 52,
)  # fmt: skip
TOOL_MODELS = {m.name for m in DEFAULT_MODELS if "tools" in m.capabilities}
# What a client sends that only the router may see, never an upstream.
CLIENT_KEY = OPEN_WEBUI_KEY


def _id(record: dict[str, Any]) -> str:
    index = RECORDS.index(record)
    return f"{index:02d}-{record['method']}-{record['scenario'].split(' (')[0]}"


def _is_task(body: Any) -> bool:
    if not isinstance(body, dict) or not body.get("messages"):
        return False
    return str(body["messages"][-1].get("content", "")).startswith("### Task:")


@pytest.fixture(scope="module")
def ollama() -> Iterator[FakeOllama]:
    with FakeOllama(models=(SMALLEST, *DEFAULT_MODELS)) as fake:
        yield fake


@pytest.fixture(scope="module")
def router(ollama: FakeOllama, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RouterServer]:
    # One router for the whole replay, as Open WebUI talks to one; the suite's
    # per-test clean environment is not in place yet at module scope.
    with pytest.MonkeyPatch.context() as env:
        for name in [n for n in os.environ if n.startswith("ROUTER_")]:
            env.delenv(name)
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            backends=[BackendConfig(name="gpu", provider="ollama", url=ollama.url)],
            database_url=f"sqlite:///{tmp_path_factory.mktemp('owui') / 'router.db'}",
        )
    with RouterServer(settings) as server:
        yield server


@pytest.fixture
def upstream(ollama: FakeOllama) -> list[RecordedRequest]:
    """What the Ollama box receives during one test."""
    ollama.requests.clear()
    return ollama.requests


def _replay(router: RouterServer, record: dict[str, Any]) -> httpx.Response:
    headers = {
        k: v for k, v in record["headers"].items() if k.lower() not in ("host", "content-length")
    }
    body = record["body"]
    content = json.dumps(body).encode() if body is not None else None
    with httpx.Client(base_url=router.url, timeout=30) as client:
        return client.request(record["method"], record["path"], headers=headers, content=content)


def _sse_events(text: str) -> list[str]:
    return [line.removeprefix("data: ") for line in text.splitlines() if line.startswith("data:")]


def test_the_recording_holds_what_this_file_relies_on() -> None:
    assert len(RECORDS) == 22
    assert {r["body"]["model"] for r in RECORDS if r["body"]} == {ROUTER_MODEL}
    assert sum(_is_task(r["body"]) for r in RECORDS) == 10
    assert sum(bool(r["body"] and r["body"].get("stream")) for r in RECORDS) == 7


@pytest.mark.parametrize("record", RECORDS, ids=_id)
def test_each_request_gets_the_recorded_status(
    record: dict[str, Any], router: RouterServer, upstream: list[RecordedRequest]
) -> None:
    resp = _replay(router, record)
    expected = record["response"]
    assert resp.status_code == expected["status"], resp.text
    assert resp.headers["content-type"].startswith(expected["content_type"])
    if record["path"] == "/v1/models":
        ids = [m["id"] for m in resp.json()["data"]]
        assert ids[0] == ROUTER_MODEL
        assert set(expected["model_ids"]) <= set(ids)
    elif record["body"].get("stream"):
        _check_stream(resp, expected)
    else:
        assert resp.json()["choices"][0]["message"]["content"]
    _check_nothing_of_the_client_reached(upstream)


def _check_stream(resp: httpx.Response, expected: dict[str, Any]) -> None:
    events = _sse_events(resp.text)
    assert events[-1] == "[DONE]"
    chunks = [json.loads(e) for e in events[:-1]]
    assert not [c for c in chunks if "error" in c]
    assert [c["choices"][0]["finish_reason"] for c in chunks if c["choices"]][-1] == "stop"
    if expected["usage"] is not None:  # asked for with stream_options.include_usage
        assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]["total_tokens"] > 0


def _check_nothing_of_the_client_reached(upstream: list[RecordedRequest]) -> None:
    for request in upstream:
        assert CLIENT_KEY not in json.dumps(request.headers)
        assert not [h for h in request.headers if h.startswith("x-openwebui-")]


@pytest.mark.parametrize("record", [r for r in RECORDS if _is_task(r["body"])], ids=_id)
def test_task_requests_go_to_the_smallest_model(
    record: dict[str, Any], router: RouterServer, upstream: list[RecordedRequest]
) -> None:
    resp = _replay(router, record)
    assert resp.headers["x-smarterrouter-model"] == SMALLEST.name
    assert resp.json()["model"] == SMALLEST.name
    assert [r.json["model"] for r in upstream if r.path == "/api/chat"] == [SMALLEST.name]


@pytest.mark.parametrize(
    "record",
    [r for r in RECORDS if r["body"] and r["body"].get("tools")],
    ids=_id,
)
def test_ui_chats_with_offered_tools_are_answered_in_one_call(
    record: dict[str, Any], router: RouterServer, upstream: list[RecordedRequest]
) -> None:
    """Offered tools favour a tool model but do not require one: a model without
    tool support gets the chat without them, rather than a refusal and a retry."""
    resp = _replay(router, record)
    assert resp.status_code == 200
    chosen = resp.headers["x-smarterrouter-model"]
    [sent] = [r for r in upstream if r.path == "/api/chat"]  # no failed first try
    assert sent.json["model"] == chosen
    assert sent.json["messages"][-1]["role"] == record["body"]["messages"][-1]["role"]
    if chosen in TOOL_MODELS:
        assert sent.json["tools"] == record["body"]["tools"]  # all 36, untouched
    else:
        assert "tools" not in sent.json


def test_models_lists_the_router_model_first(router: RouterServer) -> None:
    [record] = [r for r in RECORDS if r["path"] == "/v1/models"][:1]
    ids = [m["id"] for m in _replay(router, record).json()["data"]]
    assert ids == [
        ROUTER_MODEL,
        "smarterrouter/fast",
        "smarterrouter/best",
        *sorted(m.name for m in (SMALLEST, *DEFAULT_MODELS)),
    ]

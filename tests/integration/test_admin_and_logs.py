"""Who may call /admin, and what the router writes to its log while it serves."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from fakes import FakeOllama, FakeOpenAI, Fault
from smarterrouter.app import create_app
from smarterrouter.observability.logs import configure_logging, settings_secrets
from smarterrouter.settings import BackendConfig, Settings
from support.keys import ADMIN_KEY, CLIENT_TOKEN, CLOUD_KEY
from support.router import RouterServer

# Not `sk-…`: many providers' keys look like nothing in particular.
EXPLAIN = {"messages": [{"role": "user", "content": "hello"}]}
NEEDS_KEY = "Admin endpoints need 'Authorization: Bearer <ROUTER_ADMIN_API_KEY>'"
ADMIN_CALLS = [("POST", "/admin/explain", EXPLAIN), ("GET", "/admin/models", None)]


@pytest.fixture
def settings(two_backends: Settings) -> Settings:
    """The Ollama box and the cloud API of conftest, with an admin key."""
    return two_backends.model_copy(update={"admin_api_key": SecretStr(ADMIN_KEY)})


def _call(
    server: RouterServer, method: str, path: str, body: Any, **headers: str
) -> httpx.Response:
    return httpx.request(method, server.url + path, json=body, headers=headers)


# --- admin ------------------------------------------------------------------


@pytest.mark.parametrize(("method", "path", "body"), ADMIN_CALLS)
def test_admin_needs_the_bearer_key_when_one_is_set(
    settings: Settings, method: str, path: str, body: Any
) -> None:
    refused = [
        {},
        {"Authorization": "Bearer wrong-key"},
        {"Authorization": f"Basic {ADMIN_KEY}"},
        {"Authorization": f"Bearer {ADMIN_KEY}x"},
        {"Authorization": "Bearer"},
        {"X-Api-Key": ADMIN_KEY},
    ]
    with RouterServer(settings) as server:
        for headers in refused:
            resp = _call(server, method, path, body, **headers)
            assert resp.status_code == 401, headers
            assert resp.json() == {
                "error": {
                    "message": NEEDS_KEY,
                    "type": "authentication_error",
                    "param": None,
                    "code": "invalid_api_key",
                }
            }
        resp = _call(server, method, path, body, Authorization=f"Bearer {ADMIN_KEY}")
        assert resp.status_code == 200
        assert resp.json()["decision" if path.endswith("explain") else "models"]


@pytest.mark.parametrize(("method", "path", "body"), ADMIN_CALLS)
def test_admin_answers_a_local_client_when_no_key_is_set(
    ollama: FakeOllama, make_settings: Callable[..., Settings], method: str, path: str, body: Any
) -> None:
    settings = make_settings([BackendConfig(name="gpu", provider="ollama", url=ollama.url)])
    with RouterServer(settings) as server:
        assert _call(server, method, path, body).status_code == 200


async def _admin_status(settings: Settings, hosts: list[str], **headers: str) -> dict[str, int]:
    """The status /admin/models gives each client address (no TCP: the app in process)."""
    app = create_app(settings)
    statuses = {}
    async with app.router.lifespan_context(app):
        for host in hosts:
            transport = httpx.ASGITransport(app=app, client=(host, 50123))
            async with httpx.AsyncClient(transport=transport, base_url="http://router") as client:
                resp = await client.get("/admin/models", headers=headers)
            statuses[host] = resp.status_code
            if resp.status_code == 403:
                assert resp.json()["error"]["code"] == "admin_forbidden"
    return statuses


LOCAL = ["127.0.0.1", "127.0.0.53", "::1", "::ffff:127.0.0.1"]
REMOTE = ["192.168.1.20", "10.0.0.7", "203.0.113.9", "2001:db8::1", "::ffff:192.168.1.20"]


@pytest.mark.anyio
async def test_without_a_key_admin_answers_only_this_machine(
    ollama: FakeOllama, make_settings: Callable[..., Settings]
) -> None:
    settings = make_settings([BackendConfig(name="gpu", provider="ollama", url=ollama.url)])
    statuses = await _admin_status(settings, LOCAL + REMOTE)
    assert statuses == {**dict.fromkeys(LOCAL, 200), **dict.fromkeys(REMOTE, 403)}


@pytest.mark.anyio
async def test_with_a_key_admin_answers_its_holder_anywhere(settings: Settings) -> None:
    assert await _admin_status(settings, LOCAL + REMOTE) == dict.fromkeys(LOCAL + REMOTE, 401)
    with_key = await _admin_status(settings, REMOTE, Authorization=f"Bearer {ADMIN_KEY}")
    assert with_key == dict.fromkeys(REMOTE, 200)


# --- logs ---------------------------------------------------------------------


@dataclass(frozen=True)
class Line:
    level: str
    request_id: str
    logger: str
    message: str


_TEXT_LINE = re.compile(
    r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} (?P<level>[A-Z]+) \[(?P<rid>[^\]]+)\] "
    r"(?P<logger>\S+): (?P<message>.*)$"
)


def _parse(text: str, fmt: str) -> list[Line]:
    lines = []
    for raw in text.splitlines():
        if fmt == "json":
            entry = json.loads(raw)  # every line on its own is a JSON object
            lines.append(
                Line(entry["level"], entry["request_id"], entry["logger"], entry["message"])
            )
        elif found := _TEXT_LINE.match(raw):
            lines.append(Line(found["level"], found["rid"], found["logger"], found["message"]))
        else:
            pytest.fail(f"a log line that is neither a record nor part of one: {raw!r}")
    return lines


@contextmanager
def router_log(fmt: str, settings: Settings) -> Iterator[io.StringIO]:
    """What configure_logging writes, into a buffer instead of stderr; restored after."""
    root = logging.getLogger()
    names = ("uvicorn", "uvicorn.error", "uvicorn.access", "httpx")
    loggers = [logging.getLogger(n) for n in names]
    saved = [(lg, lg.handlers[:], lg.propagate, lg.level) for lg in loggers]
    saved_root = (root.handlers[:], root.level)
    configure_logging("DEBUG", fmt, settings_secrets(settings))
    [handler] = root.handlers
    assert isinstance(handler, logging.StreamHandler)
    buffer = io.StringIO()
    handler.setStream(buffer)
    try:
        yield buffer
    finally:
        root.handlers[:], level = saved_root
        root.setLevel(level)
        for logger, handlers, propagate, lvl in saved:
            logger.handlers[:], logger.propagate = handlers, propagate
            logger.setLevel(lvl)


def _serve_a_few_requests(
    server: RouterServer, ollama: FakeOllama, cloud: FakeOpenAI
) -> list[tuple[str, str, int, str]]:
    """Requests that make the router log; (method, path, status, request id) of each."""
    chat = {"messages": [{"role": "user", "content": "hi"}]}
    seen = []

    def call(method: str, path: str, body: Any = None, **headers: str) -> None:
        headers = {"Authorization": f"Bearer {CLIENT_TOKEN}", **headers}
        resp = client.request(method, path, json=body, headers=headers)
        seen.append((method, path, resp.status_code, resp.headers["x-request-id"]))

    with httpx.Client(base_url=server.url, timeout=30) as client:
        call("POST", "/v1/chat/completions", {**chat, "model": "llama3.2:3b"})
        # Upstreams do echo keys in their errors; the log must not repeat them.
        cloud.inject(Fault(status=401, message=f"Incorrect API key provided: {CLOUD_KEY}"))
        chat_cloud = {**chat, "model": "cloud/gpt-4o-mini"}
        call("POST", "/v1/chat/completions", chat_cloud, **{"X-Request-ID": "req-upstream-fails"})
        ollama.inject(Fault(die_after=2, path="/api/chat"))
        stream = {**chat, "model": "llama3.2:3b", "stream": True}
        call("POST", "/v1/chat/completions", stream, **{"X-Request-ID": "req-stream-breaks"})
        call("GET", "/admin/models", Authorization=f"Bearer {ADMIN_KEY}")
        call("GET", "/admin/models", Authorization=f"Bearer {ADMIN_KEY[:-1]}")
        call("GET", "/health", **{"X-Request-ID": "bad id with spaces"})
    return seen


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_logs_carry_request_ids_and_no_secrets(
    fmt: str, settings: Settings, ollama: FakeOllama, cloud: FakeOpenAI
) -> None:
    with router_log(fmt, settings) as buffer:
        with RouterServer(settings) as server:
            seen = _serve_a_few_requests(server, ollama, cloud)
        text = buffer.getvalue()

    for secret in (ADMIN_KEY, CLOUD_KEY, CLIENT_TOKEN):
        assert secret not in text
    lines = _parse(text, fmt)
    assert [s[2] for s in seen] == [200, 502, 200, 200, 401, 200]
    ids = [s[3] for s in seen]
    assert ids[1:3] == ["req-upstream-fails", "req-stream-breaks"]
    assert re.fullmatch(r"[0-9a-f]{32}", ids[0]) and re.fullmatch(r"[0-9a-f]{32}", ids[5])
    assert len(set(ids)) == len(ids)

    access = [line for line in lines if line.logger == "smarterrouter.access"]
    assert sorted((a.request_id, a.message.split(" ")[:3]) for a in access) == sorted(
        (rid, [method, path, str(status)]) for method, path, status, rid in seen
    )
    assert not [line for line in lines if line.logger == "uvicorn.access"]
    # Whatever was logged while serving a request carries that request's id.
    assert {line.request_id for line in lines} <= {"-", *ids}
    upstream_failed = [line for line in lines if "Incorrect API key" in line.message]
    assert upstream_failed and {u.request_id for u in upstream_failed} == {"req-upstream-fails"}
    broke = [line for line in lines if "broke" in line.message]
    assert broke and {b.request_id for b in broke} == {"req-stream-breaks"}


def test_the_access_line_says_how_a_request_was_served(
    settings: Settings, ollama: FakeOllama
) -> None:
    ollama.inject(Fault(status=500, path="/api/chat"))
    poem = {"messages": [{"role": "user", "content": "Write a short poem about rain"}]}
    with router_log("json", settings) as buffer:
        with RouterServer(settings) as server:
            resp = httpx.post(
                f"{server.openai_url}/chat/completions",
                json=poem,
                headers={"Authorization": f"Bearer {CLIENT_TOKEN}", "X-Request-ID": "req-poem"},
            )
        entries = [json.loads(raw) for raw in buffer.getvalue().splitlines()]
    assert resp.status_code == 200
    assert resp.headers["x-smarterrouter-fallbacks"] == "1"
    [access] = [e for e in entries if e["logger"] == "smarterrouter.access"
                and e["request_id"] == "req-poem"]  # fmt: skip
    assert access["model"] == resp.headers["x-smarterrouter-model"]
    assert access["category"] == resp.headers["x-smarterrouter-category"] == "creativity"
    assert access["cache"] == "bypass; reason=nondeterministic"
    assert access["fallbacks"] == "1"
    assert access["status"] == 200 and access["latency_ms"] > 0


@pytest.mark.parametrize("log_prompts", [False, True])
def test_prompts_and_answers_are_logged_only_when_asked(
    log_prompts: bool, ollama: FakeOllama, make_settings: Callable[..., Settings]
) -> None:
    settings = make_settings(
        [BackendConfig(name="gpu", provider="ollama", url=ollama.url)], log_prompts=log_prompts
    )
    question = "What is the secret recipe of grandma-7731's soup?"
    with router_log("text", settings) as buffer:
        with RouterServer(settings) as server:
            body = {"model": "llama3.2:3b", "messages": [{"role": "user", "content": question}]}
            assert httpx.post(f"{server.openai_url}/chat/completions", json=body).is_success
        text = buffer.getvalue()
    assert (question in text) == log_prompts
    assert ("Paris is the capital of France." in text) == log_prompts

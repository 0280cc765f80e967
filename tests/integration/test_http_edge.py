"""What a client meets at the router's HTTP edge: wrong paths and methods, odd
bodies, and backends that are down. Every error is in OpenAI's form."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import openai
import pytest

from fakes import FakeOllama
from smarterrouter.settings import BackendConfig, Settings
from support.router import RouterServer

ROUTER_MODEL = "smarterrouter/main"
MAX_BODY_BYTES = 64 * 1024 * 1024  # ROUTER_MAX_BODY_MB's default
CHAT = {"messages": [{"role": "user", "content": "hi"}]}


def _openai_error(resp: httpx.Response, status: int) -> dict[str, object]:
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"] == "application/json"
    assert resp.headers["x-request-id"]
    error: dict[str, object] = resp.json()["error"]
    assert set(error) == {"message", "type", "param", "code"}
    return error


@pytest.fixture
def edge(ollama: FakeOllama, make_settings: Callable[..., Settings]) -> Iterator[httpx.Client]:
    settings = make_settings([BackendConfig(name="gpu", provider="ollama", url=ollama.url)])
    with RouterServer(settings) as server, httpx.Client(base_url=server.url) as client:
        yield client


@pytest.mark.parametrize("path", ["/v2/chat/completions", "/admin/nope"])
def test_an_unknown_path_is_a_404_in_openai_form(edge: httpx.Client, path: str) -> None:
    error = _openai_error(edge.post(path, json=CHAT), 404)
    assert (error["type"], error["code"]) == ("invalid_request_error", "not_found")


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/v1/chat/completions"), ("DELETE", "/v1/models")],
)
def test_a_wrong_method_is_a_405_in_openai_form(edge: httpx.Client, method: str, path: str) -> None:
    resp = edge.request(method, path)
    error = _openai_error(resp, 405)
    assert error["message"] == "Method Not Allowed"
    assert "allow" in resp.headers


@pytest.mark.parametrize(
    "body",
    [
        b'{"messages": [{"role": "user", "content": "caf\xe9"}]}',  # Latin-1, not UTF-8
        b"\xff\xfe{\x00}\x00",  # UTF-16
        b"",
    ],
    ids=["latin-1", "utf-16", "empty"],
)
def test_a_body_that_is_not_a_request_is_a_400(
    edge: httpx.Client, ollama: FakeOllama, body: bytes
) -> None:
    resp = edge.post(
        "/v1/chat/completions", content=body, headers={"content-type": "application/json"}
    )
    error = _openai_error(resp, 400)
    assert error["type"] == "invalid_request_error"
    assert ollama.received("/api/chat") == []


HI = '[{"role": "user", "content": "hi"}]'


@pytest.mark.parametrize(
    "body",
    [
        b'{"messages": ' + b"[" * 5000 + b"]" * 5000 + b"}",
        b'{"messages": ' + HI.encode() + b', "max_tokens": 123456789012345678901234567890}',
        b'{"messages": ' + HI.encode() + b', "temperature": 1e999}',
        b'{"messages": []}',
        b'{"messages": "hi"}',
        b'{"messages": [{"role": "wizard", "content": "hi"}]}',
        b'{"messages": ' + HI.encode() + b', "max_tokens": "ten"}',
        b"[1, 2, 3]",
    ],
    ids=[
        "deep-json", "huge-integer", "infinite-float", "no-messages", "messages-not-a-list",
        "unknown-role", "max-tokens-a-string", "not-an-object",
    ],
)  # fmt: skip
def test_malformed_chat_bodies_are_a_400_and_reach_no_model(
    edge: httpx.Client, ollama: FakeOllama, body: bytes
) -> None:
    resp = edge.post(
        "/v1/chat/completions", content=body, headers={"content-type": "application/json"}
    )
    error = _openai_error(resp, 400)
    assert error["message"]
    assert ollama.received("/api/chat") == []


@pytest.mark.parametrize("path", ["/v1/chat/completions", "/admin/explain"])
def test_a_body_declared_too_large_is_refused_before_it_is_read(
    edge: httpx.Client, ollama: FakeOllama, path: str
) -> None:
    port = int(str(edge.base_url).rsplit(":", 1)[1].rstrip("/"))
    head = (
        f"POST {path} HTTP/1.1\r\nHost: router\r\nContent-Type: application/json\r\n"
        f"Content-Length: {MAX_BODY_BYTES + 1}\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(head.encode())  # and not one byte of the body
        status_line, body = _read_response(sock)
    assert status_line == "HTTP/1.1 413 Request Entity Too Large"
    assert body["error"]["code"] == "payload_too_large"
    assert body["error"]["message"] == (
        "The request body is larger than 64 MiB (ROUTER_MAX_BODY_MB)"
    )
    assert ollama.received("/api/chat") == []


def _read_response(sock: socket.socket) -> tuple[str, Any]:
    """The status line and JSON body of one response (the connection may stay open)."""
    with sock.makefile("rb") as answer:
        status_line = answer.readline().decode().rstrip()
        headers = {}
        while (line := answer.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode().partition(":")
            headers[name.strip().lower()] = value.strip()
        return status_line, json.loads(answer.read(int(headers["content-length"])))


def test_a_large_body_within_the_limit_is_served(edge: httpx.Client, ollama: FakeOllama) -> None:
    text = "word " * 200_000  # 1 MB, a long pasted document
    body = {"model": "llama3.2:3b", "messages": [{"role": "user", "content": text}]}
    assert edge.post("/v1/chat/completions", json=body, timeout=30).status_code == 200
    [sent] = ollama.received("/api/chat")
    assert sent.json["messages"][0]["content"] == text


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def all_down(make_settings: Callable[..., Settings]) -> Iterator[RouterServer]:
    """A router whose only backend has never answered."""
    url = f"http://127.0.0.1:{_closed_port()}"
    settings = make_settings([BackendConfig(name="gpu", provider="ollama", url=url)])
    with RouterServer(settings) as server:
        yield server


def test_models_still_lists_the_router_model_when_every_backend_is_down(
    all_down: RouterServer,
) -> None:
    with openai.OpenAI(base_url=all_down.openai_url, api_key="x", max_retries=0) as client:
        assert [m.id for m in client.models.list()] == [
            ROUTER_MODEL,
            "smarterrouter/fast",
            "smarterrouter/best",
        ]


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/v1/chat/completions", CHAT),
        ("/v1/chat/completions", {**CHAT, "model": "llama3.2:3b"}),
        ("/v1/embeddings", {"input": "hi"}),
    ],
)
def test_requests_while_every_backend_is_down_are_503_naming_it(
    all_down: RouterServer, path: str, body: dict[str, Any]
) -> None:
    resp = httpx.post(f"{all_down.url}{path}", json=body)
    error = _openai_error(resp, 503)
    assert "backend gpu is unreachable" in str(error["message"])


def test_a_named_embedding_model_cannot_chat(edge: httpx.Client) -> None:
    resp = edge.post("/v1/chat/completions", json={**CHAT, "model": "nomic-embed-text:latest"})
    error = _openai_error(resp, 400)
    assert "cannot chat" in str(error["message"]) and error["param"] == "model"


def test_a_stream_flag_that_is_not_a_boolean_is_a_400(edge: httpx.Client) -> None:
    error = _openai_error(edge.post("/v1/chat/completions", json={**CHAT, "stream": "false"}), 400)
    assert "stream" in str(error["message"])


def test_ready_is_503_naming_the_backend_when_the_only_one_is_down(all_down: RouterServer) -> None:
    resp = httpx.get(f"{all_down.url}/ready")
    assert resp.status_code == 503
    report = resp.json()
    assert report["status"] == "not ready"
    assert report["backends"]["gpu"]["ok"] is False
    assert "cannot connect to backend 'gpu'" in report["backends"]["gpu"]["error"]
    assert report["database"] == {"ok": True}
    assert httpx.get(f"{all_down.url}/health").json()["status"] == "ok"


def test_ready_turns_503_when_a_backend_goes_down(
    ollama: FakeOllama, make_settings: Callable[..., Settings]
) -> None:
    settings = make_settings([BackendConfig(name="gpu", provider="ollama", url=ollama.url)])
    with RouterServer(settings) as server:
        assert httpx.get(f"{server.url}/ready").status_code == 200
        ollama.stop()
        assert httpx.get(f"{server.url}/ready").status_code == 503
        # What the router learnt of the box is kept for when it comes back.
        ids = [m["id"] for m in httpx.get(f"{server.openai_url}/models").json()["data"]]
        assert ids[0] == ROUTER_MODEL and "llama3.2:3b" in ids


@pytest.mark.parametrize(
    ("limits", "messages", "status", "setting"),
    [
        ({"max_messages": 1}, 2, 400, "ROUTER_MAX_MESSAGES"),
        ({"max_content_chars": 10}, 1, 413, "ROUTER_MAX_CONTENT_CHARS"),
    ],
)
def test_chat_input_limits_name_their_setting_and_send_nothing_upstream(
    ollama: FakeOllama,
    make_settings: Callable[..., Settings],
    limits: dict[str, int],
    messages: int,
    status: int,
    setting: str,
) -> None:
    settings = make_settings(
        [BackendConfig(name="gpu", provider="ollama", url=ollama.url)], **limits
    )
    body = {"messages": [{"role": "user", "content": "a long enough question"}] * messages}
    with RouterServer(settings) as server:
        resp = httpx.post(f"{server.openai_url}/chat/completions", json=body)
    assert resp.status_code == status
    assert setting in resp.json()["error"]["message"]
    assert ollama.received("/api/chat") == []


def test_client_keys_are_masked_in_logs_by_value() -> None:
    from smarterrouter.observability.logs import settings_secrets

    settings = Settings(_env_file=None, api_keys="team-key-0123456789")  # type: ignore[call-arg]
    assert "team-key-0123456789" in settings_secrets(settings)

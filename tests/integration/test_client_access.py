"""Client keys, rate limits, CORS, body limits and the draining gate, through the
router served on loopback and met with the official `openai` client."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest

from fakes import FakeOllama
from smarterrouter.settings import BackendConfig, Settings
from support.keys import OTHER_CLIENT_KEY
from support.router import RouterServer

KEY = "sk-client-one-123456"
CHAT: dict[str, Any] = {"messages": [{"role": "user", "content": "hi"}]}
RECORDING = Path(__file__).parents[1] / "recordings" / "open-webui" / "requests_sample.jsonl"


@pytest.fixture
def serve(
    ollama: FakeOllama, make_settings: Callable[..., Settings]
) -> Iterator[Callable[..., RouterServer]]:
    """A router in front of the Ollama fake, with the settings a test gives."""
    servers: list[RouterServer] = []

    def start(**extra: Any) -> RouterServer:
        settings = make_settings(
            [BackendConfig(name="gpu", provider="ollama", url=ollama.url)], **extra
        )
        server = RouterServer(settings).__enter__()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.__exit__(None, None, None)


def _client(router: RouterServer, key: str = "unused") -> openai.OpenAI:
    return openai.OpenAI(base_url=router.openai_url, api_key=key, max_retries=0)


def _error(resp: httpx.Response, status: int) -> dict[str, Any]:
    assert resp.status_code == status, resp.text
    error: dict[str, Any] = resp.json()["error"]
    assert set(error) == {"message", "type", "param", "code"}
    return error


# --- client keys -------------------------------------------------------------


def test_the_right_key_is_served_and_a_wrong_one_is_refused(
    serve: Callable[..., RouterServer],
) -> None:
    router = serve(api_keys=[KEY, OTHER_CLIENT_KEY])
    with _client(router, OTHER_CLIENT_KEY) as client:
        answer = client.chat.completions.create(model="smarterrouter/main", **CHAT)
        assert answer.choices[0].message.content
    with _client(router, "sk-wrong") as client, pytest.raises(openai.AuthenticationError) as err:
        client.models.list()
    assert err.value.status_code == 401
    assert err.value.body == {
        "message": "Missing or wrong API key: send 'Authorization: Bearer <key>' with one "
        "of the keys in ROUTER_API_KEYS",
        "type": "authentication_error",
        "param": None,
        "code": "invalid_api_key",
    }


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": KEY}, {"Authorization": "Basic " + KEY}, {"Authorization": "Bearer"}],
    ids=["none", "no-scheme", "basic", "empty-bearer"],
)
def test_a_missing_or_malformed_key_is_refused(
    serve: Callable[..., RouterServer], headers: dict[str, str]
) -> None:
    router = serve(api_keys=[KEY])
    resp = httpx.post(f"{router.openai_url}/chat/completions", json=CHAT, headers=headers)
    assert _error(resp, 401)["type"] == "authentication_error"
    assert resp.headers["www-authenticate"] == "Bearer"


def test_open_webui_key_field_works(serve: Callable[..., RouterServer]) -> None:
    # Open WebUI's "API key" field becomes this header, as recorded from it.
    recorded = [json.loads(line) for line in RECORDING.read_text().splitlines()]
    owui = next(r for r in recorded if r["path"] == "/v1/models")["headers"]
    key = owui["Authorization"].removeprefix("Bearer ")
    router = serve(api_keys=[key])
    headers = {k: v for k, v in owui.items() if k in ("Authorization", "User-Agent", "Accept")}
    resp = httpx.get(f"{router.openai_url}/models", headers=headers)
    assert resp.status_code == 200
    assert resp.json()["data"][0]["id"] == "smarterrouter/main"


def test_probes_and_admin_keep_their_own_rules_when_keys_are_set(
    serve: Callable[..., RouterServer],
) -> None:
    router = serve(api_keys=[KEY])
    assert httpx.get(f"{router.url}/health").json()["status"] == "ok"
    assert httpx.get(f"{router.url}/ready").status_code == 200
    # No admin key set and the test is on loopback: admin answers without any key.
    assert httpx.get(f"{router.url}/admin/models").status_code == 200


def test_without_keys_the_api_is_open(serve: Callable[..., RouterServer]) -> None:
    router = serve()
    with _client(router, "anything") as client:
        assert client.models.list().data[0].id == "smarterrouter/main"


# --- rate limits ---------------------------------------------------------------


def test_past_the_budget_a_client_gets_429_with_retry_after(
    serve: Callable[..., RouterServer],
) -> None:
    router = serve(rate_limit_enabled=True, rate_limit_requests_per_minute=3)
    with _client(router) as client:
        for _ in range(3):
            client.models.list()
        with pytest.raises(openai.RateLimitError) as err:
            client.models.list()
    assert err.value.status_code == 429
    assert err.value.body["code"] == "rate_limit_exceeded"  # type: ignore[index]
    assert "ROUTER_RATE_LIMIT_REQUESTS_PER_MINUTE" in err.value.message
    retry_after = err.value.response.headers["retry-after"]
    assert retry_after.isdigit() and 1 <= int(retry_after) <= 60


def test_each_key_has_its_own_budget_and_keyless_clients_share_their_address(
    serve: Callable[..., RouterServer],
) -> None:
    router = serve(api_keys=[KEY, OTHER_CLIENT_KEY], rate_limit_enabled=True,
                   rate_limit_requests_per_minute=2)  # fmt: skip
    models = f"{router.openai_url}/models"
    one = {"Authorization": f"Bearer {KEY}"}
    assert [httpx.get(models, headers=one).status_code for _ in range(3)] == [200, 200, 429]
    # Wrong keys count against the address: guessing keys is rate limited too.
    wrong = {"Authorization": "Bearer sk-guess"}
    assert [httpx.get(models, headers=wrong).status_code for _ in range(3)] == [401, 401, 429]
    two = {"Authorization": f"Bearer {OTHER_CLIENT_KEY}"}
    assert httpx.get(models, headers=two).status_code == 200


def test_forwarded_for_from_an_untrusted_peer_is_ignored(
    serve: Callable[..., RouterServer],
) -> None:
    router = serve(rate_limit_enabled=True, rate_limit_requests_per_minute=2)
    statuses = [
        httpx.get(f"{router.openai_url}/models", headers={"X-Forwarded-For": f"203.0.113.{i}"})
        for i in range(3)
    ]
    assert [r.status_code for r in statuses] == [200, 200, 429]


def test_forwarded_for_from_a_trusted_proxy_names_the_client(
    serve: Callable[..., RouterServer],
) -> None:
    # The test's own loopback address plays the proxy.
    router = serve(
        rate_limit_enabled=True, rate_limit_requests_per_minute=1, trusted_proxies="127.0.0.0/8"
    )
    models = f"{router.openai_url}/models"

    def status(chain: str) -> int:
        return httpx.get(models, headers={"X-Forwarded-For": chain}).status_code

    assert [status("203.0.113.1"), status("203.0.113.1")] == [200, 429]
    # A client cannot forge its way out: the right-most untrusted entry counts.
    assert status("198.51.100.9, 203.0.113.1") == 429
    assert status("203.0.113.2") == 200


def test_admin_has_its_own_smaller_budget(serve: Callable[..., RouterServer]) -> None:
    router = serve(rate_limit_enabled=True, rate_limit_admin_requests_per_minute=2)
    statuses = [httpx.get(f"{router.url}/admin/models").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    resp = httpx.get(f"{router.url}/admin/models")
    assert "ROUTER_RATE_LIMIT_ADMIN_REQUESTS_PER_MINUTE" in _error(resp, 429)["message"]
    assert httpx.get(f"{router.openai_url}/models").status_code == 200


def test_probes_are_never_rate_limited(serve: Callable[..., RouterServer]) -> None:
    router = serve(rate_limit_enabled=True, rate_limit_requests_per_minute=1)
    assert {httpx.get(f"{router.url}/health").status_code for _ in range(5)} == {200}


# --- CORS -----------------------------------------------------------------------

PREFLIGHT = {
    "Origin": "https://chat.example",
    "Access-Control-Request-Method": "POST",
    "Access-Control-Request-Headers": "authorization,content-type,x-request-id,"
    "x-smarterrouter-quality",
}


def test_cors_preflight_from_an_allowed_origin(serve: Callable[..., RouterServer]) -> None:
    router = serve(cors_origins="https://chat.example, https://other.example", api_keys=[KEY])
    resp = httpx.options(f"{router.openai_url}/chat/completions", headers=PREFLIGHT)
    assert resp.status_code == 200
    assert resp.headers["access-control-allow-origin"] == "https://chat.example"
    allowed = resp.headers["access-control-allow-headers"].lower()
    for header in PREFLIGHT["Access-Control-Request-Headers"].split(","):
        assert header in allowed
    # A refusal carries the headers too, or the browser hides it from the page.
    resp = httpx.get(f"{router.openai_url}/models", headers={"Origin": "https://chat.example"})
    assert resp.status_code == 401
    assert resp.headers["access-control-allow-origin"] == "https://chat.example"
    exposed = resp.headers["access-control-expose-headers"].lower()
    assert "x-smarterrouter-model" in exposed and "x-request-id" in exposed


def test_cors_refuses_an_origin_not_listed(serve: Callable[..., RouterServer]) -> None:
    router = serve(cors_origins='["https://chat.example"]')
    headers = {**PREFLIGHT, "Origin": "https://evil.example"}
    resp = httpx.options(f"{router.openai_url}/chat/completions", headers=headers)
    assert resp.status_code == 400
    assert "access-control-allow-origin" not in resp.headers


def test_without_cors_origins_no_cors_header_is_sent(serve: Callable[..., RouterServer]) -> None:
    router = serve()
    preflight = httpx.options(f"{router.openai_url}/chat/completions", headers=PREFLIGHT)
    simple = httpx.get(f"{router.openai_url}/models", headers={"Origin": "https://chat.example"})
    for resp in (preflight, simple):
        assert not [h for h in resp.headers if h.lower().startswith("access-control-")]


# --- body size and draining -------------------------------------------------------


def test_a_body_over_max_body_mb_is_413_naming_the_setting(
    serve: Callable[..., RouterServer], ollama: FakeOllama
) -> None:
    router = serve(max_body_mb=0.01)  # about 10 KB
    long_text = "word " * 4000
    with _client(router) as client, pytest.raises(openai.APIStatusError) as err:
        client.chat.completions.create(
            model="smarterrouter/main", messages=[{"role": "user", "content": long_text}]
        )
    assert err.value.status_code == 413
    assert "ROUTER_MAX_BODY_MB" in err.value.message
    assert ollama.received("/api/chat") == []


def test_a_draining_router_answers_503_shutting_down(serve: Callable[..., RouterServer]) -> None:
    router = serve()
    router.app.state.draining.begin()
    with _client(router) as client, pytest.raises(openai.InternalServerError) as err:
        client.models.list()
    assert err.value.status_code == 503
    assert err.value.body["code"] == "shutting_down"  # type: ignore[index]
    assert err.value.response.headers["connection"] == "close"

"""Generated requests against the router's own OpenAPI document: never a 5xx.

Schemathesis reads /openapi.json from a running router (in front of a fake
Ollama) and, for every operation, sends requests that follow the schema and
requests that break it (wrong types, missing fields, out-of-range numbers,
odd strings). Every answer must be below 500, and a refusal on /v1/* must be an
OpenAI-style error object. Generation is derandomized: the same requests on
every run, so a failure reproduces.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable

from fakes import FakeOllama
from smarterrouter.settings import BackendConfig, Settings
from support.router import RouterServer

# Per operation and mode (valid, then invalid requests). Bodies have the most to
# vary; an operation with little to vary ends early, having tried what there is.
EXAMPLES_WITH_A_BODY = 150
EXAMPLES = 40
# Operations that start work beyond the request itself: background jobs, outside fetches.
SKIPPED = {("POST", "/admin/reprofile"), ("POST", "/admin/sync-benchmarks")}


@pytest.fixture
def server(ollama: FakeOllama, make_settings: Callable[..., Settings]) -> Iterator[RouterServer]:
    settings = make_settings([BackendConfig(name="gpu", provider="ollama", url=ollama.url)])
    with RouterServer(settings) as running:
        yield running


def test_generated_requests_never_get_a_server_error(server: RouterServer) -> None:
    schema = schemathesis.openapi.from_url(f"{server.url}/openapi.json")
    sent: list[tuple[str, int]] = []
    broken: list[str] = []
    with requests.Session() as session:
        for result in schema.get_all_operations():
            operation = result.ok()
            if (operation.method.upper(), operation.path) in SKIPPED:
                continue
            for mode in schemathesis.GenerationMode:
                _fuzz(operation, mode, server.url, session, sent, broken)
    assert not broken, "\n".join(broken[:10])
    assert len(sent) >= 1000, f"only {len(sent)} requests were generated"
    assert {path for path, _ in sent} >= {"/v1/chat/completions", "/v1/feedback"}


def _fuzz(
    operation: Any,
    mode: schemathesis.GenerationMode,
    base_url: str,
    session: requests.Session,
    sent: list[tuple[str, int]],
    broken: list[str],
) -> None:
    body = operation.method.upper() == "POST" and operation.path.startswith("/v1/")

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES_WITH_A_BODY if body else EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def one(case: schemathesis.Case) -> None:
        response = case.call(base_url=base_url, session=session, timeout=30)
        sent.append((operation.path, response.status_code))
        problem = _problem(operation.path, response)
        if problem:
            broken.append(f"{case.method} {case.formatted_path} -> {problem}: {case.body!r:.300}")

    try:
        one()
    except Unsatisfiable:
        assert mode is schemathesis.GenerationMode.NEGATIVE  # nothing there to break


def _problem(path: str, response: Any) -> str | None:
    if response.status_code >= 500:
        return f"{response.status_code} {response.text[:200]}"
    if path.startswith("/v1/") and response.status_code >= 400:
        try:
            error = response.json()["error"]
            assert isinstance(error["message"], str) and error["message"]
        except (ValueError, KeyError, TypeError, AssertionError):
            return f"{response.status_code} without an OpenAI-style error: {response.text[:200]}"
    return None


def test_the_document_describes_the_bodies_the_routes_read(server: RouterServer) -> None:
    document = httpx.get(f"{server.url}/openapi.json").json()
    body = document["paths"]["/v1/chat/completions"]["post"]["requestBody"]
    ref = body["content"]["application/json"]["schema"]["$ref"]
    chat = document["components"]["schemas"][ref.rsplit("/", 1)[1]]
    assert "messages" in chat["required"]
    assert "ChatMessage" in str(chat["properties"]["messages"])

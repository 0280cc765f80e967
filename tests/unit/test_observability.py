"""Log formatting, secret masking and the request-context middleware."""

from __future__ import annotations

import json
import logging
import sys

import httpx
import pytest
from pydantic import SecretStr
from starlette.types import Receive, Scope, Send

from smarterrouter.observability.context import request_id_var
from smarterrouter.observability.logs import (
    JsonFormatter,
    Redactor,
    TextFormatter,
    settings_secrets,
)
from smarterrouter.observability.middleware import RequestContextMiddleware
from smarterrouter.settings import BackendConfig, Settings


def _record(msg: str, *args: object, **extra: object) -> logging.LogRecord:
    record = logging.LogRecord("smarterrouter.test", logging.WARNING, __file__, 1, msg, args, None)
    record.request_id = "-"  # what the handler's filter adds
    record.__dict__.update(extra)
    return record


@pytest.mark.parametrize(
    "message",
    [
        'bad config api_key="abc123def" here',
        "quote \" backslash \\ api-key='x\\\"y' end",
        'Authorization: Bearer "tok-123456"',
        'postgresql://router:p@ss"w0rd@db/x',
    ],
)
def test_json_lines_stay_valid_json_whatever_is_masked(message: str) -> None:
    line = JsonFormatter(Redactor(['p@ss"w0rd'])).format(_record(message))
    entry = json.loads(line)
    assert entry["level"] == "WARNING" and entry["logger"] == "smarterrouter.test"
    assert "abc123def" not in line and 'p@ss\\"w0rd' not in line


def test_json_masks_secrets_inside_structured_extras() -> None:
    redactor = Redactor(["zz-secret-value"])
    record = _record("call", upstream={"headers": ["Bearer zz-secret-value"], "n": 3})
    entry = json.loads(JsonFormatter(redactor).format(record))
    assert entry["upstream"] == {"headers": ["Bearer ***"], "n": 3}


def test_known_secrets_are_masked_whatever_they_look_like() -> None:
    redactor = Redactor(["gsk_live_9f8e7d", "ab"])  # too short to mask usefully
    text = TextFormatter(redactor).format(
        _record("upstream said: invalid key %s", "gsk_live_9f8e7d")
    )
    assert "gsk_live_9f8e7d" not in text and "invalid key ***" in text
    assert "said" in text  # "ab" is not hunted down in every word


def test_exceptions_are_masked_too() -> None:
    try:
        raise RuntimeError("connect failed for key zz-secret-value")
    except RuntimeError:
        record = _record("failed")
        record.exc_info = sys.exc_info()
    for formatter in (
        TextFormatter(Redactor(["zz-secret-value"])),
        JsonFormatter(Redactor(["zz-secret-value"])),
    ):
        out = formatter.format(record)
        assert "RuntimeError" in out and "zz-secret-value" not in out


def test_settings_secrets_lists_every_secret_setting() -> None:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        backends=[
            BackendConfig(name="a", provider="openai", url="https://x/v1", api_key="key-one"),
            BackendConfig(name="b", provider="ollama", url="http://y"),
        ],
        admin_api_key=SecretStr("admin-two"),
        database_url="postgresql://router:pa%40ss-three@db:5432/router",
        redis_url="redis://:redis-four@cache:6379/0",
    )
    assert sorted(settings_secrets(settings)) == [
        "admin-two",
        "key-one",
        "pa%40ss-three",
        "pa@ss-three",
        "redis-four",
    ]


def test_settings_secrets_of_a_plain_sqlite_setup_is_empty() -> None:
    settings = Settings(_env_file=None, database_url="sqlite:///data/router.db")  # type: ignore[call-arg]
    assert settings_secrets(settings) == []


async def _broken_app(scope: Scope, receive: Receive, send: Send) -> None:
    logging.getLogger("smarterrouter.test").warning("about to fail")
    raise RuntimeError("a bug")


@pytest.mark.anyio
async def test_an_unexpected_error_is_answered_and_logged_with_the_request_id(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    ids: list[str | None] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if record.name.startswith("smarterrouter"):  # not the test client's own lines
                ids.append(request_id_var.get())

    handler = Keep()
    logging.getLogger().addHandler(handler)
    try:
        transport = httpx.ASGITransport(app=RequestContextMiddleware(_broken_app))
        async with httpx.AsyncClient(transport=transport, base_url="http://router") as client:
            resp = await client.get("/v1/models", headers={"X-Request-ID": "req-bug-1"})
    finally:
        logging.getLogger().removeHandler(handler)
    assert resp.status_code == 500
    assert resp.headers["x-request-id"] == "req-bug-1"
    assert resp.json()["error"]["code"] == "internal_error"
    messages = [r.getMessage() for r in caplog.records if r.name.startswith("smarterrouter")]
    assert messages[:2] == ["about to fail", "unexpected error"]
    assert messages[2].startswith("GET /v1/models 500 ")
    assert ids == ["req-bug-1"] * 3
    assert [r.exc_info is not None for r in caplog.records if r.levelno >= logging.ERROR] == [
        True
    ]  # the traceback, logged once

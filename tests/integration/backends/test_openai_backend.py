"""OpenAICompatBackend passes bodies through and sends its key."""

from __future__ import annotations

import pytest
from backend_cases import API_KEY

from fakes import FakeOpenAI
from smarterrouter.backends.base import ChatRequest
from smarterrouter.backends.http import make_client
from smarterrouter.backends.openai_compat import OpenAICompatBackend
from smarterrouter.errors import BackendError

pytestmark = pytest.mark.anyio


async def test_body_passes_through_with_model_and_key(fake_openai: FakeOpenAI) -> None:
    backend = OpenAICompatBackend("cloud", make_client(fake_openai.base_url, api_key=API_KEY))
    body = {
        "model": "smarterrouter/main",
        "messages": [{"role": "user", "content": "hi"}],
        "logit_bias": {"50256": -100},
        "user": "u-1",
        "stream_options": {"include_usage": True},
    }
    try:
        await backend.chat(ChatRequest(model="gpt-4o-mini", body=body))
    finally:
        await backend.aclose()
    request = fake_openai.received("/v1/chat/completions")[-1]
    assert request.headers["authorization"] == f"Bearer {API_KEY}"
    assert request.json == {
        "model": "gpt-4o-mini",
        "messages": [{"role": "user", "content": "hi"}],
        "logit_bias": {"50256": -100},
        "user": "u-1",
        "stream": False,
    }


async def test_wrong_key_is_not_retryable(fake_openai: FakeOpenAI) -> None:
    backend = OpenAICompatBackend("cloud", make_client(fake_openai.base_url, api_key="wrong"))
    try:
        with pytest.raises(BackendError, match="Incorrect API key") as caught:
            await backend.list_models()
    finally:
        await backend.aclose()
    assert (caught.value.upstream_status, caught.value.retryable) == (401, False)

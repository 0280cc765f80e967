"""The router in front of llama.cpp's `llama-server` in router mode (`--models-dir`)
and preset mode (`--models-preset`), replayed from recorded real answers."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import openai
import pytest

from fakes import FakeLlamaCpp
from fakes.fake_llamacpp import Mode
from fakes.recordings import load_recording
from smarterrouter.settings import BackendConfig, Settings
from support.router import RouterServer

ROUTER_MODEL = "smarterrouter/main"
RECORDED_ANSWER = load_recording("llama-server", "router_chat_loaded.txt").json()["choices"][0][
    "message"
]["content"]
RECORDED_STREAM = "".join(
    e["choices"][0]["delta"].get("content") or ""
    for e in load_recording("llama-server", "router_chat_stream_loaded.txt").sse_events()
    if e["choices"]
)


Served = tuple[FakeLlamaCpp, RouterServer, openai.OpenAI]


@contextmanager
def _served(mode: Mode, make_settings: Callable[..., Settings], **extra: Any) -> Iterator[Served]:
    with FakeLlamaCpp(mode) as fake:
        settings = make_settings(
            [BackendConfig(name="llamacpp", provider="llama.cpp", url=fake.url)], **extra
        )
        with (
            RouterServer(settings) as server,
            openai.OpenAI(base_url=server.openai_url, api_key="unused", max_retries=0) as client,
        ):
            yield fake, server, client


@pytest.fixture
def models_dir(
    make_settings: Callable[..., Settings],
) -> Iterator[Served]:
    """`llama-server --models-dir`: three GGUFs, none loaded, loaded on demand."""
    with _served("router", make_settings) as served:
        yield served


@pytest.fixture
def preset(
    make_settings: Callable[..., Settings],
) -> Iterator[Served]:
    """`llama-server --models-preset`: `gemma-chat`, and `minilm-embed` loaded at start."""
    with _served("router-preset", make_settings) as served:
        yield served


def _admin_models(server: RouterServer) -> dict[str, dict[str, Any]]:
    answer = httpx.get(f"{server.url}/admin/models").json()
    return {m["name"]: m for m in answer["models"]}


def test_models_dir_lists_every_model_after_the_router_model(
    models_dir: Served,
) -> None:
    _, _, client = models_dir
    ids = [m.id for m in client.models.list()]
    assert ids == [
        ROUTER_MODEL,
        "smarterrouter/fast",
        "smarterrouter/best",
        "gemma-3-270m-q4_k_m",
        "gemma-copy",
        "minilm-link",
    ]


def test_preset_lists_its_chat_and_embedding_models(
    preset: Served,
) -> None:
    _, _, client = preset
    assert [m.id for m in client.models.list()] == [
        ROUTER_MODEL,
        "smarterrouter/fast",
        "smarterrouter/best",
        "gemma-chat",
        "minilm-embed",
    ]


def test_admin_models_shows_what_the_preset_tells(
    preset: Served,
) -> None:
    _, server, _ = preset
    models = _admin_models(server)
    embed, chat = models["minilm-embed"], models["gemma-chat"]
    # `embeddings = true` in the preset: llama-server itself lists it as a completion model.
    assert embed["capabilities"] == ["embedding"]
    assert embed["loaded"] is True
    assert embed["parameters_b"] == pytest.approx(0.022565376)
    assert embed["parameters_from"] == "metadata"
    assert (embed["quantization"], embed["context_length"]) == ("Q8_0", 512)
    assert embed["size_bytes"] == 24_645_744
    assert chat["capabilities"] == ["chat"]
    assert (chat["loaded"], chat["context_length"]) == (False, 2048)


def test_admin_models_shows_sizes_from_names_for_unloaded_models(
    models_dir: Served,
) -> None:
    _, server, _ = models_dir
    gemma = _admin_models(server)["gemma-3-270m-q4_k_m"]
    assert gemma["parameters_b"] == pytest.approx(0.27)
    assert gemma["parameters_from"] == "name"
    assert (gemma["capabilities"], gemma["context_length"]) == (["chat"], 2048)
    assert gemma["loaded"] is False


def test_embeddings_for_the_router_model_go_to_the_preset_embedding_model(
    preset: Served,
) -> None:
    fake, _, client = preset
    result = client.embeddings.create(model=ROUTER_MODEL, input=["one", "two"])
    assert result.model == "minilm-embed"
    assert [len(d.embedding) for d in result.data] == [384, 384]
    [sent] = fake.received("/v1/embeddings")
    assert sent.json["model"] == "minilm-embed"
    assert sent.json["input"] == ["one", "two"]


def test_a_single_server_running_an_encoder_serves_embeddings_without_overrides(
    make_settings: Callable[..., Settings],
) -> None:
    # `llama-server -m all-minilm-l6-v2.gguf --embeddings`, in front of nothing else.
    with _served("single-embedding", make_settings) as (fake, server, client):
        assert _admin_models(server)["all-minilm-l6-v2"]["capabilities"] == ["embedding"]
        result = client.embeddings.create(model=ROUTER_MODEL, input="one")
        assert result.model == "all-minilm-l6-v2"
        assert len(fake.received("/v1/embeddings")) == 1


def test_routed_chat_never_goes_to_the_embedding_model(
    preset: Served,
) -> None:
    fake, _, client = preset
    raw = client.chat.completions.with_raw_response.create(
        model=ROUTER_MODEL, messages=[{"role": "user", "content": "hello there"}]
    )
    assert raw.headers["x-smarterrouter-model"] == "gemma-chat"
    assert [r.json["model"] for r in fake.received("/v1/chat/completions")] == ["gemma-chat"]


def test_a_named_unloaded_model_is_loaded_on_demand_and_answers(
    models_dir: Served,
) -> None:
    fake, _, client = models_dir
    assert fake.status("gemma-copy") == "unloaded"
    answer = client.chat.completions.create(
        model="gemma-copy", messages=[{"role": "user", "content": "hi"}]
    )
    assert answer.model == "gemma-copy"
    assert answer.choices[0].message.content == f"{RECORDED_ANSWER}\nModel: gemma-copy"
    [sent] = fake.received("/v1/chat/completions")
    assert sent.json["model"] == "gemma-copy"  # router mode needs the model in every request
    assert fake.status("gemma-copy") == "loaded"


def test_the_router_learns_a_loaded_models_metadata(
    make_settings: Callable[..., Settings],
) -> None:
    # llama-server shows a model's `meta` (parameters, quantization) only once loaded.
    with _served("router", make_settings, polling_interval=0.05) as (fake, server, client):
        client.chat.completions.create(
            model="gemma-copy", messages=[{"role": "user", "content": "hi"}]
        )
        deadline = time.monotonic() + 5
        while not (gemma := _admin_models(server)["gemma-copy"])["loaded"]:
            assert time.monotonic() < deadline, f"never seen loaded: {gemma}"
            time.sleep(0.02)
        assert gemma["parameters_from"] == "metadata"
        assert gemma["parameters_b"] == pytest.approx(0.268, abs=0.001)
        # llama-server says "Q4_K - Medium"; shown in the usual tag form.
        assert gemma["quantization"] == "Q4_K_M"
        assert fake.status("gemma-copy") == "loaded"


def test_an_unknown_model_is_a_404_without_asking_llama_server_to_chat(
    models_dir: Served,
) -> None:
    fake, _, client = models_dir
    with pytest.raises(openai.NotFoundError) as caught:
        client.chat.completions.create(
            model="no-such-gguf", messages=[{"role": "user", "content": "hi"}]
        )
    assert caught.value.code == "model_not_found"
    assert fake.received("/v1/chat/completions") == []


@pytest.mark.parametrize("mode", ["router", "router-preset"])
def test_streaming_relays_the_recorded_stream(
    mode: Mode, make_settings: Callable[..., Settings]
) -> None:
    with _served(mode, make_settings) as (fake, server, client):
        explained = httpx.get(f"{server.url}/admin/explain", params={"prompt": "hi"}).json()
        model = explained["decision"]["model"]
        with client.chat.completions.with_streaming_response.create(
            model=ROUTER_MODEL,
            stream=True,
            stream_options={"include_usage": True},
            messages=[{"role": "user", "content": "hi"}],
        ) as response:
            assert response.headers["x-smarterrouter-model"] == model
            chunks = list(response.parse())
        text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
        assert text == f"{RECORDED_STREAM}\nModel: {model}"
        assert {c.model for c in chunks} == {model}
        assert chunks[-1].choices == [] and chunks[-1].usage is not None
        [sent] = fake.received("/v1/chat/completions")
        assert sent.json["stream"] is True and sent.json["model"] == model


def test_a_raw_stream_ends_with_done(
    preset: Served,
) -> None:
    _, server, _ = preset
    body = {"model": "gemma-chat", "stream": True, "messages": [{"role": "user", "content": "x"}]}
    with httpx.stream("POST", f"{server.openai_url}/chat/completions", json=body) as resp:
        assert resp.headers["content-type"].startswith("text/event-stream")
        events = [line for line in resp.iter_lines() if line]
    assert events[-1] == "data: [DONE]"
    assert all(e.startswith("data: {") for e in events[:-1])

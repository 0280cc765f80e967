"""Model discovery parsers, fed with recorded real llama-server answers."""

from __future__ import annotations

from typing import Any

import pytest

from fakes.recordings import load_recording
from smarterrouter.backends.llamacpp import (
    parse_router_model,
    parse_single_model,
    quantization_name,
)
from smarterrouter.backends.openai_compat import parse_model


def recorded(name: str) -> dict[str, Any]:
    data: dict[str, Any] = load_recording("llama-server", name).json()
    return data


def test_single_model_from_models_and_props() -> None:
    entry = recorded("v1_models.txt")["data"][0]
    info = parse_single_model(entry, recorded("props.txt"), "box")
    assert info.name == "models/gemma-3-270m-q4_k_m.gguf"
    assert info.backend == "box"
    assert info.parameter_count_b == pytest.approx(0.268098176)
    assert info.context_length == 4096
    assert info.quantization == "Q4_K_M"
    assert info.size_bytes == 246587904
    assert info.capabilities == frozenset({"chat"})
    assert info.loaded is True
    assert info.details["n_ctx_train"] == 32768


def test_single_model_vision_and_tools_come_from_props() -> None:
    entry = recorded("v1_models.txt")["data"][0]
    props = recorded("props.txt")
    props["modalities"]["vision"] = True
    props["chat_template_caps"]["supports_tools"] = True
    info = parse_single_model(entry, props, "box")
    assert info.capabilities == frozenset({"chat", "vision", "tools"})


def test_a_single_encoder_model_is_an_embedding_model() -> None:
    # What llama-server's /props says of all-MiniLM-L6-v2 (a BERT encoder).
    entry = recorded("v1_models_minilm.txt")["data"][0]
    props = {**recorded("props.txt"), "bos_token": "[CLS]", "eos_token": "[SEP]"}
    assert parse_single_model(entry, props, "box").capabilities == frozenset({"embedding"})


def test_a_single_model_named_embed_is_an_embedding_model() -> None:
    entry = {**recorded("v1_models.txt")["data"][0], "id": "nomic-embed-text-v1.5.Q8_0.gguf"}
    info = parse_single_model(entry, recorded("props.txt"), "box")
    assert info.capabilities == frozenset({"embedding"})


def test_router_model_unloaded_knows_context_from_its_args() -> None:
    entry = recorded("router_models_initial.txt")["data"][0]
    info = parse_router_model(entry, "box")
    assert info.name == "gemma-3-270m-q4_k_m"
    assert info.loaded is False
    assert info.context_length == 2048
    assert info.parameter_count_b is None
    assert info.capabilities == frozenset({"chat"})
    assert info.details["status"] == "unloaded"


def test_router_model_loaded_has_meta() -> None:
    entry = recorded("router_models_after_load.txt")["data"][0]
    info = parse_router_model(entry, "box")
    assert info.loaded is True
    assert info.parameter_count_b == pytest.approx(0.268098176)
    assert info.context_length == 2048
    assert info.size_bytes == 246587904


def test_router_model_remembered_meta_is_used_once_unloaded() -> None:
    loaded = recorded("router_models_after_load.txt")["data"][0]
    unloaded = recorded("router_models_initial.txt")["data"][0]
    info = parse_router_model(unloaded, "box", loaded["meta"])
    assert info.loaded is False
    assert info.quantization == "Q4_K_M"


def test_router_preset_embeddings_line_means_embedding_model() -> None:
    chat, embed = recorded("router_preset_models.txt")["data"]
    assert parse_router_model(chat, "box").capabilities == frozenset({"chat"})
    info = parse_router_model(embed, "box")
    assert info.capabilities == frozenset({"embedding"})
    assert info.context_length == 512


def test_router_embeddings_flag_alone_means_embedding_model() -> None:
    entry = recorded("router_models_initial.txt")["data"][2]
    entry["status"]["args"].append("--embeddings")
    entry["status"]["preset"] = ""
    assert parse_router_model(entry, "box").capabilities == frozenset({"embedding"})


def test_openai_model_entry() -> None:
    info = parse_model({"id": "gpt-4o-mini", "owned_by": "system", "created": 1}, "cloud")
    assert (info.name, info.backend, info.capabilities) == (
        "gpt-4o-mini",
        "cloud",
        frozenset({"chat"}),
    )
    assert info.details == {"owned_by": "system", "created": 1}


def test_openai_model_entry_extras() -> None:
    entry = {
        "id": "vendor/vl-model",
        "context_length": 131072,
        "architecture": {"input_modalities": ["text", "image"]},
        "supported_parameters": ["tools", "temperature"],
    }
    info = parse_model(entry, "router")
    assert info.context_length == 131072
    assert info.capabilities == frozenset({"chat", "vision", "tools"})
    assert parse_model({"id": "m", "max_model_len": 8192}, "vllm").context_length == 8192
    assert parse_model({"id": "text-embedding-3-small"}, "c").capabilities == frozenset(
        {"embedding"}
    )


@pytest.mark.parametrize(
    ("ftype", "name"),
    [
        ("Q4_K - Medium", "Q4_K_M"),
        ("Q5_K - Small", "Q5_K_S"),
        ("Q3_K - Large", "Q3_K_L"),
        ("Q4_1", "Q4_1"),
        ("Q8_0", "Q8_0"),
        ("IQ2_XS - 2.3125 bpw", "IQ2_XS"),
        ("", None),
    ],
)
def test_llamacpp_file_types_read_as_tags(ftype: str, name: str | None) -> None:
    assert quantization_name(ftype) == name

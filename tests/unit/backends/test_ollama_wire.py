"""OpenAI <-> Ollama translation, values in and values out."""

from __future__ import annotations

import base64
import json
import struct
from typing import Any

import pytest

from smarterrouter.backends.base import ChatRequest, EmbedRequest
from smarterrouter.backends.ollama_wire import (
    StreamTranslator,
    from_ollama_chat,
    from_ollama_embed,
    parse_ollama_model,
    parse_parameter_size,
    to_ollama_chat,
    to_ollama_embed,
)
from smarterrouter.errors import InvalidRequest

PNG = "iVBORw0KGgoAAAANSUhEUg=="
WEATHER_TOOL = {
    "type": "function",
    "function": {"name": "get_weather", "parameters": {"type": "object", "properties": {}}},
}


def chat(body: dict[str, Any], *, stream: bool = False, **kw: Any) -> dict[str, Any]:
    return to_ollama_chat(ChatRequest(model="llama3.2:3b", body=body), stream=stream, **kw)


def test_plain_request_sets_model_messages_and_stream() -> None:
    out = chat({"model": "smarterrouter/main", "messages": [{"role": "user", "content": "hi"}]})
    assert out == {
        "model": "llama3.2:3b",
        "messages": [{"role": "user", "content": "hi"}],
        "stream": False,
    }


def test_sampling_goes_under_options_with_ollama_names() -> None:
    out = chat(
        {
            "messages": [],
            "temperature": 0.2,
            "top_p": 0.9,
            "seed": 7,
            "max_tokens": 50,
            "stop": "###",
            "presence_penalty": 0.5,
            "frequency_penalty": 0.25,
            "top_k": 20,
            "num_ctx": 8192,
            "repeat_penalty": 1.1,
        }
    )
    assert out["options"] == {
        "temperature": 0.2,
        "top_p": 0.9,
        "seed": 7,
        "num_predict": 50,
        "stop": ["###"],
        "presence_penalty": 0.5,
        "frequency_penalty": 0.25,
        "top_k": 20,
        "num_ctx": 8192,
        "repeat_penalty": 1.1,
    }
    assert not {"temperature", "max_tokens", "top_k", "num_ctx", "stop"} & out.keys()


def test_max_completion_tokens_wins_and_stop_lists_stay_lists() -> None:
    out = chat({"messages": [], "max_tokens": 10, "max_completion_tokens": 30, "stop": ["a", "b"]})
    assert out["options"] == {"num_predict": 30, "stop": ["a", "b"]}


def test_explicit_options_object_is_kept_and_merged() -> None:
    out = chat({"messages": [], "options": {"num_gpu": 10}, "temperature": 0})
    assert out["options"] == {"num_gpu": 10, "temperature": 0}


def test_unknown_fields_pass_through_and_keep_alive_is_sent() -> None:
    out = chat({"messages": [], "think": True, "logprobs": True, "keep_alive": "10m"})
    assert out["think"] is True
    assert out["logprobs"] is True
    assert out["keep_alive"] == "10m"


def test_backend_keep_alive_applies_when_the_client_sends_none() -> None:
    assert chat({"messages": []}, keep_alive=-1)["keep_alive"] == -1
    assert chat({"messages": [], "keep_alive": 0}, keep_alive=-1)["keep_alive"] == 0


@pytest.mark.parametrize(
    ("response_format", "expected"),
    [
        ({"type": "json_object"}, "json"),
        (
            {"type": "json_schema", "json_schema": {"name": "x", "schema": {"type": "object"}}},
            {"type": "object"},
        ),
    ],
)
def test_response_format_becomes_format(response_format: Any, expected: Any) -> None:
    assert chat({"messages": [], "response_format": response_format})["format"] == expected


def test_text_response_format_sets_no_format() -> None:
    assert "format" not in chat({"messages": [], "response_format": {"type": "text"}})


def test_content_parts_join_text_and_move_data_images_to_images() -> None:
    message = {
        "role": "user",
        "content": [
            {"type": "text", "text": "What is this?"},
            {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG}"}},
            {"type": "text", "text": "Be brief."},
        ],
    }
    assert chat({"messages": [message]})["messages"] == [
        {"role": "user", "content": "What is this?\nBe brief.", "images": [PNG]}
    ]


def test_linked_image_is_refused_with_a_clear_message() -> None:
    part = {"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}}
    with pytest.raises(InvalidRequest, match=r"data: URL.*https://example.com/cat.png"):
        chat({"messages": [{"role": "user", "content": [part]}]})


def test_unsupported_content_part_is_refused() -> None:
    part = {"type": "input_audio", "input_audio": {"data": "AAAA", "format": "wav"}}
    with pytest.raises(InvalidRequest, match="input_audio"):
        chat({"messages": [{"role": "user", "content": [part]}]})


def test_tool_round_trip_messages() -> None:
    messages = [
        {"role": "developer", "content": "Use tools."},
        {"role": "user", "content": "Weather in Paris?"},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "call_1", "content": "18C"},
    ]
    out = chat({"messages": messages, "tools": [WEATHER_TOOL]})
    assert out["messages"] == [
        {"role": "system", "content": "Use tools."},
        {"role": "user", "content": "Weather in Paris?"},
        {
            "role": "assistant",
            "content": "",
            "tool_calls": [
                {
                    "function": {"name": "get_weather", "arguments": {"city": "Paris"}},
                    "id": "call_1",
                }
            ],
        },
        {"role": "tool", "content": "18C", "tool_name": "get_weather", "tool_call_id": "call_1"},
    ]
    assert out["tools"] == [WEATHER_TOOL]


def test_bad_tool_arguments_are_refused() -> None:
    call = {"id": "c", "type": "function", "function": {"name": "f", "arguments": "{not json"}}
    with pytest.raises(InvalidRequest, match="not valid JSON"):
        chat({"messages": [{"role": "assistant", "content": "", "tool_calls": [call]}]})


def test_tool_choice_none_withholds_tools_and_named_choice_keeps_one() -> None:
    other = {"type": "function", "function": {"name": "other"}}
    assert "tools" not in chat({"messages": [], "tools": [WEATHER_TOOL], "tool_choice": "none"})
    named = {"type": "function", "function": {"name": "get_weather"}}
    out = chat({"messages": [], "tools": [other, WEATHER_TOOL], "tool_choice": named})
    assert out["tools"] == [WEATHER_TOOL]


def test_more_than_one_choice_is_refused() -> None:
    with pytest.raises(InvalidRequest, match="n=1"):
        chat({"messages": [], "n": 2})


def test_answer_with_content() -> None:
    answer = {
        "model": "llama3.2:3b",
        "message": {"role": "assistant", "content": "Hello!"},
        "done": True,
        "done_reason": "stop",
        "prompt_eval_count": 26,
        "eval_count": 5,
    }
    out = from_ollama_chat(answer, "llama3.2:3b")
    assert out["object"] == "chat.completion"
    assert out["id"].startswith("chatcmpl-")
    assert isinstance(out["created"], int)
    assert out["model"] == "llama3.2:3b"
    assert out["choices"] == [
        {
            "index": 0,
            "message": {"role": "assistant", "content": "Hello!"},
            "finish_reason": "stop",
            "logprobs": None,
        }
    ]
    assert out["usage"] == {"prompt_tokens": 26, "completion_tokens": 5, "total_tokens": 31}


def test_answer_cut_by_num_predict_finishes_with_length() -> None:
    answer = {"message": {"content": "Hel"}, "done": True, "done_reason": "length"}
    assert from_ollama_chat(answer, "m")["choices"][0]["finish_reason"] == "length"


def test_answer_with_tool_calls() -> None:
    answer = {
        "message": {
            "role": "assistant",
            "content": "",
            "tool_calls": [{"function": {"name": "get_weather", "arguments": {"city": "Paris"}}}],
        },
        "done": True,
        "done_reason": "stop",
    }
    choice = from_ollama_chat(answer, "m")["choices"][0]
    assert choice["finish_reason"] == "tool_calls"
    assert choice["message"]["content"] is None
    (call,) = choice["message"]["tool_calls"]
    assert call["id"].startswith("call_")
    assert call["type"] == "function"
    assert call["function"]["name"] == "get_weather"
    assert json.loads(call["function"]["arguments"]) == {"city": "Paris"}


def test_stream_translation_sends_role_content_finish_and_usage() -> None:
    translator = StreamTranslator("m", include_usage=True)
    lines = [
        {"message": {"role": "assistant", "content": "Hel"}, "done": False},
        {"message": {"role": "assistant", "content": "lo"}, "done": False},
        {
            "message": {"role": "assistant", "content": ""},
            "done": True,
            "done_reason": "stop",
            "prompt_eval_count": 3,
            "eval_count": 2,
        },
    ]
    chunks = [c for line in lines for c in translator.feed(line)]
    assert [c["choices"][0]["delta"] if c["choices"] else None for c in chunks] == [
        {"role": "assistant", "content": ""},
        {"content": "Hel"},
        {"content": "lo"},
        {},
        None,
    ]
    assert chunks[3]["choices"][0]["finish_reason"] == "stop"
    assert chunks[4]["usage"] == {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5}
    assert {c["id"] for c in chunks} == {chunks[0]["id"]}
    assert {c["object"] for c in chunks} == {"chat.completion.chunk"}
    assert translator.done


def test_stream_translation_of_tool_calls_without_usage() -> None:
    translator = StreamTranslator("m", include_usage=False)
    call = {"function": {"name": "f", "arguments": {"x": 1}}}
    chunks = translator.feed(
        {"message": {"content": "", "tool_calls": [call, call]}, "done": False}
    )
    chunks += translator.feed({"message": {"content": ""}, "done": True, "done_reason": "stop"})
    deltas = chunks[1]["choices"][0]["delta"]["tool_calls"]
    assert [d["index"] for d in deltas] == [0, 1]
    assert json.loads(deltas[0]["function"]["arguments"]) == {"x": 1}
    assert chunks[-1]["choices"][0]["finish_reason"] == "tool_calls"
    assert all(c["choices"] for c in chunks)


def test_embed_request_and_answer() -> None:
    req = EmbedRequest(
        model="nomic-embed-text", body={"model": "x", "input": ["a", "b"], "dimensions": 4}
    )
    assert to_ollama_embed(req) == {
        "model": "nomic-embed-text",
        "input": ["a", "b"],
        "dimensions": 4,
    }
    answer = {"embeddings": [[0.5, 1.0], [0.25, 0.0]], "prompt_eval_count": 4}
    assert from_ollama_embed(answer, req) == {
        "object": "list",
        "data": [
            {"object": "embedding", "index": 0, "embedding": [0.5, 1.0]},
            {"object": "embedding", "index": 1, "embedding": [0.25, 0.0]},
        ],
        "model": "nomic-embed-text",
        "usage": {"prompt_tokens": 4, "total_tokens": 4},
    }


def test_embed_answer_in_base64_is_little_endian_float32() -> None:
    req = EmbedRequest(model="m", body={"input": "a", "encoding_format": "base64"})
    out = from_ollama_embed({"embeddings": [[0.5, -2.0]]}, req)
    raw = base64.b64decode(out["data"][0]["embedding"])
    assert struct.unpack("<2f", raw) == (0.5, -2.0)


def test_embed_of_token_ids_is_refused() -> None:
    with pytest.raises(InvalidRequest, match="token ids"):
        to_ollama_embed(EmbedRequest(model="m", body={"input": [[1, 2, 3]]}))


@pytest.mark.parametrize(
    ("text", "billions"),
    [("7.6B", 7.6), ("270M", 0.27), ("137M", 0.137), ("8x7B", None), ("", None)],
)
def test_parameter_size(text: str, billions: float | None) -> None:
    found = parse_parameter_size(text)
    if billions is None:
        assert found is None
    else:
        assert found == pytest.approx(billions)


def test_model_from_tags_and_show() -> None:
    tag = {"name": "qwen2.5:7b", "size": 4_683_087_332, "digest": "abc", "details": {}}
    show = {
        "details": {"family": "qwen2", "parameter_size": "7.6B", "quantization_level": "Q4_K_M"},
        "model_info": {"general.architecture": "qwen2", "qwen2.context_length": 32768},
        "capabilities": ["completion", "tools", "insert"],
    }
    info = parse_ollama_model(tag, show, "ollama")
    assert (info.name, info.backend, info.family) == ("qwen2.5:7b", "ollama", "qwen2")
    assert info.parameter_count_b == pytest.approx(7.6)
    assert info.quantization == "Q4_K_M"
    assert info.context_length == 32768
    assert info.capabilities == frozenset({"chat", "tools"})
    assert (info.size_bytes, info.digest) == (4_683_087_332, "abc")


def test_embedding_model_has_only_the_embedding_capability() -> None:
    info = parse_ollama_model({"name": "e"}, {"capabilities": ["embedding"]}, "o")
    assert info.capabilities == frozenset({"embedding"})

"""Answer -> stream -> answer: the replay is faithful, and real streams assemble."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from openai.lib.streaming.chat import ChatCompletionStreamState
from openai.types.chat import ChatCompletionChunk

from fakes.recordings import load_recording
from smarterrouter.cache.replay import StreamAssembler, replay_chunks, split_text

USAGE = {"prompt_tokens": 12, "completion_tokens": 40, "total_tokens": 52}
LONG_TEXT = "Paris is the capital of France. " * 12 + "It sits on the Seine."


def completion(message: dict[str, Any], finish_reason: str = "stop") -> dict[str, Any]:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1700000000,
        "model": "qwen3:8b",
        "choices": [{"index": 0, "message": message, "finish_reason": finish_reason}],
        "usage": USAGE,
    }


def tool_call(n: int, arguments: str) -> dict[str, Any]:
    return {
        "id": f"call_{n}",
        "type": "function",
        "function": {"name": f"tool_{n}", "arguments": arguments},
    }


ANSWERS = {
    "text": completion({"role": "assistant", "content": LONG_TEXT}),
    "short text": completion({"role": "assistant", "content": "Yes."}),
    "empty text": completion({"role": "assistant", "content": ""}, "length"),
    "non-ascii": completion({"role": "assistant", "content": "Ça va ? 日本語 🙂 " * 5}),
    "reasoning then text": completion(
        {"role": "assistant", "content": "42", "reasoning_content": "Think " * 30}
    ),
    "tool calls": completion(
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                tool_call(0, '{"city": "Oslo", "unit": "celsius", "days": 3, "hourly": true}'),
                tool_call(1, "{}"),
            ],
        },
        "tool_calls",
    ),
}


def assemble(chunks: list[dict[str, Any]]) -> dict[str, Any] | None:
    assembler = StreamAssembler()
    for chunk in chunks:
        assembler.observe(chunk)
    return assembler.completion()


@pytest.mark.parametrize("answer", ANSWERS.values(), ids=ANSWERS.keys())
def test_completion_to_chunks_to_completion_is_identity(answer: dict[str, Any]) -> None:
    chunks = replay_chunks(answer, include_usage=True)
    assert assemble(chunks) == answer


@pytest.mark.parametrize("answer", ANSWERS.values(), ids=ANSWERS.keys())
def test_replayed_chunks_are_valid_openai_chunks(answer: dict[str, Any]) -> None:
    for chunk in replay_chunks(answer, include_usage=True):
        ChatCompletionChunk.model_validate(chunk)


@pytest.mark.parametrize("answer", ANSWERS.values(), ids=ANSWERS.keys())
def test_the_openai_sdk_accumulates_the_replay_to_the_same_answer(answer: dict[str, Any]) -> None:
    state: ChatCompletionStreamState[None] = ChatCompletionStreamState()
    for chunk in replay_chunks(answer, include_usage=True):
        state.handle_chunk(ChatCompletionChunk.model_validate(chunk))
    # The snapshot, not get_final_completion(): that one refuses finish_reason "length".
    final = state.current_completion_snapshot
    expected = answer["choices"][0]
    assert final.choices[0].message.content == expected["message"]["content"]
    assert final.choices[0].finish_reason == expected["finish_reason"]
    fields = {"id": True, "type": True, "function": {"name", "arguments"}}
    calls = [c.model_dump(include=fields) for c in final.choices[0].message.tool_calls or []]
    assert calls == expected["message"].get("tool_calls", [])
    assert final.usage is not None
    assert final.usage.total_tokens == USAGE["total_tokens"]


def test_stream_shape_role_first_then_pieces_then_finish_then_usage() -> None:
    chunks = replay_chunks(ANSWERS["text"], include_usage=True)
    deltas = [c["choices"][0]["delta"] for c in chunks[:-1]]
    assert deltas[0] == {"role": "assistant"}
    pieces = [d["content"] for d in deltas[1:-1]]
    assert 2 <= len(pieces) <= 8
    assert "".join(pieces) == LONG_TEXT
    assert chunks[-2]["choices"][0] == {"index": 0, "delta": {}, "finish_reason": "stop"}
    assert chunks[-1]["choices"] == []
    assert chunks[-1]["usage"] == USAGE
    assert all(c["object"] == "chat.completion.chunk" for c in chunks)
    assert {c["id"] for c in chunks} == {"chatcmpl-1"}


def test_tool_call_opens_with_id_and_name_then_streams_arguments() -> None:
    chunks = replay_chunks(ANSWERS["tool calls"])
    calls = [
        c["choices"][0]["delta"]["tool_calls"][0]
        for c in chunks
        if c["choices"][0]["delta"].get("tool_calls")
    ]
    assert calls[0] == {
        "index": 0,
        "id": "call_0",
        "type": "function",
        "function": {"name": "tool_0", "arguments": ""},
    }
    first_args = [
        c["function"]["arguments"] for c in calls[1:] if c["index"] == 0 and "id" not in c
    ]
    assert len(first_args) >= 2
    assert all(set(c) == {"index", "function"} for c in calls[1:] if c["index"] == 0)


def test_no_usage_chunk_unless_asked() -> None:
    chunks = replay_chunks(ANSWERS["text"])
    assert all(c["choices"] for c in chunks)
    assert "usage" not in (assemble(chunks) or {})


def test_split_text_joins_back() -> None:
    assert split_text("") == []
    assert split_text("short") == ["short"]
    pieces = split_text(LONG_TEXT)
    assert "".join(pieces) == LONG_TEXT
    assert len(pieces) <= 8


def test_a_real_llama_server_stream_assembles() -> None:
    chunks = load_recording(
        "llama-server", "chat_completions_stream_include_usage.txt"
    ).sse_events()
    answer = assemble(chunks)
    assert answer is not None
    text = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"])
    assert answer["id"] == chunks[0]["id"]
    assert answer["object"] == "chat.completion"
    assert answer["choices"][0]["message"] == {"role": "assistant", "content": text}
    assert answer["choices"][0]["finish_reason"] == "length"
    assert answer["usage"]["completion_tokens"] == 8
    # And it streams back out as the same answer.
    assert assemble(replay_chunks(answer, include_usage=True)) == answer


def test_a_stream_with_an_error_event_is_not_whole() -> None:
    chunks = replay_chunks(ANSWERS["text"])
    broken = [*chunks[:3], {"error": {"message": "upstream went away", "type": "server_error"}}]
    assert assemble(broken) is None
    assert assemble([*chunks[:3], {"error": {"message": "x"}}, *chunks[3:]]) is None


def test_a_stream_that_stopped_before_finishing_is_not_whole() -> None:
    chunks = replay_chunks(ANSWERS["text"])
    assert assemble(chunks[:-1]) is None
    assert assemble([]) is None


def test_observing_does_not_change_the_chunks() -> None:
    chunks = replay_chunks(ANSWERS["tool calls"], include_usage=True)
    before = copy.deepcopy(chunks)
    assemble(chunks)
    assert chunks == before

from smarterrouter.signature import StreamSigner, sign_completion, wants_signature

FMT = "\nModel: {model}"


def completion(content: str | None, tool_calls: list[dict[str, object]] | None = None) -> dict:
    message: dict[str, object] = {"role": "assistant", "content": content}
    if tool_calls:
        message["tool_calls"] = tool_calls
    return {"choices": [{"index": 0, "message": message, "finish_reason": "stop"}]}


def test_signature_is_appended_never_replacing() -> None:
    answer = completion("Paris.\nModel: something the model wrote")
    sign_completion(answer, FMT, "m1")
    assert answer["choices"][0]["message"]["content"] == (
        "Paris.\nModel: something the model wrote\nModel: m1"
    )


def test_unclosed_fence_is_closed_before_the_signature() -> None:
    answer = completion("```python\nprint(1)")
    sign_completion(answer, FMT, "m1")
    assert answer["choices"][0]["message"]["content"] == "```python\nprint(1)\n```\nModel: m1"


def test_no_signature_on_tool_calls_or_json() -> None:
    call = [{"id": "c", "type": "function", "function": {"name": "f", "arguments": "{}"}}]
    answer = completion(None, call)
    sign_completion(answer, FMT, "m1")
    assert answer["choices"][0]["message"]["content"] is None
    assert not wants_signature({"response_format": {"type": "json_object"}})
    assert wants_signature({"response_format": {"type": "text"}})


def test_stream_signer_follows_the_text() -> None:
    signer = StreamSigner(FMT, "m1")
    for text in ["```", "code"]:
        signer.observe({"choices": [{"delta": {"content": text}}]})
    final = {"choices": [{"delta": {}, "finish_reason": "length"}]}
    assert signer.is_final(final)
    assert signer.suffix() == "\n```\nModel: m1"
    assert signer.suffix() is None  # once only


def test_stream_signer_skips_tool_calls() -> None:
    signer = StreamSigner(FMT, "m1")
    signer.observe({"choices": [{"delta": {"tool_calls": [{"index": 0}]}}]})
    assert signer.suffix() is None

from __future__ import annotations

from datetime import datetime

import pytest

from smarterrouter.storage import DecisionRecord, hash_conversation

CONVERSATION = [
    {"role": "system", "content": "Be brief."},
    {"role": "user", "content": "What is the capital of France?"},
]


def test_the_conversation_hash_is_a_sha256_hex_digest_and_ignores_key_order() -> None:
    reordered = [{"content": m["content"], "role": m["role"]} for m in CONVERSATION]

    digest = hash_conversation(CONVERSATION)

    assert len(digest) == 64
    assert int(digest, 16) >= 0
    assert hash_conversation(reordered) == digest


def test_the_conversation_hash_depends_on_message_order_and_content() -> None:
    digest = hash_conversation(CONVERSATION)

    assert hash_conversation(list(reversed(CONVERSATION))) != digest
    assert hash_conversation([*CONVERSATION, {"role": "user", "content": "?"}]) != digest


def record(**changes: object) -> DecisionRecord:
    fields: dict[str, object] = {
        "request_id": "req-1",
        "prompt_hash": hash_conversation(CONVERSATION),
        "requested_model": "smarterrouter/main",
        "chosen_model": "qwen2.5:7b",
        "backend": "ollama",
        "status": "ok",
        "latency_ms": 12.5,
    }
    fields.update(changes)
    return DecisionRecord(**fields)  # type: ignore[arg-type]


def test_a_record_refuses_prompt_text_in_place_of_its_hash() -> None:
    with pytest.raises(ValueError, match="sha256"):
        record(prompt_hash="What is the capital of France?")


def test_a_record_refuses_a_naive_timestamp_and_an_unknown_status() -> None:
    with pytest.raises(ValueError, match="timezone"):
        record(created_at=datetime(2025, 1, 1))
    with pytest.raises(ValueError, match="status"):
        record(status="maybe")


def test_a_record_defaults_to_an_aware_utc_timestamp() -> None:
    assert record().created_at.utcoffset() is not None

from __future__ import annotations

from smarterrouter.backends.llamaswap import parse_running


def test_running_models_with_their_states() -> None:
    answer = {
        "running": [
            {"model": "qwen-coder", "state": "ready", "ttl": 300, "cmd": "llama-server ..."},
            {"model": "llama-3b", "state": "starting"},
        ]
    }
    assert parse_running(answer) == {"qwen-coder": "ready", "llama-3b": "starting"}


def test_older_releases_without_state_list_only_ready_models() -> None:
    assert parse_running({"running": [{"model": "a"}]}) == {"a": "ready"}


def test_nothing_running_and_malformed_entries() -> None:
    assert parse_running({"running": []}) == {}
    assert parse_running({}) == {}
    assert parse_running({"running": [{"state": "ready"}, "x", {"model": 3}]}) == {}

"""Speed from streamed answers: the backend's timings first, measured otherwise."""

from __future__ import annotations

import pytest

from smarterrouter.backends.ollama_wire import StreamTranslator
from smarterrouter.profiling.speed import (
    MIN_TIMEOUT_S,
    BackendTimings,
    Generation,
    parse_timings,
    prompt_timeout,
    summarize,
)

# The `timings` object of a real llama-server stream's last chunk (b6000-era build).
LLAMA_CHUNK = {
    "choices": [],
    "usage": {"completion_tokens": 16, "prompt_tokens": 25, "total_tokens": 41},
    "timings": {
        "prompt_n": 25,
        "prompt_ms": 50.0,
        "prompt_per_token_ms": 2.0,
        "prompt_per_second": 500.0,
        "predicted_n": 16,
        "predicted_ms": 200.0,
        "predicted_per_token_ms": 12.5,
        "predicted_per_second": 80.0,
    },
}


def _gen(timings: BackendTimings | None = None, **kw: object) -> Generation:
    base: dict[str, object] = dict(
        text="x", ttft_s=0.1, total_s=1.1, prompt_tokens=20, completion_tokens=11, timings=timings
    )
    base.update(kw)
    return Generation(**base)  # type: ignore[arg-type]


def test_llama_cpp_timings_are_read_from_a_chunk() -> None:
    assert parse_timings(LLAMA_CHUNK) == BackendTimings(25, 50.0, 16, 200.0)
    assert parse_timings({"choices": []}) is None
    assert parse_timings({"timings": {"prompt_n": "many"}}) is None


def test_ollama_counters_arrive_in_the_same_shape() -> None:
    translator = StreamTranslator("m", include_usage=True)
    done = {
        "message": {"role": "assistant", "content": ""},
        "done": True,
        "done_reason": "stop",
        "prompt_eval_count": 26,
        "prompt_eval_duration": 130_000_000,
        "eval_count": 290,
        "eval_duration": 4_709_213_000,
    }
    usage_chunk = translator.feed(done)[-1]
    assert parse_timings(usage_chunk) == BackendTimings(26, 130.0, 290, 4709.213)


def test_backend_timings_win_when_every_answer_has_them() -> None:
    speed = summarize([_gen(BackendTimings(25, 50.0, 16, 200.0))] * 2)
    assert speed.source == "backend"
    assert speed.prompt_tps == pytest.approx(500.0)
    assert speed.generation_tps == pytest.approx(80.0)
    assert speed.ttft_ms == pytest.approx(100.0)


def test_measured_speed_counts_tokens_after_the_first_over_the_time_after_it() -> None:
    # 11 tokens: the first at 0.1 s, 10 more in the next second.
    speed = summarize([_gen(), _gen(ttft_s=0.3, total_s=2.3, completion_tokens=21)])
    assert speed.source == "measured"
    assert speed.generation_tps == pytest.approx((10 + 20) / (1.0 + 2.0))
    assert speed.prompt_tps == pytest.approx(40 / 0.4)
    assert speed.ttft_ms == pytest.approx(200.0)


def test_an_empty_answer_gives_no_speed_rather_than_a_made_up_one() -> None:
    speed = summarize([_gen(ttft_s=None, completion_tokens=0, prompt_tokens=None)])
    assert (speed.ttft_ms, speed.prompt_tps, speed.generation_tps) == (None, None, None)


def test_the_time_limit_follows_the_measured_speed_within_the_cap() -> None:
    assert prompt_timeout(256, None, None, cap=90) == 90
    # 512 tokens at 32 tok/s: 16 s, +0.5 s to the first token, times the margin (3).
    assert prompt_timeout(512, 32.0, 0.5, cap=90) == pytest.approx(49.5)
    assert prompt_timeout(512, 2.0, 1.0, cap=90) == 90
    assert prompt_timeout(16, 1000.0, 0.01, cap=90) == MIN_TIMEOUT_S

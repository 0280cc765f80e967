"""Speed from the answers a model streamed: time to first token, prompt and
generation tokens per second.

The backend's own timings are preferred, as they exclude the network and the
router: llama.cpp's `timings` object (`prompt_n`, `prompt_ms`, `predicted_n`,
`predicted_ms`) arrives on its last stream chunks, and the Ollama backend puts
Ollama's `prompt_eval_*` / `eval_*` counters in the same shape. Without them
the speed is measured here, from the chunks' arrival times and the `usage`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

SpeedSource = Literal["backend", "measured"]

# A prompt may take this many times what the measured speed predicts.
TIMEOUT_MARGIN = 3.0
# ...and never less than this, whatever the speed (model warm-up, a busy GPU).
MIN_TIMEOUT_S = 15.0


@dataclass(frozen=True)
class BackendTimings:
    """What the backend measured for one answer (llama.cpp's names)."""

    prompt_n: int
    prompt_ms: float
    predicted_n: int
    predicted_ms: float


@dataclass(frozen=True)
class Generation:
    """One streamed answer: its text and how long each part took."""

    text: str
    ttft_s: float | None  # None: no content arrived
    total_s: float
    prompt_tokens: int | None
    completion_tokens: int | None
    timings: BackendTimings | None


@dataclass(frozen=True)
class Speed:
    ttft_ms: float | None
    prompt_tps: float | None
    generation_tps: float | None
    source: SpeedSource
    seconds: float = 0.0  # wall time of all the answers, first byte to last

    def as_dict(self) -> dict[str, Any]:
        return {
            "ttft_ms": _round(self.ttft_ms),
            "prompt_tokens_per_s": _round(self.prompt_tps),
            "generation_tokens_per_s": _round(self.generation_tps),
            "source": self.source,
            "answer_seconds": _round(self.seconds),
        }


def parse_timings(chunk: Mapping[str, Any]) -> BackendTimings | None:
    """llama.cpp's `timings` from a chunk, or None when it has none (or a broken one)."""
    found = chunk.get("timings")
    if not isinstance(found, Mapping):
        return None
    try:
        return BackendTimings(
            prompt_n=int(found["prompt_n"]),
            prompt_ms=float(found["prompt_ms"]),
            predicted_n=int(found["predicted_n"]),
            predicted_ms=float(found["predicted_ms"]),
        )
    except (KeyError, TypeError, ValueError):
        return None


def summarize(generations: Sequence[Generation]) -> Speed:
    """Tokens over time across all answers; the backend's timings if every answer had them."""
    ttfts = [g.ttft_s for g in generations if g.ttft_s is not None]
    ttft_ms = 1000 * sum(ttfts) / len(ttfts) if ttfts else None
    seconds = sum(g.total_s for g in generations)
    timings = [g.timings for g in generations if g.timings is not None]
    if timings and len(timings) == len(generations):
        return Speed(
            ttft_ms,
            _rate(sum(t.prompt_n for t in timings), sum(t.prompt_ms for t in timings) / 1000),
            _rate(sum(t.predicted_n for t in timings), sum(t.predicted_ms for t in timings) / 1000),
            "backend",
            seconds,
        )
    return Speed(
        ttft_ms,
        _measured_prompt_tps(generations),
        _measured_generation_tps(generations),
        "measured",
        seconds,
    )


def _measured_prompt_tps(generations: Sequence[Generation]) -> float | None:
    # Until the first token the model reads the prompt: the closest a client can get.
    pairs = [(g.prompt_tokens, g.ttft_s) for g in generations]
    tokens = sum(n for n, t in pairs if n and t)
    return _rate(tokens, sum(t for n, t in pairs if n and t))


def _measured_generation_tps(generations: Sequence[Generation]) -> float | None:
    pairs = [(g.completion_tokens, g.total_s - (g.ttft_s or 0.0)) for g in generations]
    tokens = sum(n for n, s in pairs if n and n > 1 and s > 0)
    # The first token came at ttft; the rest came in the time after it.
    seconds = sum(s for n, s in pairs if n and n > 1 and s > 0)
    count = sum(1 for n, s in pairs if n and n > 1 and s > 0)
    return _rate(tokens - count, seconds)


def _rate(tokens: int, seconds: float) -> float | None:
    return tokens / seconds if tokens > 0 and seconds > 0 else None


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def prompt_timeout(
    max_tokens: int, generation_tps: float | None, ttft_s: float | None, cap: float
) -> float:
    """Seconds one prompt may take: what the measured speed predicts for `max_tokens`,
    times a margin, within [MIN_TIMEOUT_S, cap]; `cap` until a speed is known."""
    if not generation_tps:
        return cap
    expected = (ttft_s or 0.0) + max_tokens / generation_tps
    return min(cap, max(MIN_TIMEOUT_S, expected * TIMEOUT_MARGIN))

"""The footprint arithmetic, values in and out."""

from __future__ import annotations

from smarterrouter.backends.base import LoadedModel
from smarterrouter.profiling.memory import (
    backend_figure,
    footprint_from,
    gpu_delta,
    has_settled,
    mean,
)

GIB = 2**30


def test_the_delta_is_the_average_after_less_the_average_before() -> None:
    assert mean([1, 2, 4]) == 2
    assert gpu_delta([2 * GIB, 2 * GIB + 2], [3 * GIB, 3 * GIB + 4]) == GIB + 1
    assert gpu_delta([], [GIB]) is None
    # Another process freed memory meanwhile: no negative footprint.
    assert gpu_delta([5 * GIB], [4 * GIB]) == 0


def test_memory_has_settled_when_two_readings_agree() -> None:
    assert not has_settled([GIB])
    assert not has_settled([GIB, 2 * GIB])
    assert has_settled([GIB, 2 * GIB, 2 * GIB + 1024])


def test_the_backend_figure_names_where_it_comes_from() -> None:
    ollama = LoadedModel("llama3.2:3b", size_bytes=3_300_000_000, vram_bytes=3_100_000_000)
    assert backend_figure(ollama, "ollama") == (3_100_000_000, "ollama: size_vram")
    llama = LoadedModel("qwen", size_bytes=400_000_000)
    assert backend_figure(llama, "llamacpp") == (400_000_000, "llamacpp: model size")
    assert backend_figure(None, "ollama") == (None, None)


def test_the_measured_figure_wins_and_the_backend_one_stays_beside_it() -> None:
    fp = footprint_from([GIB] * 3, [2 * GIB] * 3, (900_000_000, "ollama: size_vram"), "gpu probe")
    assert (fp.bytes, fp.source, fp.samples) == (GIB, "gpu probe", 3)
    assert fp.as_dict()["backend_bytes"] == 900_000_000


def test_without_a_gpu_the_backend_figure_is_the_footprint() -> None:
    fp = footprint_from([], [], (400_000_000, "llamacpp: model size"), "gpu probe", "no GPU")
    assert (fp.bytes, fp.source, fp.gpu_source) == (400_000_000, "llamacpp: model size", None)

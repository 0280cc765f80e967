from __future__ import annotations

import base64
import struct

import pytest

from smarterrouter.embedding_shape import ensure_dimensions, vector_width
from smarterrouter.errors import InvalidRequest


def _packed(values: list[float]) -> str:
    return base64.b64encode(struct.pack(f"<{len(values)}f", *values)).decode()


def test_width_of_floats_and_of_base64_float32() -> None:
    assert vector_width([0.1, 0.2, 0.3]) == 3
    assert vector_width(_packed([0.5] * 384)) == 384
    assert vector_width("not base64!") is None
    assert vector_width(None) is None


def test_an_honoured_dimensions_passes() -> None:
    answer = {"data": [{"embedding": [0.0] * 8}, {"embedding": _packed([1.0] * 8)}]}
    ensure_dimensions(answer, 8, "m")
    ensure_dimensions({"data": [{"embedding": [0.0] * 384}]}, None, "m")


def test_an_ignored_dimensions_is_a_400_naming_both_widths() -> None:
    with pytest.raises(InvalidRequest) as caught:
        ensure_dimensions({"data": [{"embedding": [0.0] * 384}]}, 8, "minilm")
    assert caught.value.status_code == 400
    assert "'minilm'" in str(caught.value) and "8" in str(caught.value)
    assert "384" in str(caught.value)

"""What an embeddings answer must look like before it reaches the client.

`dimensions` asks for shorter vectors. Ollama and OpenAI honour it (for models
that can be shortened); llama-server ignores it and answers with the model's
full width. A client that asked for 256 numbers and silently got 384 would store
vectors that no longer compare with its others, so an answer whose vectors are
not the width asked for becomes a clear 400 instead.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import Any

from smarterrouter.errors import InvalidRequest

_FLOAT32_BYTES = 4


def vector_width(embedding: Any) -> int | None:
    """The number of values in one embedding: a list of floats, or base64 of
    little-endian float32 (OpenAI's `encoding_format: base64`). None if neither."""
    if isinstance(embedding, list):
        return len(embedding)
    if isinstance(embedding, str):
        try:
            return len(base64.b64decode(embedding, validate=True)) // _FLOAT32_BYTES
        except (binascii.Error, ValueError):
            return None
    return None


def ensure_dimensions(answer: Mapping[str, Any], dimensions: int | None, model: str) -> None:
    """Raise InvalidRequest when `dimensions` was asked for and not honoured."""
    if dimensions is None:
        return
    for item in answer.get("data") or []:
        width = vector_width(item.get("embedding") if isinstance(item, Mapping) else None)
        if width is not None and width != dimensions:
            raise InvalidRequest(
                f"The model '{model}' cannot shorten its embeddings to {dimensions} "
                f"dimensions (its backend answered with {width}); leave 'dimensions' out "
                "or pick a model whose backend supports it",
                param="dimensions",
            )

"""One embedding per request, of its last user text, for the semantic layer.

The embedding model is asked through a function the gateway supplies (it
knows which model embeds and how to reach it). Whatever goes wrong — no
embedding model, a backend error, a timeout, a malformed answer — the request
goes on without the semantic layer: an optimisation must never make a request
fail. Failures are counted and the last reason kept for /admin/cache.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from smarterrouter.cache.semantic import PromptVector
from smarterrouter.errors import NoCapableModel

log = logging.getLogger(__name__)

EmbedText = Callable[[str], Awaitable[tuple[str, Mapping[str, Any]]]]
"""Embeds one text: returns the embedding model's name and its OpenAI-style answer."""


class PromptEmbedder:
    def __init__(self, embed_text: EmbedText, *, timeout: float) -> None:
        self._embed_text = embed_text
        self._timeout = timeout
        self.failures = 0
        self.last_failure: str | None = None
        self.unavailable: str | None = None  # why there is no embedding model, if so
        self.embedder: str | None = None  # the model of the last embedding

    async def embed(self, text: str) -> PromptVector | None:
        """The unit vector of `text`, or None (never raises, but for cancellation)."""
        try:
            async with asyncio.timeout(self._timeout):
                model, answer = await self._embed_text(text)
        except NoCapableModel as exc:
            self.unavailable = exc.message
            return None
        except TimeoutError:
            self._failed(f"no embedding within {self._timeout:g}s")
            return None
        except Exception as exc:  # any failure: route as if there were no semantic layer
            self._failed(getattr(exc, "message", None) or type(exc).__name__)
            return None
        self.unavailable = None
        prompt = PromptVector.of(text, _first_vector(answer), model)
        if prompt is None:
            self._failed(f"{model} answered no usable embedding")
            return None
        self.embedder = model
        return prompt

    def _failed(self, reason: str) -> None:
        self.failures += 1
        self.last_failure = reason
        log.warning("semantic cache skipped: embedding failed (%s)", reason)


def _first_vector(answer: Mapping[str, Any]) -> list[float]:
    data = answer.get("data")
    if not isinstance(data, list) or not data or not isinstance(data[0], Mapping):
        return []
    vector = data[0].get("embedding")
    if not isinstance(vector, list) or not all(isinstance(x, int | float) for x in vector):
        return []
    return [float(x) for x in vector]

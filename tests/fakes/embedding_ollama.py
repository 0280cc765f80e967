"""A fake Ollama whose embeddings the test chooses, so that a semantic cache's
threshold and guard are exercised exactly."""

from __future__ import annotations

from typing import Any

from fakes.fake_ollama import FakeOllama
from fakes.server import RecordedRequest, Response


class EmbeddingOllama(FakeOllama):
    """FakeOllama whose /api/embed gives chosen vectors; any other text gets a
    vector of its own, orthogonal to every other."""

    def __init__(self, vectors: dict[str, list[float]], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.vectors = vectors
        self._others: dict[str, int] = {}

    def vector(self, text: str) -> list[float]:
        if text in self.vectors:
            return self.vectors[text]
        slot = self._others.setdefault(text, 10 + len(self._others))
        return [1.0 if i == slot else 0.0 for i in range(64)]

    def _embed(self, request: RecordedRequest) -> Response:
        inputs = (request.json or {}).get("input")
        texts = [inputs] if isinstance(inputs, str) else list(inputs or [])
        body = {"model": "nomic-embed-text:latest", "embeddings": [self.vector(t) for t in texts]}
        return Response.json(body)

"""The semantic layer: a paraphrase of a cached question gets the cached answer.

Only where a paraphrase cannot change the answer: entries are grouped by the
request's context key (cache/keys.py, everything but the last user text), so a
candidate always shares the target, the history, the tools, the format and the
sampling of the new request. Within the group, the nearest earlier question by
cosine similarity of embeddings must reach the threshold, and then pass the
near-miss guard (cache/guards.py: numbers, names, negation, code…).

An entry holds no answer, only the exact key of one in the response store: an
answer evicted, expired or invalidated there can never be served from here.
The layer keeps its own bounded list of entries and drops those it finds stale.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from smarterrouter.cache.guards import meaning_differs
from smarterrouter.cache.store import CountedLayer

Guard = Callable[[str, str], str | None]
_CANDIDATES = 3  # nearest questions checked by the guard before giving up


class Listener(Protocol):
    """Told of this router's own changes (cache/semantic_feed.py shares them)."""

    def added(self, key: str, context: str, prompt: PromptVector, model: str) -> None: ...
    def invalidated(self, model: str | None) -> None: ...


class Index(Protocol):
    """Per-group cosine search over unit vectors (cache/vector.py's VectorIndex)."""

    def add(self, key: str, vector: Sequence[float], group: str = "") -> None: ...
    def remove(self, key: str) -> bool: ...
    def search(
        self, vector: Sequence[float], group: str = "", k: int = 1, min_score: float = -1.0
    ) -> list[tuple[str, float]]: ...
    def __len__(self) -> int: ...


@dataclass(frozen=True)
class PromptVector:
    """The last user text of a request, its unit-length embedding, and the
    embedding model that made it. Computed once per request."""

    text: str
    vector: tuple[float, ...]
    embedder: str

    @classmethod
    def of(cls, text: str, vector: Sequence[float], embedder: str) -> PromptVector | None:
        """None for a vector that cannot be compared (empty, zero or not finite)."""
        norm = math.sqrt(math.fsum(x * x for x in vector))
        if not vector or not math.isfinite(norm) or norm == 0:
            return None
        return cls(text, tuple(x / norm for x in vector), embedder)


@dataclass(frozen=True)
class SemanticMatch:
    """The earlier request whose answer serves this one, and how close it was."""

    key: str  # the exact key of the earlier request (its answer's key in the store)
    similarity: float


@dataclass(frozen=True)
class _Entry:
    context: str
    text: str
    model: str  # the model that wrote the answer, for invalidation by model
    size: int


class SemanticCache(CountedLayer):
    """Questions seen, by context; `find` proposes matches, `add` records answers.

    `status` says whether the layer is on, and if not why (shown by /admin/cache).
    Synchronous under one lock, like the in-memory response store.
    """

    def __init__(
        self,
        index_factory: Callable[[], Index],
        *,
        threshold: float,
        max_size: int,
        guard: Guard = meaning_differs,
    ) -> None:
        if max_size < 1:
            raise ValueError("max_size must be at least 1")
        self._new_index = index_factory
        self._index = index_factory()
        self.threshold = threshold
        self._max_size = max_size
        self._guard = guard
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._embedder: str | None = None
        self._lock = threading.Lock()
        self._bytes = 0
        self._hits = self._misses = self._evictions = 0
        self.refused = 0  # candidates above the threshold that the guard turned down
        self.last_refusal: str | None = None
        self.listener: Listener | None = None

    def find(self, context: str, prompt: PromptVector) -> list[SemanticMatch]:
        """Earlier requests of the same context whose question is close enough and
        means the same, best first. The caller fetches their answers, and reports
        with `hit`, `miss` or `drop` what became of them."""
        with self._lock:
            if prompt.embedder != self._embedder:
                return []  # vectors of another model are not comparable
            found = self._index.search(
                prompt.vector, group=context, k=_CANDIDATES, min_score=self.threshold
            )
            matches = []
            for key, score in found:
                entry = self._entries.get(key)
                if entry is None or entry.context != context:
                    continue
                reason = self._guard(prompt.text, entry.text)
                if reason is not None:
                    self.refused += 1
                    self.last_refusal = reason
                    continue
                matches.append(SemanticMatch(key, round(score, 4)))
            return matches

    def hit(self, key: str) -> None:
        with self._lock:
            self._hits += 1
            if key in self._entries:
                self._entries.move_to_end(key)

    def miss(self) -> None:
        with self._lock:
            self._misses += 1

    def add(
        self, key: str, context: str, prompt: PromptVector, model: str, *, share: bool = True
    ) -> None:
        """Record that the answer stored under `key` answers `prompt` in `context`;
        `share=False` for an entry that came from another router."""
        if share and self.listener is not None:
            self.listener.added(key, context, prompt, model)
        with self._lock:
            if prompt.embedder != self._embedder:
                self._reset(prompt.embedder)
            self._remove(key)
            size = len(key) + len(context) + len(prompt.text.encode()) + 4 * len(prompt.vector)
            self._index.add(key, prompt.vector, group=context)
            self._entries[key] = _Entry(context, prompt.text, model, size)
            self._bytes += size
            while len(self._entries) > self._max_size:
                self._remove(next(iter(self._entries)))
                self._evictions += 1

    def drop(self, key: str) -> None:
        """Forget an entry whose answer is gone from the response store."""
        with self._lock:
            if self._remove(key):
                self._evictions += 1

    def invalidate(self, model: str | None = None, *, share: bool = True) -> int:
        """Forget every entry, or those whose answer `model` wrote."""
        if share and self.listener is not None:
            self.listener.invalidated(model)
        with self._lock:
            doomed = [k for k, e in self._entries.items() if model is None or e.model == model]
            for key in doomed:
                self._remove(key)
            return len(doomed)

    def _remove(self, key: str) -> bool:
        entry = self._entries.pop(key, None)
        if entry is None:
            return False
        self._index.remove(key)
        self._bytes -= entry.size
        return True

    def _reset(self, embedder: str) -> None:
        # Another embedding model: its vectors are not comparable with the old ones.
        self._entries.clear()
        self._index = self._new_index()
        self._bytes = 0
        self._embedder = embedder

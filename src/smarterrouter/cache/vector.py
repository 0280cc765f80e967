"""VectorIndex: cosine search over keyed vectors, in independent groups, in memory.

The semantic cache keeps one embedding per cached request here, grouped by the
request's context (everything but the last user text), and asks for the most
similar earlier request in the same group. Each group is a CellGroup
(vector_cells.py): exact for groups of up to PROBE_BUDGET (8,192) vectors, a
coarse-quantised search above that, which may miss a neighbour but never
returns a wrong score.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence

import numpy as np

from smarterrouter.cache.vector_cells import CELL_SIZE, PROBE_BUDGET, CellGroup, Vectors


class VectorIndex:
    """Keys with unit vectors, searched by cosine similarity within a group.

    Vectors are normalised on add and on search, so scores are cosines. The
    first vector fixes the dimension (unless `dim` is given); a vector of any
    other dimension, a zero vector or one with NaN or infinity is a ValueError.
    Adding a key that is already stored replaces its vector and group, and
    makes it the newest entry.

    With `max_size`, adding past it evicts the oldest added entries (in any
    group): each evicted key is passed to `on_evict`, called after the index's
    lock is released (so it may call back into the index), and counted in
    `evictions`. Every method takes one lock; none does I/O.

    `cell_size` and `probe_budget` tune the search of large groups (see
    vector_cells.py): a group of up to `probe_budget` entries is searched
    exactly; above that about `probe_budget` vectors are scored per search.
    """

    def __init__(
        self,
        dim: int | None = None,
        max_size: int | None = None,
        *,
        on_evict: Callable[[str], None] | None = None,
        cell_size: int = CELL_SIZE,
        probe_budget: int = PROBE_BUDGET,
    ) -> None:
        if dim is not None and dim < 1:
            raise ValueError("dim must be at least 1")
        if max_size is not None and max_size < 1:
            raise ValueError("max_size must be at least 1")
        if cell_size < 16 or probe_budget < 1:
            raise ValueError("cell_size must be at least 16 and probe_budget at least 1")
        self._dim = dim
        self._max_size = max_size
        self._on_evict = on_evict
        self._cell_size = cell_size
        self._probe_budget = probe_budget
        self._groups: dict[str, CellGroup] = {}
        self._group_of: OrderedDict[str, str] = OrderedDict()  # in the order added
        self._evictions = 0
        self._lock = threading.Lock()

    def __len__(self) -> int:
        with self._lock:
            return len(self._group_of)

    @property
    def dim(self) -> int | None:
        with self._lock:
            return self._dim

    @property
    def evictions(self) -> int:
        """Entries dropped to stay within max_size, since the index was made."""
        with self._lock:
            return self._evictions

    @property
    def nbytes(self) -> int:
        """Bytes held in vector arrays (spare rows included; not the keys)."""
        with self._lock:
            return sum(group.nbytes for group in self._groups.values())

    def add(self, key: str, vector: Sequence[float], group: str = "") -> None:
        unit = _unit_vector(vector)
        with self._lock:
            self._check_dim(unit, fix=True)
            self._remove(key)
            cells = self._groups.get(group)
            if cells is None:
                cells = self._groups[group] = CellGroup(
                    len(unit), self._cell_size, self._probe_budget
                )
            cells.add(key, unit)
            self._group_of[key] = group
            evicted = self._evict()
        if self._on_evict is not None:
            for old_key in evicted:
                self._on_evict(old_key)

    def remove(self, key: str) -> bool:
        """Forget `key`; False when it was not stored."""
        with self._lock:
            return self._remove(key)

    def search(
        self,
        vector: Sequence[float],
        group: str = "",
        k: int = 1,
        min_score: float = -1.0,
    ) -> list[tuple[str, float]]:
        """Up to `k` (key, cosine) pairs of `group` with cosine >= min_score, best first."""
        if k < 1:
            raise ValueError("k must be at least 1")
        unit = _unit_vector(vector)
        with self._lock:
            self._check_dim(unit, fix=False)
            cells = self._groups.get(group)
            return [] if cells is None else cells.search(unit, k, min_score)

    def _remove(self, key: str) -> bool:
        group = self._group_of.pop(key, None)
        if group is None:
            return False
        cells = self._groups[group]
        cells.remove(key)
        if not len(cells):
            del self._groups[group]
        return True

    def _evict(self) -> list[str]:
        evicted: list[str] = []
        while self._max_size is not None and len(self._group_of) > self._max_size:
            oldest = next(iter(self._group_of))
            self._remove(oldest)
            evicted.append(oldest)
        self._evictions += len(evicted)
        return evicted

    def _check_dim(self, unit: Vectors, *, fix: bool) -> None:
        if self._dim is None and fix:
            self._dim = len(unit)
        elif self._dim is not None and len(unit) != self._dim:
            raise ValueError(f"vector has {len(unit)} dimensions but this index holds {self._dim}")


def _unit_vector(vector: Sequence[float]) -> Vectors:
    array = np.asarray(vector, dtype=np.float32)
    if array.ndim != 1 or array.size == 0:
        raise ValueError(f"a vector must be a flat, non-empty list of numbers, got {array.shape}")
    if not np.isfinite(array).all():
        raise ValueError("a vector must not contain NaN or infinity")
    norm = float(np.linalg.norm(array.astype(np.float64)))
    if norm == 0.0:
        raise ValueError("a zero vector has no direction to compare")
    unit: Vectors = (array / norm).astype(np.float32)
    return unit

"""One group of unit vectors, cut into cells so that a search reads only a few of them.

A coarse-quantised (inverted file) index that re-clusters itself a little at a
time instead of all at once: every vector lives in the cell whose centre is
nearest when it arrives; a cell that grows past `cell_size` vectors is split in
two by a spherical 2-means of its own members, and a cell that shrinks below a
sixteenth of that is dissolved into its neighbours. No step ever touches the whole
group, so an add costs one pass over the cell centres plus, now and then, a
split of a few hundred vectors.

Each cell also knows its reach: the widest angle between its centre and any
vector it has held. By the triangle inequality on the sphere no vector of a
cell can score above cos(angle(query, centre) - reach), so a search skips, with
no loss, every cell that cannot reach `min_score`. Of the rest it scores
exactly every vector of the cells nearest the query, until `probe_budget`
vectors are scored; when the rest hold no more than that (always, in a group
of up to `probe_budget` vectors) the search is exact. The approximation can
only miss a neighbour in an unprobed cell; every score returned is the exact
cosine of the stored vector and the query.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

Vectors = npt.NDArray[np.float32]

CELL_SIZE = 512
PROBE_BUDGET = 8192
_FIRST_CAPACITY = 16
_ROUNDING = 1e-4  # float32 slack in a cell's reach bound: never skip a cell by rounding
_SPLIT_ROUNDS = 10


class Cell:
    """Vectors in rows of one array (spare rows at the end), keys in the same order."""

    __slots__ = ("keys", "rows", "slots")

    def __init__(self, rows: Vectors, keys: list[str]) -> None:
        self.rows = rows
        self.keys = keys
        self.slots = {key: slot for slot, key in enumerate(keys)}

    @classmethod
    def of(cls, vectors: Vectors, keys: list[str]) -> Cell:
        capacity = max(_FIRST_CAPACITY, len(keys) + len(keys) // 2)
        rows = np.empty((capacity, vectors.shape[1]), dtype=np.float32)
        rows[: len(keys)] = vectors
        return cls(rows, keys)

    def __len__(self) -> int:
        return len(self.keys)

    def vectors(self) -> Vectors:
        return self.rows[: len(self.keys)]

    def append(self, key: str, vector: Vectors) -> None:
        count = len(self.keys)
        if count == self.rows.shape[0]:
            grown = np.empty((count + count // 2, self.rows.shape[1]), dtype=np.float32)
            grown[:count] = self.rows
            self.rows = grown
        self.rows[count] = vector
        self.slots[key] = count
        self.keys.append(key)

    def remove(self, key: str) -> None:
        """Drop `key`, moving the last row into its place."""
        slot = self.slots.pop(key)
        last = len(self.keys) - 1
        if slot != last:
            moved = self.keys[last]
            self.keys[slot] = moved
            self.slots[moved] = slot
            self.rows[slot] = self.rows[last]
        self.keys.pop()


class CellGroup:
    """The vectors of one group; not thread-safe (VectorIndex holds the lock)."""

    def __init__(
        self, dim: int, cell_size: int = CELL_SIZE, probe_budget: int = PROBE_BUDGET
    ) -> None:
        self._cell_size = cell_size
        self._min_cell = cell_size // 16
        self._probe_budget = probe_budget
        self.cells: list[Cell] = [Cell.of(np.empty((0, dim), dtype=np.float32), [])]
        self._centres: Vectors = np.zeros((8, dim), dtype=np.float32)
        self._counts = np.zeros(8, dtype=np.int64)
        self._reach = np.ones(8, dtype=np.float32)  # min cosine of a member to its centre
        self._where: dict[str, Cell] = {}

    def __len__(self) -> int:
        return len(self._where)

    @property
    def nbytes(self) -> int:
        return sum(cell.rows.nbytes for cell in self.cells) + self._centres.nbytes

    def add(self, key: str, vector: Vectors) -> None:
        """Store a new key (the caller has removed any older entry for it)."""
        index, similarity = self._nearest_cell(vector)
        self._reach[index] = min(self._reach[index], similarity)
        cell = self.cells[index]
        cell.append(key, vector)
        self._where[key] = cell
        self._counts[index] += 1
        if len(cell) > self._cell_size:
            self._split(index)

    def remove(self, key: str) -> None:
        cell = self._where.pop(key)
        cell.remove(key)
        index = self._index_of(cell)
        self._counts[index] -= 1
        if len(cell) < self._min_cell and len(self.cells) > 1:
            self._dissolve(index)

    def search(self, query: Vectors, k: int, min_score: float) -> list[tuple[str, float]]:
        cells = self._probe(query, min_score)
        if not cells:
            return []
        scores = np.concatenate([cell.vectors() @ query for cell in cells])
        hits = np.flatnonzero(scores >= min_score)
        if len(hits) > k:
            hits = hits[np.argpartition(-scores[hits], k - 1)[:k]]
        hits = hits[np.argsort(-scores[hits], kind="stable")]
        ends = np.cumsum([len(cell) for cell in cells])
        found: list[tuple[str, float]] = []
        for flat in hits.tolist():
            index = int(np.searchsorted(ends, flat, side="right"))
            start = int(ends[index - 1]) if index else 0
            found.append((cells[index].keys[flat - start], float(scores[flat])))
        return found

    def _probe(self, query: Vectors, min_score: float) -> list[Cell]:
        """The cells to score: those that can reach min_score, nearest first, until
        probe_budget vectors are covered."""
        count = len(self.cells)
        if count == 1:
            return self.cells
        similarity = self._centres[:count] @ query
        reachable = np.flatnonzero(best_possible(similarity, self._reach[:count]) >= min_score)
        if self._counts[reachable].sum() <= self._probe_budget:
            return [self.cells[i] for i in reachable.tolist()]
        order = reachable[np.argsort(-similarity[reachable])]
        covered = np.cumsum(self._counts[order])
        stop = int(np.searchsorted(covered, self._probe_budget)) + 1
        return [self.cells[i] for i in order[:stop].tolist()]

    def _nearest_cell(self, vector: Vectors) -> tuple[int, float]:
        """The cell for a new vector, and its cosine to that cell's centre."""
        count = len(self.cells)
        if count == 1:
            return 0, 1.0  # the lone cell is always scanned whole: its reach is unused
        similarity = self._centres[:count] @ vector
        index = int(np.argmax(similarity))
        return index, float(similarity[index])

    def _index_of(self, cell: Cell) -> int:
        return next(i for i, candidate in enumerate(self.cells) if candidate is cell)

    def _split(self, index: int) -> None:
        cell = self.cells[index]
        vectors = cell.vectors()
        left, centres = split_in_two(vectors)
        halves = [np.flatnonzero(left), np.flatnonzero(~left)]
        for position, members, centre in zip(
            (index, len(self.cells)), halves, centres, strict=True
        ):
            child = Cell.of(vectors[members], [cell.keys[i] for i in members.tolist()])
            reach = float(np.min(child.vectors() @ centre))
            self._place(position, child, centre, reach)
            for key in child.keys:
                self._where[key] = child

    def _dissolve(self, index: int) -> None:
        """Remove a cell that has grown too small and give its vectors to the others."""
        cell = self.cells[index]
        last = len(self.cells) - 1
        if index != last:
            self._place(index, self.cells[last], self._centres[last], self._reach[last])
        self.cells.pop()
        self._counts[last] = 0
        for key, vector in zip(list(cell.keys), list(cell.vectors()), strict=True):
            del self._where[key]
            self.add(key, vector)

    def _place(self, position: int, cell: Cell, centre: Vectors, reach: float) -> None:
        if position == len(self.cells):
            self.cells.append(cell)
            self._reserve(position + 1)
        else:
            self.cells[position] = cell
        self._centres[position] = centre
        self._counts[position] = len(cell)
        self._reach[position] = reach

    def _reserve(self, count: int) -> None:
        if count <= len(self._counts):
            return
        size = 2 * count
        centres = np.zeros((size, self._centres.shape[1]), dtype=np.float32)
        centres[: len(self._centres)] = self._centres
        counts = np.zeros(size, dtype=np.int64)
        counts[: len(self._counts)] = self._counts
        reach = np.ones(size, dtype=np.float32)
        reach[: len(self._reach)] = self._reach
        self._centres, self._counts, self._reach = centres, counts, reach


def split_in_two(vectors: Vectors) -> tuple[npt.NDArray[np.bool_], tuple[Vectors, Vectors]]:
    """Spherical 2-means: which rows go left, and the two unit centres.

    Starts from two far-apart rows; rows that cannot be told apart (all equal)
    are cut in half by position so that a cell always shrinks.
    """
    far = vectors[int(np.argmin(vectors @ vectors[0]))]
    centres = (vectors[int(np.argmin(vectors @ far))], far)
    left = np.zeros(len(vectors), dtype=np.bool_)
    for _ in range(_SPLIT_ROUNDS):
        choice = (vectors @ centres[0]) >= (vectors @ centres[1])
        if np.array_equal(choice, left):
            break
        left = choice
        if left.all() or not left.any():
            break
        centres = (_unit_mean(vectors[left]), _unit_mean(vectors[~left]))
    if left.all() or not left.any():
        left = np.arange(len(vectors)) < len(vectors) // 2
        centres = (_unit_mean(vectors[left]), _unit_mean(vectors[~left]))
    return left, centres


def best_possible(similarity: Vectors, reach: Vectors) -> npt.NDArray[np.float64]:
    """The highest cosine any member of each cell can have with the query."""
    to_centre = np.arccos(np.clip(similarity.astype(np.float64), -1.0, 1.0))
    spread = np.arccos(np.clip(reach.astype(np.float64), -1.0, 1.0))
    bound: npt.NDArray[np.float64] = np.cos(np.maximum(to_centre - spread, 0.0)) + _ROUNDING
    return bound


def _unit_mean(vectors: Vectors) -> Vectors:
    mean: Vectors = vectors.mean(axis=0, dtype=np.float32)
    norm = float(np.linalg.norm(mean))
    return mean / norm if norm > 0 else vectors[0]

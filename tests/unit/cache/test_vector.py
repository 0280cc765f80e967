"""VectorIndex: exact cosines, groups, replace, remove, eviction, dimensions, recall."""

from __future__ import annotations

import threading

import numpy as np
import numpy.typing as npt
import pytest

from smarterrouter.cache.vector import VectorIndex

Matrix = npt.NDArray[np.float64]


def unit_rows(matrix: Matrix) -> Matrix:
    return matrix / np.linalg.norm(matrix, axis=1, keepdims=True)


def clustered(rng: np.random.Generator, count: int, dim: int = 32) -> Matrix:
    """Vectors around 40 topics, the way sentence embeddings bunch up."""
    topics = rng.standard_normal((40, dim))
    return unit_rows(topics[rng.integers(0, 40, count)] + 0.35 * rng.standard_normal((count, dim)))


def near(rng: np.random.Generator, rows: Matrix, noise: float) -> Matrix:
    return unit_rows(rows + noise * rng.standard_normal(rows.shape) / np.sqrt(rows.shape[1]))


def filled(rows: Matrix, **options: int) -> VectorIndex:
    index = VectorIndex(**options)  # type: ignore[arg-type]
    for i, row in enumerate(rows):
        index.add(f"k{i}", row.tolist())
    return index


def test_scores_are_exact_cosines_best_first_and_above_min_score() -> None:
    rng = np.random.default_rng(1)
    raw = rng.standard_normal((50, 8)) * rng.uniform(0.1, 10, (50, 1))  # not unit length
    index = filled(raw)
    query = rng.standard_normal(8)
    expected = unit_rows(raw) @ (query / np.linalg.norm(query))
    found = index.search(query.tolist(), k=5, min_score=0.2)
    best = [i for i in np.argsort(-expected) if expected[i] >= 0.2][:5]
    assert [key for key, _ in found] == [f"k{i}" for i in best]
    for key, score in found:
        assert score == pytest.approx(expected[int(key[1:])], abs=1e-5)
    assert index.search(query.tolist(), k=5, min_score=1.01) == []


def test_a_scaled_copy_scores_one() -> None:
    index = VectorIndex()
    index.add("a", [3.0, 4.0])
    [(key, score)] = index.search([30.0, 40.0])
    assert key == "a"
    assert score == pytest.approx(1.0, abs=1e-6)


def test_groups_never_see_each_other() -> None:
    index = VectorIndex()
    index.add("in-a", [1.0, 0.0], group="a")
    index.add("in-b", [1.0, 0.0], group="b")
    index.add("in-b-2", [0.0, 1.0], group="b")
    assert index.search([1.0, 0.0], group="a", k=5) == [("in-a", pytest.approx(1.0))]
    assert [key for key, _ in index.search([1.0, 0.0], group="b", k=5)] == ["in-b", "in-b-2"]
    assert index.search([1.0, 0.0], group="c") == []
    assert index.search([1.0, 0.0]) == []  # the default group "" is a group like others


def test_adding_a_key_again_replaces_its_vector_and_group() -> None:
    index = VectorIndex()
    index.add("k", [1.0, 0.0], group="a")
    index.add("k", [0.0, 1.0], group="b")
    assert len(index) == 1
    assert index.search([1.0, 0.0], group="a") == []
    assert index.search([0.0, 1.0], group="b") == [("k", pytest.approx(1.0))]


def test_remove_forgets_the_key_and_says_whether_it_was_there() -> None:
    index = VectorIndex()
    index.add("a", [1.0, 0.0])
    index.add("b", [0.9, 0.1])
    assert index.remove("a") is True
    assert index.remove("a") is False
    assert [key for key, _ in index.search([1.0, 0.0], k=5)] == ["b"]
    assert index.remove("b") is True
    assert len(index) == 0
    assert index.search([1.0, 0.0]) == []


def test_max_size_evicts_the_oldest_added_and_reports_each_key() -> None:
    evicted: list[str] = []
    index = VectorIndex(max_size=3, on_evict=evicted.append)
    for key in ["a", "b", "c"]:
        index.add(key, [1.0, float(ord(key))], group=key)
    index.add("a", [1.0, 0.5], group="a")  # re-added: now the newest
    index.add("d", [1.0, 0.0], group="d")
    index.add("e", [1.0, 0.0], group="e")
    assert evicted == ["b", "c"]
    assert index.evictions == 2
    assert len(index) == 3
    assert index.search([1.0, 0.0], group="b") == []
    assert [key for key, _ in index.search([1.0, 0.5], group="a")] == ["a"]


def test_the_eviction_callback_may_use_the_index() -> None:
    sizes: list[int] = []
    index = VectorIndex(max_size=1, on_evict=lambda key: sizes.append(len(index)))
    index.add("a", [1.0])
    index.add("b", [1.0])
    assert sizes == [1]


def test_the_first_vector_fixes_the_dimension() -> None:
    index = VectorIndex()
    index.add("a", [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="vector has 2 dimensions but this index holds 3"):
        index.add("b", [1.0, 2.0])
    with pytest.raises(ValueError, match="4 dimensions"):
        index.search([1.0, 2.0, 3.0, 4.0])
    assert index.dim == 3
    fixed = VectorIndex(dim=4)
    with pytest.raises(ValueError, match="holds 4"):
        fixed.add("a", [1.0, 2.0, 3.0])


@pytest.mark.parametrize(
    ("vector", "message"),
    [
        ([0.0, 0.0], "zero vector"),
        ([1.0, float("nan")], "NaN"),
        ([1.0, float("inf")], "infinity"),
        ([], "non-empty"),
        ([[1.0], [2.0]], "flat"),
    ],
)
def test_vectors_without_a_direction_are_refused(vector: list[float], message: str) -> None:
    index = VectorIndex()
    with pytest.raises(ValueError, match=message):
        index.add("a", vector)
    with pytest.raises(ValueError, match=message):
        index.search(vector)
    assert len(index) == 0


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="max_size"):
        VectorIndex(max_size=0)
    with pytest.raises(ValueError, match="dim"):
        VectorIndex(dim=0)
    with pytest.raises(ValueError, match="k must"):
        VectorIndex().search([1.0], k=0)


def test_splits_and_removals_keep_every_entry_findable() -> None:
    rng = np.random.default_rng(2)
    rows = clustered(rng, 3000)
    index = filled(rows, cell_size=32, probe_budget=10_000)  # many cells, all probed
    for i in range(0, 3000, 2):
        assert index.remove(f"k{i}")
    assert len(index) == 1500
    for i in range(1, 3000, 10):
        [(key, score)] = index.search(rows[i].tolist())
        assert key == f"k{i}"
        assert score == pytest.approx(1.0, abs=1e-5)
    assert index.search(rows[0].tolist(), k=3)[0][0] != "k0"


def test_identical_vectors_still_split_and_stay_findable() -> None:
    index = VectorIndex(cell_size=16, probe_budget=1000)
    for i in range(100):
        index.add(f"k{i}", [1.0, 2.0])
    found = index.search([1.0, 2.0], k=100)
    assert sorted(key for key, _ in found) == sorted(f"k{i}" for i in range(100))


def test_probed_search_finds_near_duplicates_with_exact_scores() -> None:
    """Cells and probing on a few thousand vectors, against brute force."""
    rng = np.random.default_rng(3)
    rows = clustered(rng, 4000)
    index = filled(rows, cell_size=64, probe_budget=400)  # scores a tenth per search
    picks = rng.integers(0, 4000, 300)
    queries = np.vstack(
        [near(rng, rows[picks], noise=0.4), unit_rows(rng.standard_normal((300, 32)))]
    )
    exact = queries @ rows.T
    agree: list[bool] = []
    for query, truth in zip(queries, exact, strict=True):
        [(key, score)] = index.search(query.tolist())
        assert score == pytest.approx(truth[int(key[1:])], abs=1e-5)  # never a wrong score
        assert score <= truth.max() + 1e-5
        agree.append(key == f"k{int(np.argmax(truth))}")
    assert sum(agree[:300]) >= 0.97 * 300  # near duplicates
    assert sum(agree[300:]) >= 0.9 * 300  # random directions


def test_concurrent_adds_and_searches_lose_nothing() -> None:
    rng = np.random.default_rng(4)
    rows = clustered(rng, 2000)
    index = VectorIndex(cell_size=32, probe_budget=5000)

    def add_slice(start: int) -> None:
        for i in range(start, 2000, 4):
            index.add(f"k{i}", rows[i].tolist())
            index.search(rows[i].tolist(), k=3)

    threads = [threading.Thread(target=add_slice, args=(s,)) for s in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(index) == 2000
    for i in range(0, 2000, 7):
        assert index.search(rows[i].tolist())[0][0] == f"k{i}"


def test_cells_skipped_for_min_score_never_hold_a_match() -> None:
    """Cells are skipped when their reach cannot attain min_score: that must be exact."""
    rng = np.random.default_rng(5)
    rows = clustered(rng, 3000)
    index = filled(rows, cell_size=32, probe_budget=1_000_000)  # no budget cut-off
    queries = np.vstack(
        [near(rng, rows[:100], noise=0.8), unit_rows(rng.standard_normal((50, 32)))]
    )
    for query in queries:
        exact = rows @ query
        for min_score in (0.5, 0.8, 0.9):
            expected = [i for i in np.argsort(-exact) if exact[i] >= min_score][:50]
            found = index.search(query.tolist(), k=50, min_score=min_score)
            assert [key for key, _ in found] == [f"k{i}" for i in expected]

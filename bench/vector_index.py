"""The semantic cache's vector index at scale: adds, search latency, recall, memory.

    .venv/bin/python bench/vector_index.py [--entries 100000] [--dim 384] [--queries 2400]
                                           [--probe-budget 8192]

For two seeded data sets of `--entries` unit vectors in one group: uniformly
random directions (the hardest case for any partitioned index: no structure),
and "clustered" vectors shaped like sentence embeddings (topics and subtopics,
an uneven variance spectrum and a shared offset: two random entries score 0.08
on average, two on one subtopic 0.7, and an entry's nearest neighbour 0.83). For each it prints:

- add throughput (one add per call, keys like the cache's sha256 hex) and the
  slowest single add (a cell split);
- memory per entry: everything the index allocates (traced while building a
  20,000-entry copy, keys included), and its vector arrays alone;
- search latency p50/p99/max over all queries, for the best match whatever its
  score and for the cache's call (min_score=0.85, which lets the index skip
  every cell that cannot reach it), beside a numpy brute-force scan;
- recall@1 against brute force per kind of query: a stored vector moved to
  cosine 0.95, 0.90 and 0.86 in a random direction (what a paraphrase looks
  like), and random directions; and "hits lost": of the queries whose true best
  match scores >= 0.85 (the cache's default threshold), how many got nothing
  from the cache's call. Every score the index returns is checked
  against the exact cosine.

Nothing is asserted: tests check behaviour, this prints the figures.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import numpy as np
import numpy.typing as npt

from smarterrouter.cache.vector import VectorIndex
from smarterrouter.cache.vector_cells import PROBE_BUDGET

Matrix = npt.NDArray[np.float32]
T = TypeVar("T")
THRESHOLD = 0.85
ROUNDING = 1e-5  # float32: a query built at exactly 0.85 may score 0.8499999
NEAR_COSINES = (0.95, 0.90, 0.86)


@dataclass(frozen=True)
class QuerySet:
    name: str
    vectors: Matrix


def unit_rows(matrix: npt.NDArray[np.floating]) -> Matrix:
    rows = matrix / np.linalg.norm(matrix, axis=1, keepdims=True)
    return rows.astype(np.float32)


def random_set(rng: np.random.Generator, count: int, dim: int) -> Matrix:
    return unit_rows(rng.standard_normal((count, dim), dtype=np.float32))


def clustered_set(rng: np.random.Generator, count: int, dim: int) -> Matrix:
    spread = (np.arange(1, dim + 1, dtype=np.float32) ** -0.6)[rng.permutation(dim)]
    offset = rng.standard_normal(dim).astype(np.float32) * spread * 0.5
    topics = rng.standard_normal((1000, dim)).astype(np.float32) * spread
    subtopics = topics[rng.integers(0, 1000, 10_000)]
    subtopics += 0.7 * rng.standard_normal(subtopics.shape).astype(np.float32) * spread
    rows = subtopics[rng.integers(0, 10_000, count)]
    rows += 0.8 * rng.standard_normal(rows.shape).astype(np.float32) * spread
    return unit_rows(rows + offset)


def moved_to(rng: np.random.Generator, rows: Matrix, cosine: float) -> Matrix:
    """Each row turned to exactly `cosine` with itself, in a random direction."""
    away = rng.standard_normal(rows.shape).astype(np.float32)
    away -= np.sum(away * rows, axis=1, keepdims=True) * rows
    away = unit_rows(away)
    return unit_rows(cosine * rows + np.sqrt(1 - cosine**2) * away)


def query_sets(rng: np.random.Generator, data: Matrix, per_kind: int) -> list[QuerySet]:
    sets = [
        QuerySet(f"near {c:.2f}", moved_to(rng, data[rng.integers(0, len(data), per_kind)], c))
        for c in NEAR_COSINES
    ]
    sets.append(QuerySet("random", random_set(rng, per_kind, data.shape[1])))
    return sets


def traced_bytes_per_entry(data: Matrix, count: int = 20_000) -> float:
    """What an index of `count` entries allocates, keys included, per entry."""
    rows = list(data[:count])
    tracemalloc.start()
    index = VectorIndex()
    for i, row in enumerate(rows):
        index.add(f"{i:064x}", row)
    allocated = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    return allocated / len(index)


def build(data: Matrix, probe_budget: int) -> tuple[VectorIndex, dict[str, float]]:
    index = VectorIndex(probe_budget=probe_budget)
    keys = [f"{i:064x}" for i in range(len(data))]
    rows = list(data)
    slowest = 0.0
    start = time.perf_counter()
    for key, row in zip(keys, rows, strict=True):
        began = time.perf_counter()
        index.add(key, row)
        slowest = max(slowest, time.perf_counter() - began)
    seconds = time.perf_counter() - start
    return index, {
        "adds_per_s": len(data) / seconds,
        "slowest_add_ms": slowest * 1e3,
        "traced_per_entry": traced_bytes_per_entry(data),
        "arrays_per_entry": index.nbytes / len(data),
    }


def percentiles(seconds: list[float]) -> str:
    ms = sorted(s * 1e3 for s in seconds)
    p99 = ms[min(len(ms) - 1, int(0.99 * len(ms)))]
    return f"p50 {statistics.median(ms):6.3f}  p99 {p99:6.3f}  max {ms[-1]:6.3f} ms"


def measure(
    name: str, data: Matrix, rng: np.random.Generator, per_kind: int, probe_budget: int
) -> None:
    index, built = build(data, probe_budget)
    print(
        f"\n== {name}: {len(data):,} entries, dim {data.shape[1]}, one group ==\n"
        f"add: {built['adds_per_s']:,.0f}/s, slowest single add {built['slowest_add_ms']:.1f} ms\n"
        f"memory: {built['traced_per_entry']:,.0f} bytes/entry in all "
        f"({built['arrays_per_entry']:,.0f} in vector arrays; a bare float32 vector is "
        f"{data.shape[1] * 4:,})"
    )
    timings: dict[str, list[float]] = {"any": [], "cache": [], "brute": []}
    for queries in query_sets(rng, data, per_kind):
        best = best_rows(data, queries.vectors)
        found = [timed(timings["any"], lambda q=q: index.search(q)) for q in queries.vectors]
        hits = [
            timed(timings["cache"], lambda q=q: index.search(q, min_score=THRESHOLD))
            for q in queries.vectors
        ]
        for query, one, many in zip(queries.vectors, found, hits, strict=True):
            check_scores(one + many, data, query)
        agree = sum(int(f[0][0], 16) == b for f, b in zip(found, best, strict=True))
        wanted = [
            float(data[b] @ q) >= THRESHOLD + ROUNDING
            for q, b in zip(queries.vectors, best, strict=True)
        ]
        lost = sum(w and not h for w, h in zip(wanted, hits, strict=True))
        print(
            f"  {queries.name:>9}: recall@1 {agree / len(best):.4f}"
            f"   true best >= {THRESHOLD}: {sum(wanted):4d}, hits lost {lost}"
        )
    for query in queries.vectors[:500]:
        timed(timings["brute"], lambda q=query: int(np.argmax(data @ q)))
    count = len(timings["any"])
    print(f"search k=1 ({count} queries):      {percentiles(timings['any'])}")
    print(
        f"search k=1, min_score={THRESHOLD}:  {percentiles(timings['cache'])}  (the cache's call)"
    )
    print(f"numpy brute force (500 queries):  {percentiles(timings['brute'])}")


def best_rows(data: Matrix, queries: Matrix) -> list[int]:
    """The brute-force answer: each query's best row, in batches."""
    best: list[int] = []
    for start in range(0, len(queries), 256):
        best.extend(np.argmax(queries[start : start + 256] @ data.T, axis=1).tolist())
    return best


def timed(into: list[float], call: Callable[[], T]) -> T:
    began = time.perf_counter()
    result = call()
    into.append(time.perf_counter() - began)
    return result


def check_scores(results: list[tuple[str, float]], data: Matrix, query: Matrix) -> None:
    for key, score in results:
        exact = float(data[int(key, 16)] @ query)
        if abs(score - exact) > ROUNDING:
            raise SystemExit(f"wrong score for {key}: {score} != {exact}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--dim", type=int, default=384)
    parser.add_argument("--queries", type=int, default=2400, help="total, split over 4 kinds")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--probe-budget", type=int, default=PROBE_BUDGET)
    args = parser.parse_args()
    load = os.getloadavg()[0]
    print(
        f"cpus: {os.cpu_count()}, numpy {np.__version__}, load average {load:.2f} at start, "
        f"probe budget {args.probe_budget:,}"
    )
    rng = np.random.default_rng(args.seed)
    per_kind = max(1, args.queries // 4)
    budget = args.probe_budget
    measure("random unit vectors", random_set(rng, args.entries, args.dim), rng, per_kind, budget)
    clustered = clustered_set(rng, args.entries, args.dim)
    measure("clustered (embedding-like)", clustered, rng, per_kind, budget)


if __name__ == "__main__":
    main()

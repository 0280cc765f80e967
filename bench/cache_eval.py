"""How often the semantic cache answers a paraphrase, and how often it answers wrongly.

    .venv/bin/python bench/cache_eval.py [--pairs PATH] [--threshold T] [--errors]

Starts a real llama-server with the MiniLM embedding model (scripts/llama_server.py,
as the e2e tests do), embeds both texts of every labelled pair in
bench/cache_pairs.jsonl in batches, and puts each pair through the semantic
cache itself (cache/semantic.py with its vector index, keyed by the context of
cache/keys.py): the earlier request b with its history is stored, then request a
with its own history asks for a match. A hit therefore needs what the cache
needs: the same context (history and parameters), cosine >= threshold, and the
near-miss guards (cache/guards.py) passing.

Prints, at the threshold (by default the setting's default): the hit rate on
pairs labelled "same" (higher is better) and the false-hit rate on pairs
labelled "different" (must be zero), per kind; then both over thresholds
0.70..0.98, with and without the guards; then what the guards cost per pair.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from smarterrouter.cache.guard_features import forget_features
from smarterrouter.cache.guards import meaning_differs
from smarterrouter.cache.keys import context_key
from smarterrouter.cache.semantic import PromptVector, SemanticCache
from smarterrouter.cache.vector import VectorIndex
from smarterrouter.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

from llama_server import MINILM_ID, start_single  # noqa: E402  (scripts/ is not a package)

DEFAULT_PAIRS = ROOT / "bench" / "cache_pairs.jsonl"
DEFAULT_THRESHOLD = Settings.model_fields["cache_similarity_threshold"].default
CURVE = tuple(round(0.70 + 0.02 * i, 2) for i in range(15))  # 0.70 .. 0.98
TARGET = "smarterrouter/main"
BATCH = 32

Guard = Callable[[str, str], str | None]


@dataclass(frozen=True)
class Pair:
    id: str
    a: str
    b: str
    same: bool
    kind: str
    history_a: tuple[dict[str, Any], ...]
    history_b: tuple[dict[str, Any], ...]

    @classmethod
    def of(cls, row: dict[str, Any]) -> Pair:
        return cls(
            row["id"],
            row["a"],
            row["b"],
            row["label"] == "same",
            row["kind"],
            tuple(row.get("history_a", ())),
            tuple(row.get("history_b", ())),
        )


def load_pairs(path: Path) -> list[Pair]:
    with path.open(encoding="utf-8") as f:
        return [Pair.of(json.loads(line)) for line in f if line.strip()]


def embed_all(url: str, texts: Sequence[str]) -> dict[str, list[float]]:
    """Every distinct text's embedding, asked in batches as a client would."""
    unique = list(dict.fromkeys(texts))
    vectors: dict[str, list[float]] = {}
    with httpx.Client(base_url=url, timeout=120) as client:
        for start in range(0, len(unique), BATCH):
            batch = unique[start : start + BATCH]
            resp = client.post("/v1/embeddings", json={"model": MINILM_ID, "input": batch})
            resp.raise_for_status()
            for item in resp.json()["data"]:
                vectors[batch[item["index"]]] = item["embedding"]
    return vectors


def _context(text: str, history: Iterable[dict[str, Any]]) -> str:
    body = {"model": TARGET, "messages": [*history, {"role": "user", "content": text}]}
    key = context_key(body, target=TARGET, preference=0.5)
    assert key is not None  # the last message is the user's text
    return key


def is_hit(pair: Pair, vectors: dict[str, list[float]], threshold: float, guard: Guard) -> bool:
    """Would the cache answer request a with the answer it stored for request b?"""
    cache = SemanticCache(VectorIndex, threshold=threshold, max_size=4, guard=guard)
    stored = PromptVector.of(pair.b, vectors[pair.b], MINILM_ID)
    asked = PromptVector.of(pair.a, vectors[pair.a], MINILM_ID)
    assert stored is not None and asked is not None
    cache.add("b", _context(pair.b, pair.history_b), stored, MINILM_ID)
    return bool(cache.find(_context(pair.a, pair.history_a), asked))


def cosine(u: Sequence[float], v: Sequence[float]) -> float:
    dot = sum(x * y for x, y in zip(u, v, strict=True))
    norm = (sum(x * x for x in u) * sum(y * y for y in v)) ** 0.5
    return dot / norm


def no_guard(new: str, cached: str) -> str | None:
    return None


def rates(hits: dict[str, bool], pairs: Sequence[Pair]) -> tuple[str, str]:
    same = [p for p in pairs if p.same]
    different = [p for p in pairs if not p.same]
    return _rate(sum(hits[p.id] for p in same), len(same)), _rate(
        sum(hits[p.id] for p in different), len(different)
    )


def _rate(n: int, total: int) -> str:
    return f"{n:>3}/{total:<3} {n / total:6.1%}" if total else "    -"


def print_by_kind(pairs: Sequence[Pair], hits: dict[str, bool], threshold: float) -> None:
    print(f"\nAt threshold {threshold:.2f} (cosine >= threshold, guards pass, same history):")
    print(f"  {'kind':<12}{'paraphrase hit rate':>24}{'near-miss false hits':>26}")
    groups: dict[str, list[Pair]] = defaultdict(list)
    for pair in pairs:
        groups[pair.kind].append(pair)
    for kind, members in sorted(groups.items()):
        hit_rate, false_rate = rates(hits, members)
        print(f"  {kind:<12}{hit_rate:>24}{false_rate:>26}")
    hit_rate, false_rate = rates(hits, pairs)
    print(f"  {'all':<12}{hit_rate:>24}{false_rate:>26}")


def print_curve(pairs: Sequence[Pair], vectors: dict[str, list[float]]) -> None:
    print("\nOver thresholds: paraphrase hit rate | near-miss false-hit rate")
    print(f"  {'threshold':<10}{'with guards':>34}{'without guards':>36}")
    for threshold in CURVE:
        guarded = {p.id: is_hit(p, vectors, threshold, meaning_differs) for p in pairs}
        bare = {p.id: is_hit(p, vectors, threshold, no_guard) for p in pairs}
        g_hit, g_false = rates(guarded, pairs)
        b_hit, b_false = rates(bare, pairs)
        print(f"  {threshold:<10.2f}{g_hit:>16} | {g_false:<15}{b_hit:>18} | {b_false}")


def print_errors(pairs: Sequence[Pair], vectors: dict[str, list[float]], threshold: float) -> None:
    print("\nFalse hits and missed paraphrases (cosine, guard's reason):")
    for pair in pairs:
        hit = is_hit(pair, vectors, threshold, meaning_differs)
        if hit == pair.same:
            continue
        score = cosine(vectors[pair.a], vectors[pair.b])
        reason = meaning_differs(pair.a, pair.b) or "-"
        what = "MISS" if pair.same else "FALSE HIT"
        print(f"  {what:<9} {pair.id:<16} {score:.3f} {reason:<20} {pair.a!r} / {pair.b!r}")


def print_guard_cost(pairs: Sequence[Pair], rounds: int = 5) -> None:
    """CPU time of one guard call on texts it has not seen (memo cleared), per pair.

    CPU time of this thread, not wall time: on a shared machine, the wall clock
    also counts the time other processes held the CPU."""
    times = []
    for _ in range(rounds):
        for pair in pairs:
            forget_features()
            started = time.thread_time()
            meaning_differs(pair.a, pair.b)
            times.append((time.thread_time() - started) * 1e6)
    times.sort()
    p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
    chars = statistics.median(len(p.a) + len(p.b) for p in pairs)
    print(
        f"\nGuard CPU time per pair (both texts read, median {chars:.0f} characters "
        f"together): p50 {statistics.median(times):.0f} µs, p99 {p99:.0f} µs"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=Path, default=DEFAULT_PAIRS)
    parser.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD)
    parser.add_argument("--errors", action="store_true", help="list every wrong decision")
    args = parser.parse_args()

    pairs = load_pairs(args.pairs)
    same = sum(p.same for p in pairs)
    print(f"{len(pairs)} pairs from {args.pairs.name}: {same} same, {len(pairs) - same} different")
    with tempfile.TemporaryDirectory() as tmp:
        server = start_single(
            MINILM_ID, Path(tmp) / "embedder.log", ["--embeddings", "--pooling", "mean"]
        )
        try:
            started = time.perf_counter()
            vectors = embed_all(server.url, [t for p in pairs for t in (p.a, p.b)])
            took = time.perf_counter() - started
        finally:
            server.stop()
    print(f"embedded {len(vectors)} texts with {MINILM_ID} on llama-server in {took:.1f} s")

    hits = {p.id: is_hit(p, vectors, args.threshold, meaning_differs) for p in pairs}
    print_by_kind(pairs, hits, args.threshold)
    print_curve(pairs, vectors)
    if args.errors:
        print_errors(pairs, vectors, args.threshold)
    print_guard_cost(pairs)


if __name__ == "__main__":
    main()

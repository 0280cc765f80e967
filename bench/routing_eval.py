"""How well the request classifier does on a labelled set, and how fast it is.

    .venv/bin/python bench/routing_eval.py [--dev PATH] [--errors]

Reads a JSONL set (fields: id, prompt or messages, category, difficulty,
needs_tools; by default ../shared/eval/routing_dev.jsonl from the repo root),
classifies every request as the gateway would, and prints category and
difficulty accuracy with their confusion matrices, the recall of needs_tools
by the text signal `wants_action` (the request-shape flag `needs_tools` is
printed too), and p50/p99 classification time, also for 8k-character prompts.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import routing_pool

from smarterrouter.routing.signals import Signals, classify

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DEV = ROOT.parent / "shared" / "eval" / "routing_dev.jsonl"
CATEGORIES = ("coding", "reasoning", "creativity", "general")
DIFFICULTIES = ("simple", "medium", "hard")
TIMING_ROUNDS = 5


def body_of(row: dict[str, Any]) -> dict[str, Any]:
    if "messages" in row:
        return {"messages": row["messages"]}
    return {"messages": [{"role": "user", "content": row["prompt"]}]}


def print_confusion(title: str, labels: Sequence[str], pairs: Sequence[tuple[str, str]]) -> None:
    counts = Counter(pairs)
    right = sum(counts[(label, label)] for label in labels)
    print(f"\n{title} accuracy: {right}/{len(pairs)} = {right / len(pairs):.1%}")
    print("  gold \\ predicted " + "".join(f"{label:>11}" for label in labels))
    for gold in labels:
        cells = "".join(f"{counts[(gold, guess)]:>11}" for guess in labels)
        print(f"  {gold:<17}{cells}")


def print_tools(rows: Sequence[dict[str, Any]], signals: Sequence[Signals]) -> None:
    wanted = [s for r, s in zip(rows, signals, strict=True) if r.get("needs_tools")]
    flagged = [r for r, s in zip(rows, signals, strict=True) if s.wants_action]
    hits = sum(s.wants_action for s in wanted)
    right = sum(bool(r.get("needs_tools")) for r in flagged)
    print(f"\nneeds_tools: {len(wanted)} labelled")
    print(f"  recall of wants_action (text signal): {hits}/{len(wanted)} = {_pct(hits, wanted)}")
    print(f"  precision of wants_action:           {right}/{len(flagged)} = {_pct(right, flagged)}")
    shape = sum(s.needs_tools for s in wanted)
    print(f"  recall of needs_tools (request shape): {shape}/{len(wanted)} = {_pct(shape, wanted)}")


def _pct(part: int, whole: Sequence[object]) -> str:
    return f"{part / len(whole):.1%}" if whole else "n/a"


def timings_ms(
    bodies: Sequence[dict[str, Any]], run: Callable[[dict[str, Any]], object]
) -> list[float]:
    for body in bodies:  # warm up: steady state, not first-call costs, is what requests see
        run(body)
    samples = []
    for _ in range(TIMING_ROUNDS):
        for body in bodies:
            start = time.perf_counter()
            run(body)
            samples.append((time.perf_counter() - start) * 1000)
    return samples


def print_timing(label: str, samples: Sequence[float]) -> None:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    print(
        f"  {label:<28} p50 {statistics.median(ordered):.3f} ms   "
        f"p99 {p99:.3f} ms   (n={len(ordered)})"
    )


def long_bodies(rows: Sequence[dict[str, Any]], size: int = 8000) -> list[dict[str, Any]]:
    """Each dev prompt padded to `size` characters, as a pasted document would be."""
    out = []
    for row in rows:
        text = json.dumps(row.get("prompt") or row.get("messages"), ensure_ascii=False)
        padded = (text + "\n\n") * (size // (len(text) + 2) + 1)
        out.append({"messages": [{"role": "user", "content": padded[:size]}]})
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dev", type=Path, default=DEFAULT_DEV, help="labelled JSONL set")
    parser.add_argument("--errors", action="store_true", help="list every misclassified row")
    args = parser.parse_args()
    rows = [json.loads(line) for line in args.dev.read_text("utf-8").splitlines() if line.strip()]
    bodies = [body_of(r) for r in rows]
    classify(bodies[0])  # the model file is read on first use; keep that out of the timings
    signals = [classify(b) for b in bodies]
    print(f"{args.dev} ({len(rows)} requests)")
    print_confusion(
        "category",
        CATEGORIES,
        [(r["category"], s.category) for r, s in zip(rows, signals, strict=True)],
    )
    print_confusion(
        "difficulty",
        DIFFICULTIES,
        [(r["difficulty"], s.difficulty) for r, s in zip(rows, signals, strict=True)],
    )
    print_tools(rows, signals)
    print("\nclassification time")
    print_timing("dev requests", timings_ms(bodies, classify))
    print_timing("8k-character prompts", timings_ms(long_bodies(rows), classify))
    for preference in (0.5, 0.1, 0.9):
        print()
        print(routing_pool.render(routing_pool.evaluate(rows, preference), preference))
    if args.errors:
        print_errors(rows, signals)


def print_errors(rows: Sequence[dict[str, Any]], signals: Sequence[Signals]) -> None:
    print("\nerrors (gold -> predicted)")
    for row, s in zip(rows, signals, strict=True):
        gold = (row["category"], row["difficulty"], bool(row.get("needs_tools")))
        got = (s.category, s.difficulty, s.wants_action)
        if gold != got:
            text = str(row.get("prompt") or row["messages"][-1]["content"]).replace("\n", " ")
            print(
                f"  {row['id']} {'/'.join(map(str, gold))} -> "
                f"{'/'.join(map(str, got))}: {text[:90]}"
            )


if __name__ == "__main__":
    main()

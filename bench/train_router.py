"""Train the request classifier shipped in smarterrouter/routing/data/classifier.json.

    .venv/bin/python bench/train_router.py [--data bench/routing_train.jsonl]

Trains only on the project's own labelled prompts (bench/routing_train.jsonl),
never on the dev set, so that bench/routing_eval.py measures something real.
Two multinomial logistic regressions (category, difficulty), fitted by AdaGrad
with L2 and class-balanced weights in pure Python, averaged over a few shuffled
runs: deterministic for a given data file. Keep the training prompts our own:
nothing from the dev set, nor close rewordings of it.
"""

from __future__ import annotations

import argparse
import json
import math
import random
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from smarterrouter.routing.classifier import LinearModel
from smarterrouter.routing.features import Features, difficulty_features, message_features
from smarterrouter.routing.signals import conversation_of

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "src/smarterrouter/routing/data/classifier.json"
CATEGORIES = ("coding", "reasoning", "creativity", "general")
DIFFICULTIES = ("simple", "medium", "hard")


def fit(
    examples: Sequence[tuple[Features, str]],
    labels: Sequence[str],
    epochs: int = 60,
    rate: float = 0.3,
    l2: float = 1e-3,
    seeds: int = 5,
) -> LinearModel:
    """Weights averaged over several shuffles: with a few hundred examples one
    run's weights depend noticeably on the order it saw them in."""
    runs = [_fit_once(examples, labels, seed, epochs, rate, l2) for seed in range(seeds)]
    zero = [0.0] * len(labels)
    names = {name for run in runs for name in run}
    averaged = {
        name: [
            round(sum(run.get(name, zero)[k] for run in runs) / seeds, 4)
            for k in range(len(labels))
        ]
        for name in sorted(names)
    }
    pruned = {n: row for n, row in averaged.items() if max(map(abs, row)) >= 0.01}
    return LinearModel(labels=tuple(labels), weights=pruned)


def _fit_once(
    examples: Sequence[tuple[Features, str]],
    labels: Sequence[str],
    seed: int,
    epochs: int,
    rate: float,
    l2: float,
) -> dict[str, list[float]]:
    """One multinomial logistic regression by AdaGrad with L2."""
    # Balanced: each label counts as much as any other, so the model's prior is
    # uniform rather than whatever mix this file happens to have.
    counts = Counter(gold for _, gold in examples)
    balance = {label: len(examples) / (len(counts) * n) for label, n in counts.items()}
    weights: dict[str, list[float]] = {}
    grad_sq: dict[str, list[float]] = {}
    order = list(range(len(examples)))
    rng = random.Random(seed)
    model = LinearModel(labels=tuple(labels), weights=weights)
    for _ in range(epochs):
        rng.shuffle(order)
        for i in order:
            feats, gold = examples[i]
            probs = model.probabilities(feats)
            scale = balance[gold]
            for name, value in feats.items():
                row = weights.setdefault(name, [0.0] * len(labels))
                acc = grad_sq.setdefault(name, [1e-8] * len(labels))
                for k, label in enumerate(labels):
                    g = scale * (probs[label] - (label == gold)) * value + l2 * row[k]
                    acc[k] += g * g
                    row[k] -= rate * g / math.sqrt(acc[k])
    return weights


def load(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def last_turn(row: dict[str, Any]) -> str:
    if "messages" in row:
        return conversation_of(row["messages"]).last
    return str(row["prompt"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=ROOT / "bench/routing_train.jsonl")
    args = parser.parse_args()
    rows = load(args.data)
    # A follow-up's label belongs to the conversation, not to its words
    # ("and in rust?"), so only single prompts teach the category model.
    cat_examples = [(message_features(r["prompt"]), r["category"]) for r in rows if "prompt" in r]
    diff_examples = [
        (difficulty_features(message_features(last_turn(r)), r["category"]), r["difficulty"])
        for r in rows
    ]
    data = {
        "category": fit(cat_examples, CATEGORIES).to_json(),
        "difficulty": fit(diff_examples, DIFFICULTIES).to_json(),
    }
    OUT.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n", "utf-8")
    print(f"trained on {len(rows)} rows -> {OUT.relative_to(ROOT)} ({OUT.stat().st_size} bytes)")


if __name__ == "__main__":
    main()

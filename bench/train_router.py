"""Train the request classifier shipped in smarterrouter/routing/data/classifier.json.

    .venv/bin/python bench/train_router.py [--data bench/routing_train.jsonl]
    .venv/bin/python bench/train_router.py --cv 5     # judge a change; writes nothing

Trains only on the project's own labelled prompts (bench/routing_train.jsonl),
never on the dev set, so that bench/routing_eval.py measures something real.
Two multinomial logistic regressions (category, difficulty), fitted by AdaGrad
with L2 and class-balanced weights in pure Python, averaged over a few shuffled
runs: deterministic for a given data file. Keep the training prompts our own:
nothing from the dev set, nor close rewordings of it.

`--cv K` is how data and feature changes are judged before the dev set is
looked at: K folds of the training file (stratified by category and
difficulty), each held out in turn from a model trained on the rest and
classified as the gateway classifies it, conversation context included.
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

from smarterrouter.routing.classifier import LinearModel, Models, predict
from smarterrouter.routing.features import Features, difficulty_features, message_features
from smarterrouter.routing.signals import conversation_of

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "src/smarterrouter/routing/data/classifier.json"
CATEGORIES = ("coding", "reasoning", "creativity", "general")
DIFFICULTIES = ("simple", "medium", "hard")
EPOCHS = 60
RATE = 0.3
L2 = 1e-3
SEEDS = 5

Example = tuple[Features, str]


def fit(
    examples: Sequence[Example],
    labels: Sequence[str],
    epochs: int = EPOCHS,
    rate: float = RATE,
    l2: float = L2,
    seeds: int = SEEDS,
) -> LinearModel:
    """Weights averaged over several shuffles: with a few hundred examples one
    run's weights depend noticeably on the order it saw them in."""
    names = sorted({name for feats, _ in examples for name in feats})
    index = {name: i for i, name in enumerate(names)}
    encoded = [
        ([(index[n], v) for n, v in feats.items()], labels.index(gold)) for feats, gold in examples
    ]
    total = [[0.0] * len(labels) for _ in names]
    for seed in range(seeds):
        run = _fit_once(encoded, len(names), len(labels), seed, epochs, rate, l2)
        for row, add in zip(total, run, strict=True):
            for k, w in enumerate(add):
                row[k] += w
    averaged = {
        name: [round(w / seeds, 4) for w in row] for name, row in zip(names, total, strict=True)
    }
    pruned = {n: row for n, row in averaged.items() if max(map(abs, row)) >= 0.01}
    return LinearModel(labels=tuple(labels), weights=pruned)


def _fit_once(
    examples: Sequence[tuple[list[tuple[int, float]], int]],
    n_features: int,
    n_labels: int,
    seed: int,
    epochs: int,
    rate: float,
    l2: float,
) -> list[list[float]]:
    """One multinomial logistic regression by AdaGrad with L2, on interned features."""
    # Balanced: each label counts as much as any other, so the model's prior is
    # uniform rather than whatever mix this file happens to have.
    counts = Counter(gold for _, gold in examples)
    balance = {label: len(examples) / (len(counts) * n) for label, n in counts.items()}
    weights = [[0.0] * n_labels for _ in range(n_features)]
    grad_sq = [[1e-8] * n_labels for _ in range(n_features)]
    labels = range(n_labels)
    order = list(range(len(examples)))
    rng = random.Random(seed)
    for _ in range(epochs):
        rng.shuffle(order)
        for i in order:
            feats, gold = examples[i]
            scores = [0.0] * n_labels
            for f, value in feats:
                row = weights[f]
                for k in labels:
                    scores[k] += row[k] * value
            top = max(scores)
            exps = [math.exp(s - top) for s in scores]
            norm = sum(exps)
            scale = balance[gold]
            delta = [scale * (e / norm - (k == gold)) for k, e in enumerate(exps)]
            for f, value in feats:
                row, acc = weights[f], grad_sq[f]
                for k in labels:
                    g = delta[k] * value + l2 * row[k]
                    acc[k] += g * g
                    row[k] -= rate * g / math.sqrt(acc[k])
    return weights


def load(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def last_turn(row: dict[str, Any]) -> str:
    if "messages" in row:
        return conversation_of(row["messages"]).last
    return str(row["prompt"])


def _single_turn(row: dict[str, Any]) -> bool:
    messages = row.get("messages") or []
    return sum(m.get("role") == "user" for m in messages) <= 1


def train(rows: Sequence[dict[str, Any]], seeds: int = SEEDS, l2: float = L2) -> Models:
    # A follow-up's label belongs to the conversation, not to its words
    # ("and in rust?"), so only requests of one user turn teach the category model.
    cat_examples = [
        (message_features(last_turn(r)), r["category"]) for r in rows if _single_turn(r)
    ]
    diff_examples = [
        (difficulty_features(message_features(last_turn(r)), r["category"]), r["difficulty"])
        for r in rows
    ]
    return Models(
        category=fit(cat_examples, CATEGORIES, l2=l2, seeds=seeds),
        difficulty=fit(diff_examples, DIFFICULTIES, l2=l2, seeds=seeds),
    )


def classify_row(row: dict[str, Any], models: Models) -> tuple[str, str]:
    """(category, difficulty) as the gateway would predict them for this row."""
    messages = row.get("messages") or [{"role": "user", "content": row["prompt"]}]
    talk = conversation_of(messages)
    guess = predict(talk.last, talk.context, models, previous=talk.previous)
    return guess.category, guess.difficulty


def folds(rows: Sequence[dict[str, Any]], k: int) -> list[list[int]]:
    """K folds with each (category, difficulty) cell spread evenly; fixed seed."""
    cells: dict[tuple[str, str], list[int]] = {}
    for i, row in enumerate(rows):
        cells.setdefault((row["category"], row["difficulty"]), []).append(i)
    out: list[list[int]] = [[] for _ in range(k)]
    rng = random.Random(1234)
    at = 0
    for key in sorted(cells):
        members = cells[key]
        rng.shuffle(members)
        for i in members:
            out[at % k].append(i)
            at += 1
    return out


def cross_validate(rows: Sequence[dict[str, Any]], k: int, seeds: int, l2: float) -> None:
    pairs: list[tuple[dict[str, Any], tuple[str, str]]] = []
    for n, held in enumerate(folds(rows, k), 1):
        kept = set(held)
        models = train([r for i, r in enumerate(rows) if i not in kept], seeds, l2)
        guesses = [(rows[i], classify_row(rows[i], models)) for i in held]
        pairs += guesses
        cat = sum(r["category"] == g[0] for r, g in guesses) / len(guesses)
        diff = sum(r["difficulty"] == g[1] for r, g in guesses) / len(guesses)
        print(f"  fold {n}/{k}: category {cat:.1%}  difficulty {diff:.1%}  (n={len(held)})")
    print(f"\n{k}-fold cross-validation on {len(rows)} training rows (seeds={seeds}, l2={l2:g})")
    _confusion("category", CATEGORIES, [(r["category"], g[0]) for r, g in pairs])
    _confusion("difficulty", DIFFICULTIES, [(r["difficulty"], g[1]) for r, g in pairs])


def _confusion(title: str, labels: Sequence[str], pairs: Sequence[tuple[str, str]]) -> None:
    counts = Counter(pairs)
    right = sum(counts[(label, label)] for label in labels)
    print(f"\n{title} accuracy: {right}/{len(pairs)} = {right / len(pairs):.1%}")
    print("  gold \\ predicted " + "".join(f"{label:>11}" for label in labels))
    for gold in labels:
        print(f"  {gold:<17}" + "".join(f"{counts[(gold, guess)]:>11}" for guess in labels))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=ROOT / "bench/routing_train.jsonl")
    parser.add_argument("--cv", type=int, metavar="K", help="K-fold cross-validation only")
    parser.add_argument("--seeds", type=int, default=SEEDS, help="shuffled runs averaged")
    parser.add_argument("--l2", type=float, default=L2, help="L2 penalty of both models")
    args = parser.parse_args()
    rows = load(args.data)
    if args.cv:
        cross_validate(rows, args.cv, args.seeds, args.l2)
        return
    models = train(rows, args.seeds, args.l2)
    data = {"category": models.category.to_json(), "difficulty": models.difficulty.to_json()}
    OUT.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n", "utf-8")
    print(f"trained on {len(rows)} rows -> {OUT.relative_to(ROOT)} ({OUT.stat().st_size} bytes)")


if __name__ == "__main__":
    main()

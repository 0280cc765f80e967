"""Train the request classifier shipped in smarterrouter/routing/data/classifier.json.

    .venv/bin/python bench/train_router.py [--data bench/routing_train.jsonl]
    .venv/bin/python bench/train_router.py --cv 5     # judge a change; writes nothing

Trains only on the project's own labelled prompts (bench/routing_train.jsonl),
never on the dev set, so that bench/routing_eval.py measures something real.
Two multinomial logistic regressions (category, difficulty) with class-balanced
weights, each fitted to convergence by L-BFGS over the whole training set
(numpy; the whole cross-validation takes minutes, not the quarter of an hour
of a pure-Python fit). Deterministic: the same data gives the same file, with
no shuffles, and sums that no threaded library reorders. Keep the training
prompts our own: nothing from the dev set, nor close rewordings of it.

`--cv K` is how data and feature changes are judged before the dev set is
looked at: K folds of the training file (stratified by category and
difficulty), each held out in turn from a model trained on the rest and
classified as the gateway classifies it, conversation context included.
"""

from __future__ import annotations

import argparse
import json
import random
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from smarterrouter.routing.classifier import LinearModel, Models, predict
from smarterrouter.routing.features import Features, difficulty_features, message_features
from smarterrouter.routing.signals import conversation_of

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "src/smarterrouter/routing/data/classifier.json"
CATEGORIES = ("coding", "reasoning", "creativity", "general")
DIFFICULTIES = ("simple", "medium", "hard")

Example = tuple[Features, str]
Array = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Penalty:
    """L2 on each feature's weights, scaled by how often the feature occurs:
    `l2 * (floor + share of examples that have it)`. A feature seen in every
    prompt (the bias, a length bucket) is held firmly; a word seen once is held
    only by the floor, so it can still speak for the one prompt that taught it.
    Both chosen by cross-validation (`--cv 5`)."""

    l2: float
    floor: float


CATEGORY_PENALTY = Penalty(l2=1e-2, floor=1e-3)
DIFFICULTY_PENALTY = Penalty(l2=1e-2, floor=1e-2)
MAX_ITERATIONS = 2000
# Converged when no weight's gradient is larger than this: far below the
# 4-decimal rounding of the shipped weights.
GRADIENT_TOLERANCE = 1e-7
# Weights smaller than this change no prediction; leaving them out keeps the file small.
_PRUNE = 0.01


@dataclass(frozen=True)
class _Design:
    """Examples as a sparse matrix in coordinate form, and their gold labels."""

    rows: npt.NDArray[np.int64]
    cols: npt.NDArray[np.int64]
    values: Array
    gold: npt.NDArray[np.int64]
    n_features: int


def _design(examples: Sequence[Example], labels: Sequence[str], names: list[str]) -> _Design:
    index = {name: i for i, name in enumerate(names)}
    rows, cols, values = [], [], []
    for r, (feats, _) in enumerate(examples):
        # Sorted: sums taken in the same order whatever order the features came in.
        for name, value in sorted(feats.items()):
            rows.append(r)
            cols.append(index[name])
            values.append(value)
    return _Design(
        rows=np.array(rows, dtype=np.int64),
        cols=np.array(cols, dtype=np.int64),
        values=np.array(values, dtype=np.float64),
        gold=np.array([labels.index(gold) for _, gold in examples], dtype=np.int64),
        n_features=len(names),
    )


def fit(
    examples: Sequence[Example],
    labels: Sequence[str],
    penalty: Penalty,
    iterations: int = MAX_ITERATIONS,
) -> LinearModel:
    """A multinomial logistic regression: class-balanced mean cross-entropy plus
    the penalty, minimised by L-BFGS from zero weights."""
    names = sorted({name for feats, _ in examples for name in feats})
    x = _design(examples, labels, names)
    n, k = len(examples), len(labels)
    # Balanced: each label counts as much as any other, so the model's prior is
    # uniform rather than whatever mix this file happens to have.
    counts = np.bincount(x.gold, minlength=k)
    weight = (n / (k * np.maximum(counts, 1)))[x.gold] / n
    onehot = np.zeros((n, k))
    onehot[np.arange(n), x.gold] = 1.0
    share = np.bincount(x.cols, minlength=x.n_features) / n
    hold = (penalty.l2 * (penalty.floor + share))[:, None]

    def loss_and_gradient(flat: Array) -> tuple[float, Array]:
        w = flat.reshape(x.n_features, k)
        contrib = x.values[:, None] * w[x.cols]
        scores = _add_up(x.rows, contrib, n)
        scores -= scores.max(axis=1, keepdims=True)
        exps = np.exp(scores)
        totals = exps.sum(axis=1)
        probs = exps / totals[:, None]
        log_picked = scores[np.arange(n), x.gold] - np.log(totals)
        loss = -float(np.sum(weight * log_picked)) + 0.5 * float(np.sum(hold * w * w))
        delta = (probs - onehot) * weight[:, None]
        spread = x.values[:, None] * delta[x.rows]
        grad = _add_up(x.cols, spread, x.n_features)
        return loss, (grad + hold * w).ravel()

    solved = _lbfgs(loss_and_gradient, np.zeros(x.n_features * k), iterations)
    w = solved.reshape(x.n_features, k)
    weights = {
        name: [round(float(v), 4) for v in w[i]]
        for i, name in enumerate(names)
        if np.abs(w[i]).max() >= _PRUNE
    }
    return LinearModel(labels=tuple(labels), weights=weights)


def _add_up(index: npt.NDArray[np.int64], parts: Array, size: int) -> Array:
    """Row i of the result is the sum of the rows of `parts` whose index is i
    (the sparse product, column by column)."""
    return np.stack(
        [np.bincount(index, weights=parts[:, c], minlength=size) for c in range(parts.shape[1])],
        axis=1,
    )


def _dot(a: Array, b: Array) -> float:
    """A dot product summed by numpy itself, not by a threaded BLAS: the same
    sum in the same order on every machine, so training gives the same file."""
    return float(np.sum(a * b))


def _lbfgs(
    objective: Callable[[Array], tuple[float, Array]],
    start: Array,
    iterations: int,
    memory: int = 10,
    tolerance: float = GRADIENT_TOLERANCE,
) -> Array:
    """Limited-memory BFGS with a backtracking (Armijo) line search, until the
    largest gradient component is below `tolerance` or no step lowers the loss."""
    x = start
    f, g = objective(x)
    steps: list[tuple[Array, Array, float]] = []  # (s, y, 1 / y.s), oldest first
    for _ in range(iterations):
        if float(np.max(np.abs(g))) < tolerance:
            return x
        q = g.copy()
        alphas = []
        for s, y, rho in reversed(steps):
            a = rho * _dot(s, q)
            q -= a * y
            alphas.append(a)
        if steps:
            s, y, _ = steps[-1]
            q *= _dot(s, y) / _dot(y, y)
        else:  # first step: a unit step along the gradient's direction
            q /= max(1.0, float(np.sqrt(_dot(g, g))))
        for (s, y, rho), a in zip(steps, reversed(alphas), strict=True):
            q += s * (a - rho * _dot(y, q))
        direction = -q
        slope = _dot(g, direction)
        if slope >= 0:  # not a descent direction: restart from the gradient
            steps.clear()
            direction, slope = -g, -_dot(g, g)
        t = 1.0
        while True:
            candidate = x + t * direction
            f_new, g_new = objective(candidate)
            if f_new <= f + 1e-4 * t * slope:
                break
            t *= 0.5
            if t < 1e-12:  # no step along this direction lowers the loss
                return x
        s, y = candidate - x, g_new - g
        if _dot(y, s) > 1e-12:
            steps.append((s, y, 1.0 / _dot(y, s)))
            del steps[:-memory]
        x, f, g = candidate, f_new, g_new
    print(f"warning: the solver stopped at its cap of {iterations} iterations")
    return x


def load(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def last_turn(row: dict[str, Any]) -> str:
    if "messages" in row:
        return conversation_of(row["messages"]).last
    return str(row["prompt"])


def _single_turn(row: dict[str, Any]) -> bool:
    messages = row.get("messages") or []
    return bool(sum(m.get("role") == "user" for m in messages) <= 1)


def train(
    rows: Sequence[dict[str, Any]],
    category: Penalty = CATEGORY_PENALTY,
    difficulty: Penalty = DIFFICULTY_PENALTY,
) -> Models:
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
        category=fit(cat_examples, CATEGORIES, category),
        difficulty=fit(diff_examples, DIFFICULTIES, difficulty),
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


def cross_validate(
    rows: Sequence[dict[str, Any]], k: int, category: Penalty, difficulty: Penalty
) -> None:
    pairs: list[tuple[dict[str, Any], tuple[str, str]]] = []
    for n, held in enumerate(folds(rows, k), 1):
        kept = set(held)
        models = train([r for i, r in enumerate(rows) if i not in kept], category, difficulty)
        guesses = [(rows[i], classify_row(rows[i], models)) for i in held]
        pairs += guesses
        cat = sum(r["category"] == g[0] for r, g in guesses) / len(guesses)
        diff = sum(r["difficulty"] == g[1] for r, g in guesses) / len(guesses)
        print(f"  fold {n}/{k}: category {cat:.1%}  difficulty {diff:.1%}  (n={len(held)})")
    print(f"\n{k}-fold cross-validation on {len(rows)} training rows")
    print(f"  category {category}\n  difficulty {difficulty}")
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
    parser.add_argument("--l2", type=float, help="L2 strength of both models")
    parser.add_argument("--floor", type=float, help="penalty floor of both models (see Penalty)")
    args = parser.parse_args()
    rows = load(args.data)
    category, difficulty = (
        Penalty(
            l2=args.l2 if args.l2 is not None else default.l2,
            floor=args.floor if args.floor is not None else default.floor,
        )
        for default in (CATEGORY_PENALTY, DIFFICULTY_PENALTY)
    )
    if args.cv:
        cross_validate(rows, args.cv, category, difficulty)
        return
    models = train(rows, category, difficulty)
    data = {"category": models.category.to_json(), "difficulty": models.difficulty.to_json()}
    OUT.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n", "utf-8")
    print(f"trained on {len(rows)} rows -> {OUT.relative_to(ROOT)} ({OUT.stat().st_size} bytes)")


if __name__ == "__main__":
    main()

"""The training script of the request classifier: its data, folds and fitting."""

from __future__ import annotations

import importlib.util
import sys
from collections import Counter
from pathlib import Path
from types import ModuleType

import pytest

from smarterrouter.routing.classifier import Models, predict

BENCH = Path(__file__).resolve().parents[3] / "bench"


@pytest.fixture(scope="module")
def trainer() -> ModuleType:
    spec = importlib.util.spec_from_file_location("train_router", BENCH / "train_router.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("train_router", module)
    spec.loader.exec_module(module)
    return module


def test_training_rows_are_labelled_and_distinct(trainer: ModuleType) -> None:
    rows = trainer.load(BENCH / "routing_train.jsonl")
    assert len({r["id"] for r in rows}) == len(rows)
    assert {r["category"] for r in rows} == set(trainer.CATEGORIES)
    assert {r["difficulty"] for r in rows} == set(trainer.DIFFICULTIES)
    texts = Counter(trainer.last_turn(r).strip().lower() for r in rows if "prompt" in r)
    assert [t for t, n in texts.items() if n > 1] == []


def test_folds_hold_out_every_row_once_with_each_label_spread(trainer: ModuleType) -> None:
    rows = [
        {"category": c, "difficulty": d}
        for c in ("coding", "general")
        for d in ("simple", "hard")
        for _ in range(10)
    ]
    folds = trainer.folds(rows, 5)
    assert sorted(i for fold in folds for i in fold) == list(range(len(rows)))
    for fold in folds:
        cells = Counter((rows[i]["category"], rows[i]["difficulty"]) for i in fold)
        assert set(cells.values()) == {2}


def test_fit_learns_words_that_separate_labels(trainer: ModuleType) -> None:
    rows = [
        {"prompt": p, "category": c, "difficulty": d}
        for p, c, d in [
            ("write a poem about the sea", "creativity", "simple"),
            ("write a haiku about rain", "creativity", "simple"),
            ("fix this python traceback in my function", "coding", "hard"),
            ("refactor this python class and add tests", "coding", "hard"),
            ("what is the capital of peru", "general", "simple"),
            ("who wrote war and peace", "general", "simple"),
            ("solve 3x + 4 = 19", "reasoning", "hard"),
            ("prove that 17 is prime", "reasoning", "hard"),
        ]
    ]
    models: Models = trainer.train(rows, seeds=1)
    assert predict("write a poem about snow", models=models).category == "creativity"
    assert predict("fix my python function", models=models).category == "coding"
    assert trainer.classify_row(rows[2], models) == ("coding", "hard")

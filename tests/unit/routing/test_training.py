"""The training script of the request classifier: its data, folds and fitting."""

from __future__ import annotations

import importlib.util
import re
import sys
from collections import Counter
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from smarterrouter.routing.classifier import Models, predict
from smarterrouter.routing.features import message_features

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
    models: Models = trainer.train(rows)
    assert predict("write a poem about snow", models=models).category == "creativity"
    assert predict("fix my python function", models=models).category == "coding"
    assert trainer.classify_row(rows[2], models) == ("coding", "hard")


def test_the_solver_finds_the_minimum_of_an_ill_conditioned_bowl(trainer: ModuleType) -> None:
    centre = np.array([3.0, -1.0, 0.5, 10.0])
    scale = np.array([1.0, 100.0, 0.01, 5.0])

    def bowl(x: np.ndarray) -> tuple[float, np.ndarray]:
        return float((scale * (x - centre) ** 2).sum()), 2 * scale * (x - centre)

    found = trainer._lbfgs(bowl, np.zeros(4), iterations=200)
    assert found == pytest.approx(centre, abs=1e-3)


def test_an_unseen_form_of_a_trained_word_is_recognised_by_its_slices(
    trainer: ModuleType,
) -> None:
    rows = [
        {"prompt": p, "category": c, "difficulty": "simple"}
        for p, c in [
            # Made-up words, so that no lexicon knows them: only slices can carry them.
            ("zorbify the parser", "coding"),
            ("zorbify my class", "coding"),
            ("glimwort the parser", "creativity"),
            ("glimwort my class", "creativity"),
        ]
    ]
    models: Models = trainer.train(rows)
    guess = models.category.probabilities(message_features("zorbifying"))
    assert guess["coding"] > 0.7


DEV_SET = BENCH.parents[1] / "shared" / "eval" / "routing_dev.jsonl"


def test_no_training_prompt_is_a_rewording_of_a_dev_prompt(trainer: ModuleType) -> None:
    """The dev score means something only if the dev prompts stay out of training,
    reworded ones included: no training prompt shares most of its content words
    with a dev prompt."""
    if not DEV_SET.is_file():
        pytest.skip(f"the labelled dev set is not at {DEV_SET}")
    dev = {r["id"]: content_words(trainer.last_turn(r)) for r in trainer.load(DEV_SET)}
    close = []
    for row in trainer.load(BENCH / "routing_train.jsonl"):
        words = content_words(trainer.last_turn(row))
        for dev_id, theirs in dev.items():
            shared = len(words & theirs)
            if shared >= 4 and shared >= 0.67 * min(len(words), len(theirs)):
                close.append((row["id"], dev_id))
    assert close == []


def test_the_rewording_check_catches_a_rewording() -> None:
    ours = content_words("Why did the Spanish flu of 1918 kill so many young adults?")
    theirs = content_words("why did the 1918 flu kill so many healthy young adults")
    assert len(ours & theirs) >= 0.67 * min(len(ours), len(theirs))


_STOP = frozenset([
    "the", "and", "for", "are", "was", "were", "this", "that", "with", "what", "how", "why",
    "who", "when", "where", "which", "does", "did", "can", "could", "would", "should", "you",
    "your", "our", "they", "their", "there", "about", "into", "than", "then", "not", "just",
    "like", "make", "give", "write", "tell", "get", "have", "has", "had", "will", "some",
    "any", "all", "more", "most", "very", "much", "many", "one", "two",
])  # fmt: skip


def content_words(text: str) -> set[str]:
    """Lower-case words of three letters or more, less the commonest English ones."""
    words = re.findall(r"[^\W_]{3,}", text.lower()[:400])
    return {w for w in words if w not in _STOP}
